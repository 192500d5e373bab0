//! Each subcommand's arguments, and the value enums clap reads for them.

use super::connection::{ClusterArgs, ConnectArgs, NamespaceArgs};
use super::values::*;
use clap::{Args, Subcommand};
use clap_complete::engine::ArgValueCompleter;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `--consumers`: the rule that fills an event type's `consumedBy`. The domain's `Consumers`
/// knows nothing of clap; this maps onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConsumersArg {
    Backend,
    Exact,
}

impl From<ConsumersArg> for crate::mesh::eventmesh::Consumers {
    fn from(rule: ConsumersArg) -> Self {
        match rule {
            ConsumersArg::Backend => Self::Backend,
            ConsumersArg::Exact => Self::Exact,
        }
    }
}

/// The views `--view` names. The domain's `View` knows nothing of clap; this maps onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ViewArg {
    Brokers,
    EventTypes,
    Sources,
    Channels,
    /// Sequences, parallels, transforms, sinks, RequestReplies and other Knative objects.
    Flows,
    /// EventPolicies.
    Policies,
}

impl From<ViewArg> for crate::mesh::views::View {
    fn from(view: ViewArg) -> Self {
        use crate::mesh::views::View;
        match view {
            ViewArg::Brokers => View::Brokers,
            ViewArg::EventTypes => View::EventTypes,
            ViewArg::Sources => View::Sources,
            ViewArg::Channels => View::Channels,
            ViewArg::Flows => View::Flows,
            ViewArg::Policies => View::Policies,
        }
    }
}

/// Whose needs `kn-mesh rbac` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PurposeArg {
    /// What the Knative eventmesh backend needs: cluster-wide lists, and get on subscribers.
    Backend,
    /// What kn-mesh needs: get, list and watch, for live updates.
    KnMesh,
    /// What evaluating delivery authorization adds to a mesh reader: EventPolicies and
    /// knative-eventing/config-features.
    EventpolicyReader,
}

impl From<PurposeArg> for crate::access::least_privilege::Purpose {
    fn from(purpose: PurposeArg) -> Self {
        use crate::access::least_privilege::Purpose;
        match purpose {
            PurposeArg::Backend => Purpose::Backend,
            PurposeArg::KnMesh => Purpose::KnMesh,
            PurposeArg::EventpolicyReader => Purpose::EventPolicyReader,
        }
    }
}

/// Whose needs `kn-mesh auth` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthPurpose {
    Backend,
    KnMesh,
    Both,
}

