//! The binary as a user runs it: outputs, bad input, exit codes.

use crate::common;
use common::demo_dir;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::kn_mesh;

fn kn_mesh_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn demo() -> String {
    demo_dir().display().to_string()
}

/// A temporary file with the given content, and its path.
fn file(name: &str, content: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn tree_of_the_demo() {
    let output = kn_mesh(&["-f", &demo(), "-o", "tree"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("demo_tree", stdout(&output));
}

#[test]
fn tree_is_the_default_when_stdout_is_not_a_terminal() {
    let output = kn_mesh(&["-f", &demo()]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        stdout(&kn_mesh(&["-f", &demo(), "-o", "tree"]))
    );
}

#[test]
fn eventmesh_of_the_demo() {
    let output = kn_mesh(&["-f", &demo(), "-o", "eventmesh"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!("demo_eventmesh", stdout(&output));
}

#[test]
fn graphs_of_the_demo() {
    let dot = stdout(&kn_mesh(&["-f", &demo(), "-o", "dot"]));
    assert!(dot.starts_with("digraph mesh {"));
    assert!(dot.contains("label=\"payments\""));
    assert!(dot.contains("broker_payments_default -> trigger_payments_order_created"));
    let mermaid = stdout(&kn_mesh(&["-f", &demo(), "-o", "mermaid"]));
    assert!(mermaid.starts_with("flowchart LR"));
    assert!(mermaid.contains("PingSource_ops_heartbeat -->|sink| broker_ops_alerts"));
    insta::assert_snapshot!("demo_mermaid", mermaid);
}

/// The pictures: a namespace whose lists were all denied is one node, triggers hang in their
/// broker's box, an event type points only at triggers whose filter lets it through (or may),
/// edge labels are smaller than node labels, and no glyph needs an emoji font.
#[test]
fn graphs_summarise_denials_and_draw_only_real_paths() {
    let dot = stdout(&kn_mesh(&["--demo", "-o", "dot"]));
    let denied: Vec<&str> = dot
        .lines()
        .filter(|l| l.contains("lists forbidden"))
        .collect();
    assert!(
        denied.iter().any(|l| l.contains("denied_ops_denied")) && denied.len() <= 9,
        "one node per scope: {denied:#?}"
    );
    assert!(dot.contains("cluster scope: 11 lists forbidden") || dot.contains("cluster scope:"));
    for graph in [dot.clone(), stdout(&kn_mesh(&["--demo", "-o", "mermaid"]))] {
        assert!(
            graph.chars().all(|c| (c as u32) < 0x2000),
            "a glyph that needs an emoji font: {graph}"
        );
    }
    assert!(dot.contains("edge [fontname=\"Helvetica\", fontsize=8]"));
    assert!(dot.contains("node [fontname=\"Helvetica\", fontsize=10]"));
    let files = stdout(&kn_mesh(&["-f", &demo(), "-o", "dot"]));
    // The payments broker's box holds its triggers.
    let family = files
        .split("subgraph cluster_")
        .find(|part| part.contains("broker_payments_default ["))
        .unwrap();
    let family = &family[..family.find("\n    }").unwrap()];
    assert!(
        family.contains("trigger_payments_order_created ["),
        "{family}"
    );
    // A trigger that wants one type of two: an edge from that type only.
    let manifests = br#"
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: b, namespace: x}
---
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {name: wanted, namespace: x}
spec: {type: a.wanted, reference: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: b}}
---
apiVersion: eventing.knative.dev/v1beta2
kind: EventType
metadata: {name: other, namespace: x}
spec: {type: a.other, reference: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: b}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: t, namespace: x}
spec: {broker: b, filter: {attributes: {type: a.wanted}}, subscriber: {uri: "http://sink"}}
"#;
    let picture = stdout(&kn_mesh_stdin(&["-f", "-", "-o", "dot"], manifests));
    assert!(
        picture.contains("eventtype_x_wanted -> trigger_x_t"),
        "{picture}"
    );
    assert!(
        !picture.contains("eventtype_x_other -> trigger_x_t"),
        "{picture}"
    );
}

#[test]
fn one_view_only() {
    let output = stdout(&kn_mesh(&["-f", &demo(), "--view", "channels"]));
    assert!(output.starts_with("Channels\n"));
    assert!(!output.contains("Brokers"));
}

#[test]
fn stdin_json_stream_and_list_wrappers() {
    let input = br#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "metadata": {"name": "b", "namespace": "x"}}
    ]}
    {"apiVersion": "eventing.knative.dev/v1", "kind": "TriggerList", "items": [
        {"apiVersion": "eventing.knative.dev/v1", "kind": "Trigger", "metadata": {"name": "t", "namespace": "x"},
         "spec": {"broker": "b", "subscriber": {"uri": "http://sink"}}}
    ]}"#;
    let output = kn_mesh_stdin(&["-f", "-", "--view", "brokers"], input);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("broker b"), "{text}");
    assert!(text.contains("trigger t"), "{text}");
}

