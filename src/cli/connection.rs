//! The flags that name a cluster, a token and namespaces, shared by the faces that connect.

use clap::Args;
use clap_complete::engine::ArgValueCompleter;
use std::path::PathBuf;

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
    #[arg(long = "as", value_name = "USER", add = ArgValueCompleter::new(crate::completion::impersonated_users))]
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
    pub(super) fn over(self, earlier: &ConnectArgs) -> ConnectArgs {
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
