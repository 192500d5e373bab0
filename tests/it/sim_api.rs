//! The simulated cluster through kube-rs, as against a real API server: pagination, watch,
//! RBAC answers, and bad requests that must get a proper Status, never a panic.

use crate::common;
use axum::http::Request;
use common::{client, demo_sim, start_sim};
use futures_util::{StreamExt, TryStreamExt};
use kn_mesh::sim::synthetic::{self, Size};
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, PostParams, WatchEvent, WatchParams,
};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;
use std::time::Duration;

fn triggers_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("eventing.knative.dev", "v1", "Trigger"),
        "triggers",
    )
}

fn api_status(error: kube::Error) -> kube::core::Status {
    match error {
        kube::Error::Api(status) => *status,
        other => panic!("expected a Status from the server, got {other:?}"),
    }
}

#[tokio::test]
async fn a_list_of_1200_in_pages_of_500_comes_back_complete_in_order_in_three_pages() {
    let size = Size {
        namespaces: 3,
        brokers: 3,
        triggers: 1200,
        event_types: 0,
    };
    let sim = start_sim(synthetic::objects(size)).await;
    let api: Api<DynamicObject> = Api::all_with(client(&sim, "admin").await, &triggers_resource());
    let mut pages = 0;
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(500);
    loop {
        let page = api.list(&params).await.unwrap();
        pages += 1;
        names.extend(page.items.iter().map(|t| {
            (
                t.metadata.namespace.clone().unwrap(),
                t.metadata.name.clone().unwrap(),
            )
        }));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 1200);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "items come in namespace, then name order");
    sorted.dedup();
    assert_eq!(sorted.len(), 1200, "no item twice");
}

#[tokio::test]
async fn a_bad_continue_token_gets_400() {
    let sim = demo_sim().await;
    let api: Api<DynamicObject> = Api::all_with(client(&sim, "admin").await, &triggers_resource());
    let status = api_status(
        api.list(&ListParams::default().limit(2).continue_token("not-a-token"))
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code, 400);
    assert_eq!(status.reason, "BadRequest");
}

#[tokio::test]
async fn label_and_field_selectors_filter_lists() {
    let sim = demo_sim().await;
    let services =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("", "v1", "Service"), "services");
    let api: Api<DynamicObject> = Api::all_with(client(&sim, "admin").await, &services);
    let labelled = api
        .list(&ListParams::default().labels("backstage.io/kubernetes-id=pager"))
        .await
        .unwrap();
    assert_eq!(labelled.items.len(), 1);
    let in_ops = api
        .list(&ListParams::default().fields("metadata.namespace=ops"))
        .await
        .unwrap();
    assert_eq!(in_ops.items.len(), 2);
}

#[tokio::test]
async fn a_watch_sees_added_modified_and_deleted() {
    let sim = demo_sim().await;
    let api: Api<DynamicObject> = Api::namespaced_with(
        client(&sim, "admin").await,
        "payments",
        &triggers_resource(),
    );
    let version = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut events = api
        .watch(&WatchParams::default().timeout(20), &version)
        .await
        .unwrap()
        .boxed();
    let trigger: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
        "metadata": {"name": "new-one", "namespace": "payments"},
        "spec": {"broker": "default", "subscriber": {"uri": "http://example.com"}}
    }))
    .unwrap();
    let created = api.create(&PostParams::default(), &trigger).await.unwrap();
    let mut changed = created.clone();
    changed.data["spec"]["broker"] = json!("other");
    api.replace("new-one", &PostParams::default(), &changed)
        .await
        .unwrap();
    api.delete("new-one", &DeleteParams::default())
        .await
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let event = tokio::time::timeout(Duration::from_secs(10), events.try_next())
            .await
            .expect("an event in time")
            .unwrap()
            .unwrap();
        seen.push(match event {
            WatchEvent::Added(o) => ("ADDED", o.data["spec"]["broker"].clone()),
            WatchEvent::Modified(o) => ("MODIFIED", o.data["spec"]["broker"].clone()),
            WatchEvent::Deleted(o) => ("DELETED", o.data["spec"]["broker"].clone()),
            other => panic!("unexpected {other:?}"),
        });
    }
    assert_eq!(
        seen,
        [
            ("ADDED", json!("default")),
            ("MODIFIED", json!("other")),
            ("DELETED", json!("other"))
        ]
    );
}

