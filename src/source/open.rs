//! `open(spec)`: the one place a source is chosen and connected. The handle it returns is read
//! once (printed outputs, `auth`) or followed (the TUI), and every face gets the same typed
//! answers: a `Connection`, then `Reading`s or failures.

use super::backend::Backend;
use super::connect::{self, Endpoint};
use super::demo;
use super::fetch::{Fetcher, Scope};
use super::spec::{
    ClusterAccess, Connection, Freshness, HttpOptions, Identity, Origin, OriginLabel, Reading,
    SourceError, SourceSpec,
};
use crate::mesh;
use crate::sim::RunningSim;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// An API server is watched; a full re-read at this interval is the safety net.
const CLUSTER_REFRESH: Duration = Duration::from_secs(30);
/// A backend has no watch: it is polled, as Backstage's default schedule does.
const BACKEND_REFRESH: Duration = Duration::from_secs(60);

/// An opened source, connected but not yet read.
pub struct Source {
    pub(super) opened: Opened,
    pub(super) refresh: Duration,
}

pub(super) enum Opened {
    Files {
        paths: Vec<PathBuf>,
        /// `-n`: the namespaces to keep; the last is that of objects that name none.
        namespaces: Vec<String>,
        /// `-l`: the label selector mesh objects must match.
        selector: Option<String>,
    },
    Cluster {
        access: ClusterAccess,
        /// How it was reached, to reach it again through another context (`c`).
        reach: Reach,
    },
    Demo {
        sim: Arc<RunningSim>,
        identity: usize,
        access: ClusterAccess,
    },
    Backend {
        backend: Backend,
        provider: Option<String>,
    },
    /// Several app-config providers; one is read once the face picks it.
    Unchosen(ProviderChoice),
}

/// The connection flags, scope and timeout a cluster was opened with.
#[derive(Clone)]
pub(super) struct Reach {
    pub(super) options: connect::ConnectOptions,
    pub(super) scope: Scope,
    pub(super) timeout: Option<Duration>,
}

/// Connects to an API server: a fetcher with the token, its secret and timeout, and the scope
/// with the kubeconfig's namespace as the default.
pub(super) async fn connect_cluster(reach: &Reach) -> Result<ClusterAccess, SourceError> {
    let (config, endpoint) = connect::config(&reach.options).await?;
    let scope = Scope {
        default_namespace: Some(config.default_namespace.clone()),
        ..reach.scope.clone()
    };
    let token = bearer_token(&config);
    let fetcher = Fetcher::new(connect::client(config)?, endpoint)
        .with_secret(token.as_deref())
        .with_timeout(reach.timeout);
    Ok(ClusterAccess {
        fetcher: Arc::new(fetcher),
        scope,
        token,
    })
}

pub(super) struct ProviderChoice {
    pub(super) paths: Vec<PathBuf>,
    pub(super) ids: Vec<super::spec::ProviderLabel>,
    pub(super) http: HttpOptions,
    /// --refresh, which wins over the provider's schedule.
    pub(super) refresh: Option<Duration>,
}

/// Opens the source the spec names. `may_ask`: the face can ask the user to pick among several
/// app-config providers (the TUI); otherwise that is an error that lists them.
pub async fn open(spec: SourceSpec, may_ask: bool) -> Result<Source, SourceError> {
    let scope = |default_namespace: Option<String>| Scope {
        namespaces: (!spec.namespaces.is_empty()).then(|| spec.namespaces.clone()),
        default_namespace,
        label_selector: spec.label_selector.clone(),
        eventmesh_only: spec.eventmesh_only,
    };
    let (opened, default_refresh) = match spec.origin {
        Origin::Files(paths) => {
            let namespaces = spec.namespaces.clone();
            let selector = spec.label_selector.clone();
            let files = Opened::Files {
                paths,
                namespaces,
                selector,
            };
            (files, CLUSTER_REFRESH)
        }
        Origin::Cluster(options) => {
            let reach = Reach {
                options,
                scope: scope(None),
                timeout: spec.request_timeout,
            };
            let access = connect_cluster(&reach).await?;
            (Opened::Cluster { access, reach }, CLUSTER_REFRESH)
        }
        Origin::Demo { identity } => {
            let sim = Arc::new(demo::start().await?);
            let index = demo_identity_index(&sim, &identity)?;
            let access = demo_access(&sim, &identity, scope(None)).await?;
            let opened = Opened::Demo {
                sim,
                identity: index,
                access,
            };
            (opened, CLUSTER_REFRESH)
        }
        Origin::Backend { url, http } => {
            let token = connect::explicit_token(&http.tls)?;
            let backend =
                Backend::new(&url, token, &http.tls, http.timeout)?.with_max_body(http.max_body);
            let provider = None;
            (Opened::Backend { backend, provider }, BACKEND_REFRESH)
        }
        Origin::AppConfig {
            paths,
            provider,
            http,
        } => {
            let env = |name: &str| std::env::var(name).ok();
            match super::backstage::provider(&paths, provider.as_deref(), &env) {
                Err(super::backstage::AppConfigError::Ambiguous(ids)) if may_ask => {
                    let refresh = spec.refresh;
                    let choice = ProviderChoice {
                        paths,
                        ids,
                        http,
                        refresh,
                    };
                    (Opened::Unchosen(choice), BACKEND_REFRESH)
                }
                result => {
                    let provider = result?;
                    let (backend, every) = connect_provider(&http, provider)?;
                    let refresh = spec.refresh.unwrap_or(every);
                    let provider = None;
                    return Ok(Source {
                        opened: Opened::Backend { backend, provider },
                        refresh,
                    });
                }
            }
        }
    };
    Ok(Source {
        opened,
        refresh: spec.refresh.unwrap_or(default_refresh),
    })
}

