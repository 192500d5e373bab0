//! Connecting to an API server the way kubectl users expect: a kubeconfig (`--kubeconfig`,
//! `KUBECONFIG`, `~/.kube/config`) and `--context`; in-cluster config in a pod; or `--server`
//! with a token. A token given explicitly replaces every credential the kubeconfig holds.
//!
//! Tokens never appear in output or errors: `redact` shows a short prefix at most.

use std::path::{Path, PathBuf};

/// The environment variable the Knative eventmesh backend's Backstage config uses.
pub const TOKEN_ENV: &str = "KNATIVE_EVENT_MESH_TOKEN";

#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub server: Option<String>,
    pub token_file: Option<PathBuf>,
    /// `--token`: the least safe way, since other users see it in `ps`.
    pub token: Option<String>,
    pub certificate_authority: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
    /// `--as`, `--as-group`, `--as-uid`: act as another user.
    pub impersonate: Option<Impersonate>,
    /// `--as-group` or `--as-uid` given without `--as`, which kube-apiserver refuses.
    pub impersonate_without_user: bool,
}

/// Whom to act as, through kube-apiserver's impersonation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impersonate {
    pub user: String,
    pub groups: Vec<String>,
    pub uid: Option<String>,
}

/// Sets the impersonation headers kube-rs sends with every request (`--as`), replacing any the
/// kubeconfig held. `serve` calls it again after it strips its own credentials.
pub fn impersonate(config: &mut kube::Config, whom: Option<&Impersonate>) {
    let Some(whom) = whom else {
        return;
    };
    config.auth_info.impersonate = Some(whom.user.clone());
    config.auth_info.impersonate_groups = (!whom.groups.is_empty()).then(|| whom.groups.clone());
    config.auth_info.impersonate_uid = whom.uid.clone();
}

/// Where the data comes from, for the header and for error messages (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub server: String,
    pub context: Option<String>,
    /// The redacted token, when one was given explicitly.
    pub token: Option<String>,
    /// `--as`: whom every request acts as.
    pub acting_as: Option<String>,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.server)?;
        // Impersonating, what is shown is the user's view; the context or token only says who
        // asked for it, so it comes second: "as X (impersonated by context admin)".
        let caller = match (&self.context, &self.token) {
            (_, Some(token)) => Some(format!("token {token}")),
            (Some(context), None) => Some(format!("context {context}")),
            (None, None) => None,
        };
        match (&self.acting_as, caller) {
            (Some(user), Some(caller)) => write!(f, " as {user} (impersonated by {caller})"),
            (Some(user), None) => write!(f, " as {user} (impersonated)"),
            (None, _) => {
                if let Some(context) = &self.context {
                    write!(f, " (context {context})")?;
                }
                if let Some(token) = &self.token {
                    write!(f, " with token {token}")?;
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot read the token file {path}: {source}")]
    TokenFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the token file {path} is empty")]
    EmptyTokenFile { path: String },
    #[error("give the token one way only: --token-file or --token")]
    TwoTokens,
    #[error("cannot read the certificate authority {path}: {source}")]
    CertificateAuthority {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the token from {from} is unusable: {problem}")]
    BadToken {
        from: String,
        problem: crate::text::TokenTextError,
    },
    #[error("{0:?} is not a server URL (expected https://host:port)")]
    BadServer(String),
    #[error("cannot use the kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("--as-group and --as-uid act as a user: give --as USER too")]
    ImpersonateWithoutUser,
    #[error(
        "no cluster to connect to: no kubeconfig was found and this is not a pod. Use --kubeconfig, \
         --server with --token-file, -f for manifests, or --demo"
    )]
    NoCluster,
    #[error("cannot create the client: {0}")]
    Client(String),
}

pub use crate::text::redact;

fn read_token_file(path: &Path) -> Result<String, ConnectError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConnectError::TokenFile {
        path: path.display().to_string(),
        source,
    })?;
    crate::text::clean_token(&text).map_err(|problem| match problem {
        crate::text::TokenTextError::Empty => ConnectError::EmptyTokenFile {
            path: path.display().to_string(),
        },
        problem => ConnectError::BadToken {
            from: path.display().to_string(),
            problem,
        },
    })
}

/// The explicit token, if any: `--token-file`, then `--token`, then `KNATIVE_EVENT_MESH_TOKEN`.
pub fn explicit_token(options: &ConnectOptions) -> Result<Option<String>, ConnectError> {
    match (&options.token_file, &options.token) {
        (Some(_), Some(_)) => Err(ConnectError::TwoTokens),
        (Some(path), None) => read_token_file(path).map(Some),
        (None, Some(token)) => crate::text::clean_token(token)
            .map(Some)
            .map_err(|problem| ConnectError::BadToken {
                from: "--token".into(),
                problem,
            }),
        (None, None) => match std::env::var(TOKEN_ENV) {
            Ok(value) if !value.trim().is_empty() => crate::text::clean_token(&value)
                .map(Some)
                .map_err(|problem| ConnectError::BadToken {
                    from: TOKEN_ENV.into(),
                    problem,
                }),
            _ => Ok(None),
        },
    }
}

