//! The direct data path against the in-process simulated cluster, through kube-rs over HTTPS,
//! exactly as against a real cluster.

use crate::common;
use common::fetcher;
use common::{demo_dir, demo_sim, start_sim};
use kn_mesh::mesh::snapshot::{Access, Snapshot};
use kn_mesh::mesh::{self, eventmesh};
use kn_mesh::sim::RunningSim;
use kn_mesh::sim::synthetic::{self, Size};
use kn_mesh::source::connect::Endpoint;
use kn_mesh::source::fetch::{FetchError, Fetcher, Scope};
use kn_mesh::source::{live, manifests};
use std::sync::Arc;
use std::time::Duration;

async fn fetch(sim: &RunningSim, context: &str) -> Snapshot {
    fetcher(sim, context)
        .await
        .fetch(&Scope::default())
        .await
        .unwrap()
}

fn denied(snapshot: &Snapshot) -> Vec<(String, Option<String>)> {
    snapshot
        .access
        .iter()
        .filter(|m| matches!(m.access, Access::Forbidden { .. }))
        .map(|m| {
            let namespace = m.request.namespace().map(str::to_string);
            (m.request.resource.plural.clone(), namespace)
        })
        .collect()
}

#[tokio::test]
async fn as_mesh_viewer_the_full_mesh_appears_and_nothing_is_forbidden() {
    let sim = demo_sim().await;
    let snapshot = fetch(&sim, "mesh-viewer").await;
    assert_eq!(denied(&snapshot), []);
    let live = mesh::build(snapshot);
    let offline = mesh::build(
        manifests::read_snapshot(&[demo_dir()], None)
            .unwrap()
            .snapshot,
    );
    assert_eq!(live.brokers.len(), offline.brokers.len());
    assert_eq!(live.triggers.len(), offline.triggers.len());
    assert_eq!(live.event_types.len(), offline.event_types.len());
    assert_eq!(live.sources.len(), offline.sources.len());
    assert_eq!(live.channels.len(), offline.channels.len());
    assert_eq!(live.subscriptions.len(), offline.subscriptions.len());
    // Subscribers were looked up: Backstage ids are known.
    let order = live
        .trigger(&kn_mesh::mesh::objects::ObjectKey::new(
            "payments",
            "order-created",
        ))
        .unwrap();
    assert!(
        matches!(&order.subscriber.resolution, kn_mesh::mesh::model::Resolution::Found { backstage_id: Some(id) } if id == "order-processor")
    );
}

#[tokio::test]
async fn eventmesh_from_the_sim_matches_eventmesh_from_the_same_manifests() {
    let sim = demo_sim().await;
    let live = eventmesh::project(&mesh::build(fetch(&sim, "mesh-viewer").await));
    let offline = eventmesh::project(&mesh::build(
        manifests::read_snapshot(&[demo_dir()], None)
            .unwrap()
            .snapshot,
    ));
    assert_eq!(
        serde_json::to_value(&live).unwrap(),
        serde_json::to_value(&offline).unwrap()
    );
}

#[tokio::test]
async fn as_payments_only_payments_is_complete_and_every_other_namespace_is_marked_forbidden() {
    let sim = demo_sim().await;
    let snapshot = fetch(&sim, "payments-only").await;
    let denied = denied(&snapshot);
    // The cluster-wide lists were forbidden, and that did not abort the run.
    for resource in ["brokers", "triggers", "eventtypes"] {
        assert!(
            denied.contains(&(resource.into(), None)),
            "{resource} at the cluster scope"
        );
        for namespace in ["ops", "shipping"] {
            assert!(
                denied.contains(&(resource.into(), Some(namespace.into()))),
                "{resource} in {namespace}"
            );
        }
        assert!(
            !denied.contains(&(resource.into(), Some("payments".into()))),
            "{resource} in payments"
        );
    }
    let forbidden = snapshot
        .access
        .iter()
        .find(|m| m.request.resource.plural == "triggers" && m.request.namespace() == Some("ops"))
        .unwrap();
    // Screened by the namespace's RBAC rules, one review per namespace: no list was made.
    assert_eq!(
        forbidden.access,
        Access::Forbidden {
            message: "no RBAC rule grants list on triggers.eventing.knative.dev in ops (SelfSubjectRulesReview)".into()
        }
    );
    let mesh = mesh::build(snapshot);
    assert_eq!(mesh.brokers.len(), 1);
    assert_eq!(mesh.triggers.len(), 9);
    assert_eq!(mesh.event_types.len(), 5);
    assert!(
        mesh.triggers
            .iter()
            .all(|t| t.object.namespace() == "payments")
    );
}

