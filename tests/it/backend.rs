//! Through the backend: the sim, `kn-mesh serve` in front of it, and `kn-mesh --backend`, all on
//! loopback; and every way a backend can fail, against stub servers.

use crate::common;
use common::{demo_dir, demo_sim};
use kn_mesh::mesh::{self, eventmesh};
use kn_mesh::serve::ServeState;
use std::process::{Command, Output};
use std::time::Duration;

/// Starts `kn-mesh serve` (in-process) for the sim, with no credentials of its own.
async fn serve(sim: &kn_mesh::sim::RunningSim, partial: bool) -> String {
    serve_in(sim, partial, None, eventmesh::Consumers::Backend).await
}

/// The same, answering for these namespaces only (`serve -n`), or for the cluster (None), with
/// `consumedBy` by this rule.
pub async fn serve_in(
    sim: &kn_mesh::sim::RunningSim,
    partial: bool,
    namespaces: Option<Vec<String>>,
    consumers: eventmesh::Consumers,
) -> String {
    let mut base = sim.client_config("admin").await.unwrap();
    base.auth_info = kube::config::AuthInfo::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // No cache: each test's requests see the sim as it is now.
    let mut state = ServeState::new(base, partial, Duration::from_secs(30), Duration::ZERO);
    state.scope.namespaces = namespaces;
    state.consumers = consumers;
    tokio::spawn(kn_mesh::serve::serve_on(
        listener,
        state,
        std::future::pending(),
    ));
    url
}