#[tokio::test]
async fn a_watch_from_a_version_too_old_gets_410() {
    let sim = demo_sim().await;
    // Push the oldest remembered version past 1 by overflowing the history.
    let api: Api<DynamicObject> = Api::namespaced_with(
        client(&sim, "admin").await,
        "payments",
        &triggers_resource(),
    );
    {
        let mut store = sim.state.store.write().unwrap();
        for i in 0..20_100 {
            let object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i}"), "namespace": "ops"}});
            store.create("", "configmaps", "ops", object).unwrap();
        }
    }
    let mut events = api
        .watch(&WatchParams::default(), "2")
        .await
        .unwrap()
        .boxed();
    match events.try_next().await.unwrap().unwrap() {
        WatchEvent::Error(e) => assert_eq!(e.code, 410),
        other => panic!("expected an ERROR event, got {other:?}"),
    }
}

#[tokio::test]
async fn eventtypes_are_served_in_all_three_versions() {
    let sim = demo_sim().await;
    let client = client(&sim, "admin").await;
    for version in ["v1beta1", "v1beta2", "v1beta3"] {
        let resource = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("eventing.knative.dev", version, "EventType"),
            "eventtypes",
        );
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "payments", &resource);
        let settled = api.get("payment-settled").await.unwrap();
        let expected_type = if version == "v1beta3" {
            settled.data["spec"]["attributes"][0]["value"].clone()
        } else {
            settled.data["spec"]["type"].clone()
        };
        assert_eq!(
            expected_type,
            json!("com.example.payment.settled"),
            "{version}"
        );
    }
}

#[tokio::test]
async fn a_forbidden_list_is_a_403_worded_as_kube_apiserver_words_it() {
    let sim = demo_sim().await;
    let api: Api<DynamicObject> =
        Api::all_with(client(&sim, "payments-only").await, &triggers_resource());
    let status = api_status(api.list(&ListParams::default()).await.unwrap_err());
    assert_eq!(status.code, 403);
    assert_eq!(
        status.message,
        "triggers.eventing.knative.dev is forbidden: User \"system:serviceaccount:backstage:payments-only\" cannot list resource \"triggers\" in API group \"eventing.knative.dev\" at the cluster scope"
    );
    let namespaced: Api<DynamicObject> = Api::namespaced_with(
        client(&sim, "payments-only").await,
        "payments",
        &triggers_resource(),
    );
    assert_eq!(
        namespaced
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        9
    );
}

async fn raw(
    sim: &kn_mesh::sim::RunningSim,
    token: Option<&str>,
    request: Request<Vec<u8>>,
) -> kube::core::Status {
    let config = match token {
        Some(token) => sim.client_config_with_token(token).await.unwrap(),
        None => sim.client_config("admin").await.unwrap(),
    };
    let client = kube::Client::try_from(config).unwrap();
    api_status(client.request_text(request).await.unwrap_err())
}