#[tokio::test]
async fn a_legacy_token_with_the_docs_role_reads_brokers_but_not_subscriptions() {
    let sim = demo_sim().await;
    let snapshot = fetch(&sim, "docs-reader").await;
    let denied = denied(&snapshot);
    assert!(!denied.iter().any(|(r, _)| r == "triggers"));
    assert!(denied.contains(&("subscriptions".into(), None)));
    // CRDs may not be listed: the built-in kinds stand in, and that is marked.
    assert!(
        snapshot
            .access
            .iter()
            .any(|m| matches!(m.access, Access::Fallback { .. }))
    );
    assert_eq!(mesh::build(snapshot).triggers.len(), 11);
}

#[tokio::test]
async fn an_unknown_token_is_rejected_and_never_shown() {
    let sim = demo_sim().await;
    let token = "unknown-token-do-not-print-7f3a9c";
    let client =
        kube::Client::try_from(sim.client_config_with_token(token).await.unwrap()).unwrap();
    let endpoint = Endpoint {
        server: sim.url.clone(),
        context: None,
        token: Some(kn_mesh::source::connect::redact(token)),
        acting_as: None,
    };
    let error = Fetcher::new(client, endpoint)
        .fetch(&Scope::default())
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::TokenRejected { .. }));
    let message = error.to_string();
    assert!(message.starts_with("token rejected:"), "{message}");
    assert!(!message.contains(token), "{message}");

    // The same through the binary: the documented exit code, and the token nowhere.
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&token_file, token).unwrap();
    std::fs::write(&ca_file, &sim.ca_pem).unwrap();
    let url = sim.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
            .args(["--server", &url, "-o", "json"])
            .arg("--token-file")
            .arg(&token_file)
            .arg("--certificate-authority")
            .arg(&ca_file)
            .env_remove("KUBECONFIG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        output.status.code(),
        Some(i32::from(kn_mesh::exit::TOKEN_REJECTED))
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("token rejected"), "{stderr}");
    assert!(!stderr.contains(token) && !String::from_utf8_lossy(&output.stdout).contains(token));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_mesh_over_a_slow_link_takes_a_bounded_number_of_requests() {
    let size = Size {
        namespaces: 20,
        brokers: 40,
        triggers: 2000,
        event_types: 200,
    };
    let mut config = kn_mesh::sim::SimConfig {
        objects: synthetic::objects(size),
        ..Default::default()
    };
    config.knobs.latency = Duration::from_millis(20);
    let sim = RunningSim::start(config).await.unwrap();
    let admin = kube::Client::try_from(sim.client_config("admin").await.unwrap()).unwrap();
    admin
        .request_text(
            axum::http::Request::delete("/debug/requests")
                .body(vec![])
                .unwrap(),
        )
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let snapshot = fetch(&sim, "admin").await;
    let elapsed = started.elapsed();
    assert_eq!(snapshot.triggers.len(), 2000);
    // Exactly the objects the triggers point at were looked up.
    let referenced: std::collections::BTreeSet<(String, String)> = snapshot
        .triggers
        .iter()
        .map(|t| {
            (
                t.namespace().to_string(),
                t.spec.subscriber.reference.as_ref().unwrap().name.clone(),
            )
        })
        .collect();
    assert_eq!(snapshot.subscribers.len(), referenced.len());
    let log: serde_json::Value = serde_json::from_str(
        &admin
            .request_text(
                axum::http::Request::get("/debug/requests")
                    .body(vec![])
                    .unwrap(),
            )
            .await
            .unwrap(),
    )
    .unwrap();
    let requests = log["total"].as_u64().unwrap();
    // Fixed kinds (with pages), CRDs, event types, the built-in channel and source kinds, and
    // one services list per namespace: about forty, however many triggers there are.
    // The count is the claim; the time is for the benchmarks (one request per trigger at
    // 20 ms each would take 40 s).
    assert!(requests <= 60, "{requests} requests in {elapsed:?}");
    eprintln!("2,000 triggers over 20 ms latency: {requests} requests in {elapsed:?}");
}

