//! The RBAC evaluator: each matching rule of DESIGN.md §4, allowed and denied.

use kn_mesh::k8s::ResourceRequest;
use kn_mesh::sim::rbac::{MASTERS_GROUP, Policy, Request, UserInfo};
use serde_json::{Value, json};

fn policy(objects: Vec<Value>) -> Policy {
    Policy::from_objects(&objects)
}

fn cluster_role(name: &str, rules: Value) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
           "metadata": {"name": name}, "rules": rules})
}

fn cluster_binding(role: &str, subject: Value) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
           "metadata": {"name": format!("{role}-binding")},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
           "subjects": [subject]})
}

fn user() -> UserInfo {
    UserInfo::service_account("ns", "sa", "uid")
}

const SA: fn() -> Value = || json!({"kind": "ServiceAccount", "name": "sa", "namespace": "ns"});

fn allowed_by(rules: Value, request: &Request) -> bool {
    policy(vec![cluster_role("r", rules), cluster_binding("r", SA())])
        .decide(&user(), request)
        .allowed
}

fn get(group: &str, resource: &str, subresource: &str, name: Option<&str>) -> Request {
    let mut request = ResourceRequest::new("get", group, resource, Some("ns"));
    request.name = name.map(str::to_string);
    Request::Resource {
        request,
        subresource: subresource.into(),
    }
}

#[test]
fn verbs_match_by_star_or_exactly() {
    let list = Request::resource("list", "", "pods", Some("ns"));
    assert!(allowed_by(
        json!([{"verbs": ["*"], "apiGroups": [""], "resources": ["pods"]}]),
        &list
    ));
    assert!(allowed_by(
        json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]),
        &list
    ));
    assert!(!allowed_by(
        json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]),
        &list
    ));
}

#[test]
fn api_groups_match_by_star_or_exactly_and_empty_is_core() {
    let core = Request::resource("list", "", "pods", Some("ns"));
    let knative = Request::resource("list", "eventing.knative.dev", "brokers", Some("ns"));
    let rule = json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["*"]}]);
    assert!(allowed_by(rule.clone(), &core));
    assert!(!allowed_by(rule, &knative));
    let star = json!([{"verbs": ["list"], "apiGroups": ["*"], "resources": ["brokers"]}]);
    assert!(allowed_by(star, &knative));
}

#[test]
fn resources_match_star_exact_subresource_and_star_subresource() {
    let plain = get("", "serviceaccounts", "", Some("x"));
    let token = get("", "serviceaccounts", "token", Some("x"));
    let exact = json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["serviceaccounts"]}]);
    assert!(allowed_by(exact.clone(), &plain));
    assert!(
        !allowed_by(exact, &token),
        "a resource rule does not cover its subresources"
    );
    let sub =
        json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["serviceaccounts/token"]}]);
    assert!(allowed_by(sub.clone(), &token));
    assert!(!allowed_by(sub, &plain));
    let star_sub = json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["*/token"]}]);
    assert!(allowed_by(star_sub.clone(), &token));
    assert!(!allowed_by(star_sub, &plain));
    let star = json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["*"]}]);
    assert!(allowed_by(star.clone(), &plain));
    assert!(allowed_by(star, &token));
}

#[test]
fn resource_names_limit_named_requests_and_never_match_unnamed_ones() {
    let rule = json!([{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["secrets"], "resourceNames": ["mine"]}]);
    assert!(allowed_by(
        rule.clone(),
        &get("", "secrets", "", Some("mine"))
    ));
    assert!(!allowed_by(
        rule.clone(),
        &get("", "secrets", "", Some("theirs"))
    ));
    assert!(!allowed_by(
        rule,
        &Request::resource("list", "", "secrets", Some("ns"))
    ));
}

#[test]
fn non_resource_urls_match_star_exact_or_prefix() {
    let version = Request::NonResource {
        verb: "get".into(),
        path: "/version".into(),
    };
    let apis = Request::NonResource {
        verb: "get".into(),
        path: "/apis/eventing.knative.dev".into(),
    };
    assert!(allowed_by(
        json!([{"verbs": ["get"], "nonResourceURLs": ["/version"]}]),
        &version
    ));
    assert!(!allowed_by(
        json!([{"verbs": ["get"], "nonResourceURLs": ["/version"]}]),
        &apis
    ));
    assert!(allowed_by(
        json!([{"verbs": ["get"], "nonResourceURLs": ["/apis/*"]}]),
        &apis
    ));
    assert!(!allowed_by(
        json!([{"verbs": ["get"], "nonResourceURLs": ["/api/*"]}]),
        &apis
    ));
    assert!(allowed_by(
        json!([{"verbs": ["get"], "nonResourceURLs": ["*"]}]),
        &apis
    ));
    assert!(!allowed_by(
        json!([{"verbs": ["post"], "nonResourceURLs": ["*"]}]),
        &apis
    ));
}

