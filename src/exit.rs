//! Exit codes, documented in README.md. Scripts rely on them, so they only ever grow.

use crate::source::manifests::ManifestError;

/// Success.
pub const OK: u8 = 0;
/// A failure with no more specific code (for `kn-mesh auth`: the token lacks permissions).
pub const FAILURE: u8 = 1;
/// Bad input: an unknown flag, a malformed or unreadable manifest or configuration file.
pub const BAD_INPUT: u8 = 2;
/// `kn-mesh auth`: the token is over-privileged.
pub const OVER_PRIVILEGED: u8 = 3;
/// Incomplete: the server or backend could not be reached, answered with an error or a body we
/// cannot read, some data failed or did not decode, or (`-o eventmesh`, `auth`) the answer
/// could not be given whole.
pub const UNREACHABLE: u8 = 4;
/// The same code, named for what the faces mean by it.
pub const INCOMPLETE: u8 = UNREACHABLE;
/// The server or backend rejected the token (401).
pub const TOKEN_REJECTED: u8 = 5;
/// `kn-mesh trace`: the event only may go somewhere, or where it goes cannot all be seen.
pub const DEPENDS: u8 = 6;

/// The exit code for `kn-mesh auth`'s verdict, documented in README.md.
pub fn for_verdict(verdict: crate::access::Verdict) -> u8 {
    use crate::access::Verdict;
    match verdict {
        Verdict::Fit => OK,
        Verdict::Missing => FAILURE,
        Verdict::OverPrivileged => OVER_PRIVILEGED,
        Verdict::Unknown => INCOMPLETE,
    }
}

/// The exit code for an error, from the first typed error in its chain.
pub fn code_for(report: &color_eyre::Report) -> u8 {
    report.chain().find_map(code_of).unwrap_or(FAILURE)
}

/// The code for one error, if its type has one. A source's error is looked through to the
/// error it wraps.
fn code_of(cause: &(dyn std::error::Error + 'static)) -> Option<u8> {
    use crate::source::connect::ConnectError;
    use crate::source::fetch::FetchError;
    use crate::source::spec::SourceError;
    if let Some(error) = cause.downcast_ref::<SourceError>() {
        return match error.inner() {
            Some(inner) => code_of(inner),
            None if matches!(error, SourceError::Usage(_)) => Some(BAD_INPUT),
            None if matches!(error, SourceError::Live(_)) => Some(UNREACHABLE),
            None => Some(FAILURE),
        };
    }
    if let Some(error) = cause.downcast_ref::<crate::source::backend::BackendError>() {
        return Some(match error {
            crate::source::backend::BackendError::Unauthorized { .. } => TOKEN_REJECTED,
            crate::source::backend::BackendError::BadUrl(_) => BAD_INPUT,
            _ => UNREACHABLE,
        });
    }
    if let Some(error) = cause.downcast_ref::<FetchError>() {
        return Some(match error {
            FetchError::TokenRejected { .. } => TOKEN_REJECTED,
            FetchError::Unreachable { .. } => UNREACHABLE,
            // An argument the caller may not use, like any other bad input.
            FetchError::ImpersonationRefused { .. } => BAD_INPUT,
        });
    }
    if let Some(error) = cause.downcast_ref::<ConnectError>() {
        return Some(match error {
            ConnectError::Client(_) => UNREACHABLE,
            _ => BAD_INPUT,
        });
    }
    if let Some(error) = cause.downcast_ref::<crate::sim::cluster::SimError>() {
        use crate::sim::cluster::SimError;
        use crate::sim::persist::PersistError;
        // A manifest the API server would refuse, or a saved state that cannot be read, is
        // bad input; a port in use or a disk that will not take the state is not.
        return Some(match error {
            SimError::Load { .. } | SimError::State(PersistError::Read { .. }) => BAD_INPUT,
            _ => FAILURE,
        });
    }
    if cause.is::<crate::mesh::snapshot::Incomplete>() {
        return Some(INCOMPLETE);
    }
    let bad_input = cause.is::<crate::source::backstage::AppConfigError>()
        || cause.is::<ManifestError>()
        || cause.is::<crate::cli::UsageError>();
    bad_input.then_some(BAD_INPUT)
}
