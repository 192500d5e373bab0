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
    use crate::source::connect::ConnectError;
    use crate::source::fetch::FetchError;
    for cause in report.chain() {
        if let Some(error) = cause.downcast_ref::<crate::source::backend::BackendError>() {
            return match error {
                crate::source::backend::BackendError::Unauthorized { .. } => TOKEN_REJECTED,
                crate::source::backend::BackendError::BadUrl(_) => BAD_INPUT,
                _ => UNREACHABLE,
            };
        }
        match cause.downcast_ref::<FetchError>() {
            Some(FetchError::TokenRejected { .. }) => return TOKEN_REJECTED,
            Some(FetchError::Unreachable { .. }) => return UNREACHABLE,
            None => {}
        }
        if let Some(error) = cause.downcast_ref::<ConnectError>() {
            return match error {
                ConnectError::Client(_) => UNREACHABLE,
                _ => BAD_INPUT,
            };
        }
        if cause
            .downcast_ref::<crate::source::backstage::AppConfigError>()
            .is_some()
        {
            return BAD_INPUT;
        }
        if cause
            .downcast_ref::<crate::mesh::snapshot::Incomplete>()
            .is_some()
        {
            return INCOMPLETE;
        }
        if cause.downcast_ref::<ManifestError>().is_some() {
            return BAD_INPUT;
        }
        if cause.downcast_ref::<crate::cli::UsageError>().is_some() {
            return BAD_INPUT;
        }
    }
    FAILURE
}