/// `kn-mesh --backend URL -o eventmesh` with a token file.
pub async fn via_backend(url: &str, token: Option<&str>, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    let mut args: Vec<String> = vec![
        "--backend".into(),
        url.into(),
        "-o".into(),
        "eventmesh".into(),
    ];
    if let Some(token) = token {
        std::fs::write(&token_file, token).unwrap();
        args.push("--token-file".into());
        args.push(token_file.display().to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        let output = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
            .args(&args)
            .env_remove("KNATIVE_EVENT_MESH_TOKEN")
            .output()
            .unwrap();
        drop(dir);
        output
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chain_sim_serve_backend_gives_the_same_eventmesh_as_the_direct_path() {
    let sim = demo_sim().await;
    let url = serve(&sim, false).await;
    let output = via_backend(&format!("{url}/"), sim.token("mesh-viewer"), &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let through_backend: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let direct = eventmesh::project(&mesh::build(
        kn_mesh::source::manifests::read_snapshot(&[demo_dir()], None)
            .unwrap()
            .snapshot,
    ));
    assert_eq!(through_backend, serde_json::to_value(direct).unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn payments_only_gets_a_500_by_default_and_a_partial_mesh_when_asked() {
    let sim = demo_sim().await;
    let url = serve(&sim, false).await;
    let token = sim.token("payments-only").unwrap();
    let output = via_backend(&url, Some(token), &[]).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("answered 500") && stderr.contains("It said: forbidden: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("list brokers.eventing.knative.dev at the cluster scope"),
        "{stderr}"
    );
    assert!(stderr.contains("kn-mesh auth"), "{stderr}");
    assert!(!stderr.contains(token));

    let partial = serve(&sim, true).await;
    let client_body = reqwest_like_get(&format!("{partial}/v1/getEventMesh"), Some(token)).await;
    let body: serde_json::Value = serde_json::from_str(&client_body).unwrap();
    let namespaces: std::collections::BTreeSet<&str> = body["brokers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(body["eventTypes"].as_array().unwrap())
        .map(|o| o["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(namespaces.into_iter().collect::<Vec<_>>(), ["payments"]);
    assert!(
        body["denied"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "list triggers.eventing.knative.dev at the cluster scope"),
        "{}",
        body["denied"]
    );
}

/// A plain GET with an optional bearer token, through kube's client (as the backend client does).
pub async fn reqwest_like_get(url: &str, token: Option<&str>) -> String {
    let uri: axum::http::Uri = url.parse().unwrap();
    let base = format!(
        "{}://{}",
        uri.scheme_str().unwrap(),
        uri.authority().unwrap()
    );
    let mut config = kube::Config::new(base.parse().unwrap());
    if let Some(token) = token {
        config.auth_info = kube::config::AuthInfo {
            token: Some(token.to_string().into()),
            ..Default::default()
        };
    }
    let client = kube::Client::try_from(config).unwrap();
    let response = client
        .send(
            axum::http::Request::get(uri.path())
                .body(kube::client::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    use http_body_util::BodyExt;
    String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes()).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_401_without_a_token_and_reports_health() {
    let sim = demo_sim().await;
    let url = serve(&sim, false).await;
    let body = reqwest_like_get(&format!("{url}/v1/getEventMesh"), None).await;
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        error["error"].as_str().unwrap().starts_with("no token"),
        "{body}"
    );
    assert_eq!(
        reqwest_like_get(&format!("{url}/healthz"), None).await,
        "ok"
    );
    let output = via_backend(&url, None, &[]).await;
    assert_eq!(output.status.code(), Some(5), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("answered 401 Unauthorized (no token)"));
}

/// A stub backend that answers every request with a fixed response (or never answers).
async fn stub(status: u16, content_type: &'static str, body: &'static str, hang: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move || async move {
        if hang {
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            [("content-type", content_type)],
            body,
        )
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJl";

async fn failure(url: &str, extra: &[&str]) -> (i32, String) {
    let output = via_backend(url, Some(TOKEN), extra).await;
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains(TOKEN) && !text(&output.stdout).contains(TOKEN),
        "the token leaked: {stderr}"
    );
    assert!(
        stderr.contains(url.trim_end_matches('/')),
        "no URL in: {stderr}"
    );
    (output.status.code().unwrap_or(-1), stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn backend_failures_are_explained_with_the_url_and_a_redacted_token() {
    let (code, message) = failure(
        &stub(
            401,
            "application/json",
            r#"{"error":"token is not valid"}"#,
            false,
        )
        .await,
        &[],
    )
    .await;
    assert_eq!(code, 5);
    assert!(
        message.contains("answered 401 Unauthorized (token eyJhbG…(redacted")
            && message.contains("token is not valid"),
        "{message}"
    );

    let (code, message) = failure(&stub(500, "text/plain; charset=utf-8", "brokers.eventing.knative.dev is forbidden: User \"x\" cannot list resource \"brokers\"\n", false).await, &[]).await;
    assert_eq!(code, 4);
    assert!(
        message.contains("answered 500")
            && message.contains("when any list it makes with your token is forbidden")
            && message.contains("cannot list resource"),
        "{message}"
    );

    let (code, message) = failure(
        &stub(
            200,
            "text/html",
            "<!doctype html><html><body>Backstage</body></html>",
            false,
        )
        .await,
        &[],
    )
    .await;
    assert_eq!(code, 4);
    assert!(
        message.contains("did not answer with JSON but with text/html")
            && message.contains("base URL"),
        "{message}"
    );

    let (code, message) = failure(
        &stub(
            200,
            "application/json",
            r#"{"eventTypes": [{"namespace": "a", "name": "#,
            false,
        )
        .await,
        &[],
    )
    .await;
    assert_eq!(code, 4);
    assert!(message.contains("JSON that is cut short"), "{message}");

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}")
    };
    let (code, message) = failure(&closed, &[]).await;
    assert_eq!(code, 4);
    assert!(
        message.contains("cannot reach the eventmesh backend")
            && message.contains("Connection refused"),
        "{message}"
    );

    let started = std::time::Instant::now();
    let (code, message) = failure(
        &stub(200, "application/json", "{}", true).await,
        &["--timeout", "1s"],
    )
    .await;
    assert_eq!(code, 4);
    assert!(message.contains("did not answer within 1s"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test(flavor = "multi_thread")]
async fn backstage_app_config_drives_the_backend_source() {
    let sim = demo_sim().await;
    let url = serve(&sim, false).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("app-config.yaml");
    let local = dir.path().join("app-config.local.yaml");
    std::fs::write(&config, "catalog:\n  providers:\n    knativeEventMesh:\n      dev:\n        token: '${KNATIVE_EVENT_MESH_TOKEN}'\n        baseUrl: \"http://eventmesh-backend.knative-eventing.svc:8080\"\n        schedule:\n          frequency: { minutes: 1 }\n          timeout: { minutes: 1 }\n").unwrap();
    std::fs::write(
        &local,
        format!(
            "catalog:\n  providers:\n    knativeEventMesh:\n      dev:\n        baseUrl: {url}\n"
        ),
    )
    .unwrap();
    let token = sim.token("mesh-viewer").unwrap().to_string();
    let (config, local) = (config.display().to_string(), local.display().to_string());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
            .args([
                "--backstage-config",
                &config,
                "--backstage-config",
                &local,
                "-o",
                "eventmesh",
            ])
            .env("KNATIVE_EVENT_MESH_TOKEN", &token)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["brokers"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_fetches_once_for_callers_with_one_token_and_says_so_in_its_metrics() {
    let sim = demo_sim().await;
    let mut base = sim.client_config("admin").await.unwrap();
    base.auth_info = kube::config::AuthInfo::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = ServeState::new(base, false, Duration::from_secs(30), Duration::from_secs(5));
    tokio::spawn(kn_mesh::serve::serve_on(
        listener,
        state,
        std::future::pending(),
    ));
    let mut config = kube::Config::new(url.parse().unwrap());
    config.auth_info.token = Some(sim.token("mesh-viewer").unwrap().to_string().into());
    let caller = kube::Client::try_from(config).unwrap();
    let get = |path: &'static str| {
        let caller = caller.clone();
        async move {
            let request = axum::http::Request::get(path).body(vec![]).unwrap();
            caller.request_text(request).await.unwrap()
        }
    };
    // What one fetch costs upstream, as the sim counts it.
    let before = sim.requests_served();
    let backend_scope = kn_mesh::source::fetch::Scope {
        eventmesh_only: true,
        ..Default::default()
    };
    common::fetcher(&sim, "mesh-viewer")
        .await
        .fetch(&backend_scope)
        .await
        .unwrap();
    let one_fetch = sim.requests_served() - before;

    let before = sim.requests_served();
    let answers = futures_util::future::join_all((0..10).map(|_| get("/v1/getEventMesh"))).await;
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "the same answer for all"
    );
    assert_eq!(
        sim.requests_served() - before,
        one_fetch,
        "ten callers, one fetch"
    );

    let metrics = get("/metrics").await;
    for line in [
        "kn_mesh_serve_requests_total{code=\"200\"} 10",
        "kn_mesh_serve_cache_hits_total 9",
        &format!("kn_mesh_serve_upstream_requests_total {one_fetch}"),
        "kn_mesh_serve_upstream_failures_total 0",
        "kn_mesh_serve_request_duration_seconds_count 10",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
}
