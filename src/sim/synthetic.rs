//! Synthetic meshes of a chosen size, as plain Kubernetes objects (JSON values), so the same
//! data can be built directly, served by the simulated cluster, or written out as manifests.

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub namespaces: usize,
    pub brokers: usize,
    pub triggers: usize,
    pub event_types: usize,
}

impl Size {
    /// The size the benchmark asks for: 10,000 triggers, 2,000 event types, 500 brokers.
    pub const LARGE: Size = Size {
        namespaces: 50,
        brokers: 500,
        triggers: 10_000,
        event_types: 2_000,
    };
}

/// Brokers spread evenly over namespaces; triggers and event types spread evenly over brokers.
/// Triggers cycle through the filter dialects and subscribe to one of a few Services per
/// namespace, most of which carry a Backstage id.
pub fn objects(size: Size) -> Vec<Value> {
    let namespaces = size.namespaces.max(1);
    let brokers = size.brokers.max(1);
    let mut out =
        Vec::with_capacity(size.brokers + size.triggers + size.event_types + namespaces * 6);
    let namespace_of = |broker: usize| format!("ns-{:03}", broker % namespaces);
    for n in 0..namespaces {
        let namespace = format!("ns-{n:03}");
        out.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}));
        for s in 0..5 {
            let mut labels = json!({"app": format!("svc-{s}")});
            if s != 4 {
                labels["backstage.io/kubernetes-id"] = json!(format!("svc-{s}-{namespace}"));
            }
            out.push(json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("svc-{s}"), "namespace": namespace, "labels": labels,
                             "uid": format!("svc-{n}-{s}")}
            }));
        }
    }
    for b in 0..brokers {
        out.push(json!({
            "apiVersion": "eventing.knative.dev/v1", "kind": "Broker",
            "metadata": {"name": format!("broker-{b}"), "namespace": namespace_of(b), "uid": format!("broker-{b}")},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "address": {"url": format!("http://broker-ingress/{}/broker-{b}", namespace_of(b))}}
        }));
    }
    for e in 0..size.event_types {
        let b = e % brokers;
        out.push(json!({
            "apiVersion": "eventing.knative.dev/v1beta2", "kind": "EventType",
            "metadata": {"name": format!("et-{e}"), "namespace": namespace_of(b), "uid": format!("et-{e}")},
            "spec": {"type": format!("com.example.type{}", e % 40), "source": format!("/source/{}", e % 7),
                     "reference": {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": format!("broker-{b}")}}
        }));
    }
    for t in 0..size.triggers {
        let b = t % brokers;
        let wanted = format!("com.example.type{}", t % 40);
        let filter = match t % 6 {
            0 => json!({"filter": {"attributes": {"type": wanted}}}),
            1 => json!({"filters": [{"exact": {"type": wanted}}]}),
            2 => json!({"filters": [{"prefix": {"type": "com.example.type1"}}]}),
            3 => {
                json!({"filters": [{"any": [{"exact": {"type": wanted}}, {"suffix": {"source": "/3"}}]}]})
            }
            4 => json!({"filters": [{"cesql": "type LIKE 'com.example.%'"}]}),
            _ => json!({}),
        };
        let mut spec = json!({
            "broker": format!("broker-{b}"),
            "subscriber": {"ref": {"apiVersion": "v1", "kind": "Service", "name": format!("svc-{}", t % 5)}}
        });
        if let (Some(spec), Some(filter)) = (spec.as_object_mut(), filter.as_object()) {
            spec.extend(filter.clone());
        }
        out.push(json!({
            "apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
            "metadata": {"name": format!("trigger-{t}"), "namespace": namespace_of(b), "uid": format!("trigger-{t}")},
            "spec": spec,
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        }));
    }
    out
}

/// A multi-tenant cluster, as issue 12 measures it: `namespaces` namespaces (`team-000`…), each
/// with a broker, 3 Services, 3 event types and 5 triggers; and two ServiceAccounts in
/// `team-000`:
/// - `tenant` may read the mesh and Services in `team-000` only, and list namespaces;
/// - `reader` may read the mesh, CRDs, namespaces and Services at the cluster scope.
pub fn tenants(namespaces: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(namespaces * 13 + 8);
    for n in 0..namespaces {
        let namespace = format!("team-{n:03}");
        out.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}));
        out.push(json!({
            "apiVersion": "eventing.knative.dev/v1", "kind": "Broker",
            "metadata": {"name": "default", "namespace": namespace, "uid": format!("broker-{n}")},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        }));
        for s in 0..3 {
            out.push(json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("svc-{s}"), "namespace": namespace, "uid": format!("svc-{n}-{s}"),
                             "labels": {"backstage.io/kubernetes-id": format!("svc-{s}-{namespace}")}}
            }));
            out.push(json!({
                "apiVersion": "eventing.knative.dev/v1beta2", "kind": "EventType",
                "metadata": {"name": format!("et-{s}"), "namespace": namespace, "uid": format!("et-{n}-{s}")},
                "spec": {"type": format!("com.example.type{s}"),
                         "reference": {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": "default"}}
            }));
        }
        for t in 0..5 {
            out.push(json!({
                "apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
                "metadata": {"name": format!("trigger-{t}"), "namespace": namespace, "uid": format!("trigger-{n}-{t}")},
                "spec": {"broker": "default", "filter": {"attributes": {"type": format!("com.example.type{}", t % 3)}},
                         "subscriber": {"ref": {"apiVersion": "v1", "kind": "Service", "name": format!("svc-{}", t % 3)}}}
            }));
        }
    }
    out.extend(tenant_rbac());
    out
}

fn tenant_rbac() -> Vec<Value> {
    let read = json!(["get", "list", "watch"]);
    let knative = json!({"apiGroups": ["eventing.knative.dev", "messaging.knative.dev", "sources.knative.dev",
                                       "flows.knative.dev", "sinks.knative.dev"],
                         "resources": ["*"], "verbs": read});
    let services = json!({"apiGroups": [""], "resources": ["services"], "verbs": read});
    let mesh_rules = json!([knative, services]);
    let reader_rules = json!([knative, services,
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": read},
        {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": read}]);
    let account = |name: &str| {
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": name, "namespace": "team-000", "uid": format!("sa-{name}")}})
    };
    let subject =
        |name: &str| json!([{"kind": "ServiceAccount", "name": name, "namespace": "team-000"}]);
    vec![
        account("tenant"),
        account("reader"),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
               "metadata": {"name": "tenant-mesh", "namespace": "team-000"}, "rules": mesh_rules}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "tenant-mesh", "namespace": "team-000"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "tenant-mesh"},
               "subjects": subject("tenant")}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "namespace-lister"},
               "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "tenant-namespaces"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "namespace-lister"},
               "subjects": subject("tenant")}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "mesh-reader"}, "rules": reader_rules}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "mesh-reader"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "mesh-reader"},
               "subjects": subject("reader")}),
    ]
}