#[tokio::test]
async fn bad_requests_get_a_status_and_never_a_panic() {
    let sim = demo_sim().await;
    let triggers = "/apis/eventing.knative.dev/v1/namespaces/payments/triggers";

    let malformed = Request::post(triggers)
        .header("content-type", "application/json")
        .body(b"{\"apiVersion\": ".to_vec())
        .unwrap();
    assert_eq!(raw(&sim, None, malformed).await.code, 400);

    let unknown = Request::get("/apis/eventing.knative.dev/v1/widgets")
        .body(vec![])
        .unwrap();
    let status = raw(&sim, None, unknown).await;
    assert_eq!((status.code, status.reason.as_str()), (404, "NotFound"));

    let wrong_method = Request::put(triggers).body(b"{}".to_vec()).unwrap();
    assert_eq!(raw(&sim, None, wrong_method).await.code, 405);

    let oversized = Request::post(triggers)
        .header("content-type", "application/json")
        .body(vec![b' '; 4 * 1024 * 1024])
        .unwrap();
    assert_eq!(raw(&sim, None, oversized).await.code, 413);

    let garbage = Request::get(triggers).body(vec![]).unwrap();
    let status = raw(&sim, Some("garbage"), garbage).await;
    assert_eq!(
        (status.code, status.message.as_str()),
        (401, "Unauthorized")
    );

    // Signed by another key: a JWT the server did not issue.
    let forged = kn_mesh::sim::auth::TokenAuthority::new().mint_legacy(
        "backstage",
        "docs-reader",
        "uid",
        "docs-reader-token",
    );
    let request = Request::get(triggers).body(vec![]).unwrap();
    assert_eq!(raw(&sim, Some(&forged), request).await.code, 401);

    // The server is still fine after all that.
    let api: Api<DynamicObject> = Api::all_with(client(&sim, "admin").await, &triggers_resource());
    assert_eq!(
        api.list(&ListParams::default()).await.unwrap().items.len(),
        11
    );
}