#[tokio::test]
async fn a_trigger_created_during_a_session_shows_up_in_the_next_update() {
    let sim = demo_sim().await;
    let fetcher = Arc::new(fetcher(&sim, "mesh-viewer").await);
    let mut live = live::start(fetcher, Scope::default(), Duration::from_secs(300));
    let first = next_update(&mut live).await;
    assert_eq!(first.snapshot.triggers.len(), 11);
    assert!(matches!(first.freshness, live::Freshness::Live));
    let admin = kube::Client::try_from(sim.client_config("admin").await.unwrap()).unwrap();
    let trigger = serde_json::json!({
        "apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
        "metadata": {"name": "late-arrival", "namespace": "ops"},
        "spec": {"broker": "alerts", "subscriber": {"uri": "http://late.example.com"}}
    });
    let created = std::time::Instant::now();
    let request =
        axum::http::Request::post("/apis/eventing.knative.dev/v1/namespaces/ops/triggers")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&trigger).unwrap())
            .unwrap();
    admin.request_text(request).await.unwrap();
    let update = next_update(&mut live).await;
    assert!(
        update
            .snapshot
            .triggers
            .iter()
            .any(|t| t.name() == "late-arrival")
    );
    assert!(
        created.elapsed() < Duration::from_secs(1),
        "took {:?}",
        created.elapsed()
    );
}

async fn next_update(live: &mut live::Live) -> live::Update {
    loop {
        tokio::time::timeout(Duration::from_secs(10), live.events.changed())
            .await
            .expect("an update in time")
            .unwrap();
        let event = live.events.borrow_and_update().clone();
        match event {
            Some(live::Event::Updated(update)) => return update,
            Some(live::Event::Failed(message)) => panic!("fetch failed: {message}"),
            None => continue,
        }
    }
}

#[tokio::test]
async fn namespaces_given_with_n_limit_the_lists() {
    let sim = demo_sim().await;
    let scope = Scope {
        namespaces: Some(vec!["ops".into()]),
        default_namespace: None,
        label_selector: None,
        eventmesh_only: false,
    };
    let snapshot = fetcher(&sim, "mesh-viewer")
        .await
        .fetch(&scope)
        .await
        .unwrap();
    assert!(snapshot.triggers.iter().all(|t| t.namespace() == "ops"));
    assert_eq!(snapshot.triggers.len(), 2);
    let _ = start_sim;
}

