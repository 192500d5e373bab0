//! Command-line arguments, and the source they name (`Cli::source_spec`). Which face runs is
//! decided in `commands`.

mod connection;
mod subcommands;
mod values;

pub use connection::{ClusterArgs, ConnectArgs, NamespaceArgs, TokenArgs};
pub use subcommands::*;
pub use values::{parse_duration, parse_request_timeout, parse_size, parse_timeout};

use crate::output::Format;
use crate::source::spec::{HttpOptions, Origin, SourceSpec};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use values::{BACKEND_TIMEOUT, MAX_DURATION, check_selector, parse_refresh};

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

/// Arguments that parse but do not make sense together.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
