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

#[tokio::test(flavor = "multi_thread")]
async fn a_namespace_scoped_token_reads_its_mesh_in_few_requests() {
    let sim = tenant_cluster().await;
    let before = sim.requests_served();
    let snapshot = common::fetcher(&sim, "tenant")
        .await
        .fetch(&Scope::default())
        .await
        .unwrap();
    let requests = sim.requests_served() - before;
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
    let before = sim.requests_served();
    let snapshot = common::fetcher(&sim, "reader")
        .await
        .fetch(&Scope::default())
        .await
        .unwrap();
    let requests = sim.requests_served() - before;
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
    let before = sim.requests_served();
    let fetcher = common::fetcher(&sim, "tenant").await;
    let report = kn_mesh::access::check(&fetcher, &Scope::default(), sim.token("tenant"))
        .await
        .unwrap();
    let requests = sim.requests_served() - before;
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

async fn next_update(
    events: &mut tokio::sync::watch::Receiver<Option<kn_mesh::source::live::Event>>,
) -> kn_mesh::source::live::Update {
    loop {
        events.changed().await.unwrap();
        if let Some(kn_mesh::source::live::Event::Updated(update)) =
            events.borrow_and_update().clone()
        {
            return update;
        }
    }
}

/// API requests the sim has served so far, the test's own writes (PATCH) aside.
fn reads_served(sim: &RunningSim) -> usize {
    let writes = sim
        .latest_requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .count();
    usize::try_from(sim.requests_served()).unwrap() - writes
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_changes_to_ten_thousand_triggers_cost_at_most_ten_requests() {
    use kn_mesh::source::live;
    let sim = RunningSim::start(SimConfig {
        objects: synthetic::objects(synthetic::Size::LARGE),
        ..Default::default()
    })
    .await
    .unwrap();
    let fetcher = std::sync::Arc::new(common::fetcher(&sim, "admin").await);
    let following = live::start(fetcher, Scope::default(), Duration::from_secs(600));
    let mut events = following.events.clone();
    let first = tokio::time::timeout(Duration::from_secs(60), next_update(&mut events))
        .await
        .unwrap();
    assert_eq!(first.snapshot.triggers.len(), 10_000);
    // Let the watches start and list: then the sim goes quiet.
    let mut settled = reads_served(&sim);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = reads_served(&sim);
        if now == settled {
            break;
        }
        settled = now;
    }
    let admin = common::client(&sim, "admin").await;
    let resource = kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        "eventing.knative.dev",
        "v1",
        "Trigger",
    ));
    let triggers: kube::Api<kube::api::DynamicObject> =
        kube::Api::namespaced_with(admin, "ns-000", &resource);
    for change in 0..20 {
        let patch = serde_json::json!({"metadata": {"labels": {"change": change.to_string()}}});
        triggers
            .patch(
                "trigger-0",
                &kube::api::PatchParams::default(),
                &kube::api::Patch::Merge(patch),
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let last = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let update = next_update(&mut events).await;
            let trigger = update
                .snapshot
                .triggers
                .iter()
                .find(|t| t.name() == "trigger-0" && t.namespace() == "ns-000")
                .cloned();
            if trigger
                .and_then(|t| t.metadata.label("change").map(str::to_string))
                .as_deref()
                == Some("19")
            {
                return update;
            }
        }
    })
    .await
    .expect("the last change shows");
    assert_eq!(last.snapshot.triggers.len(), 10_000);
    let requests = reads_served(&sim) - settled;
    eprintln!("20 changes to 10,000 triggers: {requests} requests after the first fetch");
    assert!(requests <= 10, "{requests} requests");
    drop(following);
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_prints_a_new_document_on_each_change() {
    use std::io::{BufRead, BufReader};
    let sim = common::demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args([
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--context",
            "mesh-viewer",
        ])
        .args(["-o", "yaml", "-w"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (lines, seen) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let wait_for = |wanted: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while let Ok(line) = seen.recv_timeout(deadline - std::time::Instant::now()) {
            if line.contains(wanted) {
                return true;
            }
        }
        false
    };
    assert!(wait_for("audit-all"), "the first document");
    let resource = kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        "eventing.knative.dev",
        "v1",
        "Trigger",
    ));
    let triggers: kube::Api<kube::api::DynamicObject> =
        kube::Api::namespaced_with(common::client(&sim, "admin").await, "payments", &resource);
    let patch = serde_json::json!({"metadata": {"labels": {"watched": "yes-it-was"}}});
    triggers
        .patch(
            "audit-all",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(patch),
        )
        .await
        .unwrap();
    let changed = wait_for("yes-it-was");
    let _ = child.kill();
    let _ = child.wait();
    assert!(changed, "a second document with the change");
}