/// The admin's view of the request log: (method, path, code) of each request since the last
/// clear.
async fn requests(sim: &RunningSim) -> Vec<(String, String, u64)> {
    let admin = common::client(sim, "admin").await;
    let log: serde_json::Value = serde_json::from_str(
        &admin
            .request_text(
                axum::http::Request::get("/debug/requests")
                    .body(vec![])
                    .unwrap(),
            )
            .await
            .unwrap(),
    )
    .unwrap();
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_string(),
                r["path"].as_str().unwrap().to_string(),
                r["code"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_failing_list_is_retried_then_marked_failed() {
    let sim = demo_sim().await;
    sim.set_knobs(kn_mesh::sim::server::Knobs {
        fail_rate: 1.0,
        fail_path: Some("/apis/eventing.knative.dev/v1/triggers".into()),
        ..Default::default()
    });
    let snapshot = fetch(&sim, "admin").await;
    let failed: Vec<_> = snapshot
        .access
        .iter()
        .filter(|m| matches!(&m.access, Access::Failed { message } if message.starts_with("after 4 tries")))
        .map(|m| m.request.to_string())
        .collect();
    assert_eq!(
        failed,
        ["list triggers.eventing.knative.dev at the cluster scope"]
    );
    let tries = requests(&sim)
        .await
        .into_iter()
        .filter(|(_, path, code)| path == "/apis/eventing.knative.dev/v1/triggers" && *code >= 500)
        .count();
    // One try and three retries of ours; kube-rs may retry a 503 on its own as well.
    assert!(tries >= 4, "{tries} tries");
    assert!(!snapshot.brokers.is_empty(), "the other lists are kept");
}

#[tokio::test]
async fn event_types_fall_back_to_the_version_the_server_serves() {
    let mut objects = manifests::read_objects(&[demo_dir()]).unwrap().0;
    // An EventType CRD that serves v1beta3 only, as a release that dropped v1beta2 would.
    objects.push(serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "eventtypes.eventing.knative.dev",
            "labels": {"eventing.knative.dev/release": "devel"}},
        "spec": {"group": "eventing.knative.dev", "scope": "Namespaced",
            "names": {"kind": "EventType", "plural": "eventtypes", "singular": "eventtype"},
            "versions": [{"name": "v1beta3", "served": true, "storage": true}]}
    }));
    let sim = start_sim(objects).await;
    let snapshot = fetch(&sim, "admin").await;
    assert!(!snapshot.event_types.is_empty(), "read at v1beta3");
    let asked: Vec<(String, u64)> = requests(&sim)
        .await
        .into_iter()
        .filter(|(_, path, _)| path.ends_with("/eventtypes"))
        .map(|(_, path, code)| (path, code))
        .collect();
    assert_eq!(
        asked,
        [
            (
                "/apis/eventing.knative.dev/v1beta2/eventtypes".to_string(),
                404
            ),
            (
                "/apis/eventing.knative.dev/v1beta3/eventtypes".to_string(),
                200
            )
        ]
    );
    assert!(
        !snapshot
            .access
            .iter()
            .any(|m| m.request.resource.plural == "eventtypes" && m.access == Access::NotFound),
        "the version that was not served leaves no marker"
    );
}

#[tokio::test]
async fn where_watching_is_forbidden_the_mesh_is_polled_and_says_so() {
    let mut objects = manifests::read_objects(&[demo_dir()]).unwrap().0;
    let rbac: Vec<serde_json::Value> = serde_saphyr::from_multiple(
        r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: lister, namespace: backstage}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: list-only}
rules:
  - apiGroups: ["eventing.knative.dev", "messaging.knative.dev", "sources.knative.dev", "apiextensions.k8s.io", ""]
    resources: ["*"]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: lister}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: list-only}
