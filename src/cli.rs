//! Command-line arguments. Parsing only: choosing the source and the face happens in `run`.

use crate::mesh::views::View;
use crate::output::Format;
use clap::Parser;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "kn-mesh",
    version,
    about = "See a Knative Eventing mesh as trees, and what a token may and may not read",
    after_help = "Exit codes: 0 ok, 1 failure, 2 bad input or usage, 3 over-privileged token (auth), \
                  4 server unreachable or erroring, 5 token rejected (401)."
)]
pub struct Cli {
    /// Read objects from a file, a directory (its *.yaml, *.yml and *.json files, sorted) or `-`
    /// for stdin. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<PathBuf>,

    /// Print the mesh instead of opening the terminal UI. Defaults to `tree` when stdout is not
    /// a terminal.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<Format>,

    /// With `-o tree`: the views to print, comma-separated (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub view: Vec<View>,
}

/// Arguments that parse but do not make sense together.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
