//! Command-line arguments, and the source they name (`Cli::source_spec`). Which face runs is
//! decided in `commands`.

use crate::output::Format;
use crate::source::spec::{HttpOptions, Origin, SourceSpec};
use clap::{Args, Parser, Subcommand};
use clap_complete::engine::ArgValueCompleter;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "kn-mesh",
    version = crate::version::LONG,
    about = "See a Knative Eventing mesh as trees, and what a token may and may not read",
    after_help = "Exit codes: 0 ok (denied data is shown in place), 1 failure, 2 bad input or usage, \
                  3 over-privileged token (auth), 4 incomplete: the server was unreachable, data failed \
                  or did not decode, or (-o eventmesh) was denied, 5 token rejected (401)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Read objects from a file, a directory (its *.yaml, *.yml and *.json files, sorted) or `-`
    /// for stdin. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<PathBuf>,

    /// Print the mesh instead of opening the terminal UI. Defaults to `tree` when stdout is not
    /// a terminal.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<Format>,

    /// With `-o eventmesh`: print the mesh even when some lists were forbidden or failed, with
    /// `denied` and `failed` lists (the backend's answer would be a 500).
    #[arg(long)]
    pub partial: bool,

    /// With `-o eventmesh`: how `consumedBy` is computed. `backend` (the default) is the Go
    /// backend's rule, byte for byte: `filter.attributes.type` alone. `exact` applies Knative's
    /// filters (`filters` and every dialect, CESQL included): a trigger whose filter rejects an
    /// event type is not its consumer.
    #[arg(long, value_enum, value_name = "RULE")]
    pub consumers: Option<ConsumersArg>,

    /// Only mesh objects whose labels match, selected by the server as kubectl's -l does
    /// (`app=web`, `tier!=test`, `env in (prod,staging)`, `!legacy`).
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// With -o: keep following the source and print the mesh again on each change (as
    /// kubectl's -w), until interrupted.
    #[arg(short = 'w', long)]
    pub watch: bool,

    /// With `-o tree`: the views to print, comma-separated (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub view: Vec<ViewArg>,

    /// Start the embedded simulated cluster with the demo mesh and RBAC, and look at it as a
    /// namespace-bound identity (`i` switches identity).
    #[arg(long, conflicts_with_all = ["filenames", "server", "context", "kubeconfig"])]
    pub demo: bool,

    /// Read the mesh through a Knative eventmesh backend at this base URL (as Backstage's
    /// app-config holds it), with the token from --token-file, KNATIVE_EVENT_MESH_TOKEN or --token.
    #[arg(long, value_name = "URL", conflicts_with_all = ["filenames", "demo"])]
    pub backend: Option<String>,

    /// Read the backend's URL, token and refresh from Backstage's app-config (repeatable: later
    /// files override earlier ones, as Backstage merges them).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["filenames", "demo", "backend"])]
    pub backstage_config: Vec<PathBuf>,

    /// With several Knative event mesh providers in the app-config, the one to use.
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,

    /// The largest body a backend may send, in bytes (suffixes Ki, Mi, Gi).
    #[arg(long, value_parser = parse_size, default_value = "64Mi")]
    pub max_body: usize,

    /// How long one request may wait for its answer, as kubectl's --request-timeout (also
    /// accepted): 30s, 2m, 1h, a bare number of seconds, or 0 for no limit. Default: 30s for a
    /// backend, no limit for an API server.
    #[arg(long, alias = "request-timeout", value_parser = parse_request_timeout, value_name = "DURATION")]
    pub timeout: Option<Duration>,

    /// Do not capture the mouse, so that text can be selected and copied.
    #[arg(long)]
    pub no_mouse: bool,

    /// How often to re-read a source that cannot be watched: a cluster where watch is forbidden
    /// (default 30s) or a backend (default 60s, as the Backstage plugin's schedule).
    #[arg(long, value_parser = parse_refresh)]
    pub refresh: Option<Duration>,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// How to reach a live cluster, as kubectl spells it. Given before a subcommand or after it
