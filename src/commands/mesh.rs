//! The mesh: the TUI on a terminal unless -o was given, printed output otherwise. Both read the
//! same source, opened once.

use super::{no_color, write_stdout};
use crate::cli::{Cli, UsageError};
use crate::mesh::views::View;
use crate::output::{self, Format};
use crate::source::spec::{Reading, SourceError, SourceSpec, Update};
use crate::{access, exit, mesh, source, tui};
use std::io::IsTerminal;

pub async fn run(cli: &Cli, spec: SourceSpec) -> color_eyre::Result<u8> {
    check_output_flags(cli)?;
    let interactive = cli.output.is_none() && std::io::stdout().is_terminal();
    let opened = source::open(spec, interactive).await?;
    if interactive {
        let options = tui::Options {
            mouse: !cli.no_mouse,
            no_color: no_color(),
        };
        tui::run(opened.follow(), options).await?;
        return Ok(exit::OK);
    }
    if cli.watch {
        return watch(cli, opened).await;
    }
    let reading = read_once(opened).await?;
    print_reading(cli, reading)
}

/// One reading of an opened source, a 401 explained from the token's own claims (expired, not
/// yet valid, another audience).
pub(super) async fn read_once(opened: source::Source) -> color_eyre::Result<Reading> {
    let token = opened.connection().cluster.and_then(|c| c.token);
    match opened.read_once().await {
        Ok(reading) => Ok(reading),
        Err(SourceError::Fetch(error)) => {
            Err(access::explain_rejection(error, token.as_deref()).into())
        }
        Err(error) => Err(error.into()),
    }
}

/// A reading's warnings and file problems on stderr, escaped.
pub(super) fn report_problems(reading: &Reading) {
    for warning in &reading.warnings {
        say!("kn-mesh: warning: {}", output::escape(warning));
    }
    for problem in &reading.problems {
        say!("kn-mesh: {}", output::escape_lines(problem));
    }
}

/// Flags that shape one output only are refused with the others, never silently ignored.
fn check_output_flags(cli: &Cli) -> Result<(), UsageError> {
    let format = cli.output.unwrap_or(Format::Tree);
    if !cli.view.is_empty() && !matches!(format, Format::Tree | Format::Wide) {
        return Err(UsageError(
            "--view picks the views of -o tree; the other outputs hold the whole mesh".into(),
        ));
    }
    if cli.partial && format != Format::Eventmesh {
        return Err(UsageError(
            "--partial is for -o eventmesh; the other outputs always print the partial mesh, marked".into(),
        ));
    }
    if cli.consumers.is_some() && format != Format::Eventmesh {
        return Err(UsageError(
            "--consumers is for -o eventmesh; the other outputs show each filter's outcome".into(),
        ));
    }
    // Refused before the token is sent anywhere.
    let from_backend = cli.backend.is_some() || !cli.backstage_config.is_empty();
    if cli.consumers == Some(crate::cli::ConsumersArg::Exact) && from_backend {
        return Err(UsageError(
            "--consumers exact needs the triggers' filters; an eventmesh backend sends only its \
             own consumedBy: read the cluster or the manifests instead"
                .into(),
        ));
    }
    Ok(())
}

/// `-w`: a new document on each change, until interrupted. A failure is told on stderr and
/// the next reading follows; the exit code is that of the last document printed.
async fn watch(cli: &Cli, opened: source::Source) -> color_eyre::Result<u8> {
    let mut following = opened.follow();
    let mut code = exit::OK;
    while let Some(update) = following.next().await {
        match update {
            Update::Read(reading) => {
                if cli.output == Some(Format::Yaml) {
                    write_stdout("---\n")?;
                }
                code = print_reading(cli, reading)?;
            }
            Update::Failed(error) => {
                say!("kn-mesh: {}", output::escape_lines(&error.to_string()));
                code = exit::INCOMPLETE;
            }
            Update::Connected(_) | Update::ServiceAccounts(_) | Update::Notice(_) => {}
        }
    }
    Ok(code)
}

/// Prints a reading. Problems with files are reported with their file and line, and the rest is
/// printed: an object that did not decode exits 4 (as from a cluster); a file that could not be
/// read is bad input (exit 2), and `-o eventmesh` prints nothing past it without --partial.
fn print_reading(cli: &Cli, reading: Reading) -> color_eyre::Result<u8> {
    report_problems(&reading);
    // Nothing could be read: the error said so, and an empty mesh would only repeat it.
    if reading.unreadable_file && reading.mesh.is_empty() {
        return Ok(exit::BAD_INPUT);
    }
    // The backend's answer fails closed on a missing namespace: nothing is printed.
    let missing = reading.mesh.missing_namespaces();
    if !missing.is_empty() && cli.output == Some(Format::Eventmesh) {
        for namespace in missing {
            say!(
                "kn-mesh: namespace {:?} does not exist (named with -n)",
                output::escape(namespace)
            );
        }
        return Ok(exit::BAD_INPUT);
    }
    // Problems were just reported with their file and line; the output marks them in place.
    let list_failures = reading.problems.is_empty();
    let printed = print(cli, &reading.mesh, list_failures);
    // A namespace named with -n that does not exist is bad input, as kubectl's `get ns` says.
    let missing = reading.mesh.missing_namespaces();
    if !missing.is_empty() {
        for namespace in missing {
            say!(
                "kn-mesh: namespace {:?} does not exist (named with -n)",
                output::escape(namespace)
            );
        }
        return printed.map(|code| {
            if code == exit::OK {
                exit::BAD_INPUT
            } else {
                code
            }
        });
    }
    if !reading.unreadable_file {
        return printed;
    }
    if let Err(report) = printed {
        say!("kn-mesh: {}", output::escape_lines(&report.to_string()));
    }
    Ok(exit::BAD_INPUT)
}

/// Prints the mesh with its markers. Denied data is data (exit 0); anything that failed or did
/// not decode makes the exit code 4. `-o eventmesh` fails closed, as the backend does.
fn print(cli: &Cli, mesh: &mesh::Mesh, list_failures: bool) -> color_eyre::Result<u8> {
    let format = cli.output.unwrap_or(Format::Tree);
    let views: Vec<View> = if cli.view.is_empty() {
        View::ALL.to_vec()
    } else {
        cli.view.iter().map(|&v| v.into()).collect()
    };
    if format == Format::Eventmesh {
        let consumers = cli.consumers.map(Into::into).unwrap_or_default();
        // A saved mesh read from a backend has no filters either: its exact consumers are not
        // known, and an empty consumedBy would say "none".
        if consumers == mesh::eventmesh::Consumers::Exact && mesh.reduced {
            return Err(UsageError(
                "--consumers exact needs the triggers' filters; this mesh came from an eventmesh \
                 backend, which sends only its own consumedBy"
                    .into(),
            )
            .into());
        }
        let body = mesh::eventmesh::answer(mesh, cli.partial, consumers)?;
        write_stdout(&format!("{}\n", serde_json::to_string_pretty(&body)?))?;
    } else {
        write_stdout(&output::render(mesh, format, &views)?)?;
    }
    let completeness = mesh.completeness();
    if completeness.failed.is_empty() {
        return Ok(exit::OK);
    }
    if !list_failures {
        return Ok(exit::INCOMPLETE);
    }
    say!(
        "kn-mesh: incomplete: {} request(s) failed or object(s) could not be decoded; they are marked in place",
        completeness.failed.len()
    );
    for cause in &completeness.failed {
        say!("  {}", output::escape(cause));
    }
    Ok(exit::INCOMPLETE)
}
