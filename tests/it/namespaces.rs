//! `-n` on every source: files, the demo, a cluster and `serve` read only the namespaces named,
//! and a named namespace that does not exist is said to be missing (exit 2), never an empty
//! answer that looks whole.

use crate::common::{self, demo_dir};
use kn_mesh::mesh::{self, views::View};
use kn_mesh::source::fetch::Scope;
use std::process::Output;

use crate::common::kn_mesh;

/// The namespaces the brokers and sources views show, from `-o json`.
fn namespaces_of(output: &Output) -> Vec<String> {
    let mesh: mesh::Mesh = serde_json::from_slice(&output.stdout).unwrap();
    let mut seen: Vec<String> = mesh
        .brokers
        .iter()
        .map(|b| b.object.namespace().to_string())
        .chain(
            mesh.sources
                .iter()
                .map(|s| s.object.namespace().to_string()),
        )
        .chain(
            mesh.channels
                .iter()
                .map(|c| c.object.namespace().to_string()),
        )
        .collect();
    seen.sort();
    seen.dedup();
    seen
}

#[test]
fn files_keep_only_the_named_namespaces() {
    let demo = demo_dir().display().to_string();
    let output = kn_mesh(&["-f", &demo, "-n", "ops", "-n", "shipping", "-o", "json"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(namespaces_of(&output), ["ops", "shipping"]);
    let all = kn_mesh(&["-f", &demo, "-o", "json"]);
    assert!(namespaces_of(&all).len() > 2, "without -n every namespace");
}

#[test]
fn a_named_namespace_that_does_not_exist_is_said_and_exits_2() {
    let demo = demo_dir().display().to_string();
    let output = kn_mesh(&["-f", &demo, "-n", "ops", "-n", "nosuchns", "-o", "tree"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(r#"namespace "nosuchns" does not exist (named with -n)"#),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("broker alerts"),
        "ops is still shown: {stdout}"
    );
    assert!(stdout.contains("nothing in the files is in it"), "{stdout}");
}

#[test]
fn the_demo_honours_n_and_names_a_missing_namespace() {
    let output = kn_mesh(&["--demo", "-n", "ghost", "-o", "json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(r#"namespace "ghost" does not exist"#),
        "{stderr}"
    );
    let payments = kn_mesh(&["--demo", "-n", "payments", "-o", "json"]);
    assert_eq!(payments.status.code(), Some(0));
    assert_eq!(namespaces_of(&payments), ["payments"]);
}

/// A namespace that exists but holds nothing is not called missing, and costs no request when
/// the namespace list is allowed.
#[tokio::test(flavor = "multi_thread")]
async fn an_empty_namespace_is_not_missing() {
    let sim = common::demo_sim().await;
    let fetcher = common::fetcher(&sim, "admin").await;
    let scope = Scope {
        namespaces: Some(vec!["backstage".into(), "ghost".into()]),
        default_namespace: None,
        label_selector: None,
        eventmesh_only: false,
    };
    let mesh = mesh::build(fetcher.fetch(&scope).await.unwrap());
    assert_eq!(mesh.missing_namespaces(), ["ghost"]);
    // payments-only may get namespaces but not list them: it asks for the empty ones by name.
    let fetcher = common::fetcher(&sim, "payments-only").await;
    let scope = Scope {
        namespaces: Some(vec!["payments".into(), "ghost".into()]),
        default_namespace: None,
        label_selector: None,
        eventmesh_only: false,
    };
    let mesh = mesh::build(fetcher.fetch(&scope).await.unwrap());
    assert_eq!(mesh.missing_namespaces(), ["ghost"]);
    let tree =
        kn_mesh::output::render(&mesh, kn_mesh::output::Format::Tree, &[View::Brokers]).unwrap();
    assert!(
        tree.contains(r#"namespace "ghost" does not exist"#),
        "{tree}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_for_the_named_namespaces_only() {
    let sim = common::demo_sim().await;
    let url =
        crate::backend::serve_in(&sim, false, Some(vec!["ops".into()]), Default::default()).await;
    let body =
        crate::backend::reqwest_like_get(&format!("{url}/v1/getEventMesh"), sim.token("admin"))
            .await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    let namespaces: std::collections::BTreeSet<&str> = body["eventTypes"]
        .as_array()
        .unwrap()
        .iter()
        .chain(body["brokers"].as_array().unwrap())
        .map(|o| o["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(
        namespaces.into_iter().collect::<Vec<_>>(),
        ["ops"],
        "{body}"
    );
}

/// kubectl's `-l`: the server selects (the sim, through kube-rs, as a real cluster), files are
/// selected alike, and a selector that does not parse is bad input.
#[test]
fn a_label_selector_selects_mesh_objects_on_every_source() {
    let demo = demo_dir().display().to_string();
    let selector = "app.kubernetes.io/part-of=payments";
    let files = kn_mesh(&["-f", &demo, "-l", selector, "-o", "name"]);
    assert_eq!(files.status.code(), Some(0));
    let files = String::from_utf8_lossy(&files.stdout).into_owned();
    assert_eq!(
        files,
        "broker.eventing.knative.dev/default\neventtype.eventing.knative.dev/order-created\n"
    );
    let cluster = kn_mesh(&["--demo", "-l", selector, "-o", "name"]);
    assert_eq!(String::from_utf8_lossy(&cluster.stdout), files);
    let bad = kn_mesh(&["-f", &demo, "-l", "a in (", "-o", "name"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("-l a in ("));
}

/// `-o name` is one `kind.group/name` a line; `-o wide` adds each object's age.
#[test]
fn name_and_wide_outputs() {
    let output = kn_mesh(&["--demo", "-o", "name"]);
    let names = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        names.lines().all(|l| l.contains('/') && !l.contains(' ')),
        "{names}"
    );
    assert!(
        names.contains("trigger.eventing.knative.dev/order-created\n"),
        "{names}"
    );
    let wide = kn_mesh(&["--demo", "-o", "wide", "--view", "brokers"]);
    let wide = String::from_utf8_lossy(&wide.stdout);
    let broker = wide.lines().find(|l| l.contains("broker default")).unwrap();
    let age = broker.rsplit("  age ").next().unwrap();
    assert!(
        age.ends_with('s') || age.ends_with('m'),
        "the demo cluster is young: {broker}"
    );
}

/// `c` in the TUI: a followed cluster switches kubeconfig context without restarting, and
/// reads as the new context's user.
#[tokio::test(flavor = "multi_thread")]
async fn a_followed_cluster_switches_context() {
    use kn_mesh::source::spec::{Control, Origin, SourceSpec, Update};
    let sim = common::demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    // A context "dead" like admin's, at a port nothing listens on.
    let mut config: serde_json::Value = serde_saphyr::from_str(&sim.kubeconfig()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cluster = config["clusters"][0].clone();
    cluster["name"] = "dead".into();
    cluster["cluster"]["server"] = format!("https://127.0.0.1:{port}").into();
    config["clusters"].as_array_mut().unwrap().push(cluster);
    let mut context = config["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "admin")
        .unwrap()
        .clone();
    context["name"] = "dead".into();
    context["context"]["cluster"] = "dead".into();
    config["contexts"].as_array_mut().unwrap().push(context);
    std::fs::write(&kubeconfig, serde_json::to_string(&config).unwrap()).unwrap();
    let options = kn_mesh::source::connect::ConnectOptions {
        kubeconfig: Some(kubeconfig),
        context: Some("payments-only".into()),
        ..Default::default()
    };
    let spec = SourceSpec {
        origin: Origin::Cluster(options),
        namespaces: Vec::new(),
        refresh: None,
        request_timeout: None,
        label_selector: None,
        eventmesh_only: false,
    };
    let mut following = kn_mesh::source::open(spec, true).await.unwrap().follow();
    async fn next_reading(
        following: &mut kn_mesh::source::follow::Following,
    ) -> kn_mesh::source::spec::Reading {
        loop {
            match following.next().await.unwrap() {
                Update::Connected(connection) => {
                    assert!(connection.contexts.contains(&"admin".to_string()));
                    assert!(connection.contexts.contains(&"payments-only".to_string()));
                }
                Update::Read(reading) => return reading,
                Update::Failed(error) => panic!("{error}"),
                Update::ServiceAccounts(_) | Update::Notice(_) => panic!("not asked for"),
            }
        }
    }
    let first = next_reading(&mut following).await;
    assert!(
        first
            .mesh
            .brokers
            .iter()
            .all(|b| b.object.namespace() == "payments")
    );
    following.control(Control::SwitchContext("admin".into()));
    let second = next_reading(&mut following).await;
    assert!(
        second
            .mesh
            .brokers
            .iter()
            .any(|b| b.object.namespace() == "ops"),
        "admin reads ops"
    );
}

/// The backend's answer fails closed on a namespace that does not exist: `-o eventmesh` prints
/// nothing, `serve` answers 502 naming it (Backstage would delete entities on an empty 200);
/// a saved mesh refuses -n and -l instead of looking filtered.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_namespace_is_never_an_empty_answer() {
    let demo = demo_dir().display().to_string();
    let output = kn_mesh(&["-f", &demo, "-n", "nosuchns", "-o", "eventmesh"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let sim = common::demo_sim().await;
    let url = crate::backend::serve_in(
        &sim,
        true,
        Some(vec!["nosuchns".into()]),
        Default::default(),
    )
    .await;
    let body =
        crate::backend::reqwest_like_get(&format!("{url}/v1/getEventMesh"), sim.token("admin"))
            .await;
    assert!(
        body.contains(r#"namespace \"nosuchns\" does not exist"#),
        "{body}"
    );
    assert!(
        !body.contains(r#""eventTypes""#),
        "no mesh, even with --partial: {body}"
    );
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.json");
    std::fs::write(&saved, kn_mesh(&["-f", &demo, "-o", "json"]).stdout).unwrap();
    let saved = saved.display().to_string();
    let refused = kn_mesh(&["-f", &saved, "-n", "ops", "-o", "name"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("-n and -l do not apply"));
}
