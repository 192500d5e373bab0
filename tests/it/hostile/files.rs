//! Files as kubectl reads them.

use super::*;

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
    let mut objects = kn_mesh::source::manifests::read_objects(&[demo_dir()])
        .unwrap()
        .0;
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
