//! Multi-tenant scale (issue 12): a cluster of 300 namespaces with 50 ms per request, read by a
//! token bound to one namespace and by one that reads at the cluster scope. Request counts are
//! exact and do not depend on the machine; the times are in `benches/scale.rs`.

use crate::common;
use kn_mesh::sim::{RunningSim, SimConfig, synthetic};
use kn_mesh::source::fetch::Scope;
use std::time::Duration;

async fn tenant_cluster() -> RunningSim {
    let mut config = SimConfig {
        objects: synthetic::tenants(300),
        ..Default::default()
    };
    config.knobs.latency = Duration::from_millis(50);
    RunningSim::start(config).await.unwrap()
}

/// The API requests the sim has served so far (its log does not count reading the log).
async fn served(sim: &RunningSim) -> u64 {
    let admin = common::tls_client(sim, "admin").await;
    let request = axum::http::Request::get("/debug/requests")
        .body(vec![])
        .unwrap();
    let log: serde_json::Value =
        serde_json::from_str(&admin.request_text(request).await.unwrap()).unwrap();
    log["total"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_namespace_scoped_token_reads_its_mesh_in_few_requests() {
    let sim = tenant_cluster().await;
    let before = served(&sim).await;
    let snapshot = common::fetcher(&sim, "tenant")
        .await
        .fetch(&Scope::default())
        .await
        .unwrap();
    let requests = served(&sim).await - before;
    assert_eq!(snapshot.triggers.len(), 5, "the tenant's own triggers");
    eprintln!("namespace-scoped token: {requests} requests");
    assert!(requests <= 400, "{requests} requests");
    // The same markers as a list per namespace would give: every other namespace's mesh kinds
    // are forbidden there, each said in place.
    let mesh = kn_mesh::mesh::build(snapshot);
    let denied_triggers: std::collections::BTreeSet<&str> = mesh
        .access
        .iter()
        .filter(|m| m.access.is_denied() && m.request.resource.plural == "triggers")
        .filter_map(|m| m.request.namespace())
        .collect();
    // Every namespace but its own: the 299 other teams and the sim's own four.
    assert_eq!(denied_triggers.len(), mesh.namespaces.len() - 1);
    assert_eq!(denied_triggers.len(), 303);
    assert!(!denied_triggers.contains("team-000"));
    assert_all_subscribers_found(&mesh);
    // On screen: the cluster scope's denials, one row for the locked namespaces, its own.
    let roots = kn_mesh::mesh::views::tree(&mesh, kn_mesh::mesh::views::View::Brokers);
    let texts: Vec<&str> = roots.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts.contains(&"303 namespaces: nothing readable"),
        "{texts:?}"
    );
    assert!(texts.contains(&"team-000"), "{texts:?}");
    assert_eq!(mesh.denied_scopes(), (303, true));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_wide_token_reads_the_mesh_in_few_requests() {
    let sim = tenant_cluster().await;
    let before = served(&sim).await;
    let snapshot = common::fetcher(&sim, "reader")
        .await
        .fetch(&Scope::default())
        .await
        .unwrap();
    let requests = served(&sim).await - before;
    assert_eq!(snapshot.triggers.len(), 1500);
    eprintln!("cluster-wide token: {requests} requests");
    assert!(requests <= 60, "{requests} requests");
    assert_eq!(
        snapshot.subscribers.len(),
        900,
        "3 Services in each of 300 namespaces"
    );
    assert_all_subscribers_found(&kn_mesh::mesh::build(snapshot));
}

/// Every trigger's Service was found, with its Backstage id from its labels.
fn assert_all_subscribers_found(mesh: &kn_mesh::mesh::Mesh) {
    use kn_mesh::mesh::model::Resolution;
    for trigger in &mesh.triggers {
        let resolution = &trigger.subscriber.resolution;
        assert!(
            matches!(resolution, Resolution::Found { backstage_id: Some(id) } if id.starts_with("svc-")),
            "{}: {resolution:?}",
            trigger.object.key()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_for_a_namespace_scoped_token_asks_per_namespace_not_per_cell() {
    let sim = tenant_cluster().await;
    let before = served(&sim).await;
    let fetcher = common::fetcher(&sim, "tenant").await;
    let report = kn_mesh::access::check(&fetcher, &Scope::default(), sim.token("tenant"))
        .await
        .unwrap();
    let requests = served(&sim).await - before;
    eprintln!("auth, namespace-scoped token: {requests} requests");
    assert!(requests <= 700, "{requests} requests");
    // It reads its own namespace and lacks the cluster scope: exit 1, as with one review per cell.
    assert_eq!(kn_mesh::exit::for_verdict(report.verdict()), 1);
    let own = report
        .matrix
        .iter()
        .find(|row| {
            row.resource == "triggers.eventing.knative.dev"
                && row.namespace.as_deref() == Some("team-000")
        })
        .expect("a row for its own namespace");
    assert_eq!(
        (own.get, own.list, own.watch),
        (Some(true), Some(true), Some(true))
    );
}