subjects: [{kind: ServiceAccount, name: lister, namespace: backstage}]
"#,
    )
    .unwrap();
    objects.extend(rbac);
    let sim = start_sim(objects).await;
    let live = live::start(
        Arc::new(fetcher(&sim, "lister").await),
        Scope::default(),
        Duration::from_secs(1),
    );
    let mut events = live.events.clone();
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                events.changed().await.unwrap();
                if let Some(live::Event::Updated(update)) = events.borrow_and_update().clone() {
                    break update;
                }
            }
        })
        .await
        .unwrap()
    };
    // The first fetch starts the watches; the forbidden ones switch the source to polling.
    let first = next().await;
    let before = first.snapshot.triggers.len();
    let polled = 'polled: {
        for _ in 0..10 {
            let update = next().await;
            if let live::Freshness::Polled { reason, every } = &update.freshness {
                assert_eq!(*every, Duration::from_secs(1));
                assert!(
                    reason.contains("watching") && reason.contains("forbidden"),
                    "{reason}"
                );
                break 'polled update;
            }
        }
        panic!("ten updates and none said it was polled");
    };
    assert_eq!(polled.snapshot.triggers.len(), before);
    // A change arrives with a poll, not a watch.
    use kube::api::{Api, DynamicObject, PostParams};
    use kube::core::{ApiResource, GroupVersionKind};
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(
        "eventing.knative.dev",
        "v1",
        "Trigger",
    ));
    let api: Api<DynamicObject> =
        Api::namespaced_with(common::client(&sim, "admin").await, "payments", &resource);
    let trigger: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
        "metadata": {"name": "polled", "namespace": "payments"},
        "spec": {"broker": "default", "subscriber": {"uri": "http://x"}}
    }))
    .unwrap();
    api.create(&PostParams::default(), &trigger).await.unwrap();
    for _ in 0..10 {
        let update = next().await;
        if update.snapshot.triggers.len() == before + 1 {
            assert!(matches!(update.freshness, live::Freshness::Polled { .. }));
            return;
        }
    }
    panic!("ten polls and the new trigger never appeared");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscribers_new_label_shows_from_its_watch_without_a_fetch() {
    use kn_mesh::mesh::model::Resolution;
    let sim = demo_sim().await;
    let fetcher = Arc::new(fetcher(&sim, "mesh-viewer").await);
    let mut live = live::start(fetcher, Scope::default(), Duration::from_secs(300));
    next_update(&mut live).await;
    // The watches list first; once they are in, a fetch would list brokers again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let broker_lists = || async {
        let admin = common::client(&sim, "admin").await;
        let request = axum::http::Request::get("/debug/requests")
            .body(vec![])
            .unwrap();
        let log: serde_json::Value =
            serde_json::from_str(&admin.request_text(request).await.unwrap()).unwrap();
        let requests = log["requests"].as_array().unwrap().clone();
        requests
            .iter()
            .filter(|r| r["path"] == "/apis/eventing.knative.dev/v1/brokers")
            .count()
    };
    let before = broker_lists().await;
    let services: kube::Api<k8s_openapi::api::core::v1::Service> =
        kube::Api::namespaced(common::client(&sim, "admin").await, "payments");
    let patch =
        serde_json::json!({"metadata": {"labels": {"backstage.io/kubernetes-id": "audit-log-2"}}});
    services
        .patch(
            "audit-log",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(patch),
        )
        .await
        .unwrap();
    let update = next_update(&mut live).await;
    let mesh = mesh::build((*update.snapshot).clone());
    let trigger = mesh
        .trigger(&kn_mesh::mesh::objects::ObjectKey::new(
            "payments",
            "audit-all",
        ))
        .unwrap();
    assert_eq!(
        trigger.subscriber.resolution,
        Resolution::Found {
            backstage_id: Some("audit-log-2".into())
        }
    );
    assert_eq!(broker_lists().await, before, "no full fetch");
    // A Service no trigger points at is not the mesh's: its watch event leaves the mesh as is.
    let unrelated: k8s_openapi::api::core::v1::Service =
        serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "unrelated", "namespace": "payments"}
        }))
        .unwrap();
    services
        .create(&kube::api::PostParams::default(), &unrelated)
        .await
        .unwrap();
    let update = next_update(&mut live).await;
    assert!(
        update
            .snapshot
            .subscribers
            .iter()
            .all(|s| s.metadata.name != "unrelated")
    );
}

/// The Events regarding an object, through kube-rs against the sim as against a cluster: the
/// field selector picks that object's, and a token that may not list Events gets a denial.
#[tokio::test(flavor = "multi_thread")]
async fn the_events_about_an_object_are_read_and_denials_are_denials() {
    use kn_mesh::source::fetch::Events;
    let mut objects = kn_mesh::source::manifests::read_objects(&[demo_dir()])
        .unwrap()
        .0;
    for (name, regarding, reason) in [
        ("e1", "order-created", "SubscriberResolved"),
        ("e2", "fraud-check", "SubscriberNotReady"),
    ] {
        objects.push(serde_json::json!({
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": name, "namespace": "payments"},
            "regarding": {"apiVersion": "eventing.knative.dev/v1", "kind": "Trigger", "namespace": "payments", "name": regarding},
            "reason": reason, "note": "because", "type": "Normal", "reportingController": "trigger-controller",
            "eventTime": "2026-01-01T11:00:00.000000Z", "action": "Reconcile"
        }));
    }
    let sim = crate::common::start_sim(objects).await;
    let admin = fetcher(&sim, "admin").await;
    let Events::Listed(events) = admin
        .events_about("Trigger", "payments", "order-created")
        .await
    else {
        panic!("admin may list events")
    };
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].reason, "SubscriberResolved");
    assert_eq!(events[0].from, "trigger-controller");
    let reader = fetcher(&sim, "payments-only").await;
    assert!(
        matches!(
            reader
                .events_about("Trigger", "payments", "order-created")
                .await,
            Events::Forbidden(_)
        ),
        "payments-only may not list events"
    );
}
