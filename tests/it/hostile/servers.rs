//! The simulated API server, kubeconfigs, and servers under slow, many or panicking clients.

use super::*;

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
    let objects = kn_mesh::source::manifests::read_objects(&[demo_dir()])
        .unwrap()
        .0;
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

/// A kubeconfig that does not parse is named with where it breaks, but none of its lines are
/// quoted: they hold tokens.
#[test]
fn a_broken_kubeconfig_is_reported_without_quoting_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let broken = write(
        dir.path(),
        "kubeconfig",
        "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: SECRETTOKEN123456789\n    x: [\n",
    );
    for out in [
        kn_mesh(&["--kubeconfig", &broken, "-o", "name"]),
        kn_mesh_env(&["-o", "name"], &[("KUBECONFIG", &broken)]),
    ] {
        assert_eq!(out.status.code(), Some(2));
        let said = text(&out.stderr);
        assert!(said.contains("line 6"), "{said}");
        assert!(!said.contains("SECRETTOKEN"), "{said}");
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
