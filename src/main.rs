use clap::Parser;
use color_eyre::eyre::WrapErr;
use kn_mesh::cli::{Cli, UsageError};
use kn_mesh::mesh::views::View;
use kn_mesh::output::{self, Format};
use kn_mesh::{exit, mesh, source};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Installed first so that a panic anywhere, later inside the TUI too, is reported properly.
    let _ = color_eyre::install();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(report) => {
            eprintln!("kn-mesh: {report}");
            for cause in report.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(exit::code_for(&report))
        }
    }
}

fn run(cli: Cli) -> color_eyre::Result<u8> {
    if cli.filenames.is_empty() {
        return Err(UsageError(
            "no source given: read manifests with -f PATH (a live cluster, --demo and the \
             interactive view are on their way)"
                .into(),
        )
        .into());
    }
    let snapshot = source::manifests::read_snapshot(&cli.filenames)?;
    let mesh = mesh::build(snapshot);
    // Without -o the TUI will open on a terminal; until it lands, the tree is printed there too.
    let format = cli.output.unwrap_or(Format::Tree);
    let views = if cli.view.is_empty() {
        View::ALL.to_vec()
    } else {
        cli.view.clone()
    };
    let text = output::render(&mesh, format, &views)?;
    write_stdout(&text)?;
    Ok(exit::OK)
}

/// Writes to stdout; a closed pipe (`| head`) is a normal way to stop reading, not an error.
fn write_stdout(text: &str) -> color_eyre::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.wrap_err("cannot write to stdout"),
    }
}
