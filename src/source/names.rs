//! Names a shell completes on Tab: the kubeconfig's contexts, and namespaces (those the
//! kubeconfig's contexts name, and the cluster's own when it answers in time).
//!
//! Completion must never get in the way: every failure here (no kubeconfig, a refused list,
//! a server that does not answer) gives fewer names, never an error on the terminal.

use super::connect::{ConnectOptions, client, config};
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

fn read_kubeconfig(path: Option<&Path>) -> Option<kube::config::Kubeconfig> {
    match path {
        Some(path) => kube::config::Kubeconfig::read_from(path).ok(),
        None => kube::config::Kubeconfig::read().ok(),
    }
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
/// first, then `from_cluster`, then those the other contexts name; each once.
pub fn namespaces(options: &ConnectOptions, from_cluster: Vec<String>) -> Vec<String> {
    let contexts = kubeconfig_contexts(options.kubeconfig.as_deref());
    let chosen = contexts.iter().find(|c| match &options.context {
        Some(name) => &c.name == name,
        None => c.current,
    });
    let mut names: Vec<String> = chosen
        .and_then(|c| c.namespace.clone())
        .into_iter()
        .collect();
    names.extend(from_cluster);
    names.extend(contexts.into_iter().filter_map(|c| c.namespace));
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| seen.insert(name.clone()));
    names
}

/// The cluster's namespaces, as the kubeconfig's user may list them (none when refused or
/// unreachable), sorted. Connecting and the answer each get `wait`.
pub async fn cluster_namespaces(options: &ConnectOptions, wait: Duration) -> Vec<String> {
    let Ok((mut config, _)) = config(options).await else {
        return Vec::new();
    };
    config.connect_timeout = Some(wait);
    config.read_timeout = Some(wait);
    let Ok(client) = client(config) else {
        return Vec::new();
    };
    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client);
    match api.list_metadata(&kube::api::ListParams::default()).await {
        Ok(list) => {
            let mut names: Vec<String> = list
                .items
                .into_iter()
                .filter_map(|namespace| namespace.metadata.name)
                .collect();
            names.sort();
            names
        }
        Err(_) => Vec::new(),
    }
}

/// The embedded demo's namespaces, for `-n` after `--demo`.
pub fn demo_namespaces() -> Vec<String> {
    let mut names: Vec<String> = super::demo::objects()
        .iter()
        .filter(|object| object["kind"] == "Namespace")
        .filter_map(|object| object["metadata"]["name"].as_str().map(String::from))
        .collect();
    names.sort();
    names
}
