//! What a face asks of a source, and what a source answers: the one vocabulary every face
//! (printed outputs, the TUI, `auth`, `serve`) uses, whichever source was chosen.

use super::backend::BackendError;
use super::backstage::AppConfigError;
pub use super::backstage::ProviderLabel;
use super::connect::{ConnectError, ConnectOptions};
use super::fetch::{FetchError, Fetcher, Scope};
use super::manifests::ManifestError;
use crate::mesh::{Mesh, Snapshot};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the data comes from, resolved from the command line.
#[derive(Debug, Clone)]
pub struct SourceSpec {
    pub origin: Origin,
    /// `-n`, in order: the namespaces to read, and (the last) the namespace of manifests that
    /// name none.
    pub namespaces: Vec<String>,
    /// `--refresh`; each source has its own default.
    pub refresh: Option<Duration>,
    /// `-l`: only mesh objects whose labels match (kubectl's selector syntax).
    pub label_selector: Option<String>,
    /// `--timeout` for each request to an API server (a backend has its own in `HttpOptions`).
    pub request_timeout: Option<Duration>,
    /// Read only the kinds the eventmesh backend reads (`-o eventmesh`).
    pub eventmesh_only: bool,
}

#[derive(Debug, Clone)]
pub enum Origin {
    /// Manifests: files, directories, `-` for stdin.
    Files(Vec<PathBuf>),
    /// The embedded simulated cluster, seen as one of its identities.
    Demo { identity: String },
    /// An API server: a kubeconfig, in-cluster config, or `--server` with a token.
    Cluster(ConnectOptions),
    /// A Knative eventmesh backend at this base URL.
    Backend { url: String, http: HttpOptions },
    /// Backstage's app-config files, and the provider to use when they hold several.
    AppConfig {
        paths: Vec<PathBuf>,
        provider: Option<String>,
        http: HttpOptions,
    },
}

/// How to talk to a backend.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The TLS flags, and the explicit token flags (which win over an app-config's token).
    pub tls: ConnectOptions,
    pub timeout: Duration,
    pub max_body: usize,
}

/// Everything a source can fail with, each error as its module words it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    AppConfig(#[from] AppConfigError),
    #[error(transparent)]
    Manifests(#[from] ManifestError),
    #[error("cannot start the demo cluster: {0}")]
    Demo(#[from] crate::sim::cluster::SimError),
    #[error("cannot connect to the demo cluster: {0}")]
    DemoConfig(#[from] kube::config::KubeconfigError),
    /// A combination of flags or names that cannot work; bad input.
    #[error("{0}")]
    Usage(String),
    /// A live source's failure, as the live pipeline reports it.
    #[error("{0}")]
    Live(Arc<String>),
}

impl SourceError {
    /// The error this one wraps, for callers that map error types to exit codes.
    pub fn inner(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SourceError::Fetch(e) => Some(e),
            SourceError::Backend(e) => Some(e),
            SourceError::Connect(e) => Some(e),
            SourceError::AppConfig(e) => Some(e),
            SourceError::Manifests(e) => Some(e),
            SourceError::Demo(_)
            | SourceError::DemoConfig(_)
            | SourceError::Usage(_)
            | SourceError::Live(_) => None,
        }
    }
}

/// Who is reading: the demo's identities have a name, a user and a kind of token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub username: String,
    pub token_kind: String,
}

/// What a token report needs: the API server as this identity sees it, and its token.
#[derive(Clone)]
pub struct ClusterAccess {
    pub fetcher: Arc<Fetcher>,
    pub scope: Scope,
    /// The bearer token, to inspect its claims; never printed.
    pub token: Option<String>,
}

impl std::fmt::Debug for ClusterAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterAccess")
            .field("endpoint", self.fetcher.endpoint())
            .field("scope", &self.scope)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The source as it is now connected: what the faces show about it, and what they may do.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Counts connections: a report made for an earlier one is stale.
    pub generation: u64,
    pub origin: OriginLabel,
    pub identity: Option<Identity>,
    /// The API server, when the data comes from one (not from files or a backend).
    pub cluster: Option<ClusterAccess>,
    /// Identities `SwitchIdentity` cycles through (the demo's); empty when there is no choice.
    pub identities: Vec<String>,
    /// App-config providers to pick from before any data comes; empty once one is chosen.
    pub providers: Vec<ProviderLabel>,
    /// The kubeconfig's contexts `SwitchContext` may name (the demo's identities); empty when
    /// there is no kubeconfig to choose from.
    pub contexts: Vec<String>,
    /// The context in use, if any.
    pub context: Option<String>,
}

/// Where the data comes from, as data; the faces word it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginLabel {
    Files(Vec<String>),
    Demo {
        url: String,
    },
    Cluster {
        endpoint: String,
    },
    Backend {
        url: String,
        provider: Option<String>,
    },
    /// An app-config with several providers, none chosen yet.
    Unchosen,
}

/// How current a reading is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Read once (files), at this time.
    Read { at: jiff::Timestamp },
    /// Watches keep it current; the last change was at this time.
    Watched { at: jiff::Timestamp },
    /// Polled every so often, and why (a forbidden watch, or a backend, which has no watch).
    Polled {
        at: jiff::Timestamp,
        every: Duration,
        reason: Option<String>,
    },
}

/// One reading of the source: the mesh, and what to know about it.
#[derive(Debug, Clone)]
pub struct Reading {
    pub mesh: Arc<Mesh>,
    /// The Snapshot the mesh was built from, when it came from an API server: a token report
    /// reuses it instead of fetching the mesh again.
    pub snapshot: Option<Arc<Snapshot>>,
    pub freshness: Freshness,
    /// Files or objects that could not be read, each with its file and line (as text: the
    /// errors themselves are not Clone).
    pub problems: Vec<String>,
    /// Whether a whole file could not be read (bad input, not only undecodable data).
    pub unreadable_file: bool,
    pub warnings: Vec<String>,
}

/// What a followed source sends.
#[derive(Debug)]
pub enum Update {
    /// Connected, or connected anew (another identity, a provider picked).
    Connected(Box<Connection>),
    Read(Reading),
    Failed(SourceError),
    /// The answer to `ListServiceAccounts`: their user names
    /// (`system:serviceaccount:NS:NAME`), sorted.
    ServiceAccounts(Vec<String>),
    /// Something to tell that leaves the connection as it is (the ServiceAccounts could not
    /// be listed).
    Notice(String),
}

/// What a face may ask of a followed source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Read again now.
    Refresh,
    /// The next identity (the demo's `i`).
    SwitchIdentity,
    /// The app-config provider to read.
    PickProvider(String),
    /// Another kubeconfig context (or demo identity), without restarting.
    SwitchContext(String),
    /// The ServiceAccounts the caller (not whom it impersonates) may read, to impersonate one.
    ListServiceAccounts,
    /// Act as this user through impersonation, or as the caller again (None).
    Impersonate(Option<String>),
}
