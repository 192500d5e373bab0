//! Names a shell completes on Tab: the kubeconfig's contexts; namespaces (those the
//! kubeconfig's contexts name, the cluster's own when it answers in time, and the demo's); and
//! the cluster's ServiceAccounts, for `--as`.
//!
//! Completion must never get in the way: every failure here (no kubeconfig, a refused list,
//! a server that does not answer) gives fewer names, never an error on the terminal.

use super::connect::{ConnectOptions, client, config, read_kubeconfig};
use std::path::Path;
use std::time::Duration;

/// A context as a completion shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextName {
    pub name: String,
    pub cluster: String,
    pub namespace: Option<String>,
    pub current: bool,
}

/// The kubeconfig's contexts (the file given, else `$KUBECONFIG` merged, else
/// `~/.kube/config`), in the kubeconfig's order.
pub fn kubeconfig_contexts(path: Option<&Path>) -> Vec<ContextName> {
    let Some(kubeconfig) = read_kubeconfig(path) else {
        return Vec::new();
    };
    let current = kubeconfig.current_context.clone();
    kubeconfig
        .contexts
        .into_iter()
        .map(|named| {
            let context = named.context.unwrap_or_default();
            ContextName {
                current: current.as_deref() == Some(named.name.as_str()),
                name: named.name,
                cluster: context.cluster,
                namespace: context.namespace,
            }
        })
        .collect()
}

/// Namespaces to offer for `-n`: the one the chosen context (else the current one) names
/// first, then the cluster's; when the cluster did not answer, those the other contexts name
/// instead (they may be another cluster's). Each once, and never one already `given`.
pub fn namespaces(
    options: &ConnectOptions,
    from_cluster: Option<Vec<String>>,
    given: &[String],
) -> Vec<String> {
    let contexts = kubeconfig_contexts(options.kubeconfig.as_deref());
    let chosen = contexts.iter().find(|c| match &options.context {
        Some(name) => &c.name == name,
        None => c.current,
    });
    let mut names: Vec<String> = chosen
        .and_then(|c| c.namespace.clone())
        .into_iter()
        .collect();
    match from_cluster {
        Some(from_cluster) => names.extend(from_cluster),
        None => names.extend(contexts.into_iter().filter_map(|c| c.namespace)),
    }
    let mut seen: std::collections::HashSet<String> = given.iter().cloned().collect();
    // A namespace is a DNS label: anything else (a hostile server's, a hand-edited
    // kubeconfig's) would go onto the command line as shell text.
    names.retain(|name| crate::k8s::is_dns_label(name) && seen.insert(name.clone()));
    names
}

/// The cluster's namespaces, as the kubeconfig's user may list them, sorted; `None` when
/// the list is refused or the cluster unreachable.
pub async fn cluster_namespaces(options: &ConnectOptions, wait: Duration) -> Option<Vec<String>> {
    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> =
        kube::Api::all(completion_client(options, wait).await?);
    let list = api
        .list_metadata(&kube::api::ListParams::default())
        .await
        .ok()?;
    let mut names: Vec<String> = list
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    names.sort();
    Some(names)
}

/// The cluster's ServiceAccounts as `--as` names them (`system:serviceaccount:NS:NAME`), as
/// the kubeconfig's user may list them across namespaces, sorted; `None` when refused or
/// unreachable.
pub async fn cluster_service_accounts(
    options: &ConnectOptions,
    wait: Duration,
) -> Option<Vec<String>> {
    let api: kube::Api<k8s_openapi::api::core::v1::ServiceAccount> =
        kube::Api::all(completion_client(options, wait).await?);
    let list = api
        .list_metadata(&kube::api::ListParams::default())
        .await
        .ok()?;
    let mut users: Vec<String> = list
        .items
        .into_iter()
        .filter_map(|account| Some((account.metadata.namespace?, account.metadata.name?)))
        // Names a hostile server sends go onto the command line: only valid ones.
        .filter(|(namespace, name)| {
            crate::k8s::is_dns_label(namespace) && crate::k8s::is_dns_subdomain(name)
        })
        .map(|(namespace, name)| format!("system:serviceaccount:{namespace}:{name}"))
        .collect();
    users.sort();
    Some(users)
}

/// A client for a Tab: connecting and each answer get `wait`, and a credential plugin runs
/// non-interactive (kube-rs hands it no stdin or stderr of ours): a Tab is no place for a
/// login prompt.
async fn completion_client(options: &ConnectOptions, wait: Duration) -> Option<kube::Client> {
    let (mut config, _) = config(options).await.ok()?;
    config.connect_timeout = Some(wait);
    config.read_timeout = Some(wait);
    if let Some(exec) = config.auth_info.exec.as_mut() {
        exec.interactive_mode = Some(kube::config::ExecInteractiveMode::Never);
    }
    client(config).ok()
}

/// The embedded demo's namespaces, for `-n` after `--demo`.
pub fn demo_namespaces() -> Vec<String> {
    crate::sim::cluster::namespaces_of(&super::demo::objects())
        .into_iter()
        .collect()
}
