//! Tokens and Backstage app-configs: a token is never shown, checked or not.

use super::*;

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