/// Connects to an app-config provider: its backend, and its refresh interval.
pub(super) fn connect_provider(
    http: &HttpOptions,
    provider: super::backstage::Provider,
) -> Result<(Backend, Duration), SourceError> {
    // A token on the command line wins over the app-config's.
    let token = connect::explicit_token(&http.tls)?.or(provider.token);
    let backend = Backend::new(&provider.base_url, token, &http.tls, http.timeout)?
        .with_max_body(http.max_body);
    Ok((backend, provider.frequency.unwrap_or(BACKEND_REFRESH)))
}

fn demo_identity_index(sim: &RunningSim, identity: &str) -> Result<usize, SourceError> {
    if sim.identity(identity).is_none() {
        return Err(SourceError::Usage(format!(
            "the demo has no identity {identity:?}: use {}",
            demo::IDENTITIES.join(", ")
        )));
    }
    // An identity outside the cycle (a ServiceAccount of the sim's own) starts the cycle over.
    Ok(demo::IDENTITIES
        .iter()
        .position(|name| *name == identity)
        .unwrap_or(0))
}

/// The demo cluster as one of its identities.
pub(super) async fn demo_access(
    sim: &RunningSim,
    identity: &str,
    scope: Scope,
) -> Result<ClusterAccess, SourceError> {
    let config = sim.client_config(identity).await?;
    let client = connect::client(config)?;
    let endpoint = Endpoint {
        server: sim.url.clone(),
        context: Some(identity.to_string()),
        token: None,
        acting_as: None,
    };
    Ok(ClusterAccess {
        fetcher: Arc::new(Fetcher::new(client, endpoint)),
        scope,
        token: sim.token(identity).map(str::to_string),
    })
}

/// The bearer token the configuration will present, to inspect it (never to print it).
fn bearer_token(config: &kube::Config) -> Option<String> {
    use secrecy::ExposeSecret;
    match (&config.auth_info.token, &config.auth_info.token_file) {
        (Some(token), _) => Some(token.expose_secret().to_string()),
        (None, Some(path)) => std::fs::read_to_string(path)
            .ok()
            .map(|t| t.trim().to_string()),
        _ => None,
    }
}

impl Source {
    /// The source as it is connected now.
    pub fn connection(&self) -> Connection {
        self.opened.connection(0)
    }

    /// Reads the source once.
    pub async fn read_once(self) -> Result<Reading, SourceError> {
        match &self.opened {
            Opened::Files {
                paths,
                namespaces,
                selector,
            } => {
                let (paths, namespaces, selector) =
                    (paths.clone(), namespaces.clone(), selector.clone());
                tokio::task::spawn_blocking(move || {
                    read_files(&paths, &namespaces, selector.as_deref())
                })
                .await
                .map_err(|e| SourceError::Live(Arc::new(e.to_string())))?
            }
            Opened::Cluster { access, .. } | Opened::Demo { access, .. } => {
                let snapshot = access.fetcher.fetch(&access.scope).await?;
                let freshness = Freshness::Read {
                    at: jiff::Timestamp::now(),
                };
                Ok(reading_of_snapshot(snapshot, freshness))
            }
            Opened::Backend { backend, .. } => Ok(reading_of_backend(
                backend.mesh().await?,
                Freshness::Read {
                    at: jiff::Timestamp::now(),
                },
            )),
            Opened::Unchosen(choice) => Err(SourceError::AppConfig(
                super::backstage::AppConfigError::Ambiguous(choice.ids.clone()),
            )),
        }
    }
}

