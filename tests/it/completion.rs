//! Completion as a shell runs it: the script `kn-mesh completions SHELL` prints is sourced into
//! a real bash and a real fish, which ask kn-mesh on each Tab. `--context` completes from the
//! kubeconfig; `-n` from the context in use, the cluster as that context's user may list it, and
//! the other contexts.

use crate::common::{client, demo_sim, kn_mesh};
use crate::ship::require;
use k8s_openapi::api::core::v1::Namespace;
use std::path::Path;

/// Writes the registration script for `shell` into `dir`.
fn script(shell: &str, dir: &Path) -> std::path::PathBuf {
    let out = kn_mesh(&["completions", shell]);
    assert_eq!(out.status.code(), Some(0), "{shell}");
    let file = dir.join(format!("kn-mesh.{shell}"));
    std::fs::write(&file, &out.stdout).unwrap();
    file
}

/// What bash offers when Tab is pressed after `words` (the last one is being completed), with
/// only `home` and `kubeconfig` to read.
fn bash_offers(home: &Path, kubeconfig: &Path, words: &[&str]) -> Vec<String> {
    let program = r#"source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_TYPE=9
_clap_complete_kn_mesh kn-mesh "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#;
    let child = std::process::Command::new("bash")
        .args(["--norc", "-c", program, "bash"])
        .arg(script("bash", home))
        .args(words)
        .env("HOME", home)
        .env("KUBECONFIG", kubeconfig)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = returned(child);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| !line.is_empty())
        .map(String::from)
        .collect()
}