#[test]
fn group_subjects_match_service_account_groups() {
    let rules = json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]);
    let list = Request::resource("list", "", "pods", None);
    for group in [
        "system:serviceaccounts",
        "system:serviceaccounts:ns",
        "system:authenticated",
    ] {
        let p = policy(vec![
            cluster_role("r", rules.clone()),
            cluster_binding("r", json!({"kind": "Group", "name": group})),
        ]);
        assert!(p.decide(&user(), &list).allowed, "{group}");
    }
    let other = policy(vec![
        cluster_role("r", rules),
        cluster_binding(
            "r",
            json!({"kind": "Group", "name": "system:serviceaccounts:other"}),
        ),
    ]);
    assert!(!other.decide(&user(), &list).allowed);
}

#[test]
fn user_subjects_match_by_name() {
    let rules = json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]);
    let p = policy(vec![
        cluster_role("r", rules),
        cluster_binding("r", json!({"kind": "User", "name": "jane"})),
    ]);
    let list = Request::resource("list", "", "pods", None);
    let jane = UserInfo {
        username: "jane".into(),
        ..UserInfo::default()
    };
    assert!(p.decide(&jane, &list).allowed);
    assert!(!p.decide(&user(), &list).allowed);
}

#[test]
fn a_role_binding_to_a_cluster_role_applies_in_its_namespace_only() {
    let p = policy(vec![
        cluster_role(
            "reader",
            json!([{"verbs": ["list"], "apiGroups": ["eventing.knative.dev"], "resources": ["triggers"]}]),
        ),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "b", "namespace": "payments"},
               "roleRef": {"kind": "ClusterRole", "name": "reader"},
               "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}]}),
    ]);
    let in_payments =
        Request::resource("list", "eventing.knative.dev", "triggers", Some("payments"));
    let in_ops = Request::resource("list", "eventing.knative.dev", "triggers", Some("ops"));
    let cluster = Request::resource("list", "eventing.knative.dev", "triggers", None);
    assert!(p.decide(&user(), &in_payments).allowed);
    assert!(!p.decide(&user(), &in_ops).allowed);
    assert!(!p.decide(&user(), &cluster).allowed);
}

#[test]
fn a_role_applies_in_its_namespace_and_a_service_account_subject_defaults_to_it() {
    let p = policy(vec![
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
               "metadata": {"name": "r", "namespace": "ns"},
               "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "b", "namespace": "ns"},
               "roleRef": {"kind": "Role", "name": "r"},
               "subjects": [{"kind": "ServiceAccount", "name": "sa"}]}),
    ]);
    assert!(
        p.decide(&user(), &get("", "configmaps", "", Some("c")))
            .allowed
    );
    let elsewhere = Request::Resource {
        request: ResourceRequest::get("", "configmaps", "other", "c"),
        subresource: String::new(),
    };
    assert!(!p.decide(&user(), &elsewhere).allowed);
}

#[test]
fn aggregated_cluster_roles_take_the_union_of_the_selected_roles() {
    let p = policy(vec![
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "mesh-aggregate"},
               "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"mesh/aggregate": "true"}}]},
               "rules": []}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "part", "labels": {"mesh/aggregate": "true"}},
               "rules": [{"verbs": ["list"], "apiGroups": ["eventing.knative.dev"], "resources": ["brokers"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "unlabelled"},
               "rules": [{"verbs": ["list"], "apiGroups": [""], "resources": ["secrets"]}]}),
        cluster_binding("mesh-aggregate", SA()),
    ]);
    assert!(
        p.decide(
            &user(),
            &Request::resource("list", "eventing.knative.dev", "brokers", None)
        )
        .allowed
    );
    assert!(
        !p.decide(&user(), &Request::resource("list", "", "secrets", None))
            .allowed
    );
}

#[test]
fn system_masters_may_do_anything_and_there_is_no_deny() {
    let admin = UserInfo {
        username: "admin".into(),
        groups: vec![MASTERS_GROUP.into()],
        ..UserInfo::default()
    };
    let p = Policy::default();
    assert!(
        p.decide(&admin, &Request::resource("delete", "", "secrets", None))
            .allowed
    );
    assert!(
        !p.decide(&user(), &Request::resource("get", "", "secrets", None))
            .allowed
    );
}

#[test]
fn rules_for_collects_cluster_and_namespace_rules_without_duplicates() {
    let rule = json!([{"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]);
    let p = policy(vec![
        cluster_role("r", rule.clone()),
        cluster_binding("r", SA()),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "b", "namespace": "payments"},
               "roleRef": {"kind": "ClusterRole", "name": "r"},
               "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}]}),
    ]);
    assert_eq!(p.rules_for(&user(), "payments").len(), 1);
    assert_eq!(p.rules_for(&user(), "ops").len(), 1);
}