impl AuthPurpose {
    pub fn purposes(self) -> Vec<crate::access::least_privilege::Purpose> {
        use crate::access::least_privilege::Purpose;
        match self {
            AuthPurpose::Backend => vec![Purpose::Backend],
            AuthPurpose::KnMesh => vec![Purpose::KnMesh],
            AuthPurpose::Both => vec![Purpose::Backend, Purpose::KnMesh],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// `text` (readable sections) or `json`.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: ReportFormat,

    /// Whose needs decide the verdict: the Knative eventmesh backend's, kn-mesh's, or both.
    #[arg(long = "for", value_enum, default_value = "both")]
    pub purpose: AuthPurpose,

    /// Check one of the embedded demo's identities (payments-only, mesh-viewer, docs-reader,
    /// admin) instead of a cluster.
    #[arg(long, value_name = "NAME", add = ArgValueCompleter::new(crate::completion::demo_identities))]
    pub demo_identity: Option<String>,
}

#[derive(Debug, Args)]
pub struct CesqlArgs {
    /// The expression, such as "type = 'order.created' AND INT(amount) > 10".
    pub expression: String,

    /// The CloudEvent, in structured-mode JSON: a file, or - for stdin. Without it, an event with
    /// only the required attributes (specversion 1.0, id kn-mesh, source kn-mesh, type kn-mesh).
    #[arg(long, value_name = "FILE|-")]
    pub event: Option<PathBuf>,

    /// text, or json: {"result": ..., "error": null | "missingAttribute" | ..., ...}.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: CesqlOutput,
}

/// A CloudEvent given on the command line: a file, or its attributes one by one.
#[derive(Debug, Clone, Default, Args)]
pub struct EventArgs {
    /// The CloudEvent, in structured-mode JSON: a file, or - for stdin.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["event_type", "event_source", "subject", "ext"])]
    pub event: Option<PathBuf>,

    /// The event's type, when not given with --event.
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,

    /// The event's source.
    #[arg(long = "source", value_name = "SOURCE")]
    pub event_source: Option<String>,

    /// The event's subject.
    #[arg(long)]
    pub subject: Option<String>,

    /// An extension attribute, KEY=VALUE; repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub ext: Vec<String>,
}

impl EventArgs {
    pub fn is_given(&self) -> bool {
        self.event.is_some()
            || self.event_type.is_some()
            || self.event_source.is_some()
            || self.subject.is_some()
            || !self.ext.is_empty()
    }
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    #[command(flatten)]
    pub event: EventArgs,

    /// Where the event enters: broker/NAME, channel/NAME (an InMemoryChannel or any channel
    /// kind) or source/KIND/NAME, in the namespace of -n (default "default"). Without it,
    /// every broker.
    #[arg(long, value_name = "ENTRY")]
    pub to: Option<String>,

    #[command(flatten)]
    pub namespace_args: NamespaceArgs,

    /// tree, or json: {"deliveries": [...], "rejected": [...]}.
    #[arg(short = 'o', long, value_enum, default_value = "tree")]
    pub output: TraceOutput,
}

#[derive(Debug, Args)]
pub struct CanSendArgs {
    /// The sender: KIND/NAMESPACE/NAME (a source, trigger, subscription, Sequence, …; kinds
    /// case-insensitive, short names allowed), or sub:SUBJECT, an OIDC subject such as
    /// system:serviceaccount:partners:acme.
    #[arg(long, value_name = "SENDER")]
    pub from: String,

    /// The receiver: KIND/NAMESPACE/NAME (a broker, channel, sink, flow or transform).
    #[arg(long, value_name = "TARGET")]
    pub to: String,

    /// The event, when an EventPolicy's filters decide; without it, the verdict says what it
    /// depends on.
    #[command(flatten)]
    pub event: EventArgs,

    /// text, or json: {"allowed": true|false|null, "decidedBy": {...}, "consulted": [...]}.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: CesqlOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceOutput {
    Tree,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CesqlOutput {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct RbacArgs {
    /// Grant in these namespaces only (a Role and RoleBinding each); repeatable. The default
    /// is one ClusterRole and ClusterRoleBinding.
    #[arg(short = 'n', long = "namespace", value_name = "NS", add = ArgValueCompleter::new(crate::completion::namespaces))]
    pub namespaces: Vec<String>,

    /// Whose needs: the Knative eventmesh backend's, kn-mesh's (get, list and watch), or what
    /// evaluating delivery authorization adds to a mesh reader (eventpolicy-reader).
    #[arg(long = "for", value_enum, default_value = "kn-mesh")]
    pub purpose: PurposeArg,

    /// The ServiceAccount to create.
    #[arg(long, default_value = "kn-mesh")]
    pub service_account: String,

    /// Its namespace.
    #[arg(long, default_value = "default")]
    pub sa_namespace: String,

    /// Emit a Secret-based token (which never expires) instead of recommending a bound one.
    #[arg(long)]
    pub legacy_token_secret: bool,

    /// Learn the channel, source and subscriber kinds in use from these manifests (else the
    /// built-in Knative kinds and Services).
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,

    #[command(flatten)]
    pub namespace_args: NamespaceArgs,

    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Answer 200 with the partial mesh and `denied` and `failed` lists when some lists are
    /// forbidden or failed, instead of a 5xx (careful: Backstage replaces its catalog with
    /// every 200, so a partial mesh deletes entities).
    #[arg(long)]
    pub partial: bool,

    /// How `consumedBy` is computed: `backend`, the Go backend's rule byte for byte, or
    /// `exact`, Knative's filter semantics (a trigger whose filter rejects an event type is not
    /// its consumer).
    #[arg(long, value_enum, value_name = "RULE", default_value = "backend")]
    pub consumers: ConsumersArg,

    /// How long one request may take.
    #[arg(long, value_parser = parse_timeout, default_value = "60s")]
    pub request_timeout: Duration,

    /// How long an answer is kept per caller's token (0s: none). Callers with one token within
    /// it share one fetch, so Backstage replicas polling together cost one.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub cache_ttl: Duration,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve manifests (RBAC included) as a Kubernetes API server with Knative installed, to see
    /// what a ServiceAccount would see before applying anything to a real cluster.
    Serve(SimServeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SimServeArgs {
    /// Manifests to load: files, directories or `-`. Repeatable. With --state-dir, read on the
    /// first start only: a restart serves the cluster as it was left.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "PATH",
        required_unless_present = "state_dir"
    )]
    pub filenames: Vec<PathBuf>,

    /// Keep the cluster across restarts: objects, CA, signing key and tokens are saved in
    /// DIR/state.json after every write, so kubeconfigs written before a restart keep working.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Where to listen. Port 0 takes any free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,

    /// Static tokens, in kube-apiserver's --token-auth-file format: token,user,uid,"groups".
    #[arg(long, value_name = "FILE")]
    pub token_auth_file: Option<PathBuf>,

    /// Write a kubeconfig with one context per identity (admin and each ServiceAccount).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig_out: Option<PathBuf>,

    /// Added to every request, e.g. 20ms.
    #[arg(long, value_parser = parse_duration, default_value = "0ms")]
    pub latency: Duration,

    /// The share of requests answered 500 or 503, from 0.0 to 1.0.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fail_rate: f64,

    /// Past this many requests in flight, answer 429 with Retry-After, as kube-apiserver's API
    /// Priority and Fairness does.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_inflight: Option<u64>,
}