/// (`kn-mesh --context prod auth` or `kn-mesh auth --context prod`), as kubectl's flags are;
/// each subcommand lists only the groups it uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct ClusterArgs {
    /// The kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use (default: the current one).
    #[arg(long, value_name = "NAME", add = ArgValueCompleter::new(crate::completion::contexts))]
    pub context: Option<String>,

    /// The API server's URL, instead of a kubeconfig; pair it with a token.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,

    /// A PEM file with the CA that signed the server's certificate.
    #[arg(long, value_name = "FILE")]
    pub certificate_authority: Option<PathBuf>,

    /// Do not verify the server's certificate (insecure: anyone on the path can read the token).
    #[arg(long)]
    pub insecure_skip_tls_verify: bool,

    /// Act as this user, as kubectl's --as does (a ServiceAccount is
    /// system:serviceaccount:NS:NAME): see what it sees. The caller needs the impersonate right.
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,

    /// Act as a member of this group too (with --as); repeatable.
    #[arg(long = "as-group", value_name = "GROUP")]
    pub as_groups: Vec<String>,

    /// Act with this UID (with --as).
    #[arg(long = "as-uid", value_name = "UID")]
    pub as_uid: Option<String>,
}

/// The caller's own bearer token (`serve` has none: it uses each caller's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct TokenArgs {
    /// Read the bearer token from a file. The safest way to give a token: it stays out of
    /// the shell history and out of `ps`.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// The bearer token itself. The least safe way: other users can read it in `ps`, and it
    /// lands in the shell history. Prefer --token-file or KNATIVE_EVENT_MESH_TOKEN.
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct NamespaceArgs {
    /// Read only this namespace; repeatable. The default is every namespace the token may read.
    #[arg(short = 'n', long = "namespace", value_name = "NS", add = ArgValueCompleter::new(crate::completion::namespaces))]
    pub namespaces: Vec<String>,

    /// Read every namespace (the default; given for kubectl habits).
    #[arg(short = 'A', long, conflicts_with = "namespaces")]
    pub all_namespaces: bool,
}

/// Everything that names a cluster and a token: the groups together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub token: TokenArgs,
    #[command(flatten)]
    pub namespaces: NamespaceArgs,
}

impl ConnectArgs {
    /// These flags, with those given after the subcommand winning over those given before it.
    fn over(self, earlier: &ConnectArgs) -> ConnectArgs {
        let (c, e) = (self.cluster, &earlier.cluster);
        let (t, et) = (self.token, &earlier.token);
        let (n, en) = (self.namespaces, &earlier.namespaces);
        ConnectArgs {
            cluster: ClusterArgs {
                kubeconfig: c.kubeconfig.or_else(|| e.kubeconfig.clone()),
                context: c.context.or_else(|| e.context.clone()),
                server: c.server.or_else(|| e.server.clone()),
                certificate_authority: c
                    .certificate_authority
                    .or_else(|| e.certificate_authority.clone()),
                insecure_skip_tls_verify: c.insecure_skip_tls_verify || e.insecure_skip_tls_verify,
                as_user: c.as_user.or_else(|| e.as_user.clone()),
                as_groups: if c.as_groups.is_empty() {
                    e.as_groups.clone()
                } else {
                    c.as_groups
                },
                as_uid: c.as_uid.or_else(|| e.as_uid.clone()),
            },
            token: TokenArgs {
                token_file: t.token_file.or_else(|| et.token_file.clone()),
                token: t.token.or_else(|| et.token.clone()),
            },
            // The later of -n and -A wins, as a later flag does in kubectl.
            namespaces: if n.all_namespaces {
                NamespaceArgs {
                    namespaces: Vec::new(),
                    all_namespaces: true,
                }
            } else if !n.namespaces.is_empty() {
                n
            } else {
                en.clone()
            },
        }
    }

    pub fn options(&self) -> crate::source::connect::ConnectOptions {
        crate::source::connect::ConnectOptions {
            kubeconfig: self.cluster.kubeconfig.clone(),
            context: self.cluster.context.clone(),
            server: self.cluster.server.clone(),
            token_file: self.token.token_file.clone(),
            token: self.token.token.clone(),
            certificate_authority: self.cluster.certificate_authority.clone(),
            insecure_skip_tls_verify: self.cluster.insecure_skip_tls_verify,
            // `--as ''` is no impersonation, as kubectl reads it.
            impersonate: self
                .cluster
                .as_user
                .clone()
                .filter(|u| !u.is_empty())
                .map(|user| crate::source::connect::Impersonate {
                    user,
                    groups: self.cluster.as_groups.clone(),
                    uid: self.cluster.as_uid.clone(),
                }),
            impersonate_without_user: self.cluster.as_user.as_deref().is_none_or(str::is_empty)
                && (!self.cluster.as_groups.is_empty() || self.cluster.as_uid.is_some()),
        }
    }
}

