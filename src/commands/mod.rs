//! The faces' entry points: each command takes the parsed arguments and the source they name,
//! and returns the exit code. `main` only parses and reports.

/// A line on stderr. Unlike `eprintln!`, a closed stderr (`2>&1 | head -1`) is not a panic:
/// there is no one left to tell.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod auth;
mod can_send;
mod cesql;
mod mesh;
mod rbac;
mod serve;
mod trace;

use crate::cli::{Cli, Command, SimCommand};
use color_eyre::eyre::WrapErr;
use std::io::Write;

/// The binary the completion script calls on each Tab: as it was invoked, so `kn-mesh` found
/// on PATH stays `kn-mesh` across upgrades, and a relative path is made absolute (the shell's
/// directory will change).
fn completer_path() -> String {
    let invoked = std::path::PathBuf::from(std::env::args_os().next().unwrap_or_default());
    let path = if invoked.components().count() > 1 {
        let invoked = invoked.strip_prefix(".").unwrap_or(&invoked).to_path_buf();
        std::env::current_dir()
            .map(|dir| dir.join(&invoked))
            .unwrap_or(invoked)
    } else {
        invoked
    };
    path.to_string_lossy().into_owned()
}

/// Runs the command the arguments name.
pub fn run(cli: Cli) -> color_eyre::Result<u8> {
    // Every command that reads a source resolves it the same way; `sim serve` and `rbac` read
    // only their own files.
    cli.refuse_unused_flags()?;
    match &cli.command {
        Some(Command::Sim {
            command: SimCommand::Serve(args),
        }) => block_on(serve::sim(args.clone())),
        Some(Command::Rbac(args)) => rbac::run(&cli, args),
        Some(Command::Version) => {
            write_stdout(&format!("kn-mesh {}\n", crate::version::LONG))?;
            Ok(crate::exit::OK)
        }
        Some(Command::Completions { shell }) => {
            let script = crate::completion::registration(*shell, &completer_path())
                .wrap_err("cannot write the completion script")?;
            write_stdout(&String::from_utf8_lossy(&script))?;
            Ok(crate::exit::OK)
        }
        Some(Command::Man { dir: Some(dir) }) => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::generate_to(command, dir).wrap_err_with(|| {
                format!(
                    "cannot write the manual pages into {}",
                    crate::text::escape(&dir.display().to_string())
                )
            })?;
            Ok(crate::exit::OK)
        }
        Some(Command::Man { dir: None }) => {
            let mut page = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut page)
                .wrap_err("cannot render the manual page")?;
            write_stdout(&String::from_utf8_lossy(&page))?;
            Ok(crate::exit::OK)
        }
        Some(Command::Cesql(args)) => cesql::run(args),
        Some(Command::Trace(args)) => {
            let spec = cli.source_spec()?;
            let namespaces = cli.connect().namespaces.namespaces;
            block_on(trace::run(spec, args, &namespaces))
        }
        Some(Command::CanSend(args)) => {
            let spec = cli.source_spec()?;
            block_on(can_send::run(spec, args))
        }
        Some(Command::Auth(args)) => {
            let spec = cli.source_spec()?;
            block_on(auth::run(spec, args))
        }
        Some(Command::Serve(args)) => {
            let spec = cli.source_spec()?;
            block_on(serve::backend(spec, args))
        }
        None => {
            let spec = cli.source_spec()?;
            block_on(mesh::run(&cli, spec))
        }
    }
}

fn block_on<F: std::future::Future<Output = color_eyre::Result<u8>>>(
    future: F,
) -> color_eyre::Result<u8> {
    let runtime = tokio::runtime::Runtime::new().wrap_err("cannot start the async runtime")?;
    runtime.block_on(future)
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

/// Whether to color text for this stdout: a terminal, and NO_COLOR unset or empty.
fn color_wanted() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && !no_color()
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}
