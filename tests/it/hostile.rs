//! Hostile and careless input is harmless: no panic, no token on screen, no terminal or YAML
//! injection, no unbounded resource, and files read as kubectl reads them. One test per finding
//! of the review (issue "Never silently wrong").

use crate::common;
use common::{demo_dir, demo_sim};
use kn_mesh::sim::RunningSim;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn kn_mesh(args: &[&str]) -> Output {
    kn_mesh_env(args, &[])
}

fn kn_mesh_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kn-mesh"));
    command
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("KNATIVE_EVENT_MESH_TOKEN")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

async fn kn_mesh_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kn_mesh(&args)
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

// ---- Tokens ----

#[test]
fn a_token_with_a_control_character_is_refused_by_position_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let two_lines = write(dir.path(), "token", "abcdefghijklmnop\nqrstuvwxyz\n");
    let output = kn_mesh(&[
        "--server",
        "https://127.0.0.1:9",
        "--token-file",
        &two_lines,
        "-o",
        "json",
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("control character at position 17"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("abcdef") && !stderr.contains("qrstuv"),
        "{stderr}"
    );

    let from_env = kn_mesh_env(
        &["--server", "https://127.0.0.1:9", "-o", "json"],
        &[("KNATIVE_EVENT_MESH_TOKEN", "secret\u{1b}[2Jtoken")],
    );
    assert_eq!(from_env.status.code(), Some(2));
    assert!(text(&from_env.stderr).contains("KNATIVE_EVENT_MESH_TOKEN"));

    // One trailing line break is what editors add: trimmed, and the token is used.
    let trailing = write(dir.path(), "ok", "abcdefghijklmnop\n");
    let output = kn_mesh(&[
        "--server",
        "https://127.0.0.1:9",
        "--token-file",
        &trailing,
        "-o",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn short_tokens_are_never_shown_even_in_part() {
    let base = hostile_backend().await;
    let output = kn_mesh_async(
        [
            "--backend",
            &format!("{base}/echo"),
            "--token",
            "Zq9xWv7k",
            "-o",
            "json",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("(redacted, 8 chars)"), "{stderr}");
    assert!(!stderr.contains("Zq9"), "{stderr}");
}

/// A backend (or a proxy before it) that answers with the caller's Authorization header in its
/// body, and one that sends more than it should.
async fn hostile_backend() -> String {
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::get;
    let echo = |headers: HeaderMap| async move {
        let header = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (
            StatusCode::BAD_GATEWAY,
            [("content-type", "application/json")],
            serde_json::json!({"error": format!("upstream rejected {header}")}).to_string(),
        )
    };
    let huge = || async {
        let chunk = bytes_of(64 * 1024);
        let stream = futures_util::stream::iter(
            (0..64).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
        );
        (
            [("content-type", "application/json")],
            axum::body::Body::from_stream(stream),
        )
    };
    let app = axum::Router::new()
        .route("/echo/v1/getEventMesh", get(echo))
        .route("/huge/v1/getEventMesh", get(huge));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

fn bytes_of(size: usize) -> axum::body::Bytes {
    axum::body::Bytes::from(vec![b' '; size])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_that_echoes_the_token_never_gets_it_printed() {
    let base = hostile_backend().await;
    let dir = tempfile::tempdir().unwrap();
    let token = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl";
    let file = write(dir.path(), "token", token);
    let output = kn_mesh_async(
        [
            "--backend",
            &format!("{base}/echo"),
            "--token-file",
            &file,
            "-o",
            "json",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("upstream rejected Bearer"), "{stderr}");
    assert!(!stderr.contains("c2VjcmV0LXBheWxvYWQ"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_body_past_the_cap_is_refused_before_it_is_read_whole() {
    let base = hostile_backend().await;
    let output = kn_mesh_async(
        [
            "--backend",
            &format!("{base}/huge"),
            "--token",
            "a-token-long-enough",
            "--max-body",
            "1Mi",
            "-o",
            "json",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("larger than 1048576 bytes"), "{stderr}");
    assert_eq!(kn_mesh(&["--max-body", "lots"]).status.code(), Some(2));
}

// ---- App-config ----

#[test]
fn app_config_tokens_and_durations_are_checked_never_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let config = |name: &str, provider: &str| {
        write(
            dir.path(),
            name,
            &format!("catalog:\n  providers:\n    knativeEventMesh:\n      dev:\n{provider}"),
        )
    };
    let two_line_token = config(
        "token.yaml",
        "        baseUrl: http://127.0.0.1:9\n        token: |\n          first-half-of-it\n          second-half\n",
    );
    let output = kn_mesh(&["--backstage-config", &two_line_token, "-o", "json"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("control character at position 17"),
        "{stderr}"
    );
    assert!(!stderr.contains("first-half"), "{stderr}");

    for frequency in [
        "-1",
        "{days: 1e15}",
        "{seconds: 1e30}",
        "{minutes: .nan}",
        "0",
        "P-1D",
    ] {
        let file = config(
            "frequency.yaml",
            &format!(
                "        baseUrl: http://127.0.0.1:9\n        token: t\n        schedule: {{frequency: {frequency}}}\n"
            ),
        );
        let output = kn_mesh(&["--backstage-config", &file, "-o", "json"]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{frequency}: {stderr}");
        assert!(
            stderr.contains("schedule.frequency") || stderr.contains("non-finite"),
            "{frequency}: {stderr}"
        );
    }
}

#[test]
fn refresh_intervals_and_durations_are_range_checked() {
    for refresh in ["0s", "500ms", "99999999999999999999s", "1e400s"] {
        let output = kn_mesh(&["--demo", "-o", "json", "--refresh", refresh]);
        assert_eq!(output.status.code(), Some(2), "--refresh {refresh}");
    }
    let output = kn_mesh(&["--backend", "http://127.0.0.1:9", "--timeout", "-1s"]);
    assert_eq!(output.status.code(), Some(2));
}

// ---- The simulated API server ----

async fn post(client: &kube::Client, path: &str, body: &str) -> u16 {
    let request = axum::http::Request::post(path)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap();
    match client.request_text(request).await {
        Ok(_) => 201,
        Err(kube::Error::Api(status)) => status.code,
        Err(other) => panic!("{path} {body}: {other}"),
    }
}

#[tokio::test]
async fn review_and_token_request_bodies_of_the_wrong_type_get_400() {
    let sim = demo_sim().await;
    let client = common::client(&sim, "admin").await;
    let paths = [
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        "/api/v1/namespaces/backstage/serviceaccounts/mesh-viewer/token",
    ];
    for path in paths {
        for body in ["[]", "5", "\"x\"", "{\"spec\": 5}", "{\"spec\": []}"] {
            assert_eq!(post(&client, path, body).await, 400, "{path} {body}");
        }
    }
    let token = paths[3];
    assert_eq!(
        post(
            &client,
            token,
            r#"{"spec": {"expirationSeconds": 1099511627776}}"#
        )
        .await,
        422
    );
    assert_eq!(
        post(&client, token, r#"{"spec": {"expirationSeconds": 1e30}}"#).await,
        400
    );
    assert_eq!(
        post(&client, token, r#"{"spec": {"expirationSeconds": 3600}}"#).await,
        201
    );
}

#[tokio::test]
async fn a_json_patch_that_would_pass_etcds_limit_is_refused() {
    let sim = demo_sim().await;
    let client = common::client(&sim, "admin").await;
    let copies: Vec<serde_json::Value> = (0..21)
        .map(|i| serde_json::json!({"op": "copy", "from": "/spec", "path": format!("/spec/c{i}")}))
        .collect();
    let request = axum::http::Request::patch(
        "/apis/eventing.knative.dev/v1/namespaces/payments/brokers/default",
    )
    .header("content-type", "application/json-patch+json")
    .body(serde_json::to_vec(&copies).unwrap())
    .unwrap();
    match client.request_text(request).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 422);
            assert!(status.message.contains("1572864"), "{}", status.message);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_request_log_never_keeps_a_query_string() {
    let sim = demo_sim().await;
    let client = common::client(&sim, "admin").await;
    let request = axum::http::Request::get("/api/v1/namespaces?token=s3cr3t-in-a-query")
        .body(vec![])
        .unwrap();
    client.request_text(request).await.unwrap();
    let log = client
        .request_text(
            axum::http::Request::get("/debug/requests")
                .body(vec![])
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(log.contains("/api/v1/namespaces"));
    assert!(!log.contains("s3cr3t"), "{log}");
}

#[tokio::test]
async fn the_sim_kubeconfig_has_unique_names_even_with_a_static_admin() {
    let objects = kn_mesh::source::manifests::read_objects(&[demo_dir()]).unwrap();
    let static_tokens = kn_mesh::sim::auth::parse_token_file(
        "static-admin-token,admin,u1,\"system:masters\"\nsecond-token,admin,u1,\"\"\n",
    )
    .unwrap();
    let sim = RunningSim::start(kn_mesh::sim::SimConfig {
        objects,
        static_tokens,
        ..Default::default()
    })
    .await
    .unwrap();
    let config: serde_json::Value = serde_saphyr::from_str(&sim.kubeconfig()).unwrap();
    for list in ["users", "contexts"] {
        let names: Vec<&str> = config[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap())
            .collect();
        let unique: std::collections::BTreeSet<&&str> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{list}: {names:?}");
    }
    // kubectl, an independent client, loads it.
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(sim.kubeconfig().as_bytes()).unwrap();
    let kubectl = Command::new("kubectl")
        .args(["config", "get-contexts", "-o", "name", "--kubeconfig"])
        .arg(file.path())
        .output();
    match kubectl {
        Ok(output) => assert!(output.status.success(), "{}", text(&output.stderr)),
        Err(_) if std::env::var_os("CI").is_none() => eprintln!("kubectl missing: skipped"),
        Err(error) => panic!("kubectl is required under CI: {error}"),
    }
}

#[test]
fn the_sim_kubeconfig_is_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(["sim", "serve", "-f"])
        .arg(demo_dir())
        .arg("--kubeconfig-out")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The URL is the first line, once the kubeconfig is written.
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(mode & 0o777, 0o600);
}

// ---- Kubeconfigs ----

/// A kubeconfig that never ends (`/dev/zero`), a pipe nobody writes, or one past the size any
/// kubeconfig has is refused by name before it is read: no memory eaten, no hang.
#[test]
fn a_kubeconfig_that_is_no_file_or_too_big_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    let big = dir.path().join("big");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(17 << 20)
        .unwrap();
    for (path, why) in [
        ("/dev/zero", "not a regular file"),
        (pipe.to_str().unwrap(), "not a regular file"),
        (
            big.to_str().unwrap(),
            "more than the 16 MiB a kubeconfig may have",
        ),
    ] {
        let out = kn_mesh(&["--kubeconfig", path, "-o", "name"]);
        assert_eq!(out.status.code(), Some(2), "{path}");
        let said = text(&out.stderr);
        assert!(
            said.contains(&format!("{path}: ")) && said.contains(why),
            "{said}"
        );
        let out = kn_mesh_env(&["-o", "name"], &[("KUBECONFIG", path)]);
        assert_eq!(out.status.code(), Some(2), "KUBECONFIG={path}");
    }
}

/// As kubectl: a file `KUBECONFIG` lists that does not exist is skipped, not fatal.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_file_in_kubeconfig_is_skipped_as_kubectl_skips_it() {
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    let listed = format!(
        "{}:{}",
        dir.path().join("missing").display(),
        kubeconfig.display()
    );
    let out = tokio::task::block_in_place(|| {
        kn_mesh_env(
            &["-o", "name", "--context", "admin"],
            &[("KUBECONFIG", &listed)],
        )
    });
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("broker.eventing.knative.dev/default"));
}

// ---- Servers under slow or many clients ----

#[tokio::test]
async fn a_slow_client_is_cut_off_and_connections_are_capped() {
    use kn_mesh::net::{Limits, Plain};
    let app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let limits = Limits {
        max_connections: 1,
        header_read_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    tokio::spawn(kn_mesh::net::serve(
        listener,
        Plain,
        app,
        limits,
        std::future::pending(),
        Duration::ZERO,
    ));
    tokio::task::spawn_blocking(move || {
        // A slowloris: half a request head, then nothing. It holds the only connection slot.
        let mut slow = std::net::TcpStream::connect(address).unwrap();
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        // A well-behaved client waits for the slot, then is served.
        let mut polite = std::net::TcpStream::connect(address).unwrap();
        polite
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        polite
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut answer = String::new();
        polite.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // By then the slow one was cut off (hyper answers 408, then closes).
        slow.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut rest = Vec::new();
        let _ = slow.read_to_end(&mut rest);
        let rest = text(&rest);
        assert!(
            rest.is_empty() || rest.starts_with("HTTP/1.1 408"),
            "{rest}"
        );
    })
    .await
    .unwrap();
}

/// A panic while answering one request ends that connection only: the server keeps answering.
/// (net.rs refuses to compile under panic = abort, where this could not hold.)
#[tokio::test]
async fn a_panicking_request_ends_its_connection_not_the_server() {
    use kn_mesh::net::{Limits, Plain};
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route(
            "/boom",
            axum::routing::get(|| async {
                // A bug in a handler: an index past the end.
                let answers: Vec<&'static str> = Vec::new();
                answers[0]
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(kn_mesh::net::serve(
        listener,
        Plain,
        app,
        Limits::default(),
        std::future::pending(),
        Duration::ZERO,
    ));
    tokio::task::spawn_blocking(move || {
        let ask = |path: &str| {
            let mut stream = std::net::TcpStream::connect(address).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).unwrap();
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            text(&answer)
        };
        assert_eq!(ask("/boom"), "", "the panicking request gets no answer");
        assert!(ask("/healthz").starts_with("HTTP/1.1 200"));
    })
    .await
    .unwrap();
}

// ---- Terminal and YAML injection, graph ids ----

const HOSTILE_NAMES: &str = r#"
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: "x\e]0;pwned\a\e[2J", namespace: payments}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: payments-eu}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: eu-default, namespace: payments}
"#;

#[test]
fn names_with_terminal_controls_print_as_text_and_ids_stay_unique() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "hostile.yaml", HOSTILE_NAMES);
    for format in ["tree", "dot", "mermaid"] {
        let output = kn_mesh(&["-f", &file, "-o", format]);
        assert_eq!(output.status.code(), Some(0));
        assert!(!output.stdout.contains(&0x1b), "{format} printed an ESC");
        assert!(!output.stdout.contains(&0x07), "{format} printed a BEL");
        assert!(text(&output.stdout).contains("\\x1b]0;pwned"), "{format}");
    }
    let json = kn_mesh(&["-f", &file, "-o", "json"]);
    let mesh: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        mesh["brokers"][1]["object"]["metadata"]["name"], "x\u{1b}]0;pwned\u{7}\u{1b}[2J",
        "json keeps the name exact"
    );
    // payments-eu/default and payments/eu-default: two nodes, each in its namespace.
    let dot = text(&kn_mesh(&["-f", &file, "-o", "dot"]).stdout);
    // Objects are met sorted by namespace: payments/eu-default first.
    assert!(
        dot.contains("broker_payments_eu_default [label=\"Broker eu-default\""),
        "{dot}"
    );
    assert!(
        dot.contains("broker_payments_eu_default_2 [label=\"Broker default\""),
        "{dot}"
    );
    let mermaid = text(&kn_mesh(&["-f", &file, "-o", "mermaid"]).stdout);
    assert!(mermaid.contains("subgraph ns_payments_eu["), "{mermaid}");
    assert_eq!(mermaid.matches("broker_payments_eu_default[[").count(), 1);
    assert_eq!(mermaid.matches("broker_payments_eu_default_2[[").count(), 1);
}

#[test]
fn errors_escape_what_came_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.yaml",
        "apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {name: \"t\\e[2J\", namespace: a}\nspec: {broker: 5}\n",
    );
    let output = kn_mesh(&["-f", &file, "-o", "tree"]);
    assert_eq!(output.status.code(), Some(4));
    assert!(!output.stderr.contains(&0x1b), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("t\\x1b[2J"));
}

#[test]
fn auth_text_escapes_claims_and_server_answers() {
    let report = kn_mesh::access::AccessReport {
        server: "https://x\u{1b}[2J".into(),
        acting_as: None,
        identity: Some(kn_mesh::access::Identity {
            username: "system:serviceaccount:a:\u{1b}]0;owned\u{7}".into(),
            uid: String::new(),
            groups: vec!["g\u{1b}[31m".into()],
            extra: Default::default(),
        }),
        identity_note: None,
        token: None,
        token_error: Some("claim \u{1b}[5m".into()),
        warnings: vec!["w\u{9b}1m".into()],
        matrix: Vec::new(),
        fit: Vec::new(),
        findings: Vec::new(),
        rules: Vec::new(),
        reviews: 0,
        unknown: Vec::new(),
    };
    let plain = kn_mesh::access::render::text(&report, false, 0);
    assert!(!plain.contains('\u{1b}') && !plain.contains('\u{7}') && !plain.contains('\u{9b}'));
    assert!(plain.contains("a:\\x1b]0;owned\\x07"), "{plain}");
    // With colour, the only escapes are the renderer's own SGR codes.
    let coloured = kn_mesh::access::render::text(&report, true, 0);
    assert!(!coloured.contains("\u{1b}[2J") && !coloured.contains("\u{1b}]0"));
}

#[test]
fn rbac_never_lets_a_crafted_kind_into_the_role() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "crafted.yaml",
        r#"
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t, namespace: a}
spec:
  broker: default
  subscriber:
    ref:
      apiVersion: "x\"]\n  - apiGroups: [\"*\"]\n    resources: [\"*\"]\n    verbs: [\"*\"]\n#/v1"
      kind: Service
      name: s
"#,
    );
    let output = kn_mesh(&["rbac", "-f", &file]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    assert!(output.stdout.is_empty());
    assert!(text(&output.stderr).contains("not a valid name"));

    let bad_name = kn_mesh(&["rbac", "--service-account", "kn mesh\nkind: x"]);
    assert_eq!(bad_name.status.code(), Some(2));

    // The ordinary role is still exactly the mesh kinds, with no wildcard.
    let output = kn_mesh(&["rbac", "-f", &demo_dir().display().to_string()]);
    assert_eq!(output.status.code(), Some(0));
    let documents: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&text(&output.stdout)).unwrap();
    let rules = documents
        .iter()
        .find(|d| d["kind"] == "ClusterRole")
        .unwrap()["rules"]
        .to_string();
    assert!(!rules.contains("\"*\""), "{rules}");
}

// ---- Files as kubectl reads them ----

#[test]
fn objects_without_a_namespace_go_to_dash_n_or_default_and_link() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "mesh.yaml",
        "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: default}\n---\napiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {name: t}\nspec: {broker: default, subscriber: {ref: {apiVersion: v1, kind: Service, name: s}}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
    );
    let tree = text(&kn_mesh(&["-f", &file, "-o", "tree"]).stdout);
    assert!(tree.starts_with("Brokers\ndefault\n"), "{tree}");
    assert!(tree.contains("subscriber: Service default/s"), "{tree}");
    let tree = text(&kn_mesh(&["-f", &file, "-n", "team", "-o", "tree"]).stdout);
    assert!(tree.starts_with("Brokers\nteam\n"), "{tree}");
}

#[test]
fn the_knative_backstage_demo_shows_its_mesh() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/real-world/knative-backstage-demo");
    let output = kn_mesh(&["-f", &demo.display().to_string(), "-o", "tree"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let tree = text(&output.stdout);
    assert!(tree.contains("broker default"), "{tree}");
    assert!(tree.contains("trigger "), "{tree}");
}

#[test]
fn the_same_object_twice_keeps_the_later_and_says_where_both_are() {
    let dir = tempfile::tempdir().unwrap();
    let broker = |url: &str| {
        format!(
            "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {{name: b, namespace: a}}\nstatus: {{address: {{url: {url}}}}}\n"
        )
    };
    let first = write(dir.path(), "1.yaml", &broker("http://first"));
    let second = write(dir.path(), "2.yaml", &broker("http://second"));
    let output = kn_mesh(&["-f", &first, "-f", &second, "-o", "tree"]);
    assert_eq!(output.status.code(), Some(0));
    let tree = text(&output.stdout);
    assert_eq!(tree.matches("broker b").count(), 1, "{tree}");
    assert!(tree.contains("http://second"));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("defined twice")
            && stderr.contains("2.yaml:1 replaces")
            && stderr.contains("1.yaml:1"),
        "{stderr}"
    );
}

#[test]
fn nulls_flow_style_and_json_streams_read_as_kubectl_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let nulls = write(
        dir.path(),
        "nulls.yaml",
        "apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {name: t, namespace: a}\nspec:\n  broker: default\n  filters:\n  filter:\n---\napiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: default, namespace: a}\nspec:\n",
    );
    let output = kn_mesh(&["-f", &nulls, "-o", "tree"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("trigger t"));

    let flow = write(
        dir.path(),
        "flow.yaml",
        "{apiVersion: eventing.knative.dev/v1, kind: Broker, metadata: {name: flow, namespace: a}}\n",
    );
    let output = kn_mesh(&["-f", &flow, "-o", "tree"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("broker flow"));

    // A JSON stream: objects back to back; a bad one is named by its own line.
    let stream = write(
        dir.path(),
        "stream.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"a\", \"namespace\": \"x\"}}\n\n{\"apiVersion\": \"eventing.knative.dev/v1\", \"kind\": \"Trigger\",\n \"metadata\": {\"name\": \"t\", \"namespace\": \"x\"}, \"spec\": {\"broker\": 5}}\n",
    );
    let output = kn_mesh(&["-f", &stream, "-o", "tree"]);
    assert_eq!(output.status.code(), Some(4));
    assert!(
        text(&output.stderr).contains("stream.json:3: Trigger x/t: field spec.broker"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn thousands_of_documents_and_large_lists_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut documents = String::new();
    for i in 0..5_000 {
        documents.push_str(&format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: a}}\n"
        ));
    }
    let many = write(dir.path(), "many.yaml", &documents);
    let output = kn_mesh(&["-f", &many, "-o", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let items: Vec<String> = (0..6_000)
        .map(|i| format!("- apiVersion: eventing.knative.dev/v1\n  kind: Trigger\n  metadata: {{name: t{i}, namespace: a, labels: {{app: x, tier: web}}}}\n  spec: {{broker: default, filter: {{attributes: {{type: a.b.c}}}}, subscriber: {{uri: http://x}}}}\n"))
        .collect();
    let list = write(
        dir.path(),
        "list.yaml",
        &format!("apiVersion: v1\nkind: List\nitems:\n{}", items.join("")),
    );
    let output = kn_mesh(&["-f", &list, "-o", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let mesh: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(mesh["triggers"].as_array().unwrap().len(), 6_000);
}

#[test]
fn a_directory_reports_every_bad_file_and_shows_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a-good.yaml", common::BROKER);
    write(dir.path(), "b-bad.yaml", "apiVersion: v1\nkind: [\n");
    write(
        dir.path(),
        "c-wrong.yaml",
        "apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {name: t, namespace: a}\nspec: {broker: 5}\n",
    );
    let output = kn_mesh(&["-f", &dir.path().display().to_string(), "-o", "tree"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("b-bad.yaml:"), "{stderr}");
    assert!(
        stderr.contains("c-wrong.yaml:4: Trigger a/t: field spec.broker"),
        "{stderr}"
    );
    let tree = text(&output.stdout);
    assert!(
        tree.contains("broker default"),
        "the good file is shown: {tree}"
    );
    assert!(
        tree.contains("⚠ Trigger t: cannot decode"),
        "the bad object is marked: {tree}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscriber_name_that_needs_encoding_is_not_found_not_an_error() {
    let mut objects = kn_mesh::source::manifests::read_objects(&[demo_dir()]).unwrap();
    objects.push(serde_json::json!({
        "apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
        "metadata": {"name": "placeholder", "namespace": "payments"},
        "spec": {"broker": "default", "subscriber": {"ref": {"apiVersion": "v1", "kind": "Service", "name": "<sink-name>"}}}
    }));
    let sim = common::start_sim(objects).await;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(sim.kubeconfig().as_bytes()).unwrap();
    let output = kn_mesh_async(
        [
            "--kubeconfig",
            &file.path().display().to_string(),
            "--context",
            "mesh-viewer",
            "-o",
            "tree",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let tree = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(tree.contains("trigger placeholder"), "{tree}");
    assert!(
        tree.contains("<sink-name>") && tree.contains("not found"),
        "{tree}"
    );
}

/// User plus system CPU time of a process, in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn out_of_file_descriptors_the_server_backs_off_instead_of_spinning() {
    use std::io::BufRead;
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -n 48 && exec {} serve --addr 127.0.0.1:0 --server https://127.0.0.1:9",
            env!("CARGO_BIN_EXE_kn-mesh")
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let address = first.trim().trim_start_matches("http://").to_string();
    // More idle connections than the server has descriptors: accepting fails with EMFILE.
    let held: Vec<std::net::TcpStream> = (0..80)
        .filter_map(|_| std::net::TcpStream::connect(&address).ok())
        .collect();
    assert!(
        held.len() > 48,
        "the kernel queues connections past the limit"
    );
    let before = cpu_ticks(child.id());
    std::thread::sleep(Duration::from_secs(2));
    let spent = cpu_ticks(child.id()) - before;
    drop(held);
    // A busy accept loop would burn a whole core: about 200 ticks in 2 s.
    assert!(
        spent < 50,
        "{spent} ticks of CPU in 2 s while out of descriptors"
    );
    // With the descriptors back, it serves again.
    std::thread::sleep(Duration::from_millis(300));
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn eventmesh_prints_nothing_past_a_file_that_could_not_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.yaml", common::BROKER);
    let bad = write(dir.path(), "bad.yaml", "apiVersion: v1\nkind: [\n");
    let output = kn_mesh(&["-f", &good, "-f", &bad, "-o", "eventmesh"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    // --partial prints the rest, and names the file that was not read.
    let output = kn_mesh(&["-f", &good, "-f", &bad, "-o", "eventmesh", "--partial"]);
    assert_eq!(output.status.code(), Some(2));
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["brokers"].as_array().unwrap().len(), 1);
    assert!(
        body["failed"][0].as_str().unwrap().contains("bad.yaml"),
        "{body}"
    );
    // The tree marks the unread file in place too.
    let tree = text(&kn_mesh(&["-f", &good, "-f", &bad, "-o", "json"]).stdout);
    assert!(tree.contains("bad.yaml"), "{tree}");
}

#[test]
fn a_bom_and_yaml_saved_as_json_read_as_kubectl_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let bom = write(
        dir.path(),
        "bom.yaml",
        &format!("\u{feff}{}", common::BROKER),
    );
    let yaml_as_json = write(dir.path(), "broker.json", common::BROKER);
    for file in [bom, yaml_as_json] {
        let output = kn_mesh(&["-f", &file, "-o", "tree"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{file}: {}",
            text(&output.stderr)
        );
        assert!(text(&output.stdout).contains("broker default"));
    }
}

#[test]
fn a_namespace_of_the_wrong_type_is_not_moved_to_default() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "ns.yaml",
        "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {name: b, namespace: 123}\n",
    );
    let output = kn_mesh(&["-f", &file, "-o", "tree"]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output.stderr));
    assert!(!text(&output.stdout).contains("broker b"));
    assert!(
        text(&output.stderr).contains("metadata.namespace"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_json_file_past_the_value_limit_is_refused_before_it_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let values = kn_mesh::source::manifests::MAX_VALUES + 10;
    let mut text = String::with_capacity(values * 2 + 2);
    text.push('[');
    for _ in 0..values {
        text.push_str("1,");
    }
    text.push_str("1]");
    let file = write(dir.path(), "flat.json", &text);
    let output = kn_mesh(&["-f", &file, "-o", "json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text_of(&output.stderr).contains("JSON values is more than"));
}

fn text_of(bytes: &[u8]) -> String {
    text(bytes)
}

// ---- Second round: what a hostile user found ----

#[tokio::test(flavor = "multi_thread")]
async fn a_kubeconfig_token_with_a_line_break_is_trimmed_and_a_control_character_refused() {
    let sim = demo_sim().await;
    let config: serde_json::Value = serde_saphyr::from_str(&sim.kubeconfig()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let with_token = |token: String| {
        let mut config = config.clone();
        for user in config["users"].as_array_mut().unwrap() {
            if user["name"] == "mesh-viewer" {
                user["user"]["token"] = token.clone().into();
            }
        }
        let path = dir.path().join(format!("kc{}", token.len()));
        std::fs::write(&path, serde_json::to_string(&config).unwrap()).unwrap();
        path.display().to_string()
    };
    let token = sim.token("mesh-viewer").unwrap().to_string();
    let args = |path: &str| {
        [
            "--kubeconfig",
            path,
            "--context",
            "mesh-viewer",
            "-o",
            "json",
        ]
        .map(String::from)
        .to_vec()
    };
    let trailing = kn_mesh_async(args(&with_token(format!("{token}\n")))).await;
    assert_eq!(
        trailing.status.code(),
        Some(0),
        "{}",
        text(&trailing.stderr)
    );
    let inner = kn_mesh_async(args(&with_token(format!("ab\u{1b}{token}")))).await;
    assert_eq!(inner.status.code(), Some(2), "{}", text(&inner.stderr));
    assert!(text(&inner.stderr).contains("the kubeconfig"));
}

/// An API server (or a proxy before it) that puts the caller's Authorization header in every
/// error message.
async fn echoing_api_server() -> String {
    use axum::http::{HeaderMap, StatusCode};
    let echo = |headers: HeaderMap| async move {
        let header = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let status = serde_json::json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": format!("upstream rejected {header}"), "reason": "InternalError", "code": 500});
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "application/json")],
            status.to_string(),
        )
    };
    let app = axum::Router::new()
        .route(
            "/version",
            axum::routing::get(|| async {
                axum::Json(
                    serde_json::json!({"major": "1", "minor": "32", "gitVersion": "v1.32.0"}),
                )
            }),
        )
        .fallback(echo);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_server_that_echoes_the_token_never_gets_it_printed() {
    let server = echoing_api_server().await;
    let token = "TOPSECRET-TOKEN-1234567890";
    for command in [
        vec!["-o", "json"],
        vec!["-o", "yaml"],
        vec!["auth", "-o", "json"],
        vec!["auth"],
    ] {
        let mut args: Vec<String> = ["--server", &server, "--token", token]
            .map(String::from)
            .to_vec();
        args.extend(command.iter().map(|s| s.to_string()));
        let output = kn_mesh_async(args).await;
        let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(
            !all.contains("TOPSECRET"),
            "{command:?} printed the token:\n{all}"
        );
        assert!(
            all.contains("upstream rejected Bearer"),
            "{command:?}:\n{all}"
        );
        assert_ne!(output.status.code(), Some(0), "{command:?}");
    }
}

#[test]
fn a_namespace_that_is_not_a_name_is_bad_input() {
    for namespace in ["payments/triggers?", "", "a/b", " payments", "Payments"] {
        let output = kn_mesh(&[
            "--server",
            "https://127.0.0.1:9",
            "--token",
            "t",
            "-n",
            namespace,
            "-o",
            "json",
        ]);
        assert_eq!(output.status.code(), Some(2), "-n {namespace:?}");
        let output = kn_mesh(&[
            "auth",
            "--server",
            "https://127.0.0.1:9",
            "--token",
            "t",
            "-n",
            namespace,
        ]);
        assert_eq!(output.status.code(), Some(2), "auth -n {namespace:?}");
    }
}

const OCTOPUS: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: octopi.sea.example.com}
spec:
  group: sea.example.com
  scope: Namespaced
  names: {kind: Octopus, plural: octopi, singular: octopus}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: sea.example.com/v1
kind: Octopus
metadata: {name: s, namespace: x, labels: {backstage.io/kubernetes-id: ink}}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: x}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t, namespace: x}
spec: {broker: default, subscriber: {ref: {apiVersion: sea.example.com/v1, kind: Octopus, name: s}}}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_subscriber_kind_is_read_under_its_crds_plural() {
    let objects: Vec<serde_json::Value> = serde_saphyr::from_multiple(OCTOPUS).unwrap();
    let sim = common::start_sim(objects).await;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(sim.kubeconfig().as_bytes()).unwrap();
    let output = kn_mesh_async(
        [
            "--kubeconfig",
            &file.path().display().to_string(),
            "--context",
            "admin",
            "-n",
            "x",
            "-o",
            "tree",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    let tree = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        tree.contains("subscriber: Octopus x/s") && !tree.contains("not found"),
        "{tree}"
    );
    // And the least-privilege role names the plural the API server serves.
    let dir = tempfile::tempdir().unwrap();
    let manifests = write(dir.path(), "octopus.yaml", OCTOPUS);
    let role = text(&kn_mesh(&["rbac", "-f", &manifests]).stdout);
    assert!(
        role.contains("octopi") && !role.contains("octopuses"),
        "{role}"
    );
}

#[test]
fn rbac_never_grants_secrets_for_a_subscriber_that_names_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut manifests = String::new();
    for (api_version, kind) in [
        ("v1", "Secret"),
        ("v1", "ServiceAccount"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ] {
        manifests.push_str(&format!(
            "---\napiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: {{name: t-{}, namespace: a}}\nspec: {{broker: default, subscriber: {{ref: {{apiVersion: {api_version}, kind: {kind}, name: s}}}}}}\n",
            kind.to_lowercase()
        ));
    }
    let file = write(dir.path(), "triggers.yaml", &manifests);
    let output = kn_mesh(&["rbac", "-f", &file]);
    assert_eq!(output.status.code(), Some(0));
    let role = text(&output.stdout);
    for resource in ["secrets", "serviceaccounts", "clusterroles"] {
        assert!(
            !role.contains(&format!("- {resource}")),
            "{resource} granted:\n{role}"
        );
    }
}

#[test]
fn an_object_without_a_name_costs_only_its_document() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "mixed.yaml",
        &format!(
            "apiVersion: eventing.knative.dev/v1\nkind: Broker\n---\n{}---\nkind: Trigger\n",
            common::BROKER
        ),
    );
    let output = kn_mesh(&["-f", &file, "-o", "tree"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("mixed.yaml:1: not a Kubernetes object: it has no metadata.name"),
        "{stderr}"
    );
    assert!(stderr.contains("it has no apiVersion and kind"), "{stderr}");
    assert!(
        text(&output.stdout).contains("broker default"),
        "the named broker is read"
    );
}

#[test]
fn a_broken_link_in_a_directory_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", common::BROKER);
    std::os::unix::fs::symlink("/nonexistent/kn-mesh", dir.path().join("broken.yaml")).unwrap();
    let output = kn_mesh(&["-f", &dir.path().display().to_string(), "-o", "tree"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("broken.yaml: does not exist"),
        "{}",
        text(&output.stderr)
    );
    assert!(text(&output.stdout).contains("broker default"));
}

#[test]
fn a_missing_certificate_authority_and_a_negative_timeout_are_bad_input() {
    let output = kn_mesh(&[
        "--server",
        "https://127.0.0.1:9",
        "--token",
        "t",
        "--certificate-authority",
        "/nonexistent.pem",
        "-o",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("/nonexistent.pem"));
    let serve = kn_mesh(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--server",
        "https://127.0.0.1:9",
        "--certificate-authority",
        "/nonexistent.pem",
    ]);
    assert_eq!(serve.status.code(), Some(2), "serve must not start");
    assert_eq!(
        // 0 is "no limit", as kubectl's --request-timeout 0; a negative one is no duration.
        kn_mesh(&["--backend", "http://127.0.0.1:9", "--timeout", "-1s"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn auth_shows_no_tick_over_needs_it_could_not_check() {
    let report = kn_mesh::access::AccessReport {
        server: "s".into(),
        acting_as: None,
        identity: None,
        identity_note: None,
        token: None,
        token_error: None,
        warnings: Vec::new(),
        matrix: Vec::new(),
        fit: vec![kn_mesh::access::Fit {
            purpose: "the Knative eventmesh backend".into(),
            target: kn_mesh::access::least_privilege::Purpose::Backend,
            missing: Vec::new(),
            unknown: vec!["list brokers.eventing.knative.dev at the cluster scope".into()],
            notes: Vec::new(),
        }],
        findings: Vec::new(),
        rules: Vec::new(),
        reviews: 0,
        unknown: vec!["list brokers: 503".into()],
    };
    let text = kn_mesh::access::render::text(&report, false, 0);
    assert!(!text.contains("✓ the Knative eventmesh backend"), "{text}");
    assert!(
        text.contains("? the Knative eventmesh backend: 1 unknown"),
        "{text}"
    );
}