impl Cli {
    /// The connection flags given before the subcommand (or with none).
    fn leading_connect(&self) -> ConnectArgs {
        self.connect.clone()
    }

    /// The connection flags in effect: the subcommand's own, then those given before it.
    pub fn connect(&self) -> ConnectArgs {
        let leading = self.leading_connect();
        let own = match &self.command {
            Some(Command::Auth(args)) => args.connect.clone(),
            Some(Command::Serve(args)) => ConnectArgs {
                cluster: args.cluster.clone(),
                namespaces: args.namespace_args.clone(),
                ..ConnectArgs::default()
            },
            Some(Command::Rbac(args)) => ConnectArgs {
                namespaces: NamespaceArgs {
                    namespaces: args.namespaces.clone(),
                    all_namespaces: false,
                },
                ..ConnectArgs::default()
            },
            Some(Command::Trace(args)) => ConnectArgs {
                namespaces: args.namespace_args.clone(),
                ..ConnectArgs::default()
            },
            Some(
                Command::Sim { .. }
                | Command::Cesql(_)
                | Command::CanSend(_)
                | Command::Version
                | Command::Completions { .. }
                | Command::Man { .. },
            )
            | None => {
                return leading;
            }
        };
        own.over(&leading)
    }

    /// Flags given before a subcommand that it does not use are refused, not ignored: `rbac`
    /// and `sim serve` talk to no cluster, and the mesh's own flags (`-f`, `-o`, `-l`, …)
    /// belong to the mesh, not to `auth` or `serve`.
    pub fn refuse_unused_flags(&self) -> Result<(), UsageError> {
        let name = match &self.command {
            Some(Command::Rbac(_)) => "rbac",
            Some(Command::Sim { .. }) => "sim serve",
            Some(Command::Cesql(_)) => "cesql",
            Some(Command::Trace(_)) => "trace",
            Some(Command::CanSend(_)) => "can-send",
            Some(Command::Auth(_)) => "auth",
            Some(Command::Serve(_)) => "serve",
            Some(Command::Version) => "version",
            Some(Command::Completions { .. }) => "completions",
            Some(Command::Man { .. }) => "man",
            None => return Ok(()),
        };
        if matches!(name, "trace" | "can-send") {
            return self.refuse_unused_by_reader(name);
        }
        let connects = matches!(name, "auth" | "serve");
        let mut unused = Vec::new();
        if !connects && self.connect.cluster != ClusterArgs::default() {
            unused.push("--kubeconfig, --context, --server and the TLS flags");
        }
        if name != "auth" && self.connect.token != TokenArgs::default() {
            unused.push("--token and --token-file");
        }
        if matches!(
            name,
            "sim serve" | "cesql" | "version" | "completions" | "man"
        ) && self.connect.namespaces != NamespaceArgs::default()
        {
            unused.push("-n and -A");
        }
        if self.demo && name != "auth" {
            unused.push("--demo");
        }
        unused.extend(self.mesh_flags_given());
        if name != "auth" && self.timeout.is_some() {
            unused.push("--timeout");
        }
        if unused.is_empty() {
            return Ok(());
        }
        Err(UsageError(format!(
            "{} do not apply to {name} when given before it{}",
            unused.join(", "),
            if name == "auth" {
                " (auth takes its own -o after it)"
            } else {
                ""
            }
        )))
    }