/// The kube-rs configuration for the options, and a description of the endpoint.
/// The kubeconfig's context names, for switching between them; none with `--server`, with an
/// explicit token or CA, or without a kubeconfig.
pub fn contexts(options: &ConnectOptions) -> Vec<String> {
    // A token or CA given on the command line would follow the switch to another server: with
    // one, there is no switching (the token is for the server it was given for).
    let explicit = explicit_token(options).ok().flatten().is_some()
        || options.certificate_authority.is_some()
        || options.insecure_skip_tls_verify;
    if options.server.is_some() || explicit {
        return Vec::new();
    }
    read_kubeconfig(options.kubeconfig.as_deref())
        .map(|k| k.contexts.into_iter().map(|c| c.name).collect())
        .unwrap_or_default()
}

/// The kubeconfig, if there is one that can be read. For listing names only; connecting
/// reports why one cannot be read.
pub fn read_kubeconfig(path: Option<&Path>) -> Option<kube::config::Kubeconfig> {
    load_kubeconfig(path).ok().flatten()
}

/// The largest kubeconfig read. Real ones are kilobytes; `/dev/zero`, a pipe or a runaway file
/// must neither take the memory nor hang (kube-rs reads whatever it is given, whole).
const KUBECONFIG_MAX_BYTES: u64 = 16 << 20;

/// The kubeconfig as kubectl finds it: the file given; else the files `$KUBECONFIG` lists,
/// merged, one that does not exist skipped as kubectl skips it; else `~/.kube/config`.
/// `Ok(None)` when there is none; an error says which file and why.
pub fn load_kubeconfig(path: Option<&Path>) -> Result<Option<kube::config::Kubeconfig>, String> {
    if let Some(path) = path {
        return read_one_kubeconfig(path).map(Some);
    }
    let listed: Vec<PathBuf> = std::env::var_os("KUBECONFIG")
        .map(|value| {
            std::env::split_paths(&value)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if listed.is_empty() {
        let default = std::env::var_os("HOME").map(|home| Path::new(&home).join(".kube/config"));
        return match default.filter(|path| path.exists()) {
            Some(path) => read_one_kubeconfig(&path).map(Some),
            None => Ok(None),
        };
    }
    let mut merged: Option<kube::config::Kubeconfig> = None;
    for path in listed.iter().filter(|path| path.exists()) {
        let next = read_one_kubeconfig(path)?;
        merged = Some(match merged {
            None => next,
            Some(earlier) => earlier.merge(next).map_err(|e| {
                format!("{}: {e}", crate::text::escape(&path.display().to_string()))
            })?,
        });
    }
    Ok(merged)
}

fn read_one_kubeconfig(path: &Path) -> Result<kube::config::Kubeconfig, String> {
    let shown = crate::text::escape(&path.display().to_string());
    let metadata = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if !metadata.is_file() {
        return Err(format!("{shown}: not a regular file"));
    }
    if metadata.len() > KUBECONFIG_MAX_BYTES {
        return Err(format!(
            "{shown}: {} bytes, more than the {} MiB a kubeconfig may have",
            metadata.len(),
            KUBECONFIG_MAX_BYTES >> 20
        ));
    }
    // Only the error's first line (what and where): a YAML error goes on to quote the lines
    // around it, and a kubeconfig's lines hold tokens and client keys.
    kube::config::Kubeconfig::read_from(path).map_err(|e| {
        let error = e.to_string();
        format!("{shown}: {}", error.lines().next().unwrap_or_default())
    })
}

pub async fn config(options: &ConnectOptions) -> Result<(kube::Config, Endpoint), ConnectError> {
    if options.impersonate_without_user {
        return Err(ConnectError::ImpersonateWithoutUser);
    }
    let token = explicit_token(options)?;
    let (mut config, context) = match &options.server {
        Some(server) => {
            let uri: axum::http::Uri = server
                .parse()
                .ok()
                .filter(|u: &axum::http::Uri| u.scheme().is_some() && u.host().is_some())
                .ok_or_else(|| ConnectError::BadServer(server.clone()))?;
            (kube::Config::new(uri), None)
        }
        None => from_kubeconfig_or_cluster(options).await?,
    };
    if let Some(path) = &options.certificate_authority {
        config.root_cert_file = Some(path.clone());
    }
    if options.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
    }
    if let Some(token) = &token {
        config.auth_info = kube::config::AuthInfo {
            token: Some(token.clone().into()),
            ..Default::default()
        };
    } else if let Some(kubeconfig_token) = &config.auth_info.token {
        // The kubeconfig's token goes through the same check as any other: a line break from a
        // YAML block scalar is trimmed, any other control character refused (it would not make
        // a valid header).
        use secrecy::ExposeSecret;
        let cleaned =
            crate::text::clean_token(kubeconfig_token.expose_secret()).map_err(|problem| {
                ConnectError::BadToken {
                    from: "the kubeconfig".into(),
                    problem,
                }
            })?;
        config.auth_info.token = Some(cleaned.into());
    }
    if let Some(path) = &options.certificate_authority {
        // Checked here, so that a typo is bad input (exit 2) and `serve` does not start and
        // fail every request.
        std::fs::metadata(path).map_err(|source| ConnectError::CertificateAuthority {
            path: crate::text::escape(&path.display().to_string()),
            source,
        })?;
    }
    // A server that accepts the connection but never answers must not hang us forever.
    config.connect_timeout = Some(std::time::Duration::from_secs(10));
    config.read_timeout = Some(std::time::Duration::from_secs(60));
    let endpoint = Endpoint {
        server: config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string(),
        context,
        token: token.as_deref().map(redact),
        acting_as: options.impersonate.as_ref().map(|whom| whom.user.clone()),
    };
    impersonate(&mut config, options.impersonate.as_ref());
    Ok((config, endpoint))
}

async fn from_kubeconfig_or_cluster(
    options: &ConnectOptions,
) -> Result<(kube::Config, Option<String>), ConnectError> {
    let kubeconfig_options = kube::config::KubeConfigOptions {
        context: options.context.clone(),
        ..Default::default()
    };
    let kubeconfig =
        load_kubeconfig(options.kubeconfig.as_deref()).map_err(ConnectError::Kubeconfig)?;
    match kubeconfig {
        Some(kubeconfig) => {
            // As kubectl: a context the kubeconfig does not have is named, with those it has.
            if let Some(wanted) = &options.context
                && !kubeconfig.contexts.iter().any(|c| &c.name == wanted)
            {
                let names: Vec<String> = kubeconfig
                    .contexts
                    .iter()
                    .map(|c| crate::text::escape(&c.name))
                    .collect();
                return Err(ConnectError::Kubeconfig(format!(
                    "context {} does not exist; the kubeconfig has: {}",
                    crate::text::escape(&format!("{wanted:?}")),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                )));
            }
            let context = options
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone());
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &kubeconfig_options)
                .await
                .map_err(|e| ConnectError::Kubeconfig(e.to_string()))?;
            Ok((config, context))
        }
        None if options.context.is_some() => Err(ConnectError::Kubeconfig(
            "--context was given but no kubeconfig was found".into(),
        )),
        None => kube::Config::incluster()
            .map(|config| (config, Some("in-cluster".to_string())))
            .map_err(|_| ConnectError::NoCluster),
    }
}