/// The child's output once it exits. A guard, not a timing: a Tab that never comes back fails
/// the test after a minute instead of hanging it.
fn returned(mut child: std::process::Child) -> std::process::Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the completion never came back");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// What fish offers for `line`, as `value<TAB>description` lines.
fn fish_offers(home: &Path, kubeconfig: &Path, line: &str) -> Vec<String> {
    let program = format!(
        "source {}; complete -C '{line}'",
        script("fish", home).display()
    );
    let out = std::process::Command::new("fish")
        .args(["--no-config", "-c", &program])
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("XDG_DATA_HOME", home)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

/// Runs a shell while the sim it asks keeps serving on the runtime's other threads.
fn offers(shell: impl FnOnce() -> Vec<String>) -> Vec<String> {
    tokio::task::block_in_place(shell)
}

#[tokio::test(flavor = "multi_thread")]
async fn context_and_namespace_complete_from_the_kubeconfig_and_the_cluster() {
    let sim = demo_sim().await;
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    // The sim's contexts, and one whose token the server rejects, in namespace payments.
    let mut written: serde_json::Value = serde_saphyr::from_str(&sim.kubeconfig()).unwrap();
    written["users"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(
            {"name": "stranger", "user": {"token": "not-a-token"}}
        ));
    written["contexts"].as_array_mut().unwrap().push(serde_json::json!(
        {"name": "stranger", "context": {"cluster": "kn-mesh-sim", "user": "stranger", "namespace": "payments"}}
    ));
    std::fs::write(&kubeconfig, written.to_string()).unwrap();
    let contexts: Vec<String> = written["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    let mut cluster: Vec<String> = kube::Api::<Namespace>::all(client(&sim, "admin").await)
        .list_metadata(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    cluster.sort();
    if !require("bash") {
        return;
    }
    let offered = offers(|| bash_offers(home.path(), &kubeconfig, &["kn-mesh", "--context", ""]));
    assert_eq!(
        offered, contexts,
        "every context, in the kubeconfig's order"
    );
    let offered =
        offers(|| bash_offers(home.path(), &kubeconfig, &["kn-mesh", "--context", "pay"]));
    assert_eq!(offered, ["payments-only"]);

    // admin may list namespaces: the cluster's, in order.
    let offered = offers(|| bash_offers(home.path(), &kubeconfig, &["kn-mesh", "auth", "-n", ""]));
    assert_eq!(offered, cluster);

    // payments-only may list them too: its context's namespace comes first.
    let words = ["kn-mesh", "--context", "payments-only", "-n", ""];
    let offered = offers(|| bash_offers(home.path(), &kubeconfig, &words));
    let mut expected = vec!["backstage".to_string()];
    expected.extend(cluster.iter().filter(|n| *n != "backstage").cloned());
    assert_eq!(offered, expected);

    // The server rejects the stranger: its own namespace, then those the other contexts name,
    // and nothing only the cluster knows.
    let words = ["kn-mesh", "--context=stranger", "trace", "-n", ""];
    let offered = offers(|| bash_offers(home.path(), &kubeconfig, &words));
    assert_eq!(offered, ["payments", "backstage"]);

    // A context whose credential plugin never answers (or waits for a login): the Tab comes
    // back with what the kubeconfig names.
    let plugin = home.path().join("credential-plugin");
    let plugin_pid = home.path().join("plugin.pid");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho $$ > {}\nexec sleep 600\n",
            plugin_pid.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut slow = written.clone();
    slow["users"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(
            {"name": "slow", "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1", "command": plugin,
                "interactiveMode": "Never"}}}
        ));
    slow["contexts"].as_array_mut().unwrap().push(serde_json::json!(
        {"name": "slow", "context": {"cluster": "kn-mesh-sim", "user": "slow", "namespace": "ops"}}
    ));
    let slow_kubeconfig = home.path().join("slow-kubeconfig");
    std::fs::write(&slow_kubeconfig, slow.to_string()).unwrap();
    let words = ["kn-mesh", "--context", "slow", "-n", ""];
    let offered = offers(|| bash_offers(home.path(), &slow_kubeconfig, &words));
    assert_eq!(offered, ["ops", "backstage", "payments"]);
    let pid = std::fs::read_to_string(&plugin_pid).expect("kube-rs started the plugin");
    let _ = std::process::Command::new("kill").arg(pid.trim()).status();

    // --kubeconfig typed on the line is the one read: one that does not exist offers nothing.
    let words = ["kn-mesh", "--kubeconfig", "/nonexistent", "--context", ""];
    assert!(offers(|| bash_offers(home.path(), &kubeconfig, &words)).is_empty());

    if !require("fish") {
        return;
    }
    let offered = offers(|| fish_offers(home.path(), &kubeconfig, "kn-mesh --context adm"));
    assert_eq!(offered.len(), 1, "{offered:?}");
    assert!(
        offered[0].starts_with("admin\tcluster kn-mesh-sim") && offered[0].ends_with("(current)"),
        "{offered:?}"
    );
    let offered = offers(|| fish_offers(home.path(), &kubeconfig, "kn-mesh trace -n kube-"));
    let expected: Vec<&String> = cluster.iter().filter(|n| n.starts_with("kube-")).collect();
    assert!(!expected.is_empty());
    assert_eq!(offered.iter().collect::<Vec<_>>(), expected);
}

#[test]
fn subcommands_and_flags_complete_without_a_kubeconfig() {
    if !require("bash") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let nowhere = home.path().join("none");
    let offered = bash_offers(home.path(), &nowhere, &["kn-mesh", "ca"]);
    assert_eq!(offered, ["can-send"]);
    let offered = bash_offers(home.path(), &nowhere, &["kn-mesh", "-o", "j"]);
    assert_eq!(offered, ["json"]);
    let offered = bash_offers(home.path(), &nowhere, &["kn-mesh", "-n", ""]);
    assert!(offered.is_empty(), "no kubeconfig, no cluster: {offered:?}");
    // The demo needs neither: its namespaces and identities are in the binary.
    let offered = bash_offers(home.path(), &nowhere, &["kn-mesh", "--demo", "-n", "p"]);
    assert_eq!(offered, ["payments"]);
    let words = ["kn-mesh", "auth", "--demo-identity", "m"];
    assert_eq!(bash_offers(home.path(), &nowhere, &words), ["mesh-viewer"]);
}

/// kubectl (1.26 and later) completes `kubectl kn-mesh …` by running `kubectl_complete-kn_mesh`
/// from PATH: a link to kn-mesh under that name answers, through real kubectl.
#[tokio::test(flavor = "multi_thread")]
async fn kubectl_completes_kn_mesh_through_its_completer_link() {
    if !crate::sim_kubectl::require_kubectl() {
        return;
    }
    let sim = demo_sim().await;
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for name in ["kubectl-kn_mesh", "kubectl_complete-kn_mesh"] {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kn-mesh"), bin.join(name)).unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let complete = |words: &[&str]| {
        let out = std::process::Command::new("kubectl")
            .arg("__complete")
            .args(words)
            .env("PATH", &path)
            .env("HOME", home.path())
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .take_while(|line| !line.starts_with(':'))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let offered = offers(|| complete(&["kn-mesh", "--context", "pay"]));
    assert_eq!(
        offered,
        ["payments-only\tcluster kn-mesh-sim, namespace backstage"]
    );
    let offered = offers(|| complete(&["kn-mesh", "can"]));
    assert_eq!(offered.len(), 1, "{offered:?}");
    assert!(offered[0].starts_with("can-send\t"), "{offered:?}");
    let offered = offers(|| complete(&["kn-mesh", "-n", "ship"]));
    assert_eq!(offered, ["shipping"]);
}