#[tokio::test]
async fn expired_and_wrong_audience_tokens_are_rejected() {
    let sim = demo_sim().await;
    let uid = sim.identity("mesh-viewer").unwrap().user.uid.clone();
    let now = jiff::Timestamp::now().as_second();
    let (expired, _) =
        sim.state
            .authority
            .mint_bound("backstage", "mesh-viewer", &uid, &[], 600, now - 3600);
    let (not_yet, _) =
        sim.state
            .authority
            .mint_bound("backstage", "mesh-viewer", &uid, &[], 600, now + 3600);
    let (vault, _) = sim.state.authority.mint_bound(
        "backstage",
        "mesh-viewer",
        &uid,
        &["vault".into()],
        600,
        now,
    );
    let (good, _) = sim
        .state
        .authority
        .mint_bound("backstage", "mesh-viewer", &uid, &[], 600, now);
    for (token, expected) in [(&expired, 401), (&not_yet, 401), (&vault, 401)] {
        let request = Request::get("/api/v1/namespaces/payments/services")
            .body(vec![])
            .unwrap();
        assert_eq!(raw(&sim, Some(token), request).await.code, expected);
    }
    let client =
        kube::Client::try_from(sim.client_config_with_token(&good).await.unwrap()).unwrap();
    let text = client
        .request_text(
            Request::get("/api/v1/namespaces/payments/services")
                .body(vec![])
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(text.contains("order-processor"));
}

#[tokio::test]
async fn the_request_log_counts_calls_for_admins_only() {
    let sim = demo_sim().await;
    let admin = client(&sim, "admin").await;
    admin
        .request_text(Request::delete("/debug/requests").body(vec![]).unwrap())
        .await
        .unwrap();
    let api: Api<DynamicObject> = Api::all_with(admin.clone(), &triggers_resource());
    api.list(&ListParams::default()).await.unwrap();
    api.list(&ListParams::default()).await.unwrap();
    let log: serde_json::Value = serde_json::from_str(
        &admin
            .request_text(Request::get("/debug/requests").body(vec![]).unwrap())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(log["total"], 2);
    assert_eq!(
        log["requests"][0]["path"],
        "/apis/eventing.knative.dev/v1/triggers"
    );
    let viewer = client(&sim, "mesh-viewer").await;
    let denied = api_status(
        viewer
            .request_text(Request::get("/debug/requests").body(vec![]).unwrap())
            .await
            .unwrap_err(),
    );
    assert_eq!(denied.code, 403);
}

#[tokio::test]
async fn injected_failures_follow_the_fail_rate() {
    let mut config = kn_mesh::sim::SimConfig {
        objects: kn_mesh::source::manifests::read_objects(&[common::demo_dir()])
            .unwrap()
            .0,
        ..Default::default()
    };
    config.knobs.fail_rate = 1.0;
    let sim = kn_mesh::sim::RunningSim::start(config).await.unwrap();
    let api: Api<DynamicObject> = Api::all_with(client(&sim, "admin").await, &triggers_resource());
    let status = api_status(api.list(&ListParams::default()).await.unwrap_err());
    assert!(status.code == 500 || status.code == 503, "{}", status.code);
}

#[tokio::test]
async fn a_dry_run_delete_collection_answers_with_what_it_would_delete_and_keeps_it() {
    let sim = demo_sim().await;
    let api: Api<DynamicObject> = Api::namespaced_with(
        client(&sim, "admin").await,
        "payments",
        &triggers_resource(),
    );
    let before = api.list(&ListParams::default()).await.unwrap().items.len();
    assert!(before > 0);
    let dry_run = DeleteParams {
        dry_run: true,
        ..DeleteParams::default()
    };
    let answer = api
        .delete_collection(&dry_run, &ListParams::default())
        .await
        .unwrap();
    let would_delete = answer.left().expect("the deleted list").items.len();
    assert_eq!(would_delete, before);
    let after = api.list(&ListParams::default()).await.unwrap().items.len();
    assert_eq!(after, before, "a dry run deletes nothing");
}

/// Aggregated ClusterRoles that select each other settle on the union, and never take the
/// server down (each write of the controller used to start it again, without end).
#[tokio::test]
async fn aggregated_roles_that_select_each_other_settle() {
    let yaml = std::fs::read_to_string(common::demo_dir().join("50-rbac.yaml")).unwrap();
    let mut objects: Vec<serde_json::Value> = serde_saphyr::from_multiple(&yaml).unwrap();
    let rule =
        |resource: &str| json!({"apiGroups": [""], "resources": [resource], "verbs": ["get"]});
    for (name, labelled, rules) in [
        ("a", false, json!([rule("j1")])),
        ("b", true, json!([])),
        ("c", true, json!([rule("j1"), rule("j2")])),
    ] {
        let mut role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name},
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"z": "true"}}]},
            "rules": rules});
        if labelled {
            role["metadata"]["labels"] = json!({"z": "true"});
        }
        objects.push(role);
    }
    let sim = start_sim(objects).await;
    let roles: Api<k8s_openapi::api::rbac::v1::ClusterRole> = Api::all(client(&sim, "admin").await);
    for name in ["a", "b", "c"] {
        let role = roles.get(name).await.unwrap();
        let resources: Vec<String> = role
            .rules
            .unwrap_or_default()
            .into_iter()
            .flat_map(|r| r.resources.unwrap_or_default())
            .collect();
        assert_eq!(resources, ["j1", "j2"], "{name}");
    }
}