impl Opened {
    pub(super) fn connection(&self, generation: u64) -> Connection {
        let mut connection = Connection {
            generation,
            origin: OriginLabel::Unchosen,
            identity: None,
            cluster: None,
            identities: Vec::new(),
            providers: Vec::new(),
            contexts: Vec::new(),
            context: None,
        };
        match self {
            Opened::Files { paths, .. } => {
                let paths = paths.iter().map(|p| p.display().to_string()).collect();
                connection.origin = OriginLabel::Files(paths);
            }
            Opened::Cluster { access, reach } => {
                connection.origin = OriginLabel::Cluster {
                    endpoint: access.fetcher.endpoint().to_string(),
                };
                connection.cluster = Some(access.clone());
                connection.contexts = connect::contexts(&reach.options);
                connection.context = access.fetcher.endpoint().context.clone();
            }
            Opened::Demo {
                sim,
                identity,
                access,
            } => {
                let name = demo::IDENTITIES[*identity % demo::IDENTITIES.len()];
                let name = access.fetcher.endpoint().context.as_deref().unwrap_or(name);
                connection.origin = OriginLabel::Demo {
                    url: sim.url.clone(),
                };
                connection.identity = sim.identity(name).map(|found| Identity {
                    name: name.to_string(),
                    username: found.user.username.clone(),
                    token_kind: found.token_kind.to_string(),
                });
                connection.cluster = Some(access.clone());
                connection.identities = demo::IDENTITIES.iter().map(|s| s.to_string()).collect();
                // The demo's identities are its kubeconfig's contexts.
                connection.contexts = connection.identities.clone();
                connection.context = Some(name.to_string());
            }
            Opened::Backend { backend, provider } => {
                connection.origin = OriginLabel::Backend {
                    url: super::backend::endpoint_url(&backend.base_url),
                    provider: provider.clone(),
                };
            }
            Opened::Unchosen(choice) => connection.providers = choice.ids.clone(),
        }
        connection
    }
}

/// Reads manifests: the mesh of everything readable, and the problems with the rest.
pub(super) fn read_files(
    paths: &[PathBuf],
    namespaces: &[String],
    selector: Option<&str>,
) -> Result<Reading, SourceError> {
    let read = super::manifests::read_in_namespaces(paths, namespaces, selector)?;
    let mesh = match read.saved {
        // Refused, not ignored: a saved mesh with `-n` would otherwise look filtered.
        Some(_) if !namespaces.is_empty() || selector.is_some() => {
            return Err(SourceError::Usage(
                "a saved mesh opens as it was saved: -n and -l do not apply to it".into(),
            ));
        }
        Some(saved) => saved,
        None => mesh::build(read.snapshot),
    };
    Ok(Reading {
        mesh: Arc::new(mesh),
        snapshot: None,
        freshness: Freshness::Read {
            at: jiff::Timestamp::now(),
        },
        problems: read.problems.iter().map(ToString::to_string).collect(),
        unreadable_file: read.problems.iter().any(|p| p.is_unreadable()),
        warnings: read.warnings,
    })
}

/// A reading of an API server.
pub(super) fn reading_of_snapshot(snapshot: mesh::Snapshot, freshness: Freshness) -> Reading {
    Reading {
        mesh: Arc::new(mesh::build(snapshot)),
        snapshot: None,
        freshness,
        problems: Vec::new(),
        unreadable_file: false,
        warnings: Vec::new(),
    }
}

/// A reading of an API server that keeps its Snapshot, for a token report to reuse.
pub(super) fn reading_of_shared(snapshot: Arc<mesh::Snapshot>, freshness: Freshness) -> Reading {
    Reading {
        mesh: Arc::new(mesh::build((*snapshot).clone())),
        snapshot: Some(snapshot),
        freshness,
        problems: Vec::new(),
        unreadable_file: false,
        warnings: Vec::new(),
    }
}

pub(super) fn reading_of_backend(mesh: mesh::Mesh, freshness: Freshness) -> Reading {
    Reading {
        mesh: Arc::new(mesh),
        snapshot: None,
        freshness,
        problems: Vec::new(),
        unreadable_file: false,
        warnings: Vec::new(),
    }
}