#[test]
fn a_truncated_yaml_file_names_the_file_and_line() {
    let (_dir, path) = file(
        "broken.yaml",
        b"apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata:\n  name: b\n  labels: {a: b\n",
    );
    let output = kn_mesh(&["-f", &path]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(&format!("{path}:")), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn a_truncated_json_file_says_it_ends_too_soon() {
    let (_dir, path) = file(
        "cut.json",
        br#"{"apiVersion": "v1", "kind": "Service", "metadata": {"na"#,
    );
    let output = kn_mesh(&["-f", &path]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains(&format!("{path}:1: the JSON ends before it is complete")),
        "{message}"
    );
}

#[test]
fn a_field_of_the_wrong_type_names_the_field_and_its_line() {
    let (_dir, path) = file(
        "trigger.yaml",
        b"# comment\napiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata:\n  name: t\n  namespace: a\nspec:\n  broker: 5\n",
    );
    let output = kn_mesh(&["-f", &path]);
    // Read, but not decodable as a Trigger: marked in place, exit 4 as from a cluster.
    assert_eq!(output.status.code(), Some(4));
    let message = stderr(&output);
    assert!(
        message.contains(&format!(
            "{path}:8: Trigger a/t: field spec.broker: invalid type: integer `5`, expected a string"
        )),
        "{message}"
    );
}

#[test]
fn a_wrong_type_in_the_second_document_and_in_a_list_item_finds_the_right_line() {
    let yaml = b"apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: eventing.knative.dev/v1\n  kind: Trigger\n  metadata: {name: t, namespace: a}\n  spec:\n    filters: 7\n";
    let (_dir, path) = file("multi.yaml", yaml);
    let message = stderr(&kn_mesh(&["-f", &path]));
    assert!(
        message.contains(&format!("{path}:12: Trigger a/t: field spec.filters")),
        "{message}"
    );
}

#[test]
fn an_empty_file_is_reported() {
    let (_dir, path) = file("empty.yaml", b"");
    let output = kn_mesh(&["-f", &path]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!("no Kubernetes objects found in {path}")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_binary_file_is_reported() {
    let (_dir, path) = file("image.yaml", &[0x89, b'P', b'N', b'G', 0, 0, 0x1a, 0xff]);
    let output = kn_mesh(&["-f", &path]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not a text file"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_directory_without_manifests_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let output = kn_mesh(&["-f", &dir.path().display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no *.yaml, *.yml or *.json files"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_missing_path_is_reported() {
    let output = kn_mesh(&["-f", "/nonexistent/mesh.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("/nonexistent/mesh.yaml: does not exist"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_document_that_is_not_an_object_is_reported() {
    let (_dir, path) = file("list.yaml", b"- just\n- a list\n");
    let output = kn_mesh(&["-f", &path]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not a Kubernetes object"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let output = kn_mesh(&["--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--no-such-flag"));
}

#[test]
fn no_source_and_no_cluster_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(["-o", "tree"])
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KNATIVE_EVENT_MESH_TOKEN")
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no cluster to connect to"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn flags_for_one_output_are_refused_with_the_others() {
    let refused = kn_mesh(&["-f", &demo(), "-o", "json", "--view", "brokers"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("--view picks the views of -o tree"),
        "{}",
        stderr(&refused)
    );
    let refused = kn_mesh(&["-f", &demo(), "-o", "tree", "--partial"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("--partial is for -o eventmesh"),
        "{}",
        stderr(&refused)
    );
    // With the output each belongs to, both are taken.
    assert_eq!(
        kn_mesh(&["-f", &demo(), "-o", "tree", "--view", "brokers"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        kn_mesh(&["-f", &demo(), "-o", "eventmesh", "--partial"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn an_unknown_context_is_named_with_the_contexts_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: prod, context: {cluster: c, user: u}}, {name: staging, context: {cluster: c, user: u}}]\ncurrent-context: prod\n",
    )
    .unwrap();
    let output = kn_mesh(&[
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--context",
        "prd",
        "-o",
        "tree",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains(r#"context "prd" does not exist; the kubeconfig has: prod, staging"#),
        "{message}"
    );
}

/// Each subcommand's help lists only the flags it uses, and flags before a subcommand that
/// does not use them are refused, not ignored.
#[test]
fn each_subcommand_lists_only_its_flags() {
    let help = |args: &[&str]| stdout(&kn_mesh(args));
    let rbac = help(&["rbac", "--help"]);
    for flag in ["--server", "--context", "--token", "--kubeconfig"] {
        assert!(!rbac.contains(flag), "rbac lists {flag}: {rbac}");
    }
    assert!(rbac.contains("--namespace"), "{rbac}");
    let sim = help(&["sim", "serve", "--help"]);
    for flag in [
        "--server",
        "--context",
        "--token ",
        "--token-file",
        "--namespace",
    ] {
        assert!(!sim.contains(flag), "sim serve lists {flag}: {sim}");
    }
    assert!(sim.contains("--token-auth-file"), "{sim}");
    let serve = help(&["serve", "--help"]);
    assert!(
        serve.contains("--context") && !serve.contains("--token-file"),
        "{serve}"
    );
    let auth = help(&["auth", "--help"]);
    for flag in [
        "--context",
        "--server",
        "--token-file",
        "--namespace",
        "--for",
    ] {
        assert!(auth.contains(flag), "auth misses {flag}: {auth}");
    }
    let refused = kn_mesh(&["--context", "prod", "rbac"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("do not apply to rbac"),
        "{}",
        stderr(&refused)
    );
}

/// kubectl habits: flags before the subcommand or after it mean the same.
#[test]
fn flags_before_and_after_auth_mean_the_same() {
    for args in [
        &["--demo", "auth", "-o", "json"][..],
        &["auth", "--demo-identity", "payments-only", "-o", "json"][..],
    ] {
        let output = kn_mesh(args);
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stderr(&output)));
        assert!(
            report["identity"]["username"]
                .as_str()
                .unwrap()
                .ends_with("payments-only"),
            "{args:?}: {report}"
        );
    }
    let before = kn_mesh(&[
        "-n",
        "payments",
        "auth",
        "--demo-identity",
        "payments-only",
        "-o",
        "json",
    ]);
    let after = kn_mesh(&[
        "auth",
        "--demo-identity",
        "payments-only",
        "-n",
        "payments",
        "-o",
        "json",
    ]);
    let matrix = |o: &Output| {
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        report["fit"].clone()
    };
    assert_eq!(matrix(&before), matrix(&after));
    assert_eq!(before.status.code(), after.status.code());
}

/// The mesh's own flags before a subcommand are refused, not silently dropped; and the later
/// of -n and -A wins, so `auth -A` after `-n` checks every namespace.
#[test]
fn mesh_flags_before_a_subcommand_are_refused_and_a_later_dash_a_wins() {
    for args in [
        &["-f", "demo", "rbac"][..],
        &["-o", "json", "auth", "--demo-identity", "payments-only"][..],
        &["-l", "a=b", "serve"][..],
        &["--timeout", "5s", "sim", "serve", "-f", "demo"][..],
    ] {
        let output = kn_mesh(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("do not apply to"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let narrowed = kn_mesh(&[
        "-n",
        "payments",
        "auth",
        "--for",
        "kn-mesh",
        "--demo-identity",
        "payments-only",
    ]);
    let widened = kn_mesh(&[
        "-n",
        "payments",
        "auth",
        "-A",
        "--for",
        "kn-mesh",
        "--demo-identity",
        "payments-only",
    ]);
    assert_eq!(narrowed.status.code(), Some(0), "{}", stderr(&narrowed));
    assert_eq!(
        widened.status.code(),
        Some(1),
        "-A asks for every namespace"
    );
}

/// kubectl's spellings: `--request-timeout 0` is no limit, `1h` and a bare `5` are durations;
/// a selector kubectl refuses is refused here too.
#[test]
fn kubectl_spellings_of_timeouts_and_selectors() {
    for timeout in ["0", "1h", "5"] {
        let output = kn_mesh(&["-f", &demo(), "--request-timeout", timeout, "-o", "name"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{timeout}: {}",
            stderr(&output)
        );
    }
    for selector in ["Bad Key=1", ",", "a=b,,c=d"] {
        let output = kn_mesh(&["-f", &demo(), "-l", selector, "-o", "name"]);
        assert_eq!(output.status.code(), Some(2), "{selector}");
    }
}
