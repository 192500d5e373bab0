//! kn-mesh's entry point: parse the arguments, run the command, report an error with its causes
//! and exit with the documented code.

use clap::Parser;
use kn_mesh::cli::Cli;
use kn_mesh::{commands, completion, exit, output};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A shell asking what may follow on a Tab (the script `kn-mesh completions` prints) is
    // answered here and nothing else runs: stdout is the shell's.
    if completion::invoked_by_kubectl() {
        return match completion::answer_kubectl(<Cli as clap::CommandFactory>::command()) {
            Ok(answer) => {
                let _ = std::io::stdout().write_all(&answer);
                ExitCode::SUCCESS
            }
            Err(_) => ExitCode::from(exit::FAILURE),
        };
    }
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
        .var(completion::VAR)
        .complete();
    // Installed first so that a panic anywhere, later inside the TUI too, is reported properly.
    let _ = color_eyre::install();
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(report) => {
            // Error texts carry names, paths and server messages: escaped before the terminal.
            // A closed stderr is no reason to panic on the way out.
            let mut stderr = std::io::stderr();
            let _ = writeln!(
                stderr,
                "kn-mesh: {}",
                output::escape_lines(&report.to_string())
            );
            for cause in report.chain().skip(1) {
                let _ = writeln!(
                    stderr,
                    "  caused by: {}",
                    output::escape_lines(&cause.to_string())
                );
            }
            ExitCode::from(exit::code_for(&report))
        }
    }
}