/// RBAC's escalation check: a delegate that may write Roles and RoleBindings in a namespace
/// may grant only what it holds there, and no binding's roleRef changes.
#[tokio::test]
async fn rbac_writes_grant_only_what_the_writer_holds() {
    use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
    let yaml = std::fs::read_to_string(common::demo_dir().join("00-namespaces.yaml")).unwrap();
    let mut objects: Vec<serde_json::Value> = serde_saphyr::from_multiple(&yaml).unwrap();
    objects.extend([
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "delegate", "namespace": "payments"}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
               "metadata": {"name": "rbac-writer", "namespace": "payments"},
               "rules": [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["create", "update", "patch", "get"]},
                         {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "delegate-writes", "namespace": "payments"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "rbac-writer"},
               "subjects": [{"kind": "ServiceAccount", "name": "delegate", "namespace": "payments"}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "cluster-role-writer"},
               "rules": [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["create"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "delegate-writes-cluster-roles"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-role-writer"},
               "subjects": [{"kind": "ServiceAccount", "name": "delegate", "namespace": "payments"}]}),
    ]);
    let sim = start_sim(objects).await;
    let delegate = client(&sim, "delegate").await;
    let roles: Api<Role> = Api::namespaced(delegate.clone(), "payments");
    let bindings: Api<RoleBinding> = Api::namespaced(delegate, "payments");
    let role = |name: &str, resource: &str| -> Role {
        serde_json::from_value(json!({"metadata": {"name": name},
            "rules": [{"apiGroups": [""], "resources": [resource], "verbs": ["get"]}]}))
        .unwrap()
    };
    let binding = |name: &str, kind: &str, role: &str| -> RoleBinding {
        serde_json::from_value(json!({"metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
            "subjects": [{"kind": "User", "name": "someone"}]}))
        .unwrap()
    };
    let post = PostParams::default();
    roles
        .create(&post, &role("pod-reader", "pods"))
        .await
        .unwrap();
    let refused = api_status(
        roles
            .create(&post, &role("secret-reader", "secrets"))
            .await
            .unwrap_err(),
    );
    assert_eq!(refused.code, 403);
    assert!(
        refused.message.contains(r#"roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "system:serviceaccount:payments:delegate""#)
            && refused.message.contains(r#"is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}"#),
        "{}",
        refused.message
    );
    bindings
        .create(&post, &binding("pods-for-someone", "Role", "pod-reader"))
        .await
        .unwrap();
    let refused = api_status(
        bindings
            .create(
                &post,
                &binding("admin-for-someone", "ClusterRole", "cluster-admin"),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(refused.code, 403, "{}", refused.message);
    // An aggregated role grants what is labelled for it later: it needs escalate.
    let cluster_roles: Api<k8s_openapi::api::rbac::v1::ClusterRole> =
        Api::all(client(&sim, "delegate").await);
    let aggregated = serde_json::from_value(json!({"metadata": {"name": "grows"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"any": "thing"}}]}}))
    .unwrap();
    let refused = api_status(cluster_roles.create(&post, &aggregated).await.unwrap_err());
    assert_eq!(refused.code, 403);
    assert!(
        refused
            .message
            .contains("must have cluster-admin privileges to use the aggregationRule"),
        "{}",
        refused.message
    );
    // The roleRef of a binding is fixed, for everyone.
    let admin: Api<RoleBinding> = Api::namespaced(client(&sim, "admin").await, "payments");
    let mut changed = admin.get("pods-for-someone").await.unwrap();
    changed.role_ref.name = "rbac-writer".into();
    let refused = api_status(
        admin
            .replace("pods-for-someone", &post, &changed)
            .await
            .unwrap_err(),
    );
    assert_eq!(refused.code, 422);
    assert!(
        refused.message.contains("cannot change roleRef"),
        "{}",
        refused.message
    );
}