pub fn client(config: kube::Config) -> Result<kube::Client, ConnectError> {
    kube::Client::try_from(config).map_err(|e| ConnectError::Client(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_a_short_prefix_only() {
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        let shown = redact(token);
        assert_eq!(shown, format!("eyJhbG…(redacted, {} chars)", token.len()));
        assert_eq!(redact("short"), "(redacted, 5 chars)");
        assert!(!shown.contains("eyJzdWIi"));
    }

    #[test]
    fn the_endpoint_says_whom_it_acts_as() {
        let endpoint = Endpoint {
            server: "https://k:6443".into(),
            context: Some("admin".into()),
            token: None,
            acting_as: Some("system:serviceaccount:backstage:payments-only".into()),
        };
        assert_eq!(
            endpoint.to_string(),
            "https://k:6443 as system:serviceaccount:backstage:payments-only (impersonated by context admin)"
        );
    }

    #[test]
    fn a_token_file_is_trimmed_and_two_tokens_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "abc123\n").unwrap();
        let options = ConnectOptions {
            token_file: Some(path.clone()),
            ..Default::default()
        };
        assert_eq!(explicit_token(&options).unwrap().as_deref(), Some("abc123"));
        let both = ConnectOptions {
            token_file: Some(path),
            token: Some("x".into()),
            ..Default::default()
        };
        assert!(matches!(
            explicit_token(&both),
            Err(ConnectError::TwoTokens)
        ));
        std::fs::write(dir.path().join("empty"), "\n").unwrap();
        let empty = ConnectOptions {
            token_file: Some(dir.path().join("empty")),
            ..Default::default()
        };
        assert!(matches!(
            explicit_token(&empty),
            Err(ConnectError::EmptyTokenFile { .. })
        ));
    }
}
