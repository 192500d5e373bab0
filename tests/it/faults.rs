//! The trust contract under faults (DESIGN.md §1): lists that fail, a server that dies
//! mid-fetch, an object that cannot be decoded, access reviews that fail. For every face the
//! answer is either the complete one, or says what is missing (markers) and is not presented as
//! complete (a non-zero exit, a 5xx). Never a different answer presented as whole.

use crate::common;
use common::demo_sim;
use common::fetcher;
use kn_mesh::access;
use kn_mesh::mesh::snapshot::Access;
use kn_mesh::sim::RunningSim;
use kn_mesh::sim::server::Knobs;
use kn_mesh::source::fetch::{FetchError, Scope};
use kn_mesh::source::live;
use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const FORMATS: [&str; 6] = ["tree", "json", "yaml", "eventmesh", "dot", "mermaid"];

fn failing(rate: f64, path: Option<&str>) -> Knobs {
    Knobs {
        fail_rate: rate,
        fail_path: path.map(str::to_string),
        ..Default::default()
    }
}

/// The sim's kubeconfig in a file, for the binary.
fn kubeconfig(sim: &RunningSim) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(sim.kubeconfig().as_bytes()).unwrap();
    file
}

/// Runs the binary off the test's runtime (the sim answers on it meanwhile).
async fn kn_mesh(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
            .args(&args)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

async fn print(config: &tempfile::NamedTempFile, context: &str, format: &str) -> Output {
    kn_mesh(vec![
        "--kubeconfig".into(),
        config.path().display().to_string(),
        "--context".into(),
        context.into(),
        "-o".into(),
        format.into(),
    ])
    .await
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a face printed that says data failed.
fn marks_a_failure(format: &str, stdout: &str) -> bool {
    match format {
        "tree" => stdout.contains("⚠ "),
        "json" => stdout.contains("\"outcome\": \"failed\"") || stdout.contains("\"undecodable\""),
        "yaml" => stdout.contains("outcome: failed") || stdout.contains("outcome: undecodable"),
        "dot" | "mermaid" => stdout.contains(": failed") || stdout.contains(": cannot decode"),
        _ => false,
    }
}

/// The printed mesh without its `access` markers, for the formats that print them as data.
fn without_access(format: &str, text: &str) -> String {
    let mut value: serde_json::Value = match format {
        "json" => serde_json::from_str(text).unwrap(),
        "yaml" => serde_saphyr::from_str(text).unwrap(),
        _ => return text.to_string(),
    };
    if let Some(object) = value.as_object_mut() {
        object.remove("access");
    }
    serde_json::to_string_pretty(&value).unwrap()
}

/// Checks one run against the calm answer: the same, or marked and exit 4.
fn check_run(format: &str, calm: &str, run: &Output) {
    let stdout = text(&run.stdout);
    let stderr = text(&run.stderr);
    match run.status.code() {
        Some(0) => {
            // How a list was read (a fallback to lookups one by one) is not data: the mesh
            // must be the calm one, and nothing may have failed.
            let (got, want) = (
                without_access(format, &stdout),
                without_access(format, calm),
            );
            assert!(
                !marks_a_failure(format, &stdout),
                "{format}: exit 0 with a failure"
            );
            assert_eq!(got, want, "{format}: exit 0 must mean the whole answer");
        }
        Some(4) if format == "eventmesh" => {
            assert!(stdout.is_empty(), "eventmesh printed a partial mesh");
            assert!(stderr.contains("failed"), "{stderr}");
        }
        Some(4) => {
            assert!(
                marks_a_failure(format, &stdout),
                "{format}: no marker\n{stdout}"
            );
            assert!(stderr.contains("incomplete"), "{stderr}");
        }
        other => panic!("{format}: exit {other:?}\n{stderr}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_output_is_whole_or_marked_with_exit_4_when_lists_fail() {
    let sim = demo_sim().await;
    let config = kubeconfig(&sim);
    let mut calm = Vec::new();
    for format in FORMATS {
        let output = print(&config, "mesh-viewer", format).await;
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        calm.push(text(&output.stdout));
    }
    // Every Knative list fails: the whole mesh of brokers, triggers and event types is missing.
    sim.set_knobs(failing(1.0, Some("/apis/eventing.knative.dev/")));
    for (format, calm) in FORMATS.iter().zip(&calm) {
        let run = print(&config, "mesh-viewer", format).await;
        assert_eq!(
            run.status.code(),
            Some(4),
            "{format}: {}",
            text(&run.stderr)
        );
        check_run(format, calm, &run);
    }
    // Random 5xx anywhere, many of them retried away: whole, or marked.
    sim.set_knobs(failing(0.5, None));
    for (format, calm) in FORMATS.iter().zip(&calm) {
        check_run(format, calm, &print(&config, "mesh-viewer", format).await);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn partial_eventmesh_is_printed_only_when_asked_and_lists_what_is_missing() {
    let sim = demo_sim().await;
    let config = kubeconfig(&sim);
    let path = config.path().display().to_string();
    let args = |partial: bool| {
        let mut args: Vec<String> = [
            "--kubeconfig",
            &path,
            "--context",
            "payments-only",
            "-o",
            "eventmesh",
        ]
        .map(String::from)
        .to_vec();
        if partial {
            args.push("--partial".into());
        }
        args
    };
    let refused = kn_mesh(args(false)).await;
    assert_eq!(refused.status.code(), Some(4));
    assert!(refused.stdout.is_empty());
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("not whole") && stderr.contains("list brokers.eventing.knative.dev"),
        "{stderr}"
    );
    let partial = kn_mesh(args(true)).await;
    assert_eq!(partial.status.code(), Some(0), "{}", text(&partial.stderr));
    let body: serde_json::Value = serde_json::from_slice(&partial.stdout).unwrap();
    assert!(!body["denied"].as_array().unwrap().is_empty());
    assert_eq!(body["failed"], serde_json::json!([]));
}

/// Sends one HTTP/1.1 GET and returns the status line and the body.
fn raw_get(address: &str, path: &str, token: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

async fn start_serve(sim: &RunningSim, partial: bool) -> String {
    start_serve_with(sim, partial, Duration::from_secs(60)).await
}

async fn start_serve_with(sim: &RunningSim, partial: bool, request_timeout: Duration) -> String {
    let mut base = sim.client_config("admin").await.unwrap();
    base.auth_info = Default::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    // No cache: the faults change between requests.
    let state = kn_mesh::serve::ServeState::new(base, partial, request_timeout, Duration::ZERO);
    tokio::spawn(kn_mesh::serve::serve_on(
        listener,
        state,
        std::future::pending(),
    ));
    address
}

async fn get(address: &str, token: &str) -> (String, String) {
    let (address, token) = (address.to_string(), token.to_string());
    tokio::task::spawn_blocking(move || raw_get(&address, "/v1/getEventMesh", &token))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_200_only_when_whole_and_names_the_cause_otherwise() {
    let sim = demo_sim().await;
    let address = start_serve(&sim, false).await;
    let token = sim.token("mesh-viewer").unwrap().to_string();
    let (status, calm) = get(&address, &token).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");

    sim.set_knobs(failing(1.0, Some("/apis/eventing.knative.dev/v1/triggers")));
    let (status, body) = get(&address, &token).await;
    assert!(
        status.starts_with("HTTP/1.1 502 Bad Gateway: failed: list triggers"),
        "{status}"
    );
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        body["failed"][0].as_str().unwrap().contains("triggers"),
        "{body}"
    );
    assert!(
        body["error"].as_str().unwrap().starts_with("failed: "),
        "{body}"
    );

    sim.set_knobs(failing(0.5, None));
    for _ in 0..3 {
        let (status, body) = get(&address, &token).await;
        if status.starts_with("HTTP/1.1 200") {
            assert_eq!(body, calm, "a 200 must be the whole mesh");
        } else {
            assert!(status.starts_with("HTTP/1.1 5"), "{status}");
            let body: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(!body["failed"].as_array().unwrap().is_empty(), "{body}");
        }
    }

    // --partial: 200 with what is missing beside the mesh.
    sim.set_knobs(failing(1.0, Some("/apis/eventing.knative.dev/v1/triggers")));
    let partial = start_serve(&sim, true).await;
    let (status, body) = get(&partial, &token).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["failed"].as_array().unwrap().len(), 1, "{body}");
    assert!(!body["brokers"].as_array().unwrap().is_empty());
}

async fn auth_exit(sim: &RunningSim, context: &str) -> (u8, access::AccessReport) {
    let fetcher = fetcher(sim, context).await;
    let report = access::check(&fetcher, &Scope::default(), sim.token(context))
        .await
        .unwrap();
    (kn_mesh::exit::for_verdict(report.verdict()), report)
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_never_takes_a_failed_review_for_a_denial() {
    let sim = demo_sim().await;
    let calm: Vec<u8> = {
        let mut codes = Vec::new();
        for context in ["mesh-viewer", "payments-only", "docs-reader"] {
            codes.push(auth_exit(&sim, context).await.0);
        }
        codes
    };
    assert_eq!(calm, [0, 1, 3]);

    // Every access review fails: every cell at the cluster scope is unknown, the verdict too
    // (exit 4). Cells in a namespace are still known from its rules review.
    sim.set_knobs(failing(
        1.0,
        Some("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"),
    ));
    let (code, report) = auth_exit(&sim, "mesh-viewer").await;
    assert_eq!(code, 4);
    let cluster_rows = report.matrix.iter().filter(|r| r.namespace.is_none());
    assert!(cluster_rows.clone().count() > 5);
    assert!(cluster_rows.clone().all(|r| r.list.is_none()));
    assert!(report.fit.iter().all(|f| f.missing.is_empty()));
    assert!(!report.unknown.is_empty());
    assert!(
        report.identity.is_some(),
        "SelfSubjectReview still answered"
    );
    let text = access::render::text(&report, false, 0);
    assert!(text.contains("unknown (exit 4)"), "{text}");

    // Random 5xx: a fit identity and an over-privileged one keep their calm verdicts, or say
    // they do not know; neither ever exits 1.
    sim.set_knobs(failing(0.3, None));
    for (context, calm) in [("mesh-viewer", calm[0]), ("docs-reader", calm[2])] {
        let (code, report) = auth_exit(&sim, context).await;
        assert!(code == calm || code == 4, "{context}: exit {code}");
        assert_eq!(code == 4, !report.unknown.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_dies_mid_fetch_never_gives_a_whole_snapshot() {
    let sim = demo_sim().await;
    sim.set_knobs(Knobs {
        latency: Duration::from_millis(40),
        ..Default::default()
    });
    // Over HTTPS: the point is the connection going away.
    let fetcher = common::tls_fetcher(&sim, "mesh-viewer").await;
    let fetch = tokio::spawn(async move { fetcher.fetch(&Scope::default()).await });
    tokio::time::sleep(Duration::from_millis(60)).await;
    sim.stop().await;
    match fetch.await.unwrap() {
        Err(FetchError::Unreachable { .. }) => {}
        Err(other) => panic!("{other}"),
        Ok(snapshot) => {
            let completeness = snapshot.completeness();
            assert!(
                !completeness.is_whole(),
                "a cut-off fetch presented as whole"
            );
            assert!(!completeness.failed.is_empty());
        }
    }
}

/// A Broker with `spec.delivery.retry: "3"`: the sim (like an API server with the CRD's schema
/// validation off, or `kubectl apply --validate=false` on an older release) stores it.
async fn apply_undecodable_broker(sim: &RunningSim) {
    use kube::api::{Api, DynamicObject, PostParams};
    use kube::core::{ApiResource, GroupVersionKind};
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(
        "eventing.knative.dev",
        "v1",
        "Broker",
    ));
    let api: Api<DynamicObject> =
        Api::namespaced_with(common::client(sim, "admin").await, "payments", &resource);
    let broker: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "eventing.knative.dev/v1", "kind": "Broker",
        "metadata": {"name": "bad", "namespace": "payments"},
        "spec": {"delivery": {"retry": "3"}}
    }))
    .unwrap();
    api.create(&PostParams::default(), &broker).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn one_undecodable_object_costs_only_itself_on_every_face() {
    let sim = demo_sim().await;
    let before = fetcher(&sim, "mesh-viewer")
        .await
        .fetch(&Scope::default())
        .await
        .unwrap();
    apply_undecodable_broker(&sim).await;

    // The snapshot: everything else, and the object marked in place.
    let snapshot = fetcher(&sim, "mesh-viewer")
        .await
        .fetch(&Scope::default())
        .await
        .unwrap();
    assert_eq!(snapshot.brokers.len(), before.brokers.len());
    assert_eq!(snapshot.triggers.len(), before.triggers.len());
    let marker = snapshot
        .access
        .iter()
        .find(|m| matches!(m.access, Access::Undecodable { .. }))
        .expect("a marker for the bad broker");
    assert_eq!(marker.request.object_name(), "payments/bad");
    assert!(
        matches!(&marker.access, Access::Undecodable { field, .. } if field == "spec.delivery.retry")
    );

    // The CLI: printed with the marker, exit 4; eventmesh fails closed.
    let config = kubeconfig(&sim);
    let tree = print(&config, "mesh-viewer", "tree").await;
    assert_eq!(tree.status.code(), Some(4));
    let stdout = text(&tree.stdout);
    assert!(
        stdout.contains("⚠ Broker bad: cannot decode field spec.delivery.retry"),
        "{stdout}"
    );
    assert!(stdout.contains("broker default"), "the rest is shown");
    let eventmesh = print(&config, "mesh-viewer", "eventmesh").await;
    assert_eq!(eventmesh.status.code(), Some(4));
    assert!(eventmesh.stdout.is_empty());

    // serve: a 502 naming the object.
    let address = start_serve(&sim, false).await;
    let (status, body) = get(&address, sim.token("mesh-viewer").unwrap()).await;
    assert!(status.starts_with("HTTP/1.1 502"), "{status}");
    assert!(body.contains("payments/bad"), "{body}");

    // The live path: the first update carries the marker too.
    let live = live::start(
        std::sync::Arc::new(fetcher(&sim, "mesh-viewer").await),
        Scope::default(),
        Duration::from_secs(30),
    );
    let mut events = live.events.clone();
    let update = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            events.changed().await.unwrap();
            if let Some(live::Event::Updated(update)) = events.borrow_and_update().clone() {
                break update;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(update.snapshot.completeness().failed.len(), 1);
    assert_eq!(update.snapshot.brokers.len(), before.brokers.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_connection_shows_within_five_seconds() {
    let sim = demo_sim().await;
    let live = live::start(
        std::sync::Arc::new(common::tls_fetcher(&sim, "mesh-viewer").await),
        Scope::default(),
        Duration::from_secs(30),
    );
    let mut events = live.events.clone();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            events.changed().await.unwrap();
            if matches!(*events.borrow_and_update(), Some(live::Event::Updated(_))) {
                break;
            }
        }
    })
    .await
    .unwrap();
    // Let the watches start, then take the server away.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.stop().await;
    let failed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            events.changed().await.unwrap();
            if let Some(live::Event::Failed(message)) = events.borrow_and_update().clone() {
                break message;
            }
        }
    })
    .await
    .expect("the lost connection is told within 5 s");
    assert!(failed.contains("connection lost"), "{failed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_504_when_the_api_server_is_too_slow() {
    let sim = demo_sim().await;
    sim.set_knobs(Knobs {
        latency: Duration::from_millis(300),
        ..Default::default()
    });
    let address = start_serve_with(&sim, false, Duration::from_millis(200)).await;
    let (status, body) = get(&address, sim.token("mesh-viewer").unwrap()).await;
    assert!(status.starts_with("HTTP/1.1 504"), "{status}");
    assert!(body.contains("did not answer within"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_rules_reviews_fall_back_to_the_lists_and_the_access_reviews() {
    let sim = demo_sim().await;
    let denied = |snapshot: &kn_mesh::mesh::Snapshot| -> Vec<String> {
        let mut denied: Vec<String> = snapshot
            .access
            .iter()
            .filter(|m| m.access.is_denied())
            .map(|m| m.request.to_string())
            .collect();
        denied.sort();
        denied
    };
    let calm = fetcher(&sim, "payments-only")
        .await
        .fetch(&Scope::default())
        .await
        .unwrap();
    let (calm_code, calm_report) = auth_exit(&sim, "payments-only").await;
    sim.set_knobs(failing(
        1.0,
        Some("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"),
    ));
    let screened = fetcher(&sim, "payments-only")
        .await
        .fetch(&Scope::default())
        .await
        .unwrap();
    assert_eq!(screened.triggers.len(), calm.triggers.len());
    assert_eq!(denied(&screened), denied(&calm), "each list asked instead");
    let (code, report) = auth_exit(&sim, "payments-only").await;
    assert_eq!(code, calm_code);
    assert_eq!(report.matrix, calm_report.matrix);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttling_server_gets_a_complete_mesh_equal_to_the_calm_one() {
    let sim = demo_sim().await;
    let calm = fetcher(&sim, "mesh-viewer")
        .await
        .fetch(&Scope::default())
        .await
        .unwrap();
    // Four requests in flight at most, each slow enough that sixteen would pile up.
    sim.set_knobs(Knobs {
        latency: std::time::Duration::from_millis(30),
        max_inflight: Some(4),
        ..Knobs::default()
    });
    let mut throttled = fetcher(&sim, "mesh-viewer")
        .await
        .fetch(&Scope::default())
        .await
        .unwrap();
    let note = throttled.notes.pop().expect("a note on the throttling");
    assert!(
        note.contains("throttled") && note.contains("priority level UID sim-prioritylevel"),
        "{note}"
    );
    assert!(throttled.completeness().is_whole());
    assert_eq!(
        serde_json::to_value(kn_mesh::mesh::build(throttled)).unwrap(),
        serde_json::to_value(kn_mesh::mesh::build(calm)).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_against_a_throttling_server_gives_the_calm_report() {
    let sim = demo_sim().await;
    let (calm_code, calm) = auth_exit(&sim, "docs-reader").await;
    sim.set_knobs(Knobs {
        latency: std::time::Duration::from_millis(30),
        max_inflight: Some(4),
        ..Knobs::default()
    });
    let (code, throttled) = auth_exit(&sim, "docs-reader").await;
    assert_eq!(code, calm_code);
    assert_eq!(throttled.matrix, calm.matrix);
    assert_eq!(throttled.findings, calm.findings);
    assert!(throttled.unknown.is_empty(), "{:?}", throttled.unknown);
}