/// The status subresource as kube-apiserver splits it: `/status` changes the status only, the
/// object itself leaves the status alone, and a kind without one answers 404.
#[tokio::test]
async fn status_and_spec_are_written_apart() {
    use kube::api::{Patch, PatchParams};
    let sim = demo_sim().await;
    let admin = client(&sim, "admin").await;
    let triggers: Api<DynamicObject> =
        Api::namespaced_with(admin.clone(), "payments", &triggers_resource());
    let before = triggers.get("audit-all").await.unwrap();
    let status_patch =
        json!({"spec": {"broker": "elsewhere"}, "status": {"observedGeneration": 42}});
    let after = triggers
        .patch_status(
            "audit-all",
            &PatchParams::default(),
            &Patch::Merge(&status_patch),
        )
        .await
        .unwrap();
    assert_eq!(after.data["status"]["observedGeneration"], 42);
    assert_eq!(
        after.data["spec"]["broker"], before.data["spec"]["broker"],
        "/status keeps the spec"
    );
    assert_eq!(after.metadata.generation, before.metadata.generation);
    let spec_patch = json!({"spec": {"broker": "elsewhere"}, "status": {"observedGeneration": 7}});
    let after = triggers
        .patch(
            "audit-all",
            &PatchParams::default(),
            &Patch::Merge(&spec_patch),
        )
        .await
        .unwrap();
    assert_eq!(after.data["spec"]["broker"], "elsewhere");
    assert_eq!(
        after.data["status"]["observedGeneration"], 42,
        "the object keeps the status"
    );
    assert_eq!(
        after.metadata.generation,
        before.metadata.generation.map(|g| g + 1)
    );
    // A status is never deleted on its own: the object stays.
    let request = Request::delete(
        "/apis/eventing.knative.dev/v1/namespaces/payments/triggers/audit-all/status",
    )
    .body(Vec::new())
    .unwrap();
    let refused = api_status(admin.request_text(request).await.unwrap_err());
    assert_eq!(refused.code, 405);
    assert!(triggers.get("audit-all").await.is_ok());
    let configmaps: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(admin, "payments");
    let missing = configmaps
        .patch_status(
            "anything",
            &PatchParams::default(),
            &Patch::Merge(&json!({})),
        )
        .await
        .unwrap_err();
    assert_eq!(api_status(missing).code, 404);
}

/// A legacy token belongs to the ServiceAccount its Secret was filled for: deleting the
/// ServiceAccount and making one of the same name does not bring the old token back.
#[tokio::test]
async fn a_legacy_token_dies_with_its_service_account_even_when_the_name_returns() {
    use k8s_openapi::api::core::v1::ServiceAccount;
    let sim = demo_sim().await;
    let reader = client(&sim, "docs-reader").await;
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(reader.clone());
    namespaces.list(&ListParams::default()).await.unwrap();
    let accounts: Api<ServiceAccount> = Api::namespaced(client(&sim, "admin").await, "backstage");
    accounts
        .delete("docs-reader", &DeleteParams::default())
        .await
        .unwrap();
    let again = serde_json::from_value(json!({"metadata": {"name": "docs-reader"}})).unwrap();
    accounts
        .create(&PostParams::default(), &again)
        .await
        .unwrap();
    let refused = namespaces.list(&ListParams::default()).await.unwrap_err();
    assert_eq!(api_status(refused).code, 401);
}

/// Deleting a namespace deletes what is in it (RBAC included), and deleting a CRD its resource
/// and objects: neither comes back when the name is made again.
#[tokio::test]
async fn a_deleted_namespace_or_crd_takes_its_objects_along() {
    use k8s_openapi::api::core::v1::Namespace;
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let sim = demo_sim().await;
    let admin = client(&sim, "admin").await;
    let namespaces: Api<Namespace> = Api::all(admin.clone());
    namespaces
        .delete("payments", &DeleteParams::default())
        .await
        .unwrap();
    let fresh = serde_json::from_value(json!({"metadata": {"name": "payments"}})).unwrap();
    namespaces
        .create(&PostParams::default(), &fresh)
        .await
        .unwrap();
    let triggers: Api<DynamicObject> =
        Api::namespaced_with(admin.clone(), "payments", &triggers_resource());
    assert!(
        triggers
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // payments-only's RoleBinding went with the namespace: it reads nothing there now.
    let only: Api<DynamicObject> = Api::namespaced_with(
        client(&sim, "payments-only").await,
        "payments",
        &triggers_resource(),
    );
    assert_eq!(
        api_status(only.list(&ListParams::default()).await.unwrap_err()).code,
        403
    );

    let crds: Api<CustomResourceDefinition> = Api::all(admin.clone());
    crds.delete("triggers.eventing.knative.dev", &DeleteParams::default())
        .await
        .unwrap();
    let all_triggers: Api<DynamicObject> = Api::all_with(admin, &triggers_resource());
    assert_eq!(
        api_status(all_triggers.list(&ListParams::default()).await.unwrap_err()).code,
        404
    );
}
