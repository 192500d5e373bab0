//! Terminal and YAML injection, and graph ids.

use super::*;

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