    /// `trace` and `can-send` read their source as the mesh does; only the flags that shape the
    /// mesh's printed output do not apply (each has its own -o).
    fn refuse_unused_by_reader(&self, name: &str) -> Result<(), UsageError> {
        let own_output = format!("-o ({name} takes its own -o after it)");
        let unused: Vec<&str> = [
            (self.output.is_some(), own_output.as_str()),
            (self.partial, "--partial"),
            (self.consumers.is_some(), "--consumers"),
            (self.watch, "-w"),
            (!self.view.is_empty(), "--view"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect();
        if unused.is_empty() {
            return Ok(());
        }
        Err(UsageError(format!(
            "{} do not apply to {name} when given before it",
            unused.join(", ")
        )))
    }

    /// The mesh face's own flags that were given, by name.
    fn mesh_flags_given(&self) -> Vec<&'static str> {
        let given = [
            (!self.filenames.is_empty(), "-f"),
            (self.output.is_some(), "-o"),
            (self.partial, "--partial"),
            (self.consumers.is_some(), "--consumers"),
            (self.watch, "-w"),
            (!self.view.is_empty(), "--view"),
            (self.selector.is_some(), "-l"),
            (self.backend.is_some(), "--backend"),
            (!self.backstage_config.is_empty(), "--backstage-config"),
            (self.provider.is_some(), "--provider"),
            (self.no_mouse, "--no-mouse"),
            (self.refresh.is_some(), "--refresh"),
        ];
        given
            .into_iter()
            .filter_map(|(given, flag)| given.then_some(flag))
            .collect()
    }

    /// The source the flags name: a backend, an app-config, the demo, files, or else a cluster.
    pub fn source_spec(&self) -> Result<SourceSpec, UsageError> {
        let connect = self.connect();
        // A namespace goes into request paths: one that is not a name is bad input, as kubectl.
        for namespace in &connect.namespaces.namespaces {
            crate::k8s::check_label("the namespace", namespace)
                .map_err(|e| UsageError(e.to_string()))?;
        }
        if !self.filenames.is_empty()
            && (connect.cluster.server.is_some() || connect.cluster.context.is_some())
        {
            return Err(UsageError(
                "-f reads manifests: it does not go with --server or --context".into(),
            ));
        }
        let http = HttpOptions {
            tls: connect.options(),
            timeout: match self.timeout {
                Some(limit) if limit.is_zero() => MAX_DURATION,
                Some(limit) => limit,
                None => BACKEND_TIMEOUT,
            },
            max_body: self.max_body,
        };
        let impersonating = connect
            .cluster
            .as_user
            .as_deref()
            .is_some_and(|u| !u.is_empty())
            || !connect.cluster.as_groups.is_empty()
            || connect.cluster.as_uid.is_some();
        let elsewhere = self.backend.is_some()
            || !self.backstage_config.is_empty()
            || self.demo
            || !self.filenames.is_empty();
        if impersonating && elsewhere {
            return Err(UsageError(
                "--as acts on a cluster connection: not with --demo, -f, --backend or \
                 --backstage-config (the demo's identities: --demo then i, or kubectl --as \
                 against `kn-mesh sim serve`)"
                    .into(),
            ));
        }
        let origin = if let Some(url) = &self.backend {
            Origin::Backend {
                url: url.clone(),
                http,
            }
        } else if !self.backstage_config.is_empty() {
            Origin::AppConfig {
                paths: self.backstage_config.clone(),
                provider: self.provider.clone(),
                http,
            }
        } else if self.demo {
            Origin::Demo {
                identity: crate::source::demo::IDENTITIES[0].into(),
            }
        } else if !self.filenames.is_empty() {
            Origin::Files(self.filenames.clone())
        } else {
            Origin::Cluster(connect.options())
        };
        if let Some(selector) = &self.selector {
            check_selector(selector).map_err(|problem| {
                UsageError(format!("-l {}: {problem}", crate::text::escape(selector)))
            })?;
        }
        Ok(SourceSpec {
            label_selector: self.selector.clone(),
            request_timeout: self.timeout.filter(|limit| !limit.is_zero()),
            origin,
            namespaces: connect.namespaces.namespaces.clone(),
            refresh: self.refresh,
            eventmesh_only: self.output == Some(crate::output::Format::Eventmesh),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Token troubleshooting: who the token is, what kind of token, what it may read, whether
    /// that is enough, and whether it may do too much. Exit 0 fit, 1 missing, 3 over-privileged.
    Auth(AuthArgs),
    /// Print least-privilege RBAC for reading the mesh (ServiceAccount, role, binding).
    Rbac(RbacArgs),
    /// A drop-in Knative eventmesh backend: GET /v1/getEventMesh with the caller's token.
    Serve(ServeArgs),
    /// Evaluate a CloudEvents SQL (CESQL v1) expression against an event, as a Trigger's or an
    /// EventPolicy's `cesql` filter is evaluated. Exit 0 true (or a value that is not a Boolean,
    /// without error), 1 false, 2 the expression does not parse, 3 an evaluation error.
    Cesql(CesqlArgs),
    /// Where does this event go? From a broker (or every broker), a channel or a source, through
    /// each trigger's filter to its subscriber, flows, channels and replies, with the dead-letter
    /// sink at each hop. Exit 0 delivered somewhere for certain, 1 nowhere, 6 only maybe.
    Trace(TraceArgs),
    /// Who may send here? Whether a sender may deliver events to a receiver under its
    /// EventPolicies, OIDC and the default authorization mode, and what decided it. Exit 0
    /// allowed, 1 denied, 6 it depends on the event or what decides could not be read.
    CanSend(CanSendArgs),
    /// The simulated Kubernetes API server.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// The version, the git commit it was built from, and the Kubernetes API it speaks.
    Version,
    /// Shell completions, to source or to install where the shell looks for them.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The manual page, in roff: `kn-mesh man > kn-mesh.1`, or `kn-mesh man | man -l -`. With
    /// --dir, every page (kn-mesh.1 and one per subcommand, which kn-mesh.1 refers to) is
    /// written into that directory.
    Man {
        /// Write kn-mesh.1 and the subcommands' pages into this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

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

/// "20ms", "1.5s", "250us", "2m".
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{text:?} needs a unit: us, ms, s, m or h"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration"))?;
    let seconds = match unit {
        "us" | "µs" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("unknown unit {unit:?}: use us, ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| *d <= MAX_DURATION)
        .ok_or_else(|| format!("{text:?} is out of range (at most a year)"))
}

/// A backend's answer is awaited this long unless --timeout says otherwise.
const BACKEND_TIMEOUT: Duration = Duration::from_secs(30);

/// No timeout, interval or latency kn-mesh takes is longer.
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// A label selector as kube-apiserver takes it: each term parses, and its key and values are
/// label keys and values (kubectl refuses the rest before asking).
fn check_selector(selector: &str) -> Result<(), String> {
    if selector.len() > 4096 {
        return Err("longer than 4096 characters".into());
    }
    crate::sim::selectors::Selectors::parse(Some(selector), None).map_err(|e| {
        e.body["message"]
            .as_str()
            .unwrap_or("not a label selector")
            .to_string()
    })?;
    let mut depth = 0;
    let terms = selector.split(|c| {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        c == ',' && depth == 0
    });
    for term in terms.map(str::trim) {
        if term.is_empty() {
            return Err("an empty term".into());
        }
        let term = term.trim_start_matches('!');
        let split = [" notin ", " in ", "!=", "==", "="]
            .iter()
            .find_map(|op| term.split_once(op));
        let (key, values) = split.unwrap_or((term, ""));
        crate::k8s::check_label_key(key.trim())?;
        let values = values.trim().trim_start_matches('(').trim_end_matches(')');
        for value in values.split(',').map(str::trim) {
            crate::k8s::check_label_value(value)?;
        }
    }
    Ok(())
}

/// kubectl's --request-timeout: a duration, a bare number of seconds, or 0 for none.
pub fn parse_request_timeout(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return parse_duration(&format!("{text}s"));
    }
    parse_duration(text)
}

/// A timeout: more than nothing.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let timeout = parse_duration(text)?;
    if timeout.is_zero() {
        return Err(format!("{text:?}: a timeout must be longer than 0"));
    }
    Ok(timeout)
}

/// A refresh interval: at least a second, so that polling never becomes a tight loop.
pub fn parse_refresh(text: &str) -> Result<Duration, String> {
    let every = parse_duration(text)?;
    if every < Duration::from_secs(1) {
        return Err(format!(
            "{text:?} is too short: refresh at most once a second (1s)"
        ));
    }
    Ok(every)
}

/// "65536", "512Ki", "64Mi", "1Gi".
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (number, factor) = match text {
        t if t.ends_with("Ki") => (&t[..t.len() - 2], 1usize << 10),
        t if t.ends_with("Mi") => (&t[..t.len() - 2], 1 << 20),
        t if t.ends_with("Gi") => (&t[..t.len() - 2], 1 << 30),
        t => (t, 1),
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is not a size: use bytes, or Ki, Mi, Gi (e.g. 64Mi)"))
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err("the fail rate is a share, from 0.0 to 1.0".into())
    }
}

/// Arguments that parse but do not make sense together.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
