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

/// The words bash hands a completion function for `line` (the cursor at its end), as they
/// are in the line (quotes and backslashes kept): split at unquoted blanks, and at unquoted
/// `=`, `:` and `@` (in `COMP_WORDBREAKS`), which stand as words of their own; and `$2`,
/// readline's word: what follows the last unquoted blank or break.
fn as_bash_splits(line: &str) -> (Vec<String>, String) {
    let mut words: Vec<String> = Vec::new();
    let mut last_was: Option<bool> = None; // Some(true): in a break run; Some(false): in a word
    let (mut quote, mut escaped, mut readline_start) = (None, false, 0);
    for (at, c) in line.char_indices() {
        let quoted = quote.is_some() || escaped;
        escaped = !escaped && quote != Some('\'') && c == '\\';
        match (quote, c) {
            (None, '\'' | '"') if !quoted => quote = Some(c),
            (Some(open), _) if c == open && !(open == '"' && line[..at].ends_with('\\')) => {
                quote = None
            }
            _ => {}
        }
        if c == ' ' && !quoted {
            last_was = None;
            readline_start = at + 1;
            continue;
        }
        let is_break = !quoted && matches!(c, '=' | ':' | '@');
        if is_break {
            readline_start = at + 1;
        }
        match (last_was, words.last_mut()) {
            (Some(kind), Some(word)) if kind == is_break => word.push(c),
            _ => words.push(c.to_string()),
        }
        last_was = Some(is_break);
    }
    if last_was.is_none() {
        words.push(String::new());
    }
    (words, line[readline_start..].to_string())
}

/// Starts bash pressing Tab at the end of `line`, with only `home` and `kubeconfig` to read.
fn bash_tab(home: &Path, kubeconfig: &Path, line: &str) -> std::process::Child {
    let program = r#"source "$1"; COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}; current="$3"; shift 3
COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_TYPE=9
_kn_mesh kn-mesh "$current" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#;
    let (words, readline_word) = as_bash_splits(line);
    std::process::Command::new("bash")
        .args(["--norc", "-c", program, "bash"])
        .arg(script("bash", home))
        .args([line, &readline_word])
        .args(&words)
        .current_dir(home)
        .env("HOME", home)
        .env("KUBECONFIG", kubeconfig)
        // Not in a pod: no in-cluster configuration to fall back on.
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// What bash offered (COMPREPLY), after checking that nothing went to the terminal (stderr).
fn offered_by(out: std::process::Output, line: &str) -> Vec<String> {
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| !line.is_empty())
        .map(String::from)
        .collect()
}

/// What bash offers when Tab is pressed at the end of `line`.
fn bash_offers(home: &Path, kubeconfig: &Path, line: &str) -> Vec<String> {
    let mut child = bash_tab(home, kubeconfig, line);
    came_back(&mut child);
    offered_by(child.wait_with_output().unwrap(), line)
}

/// Waits for the child to exit. A guard, not a timing: a Tab that never comes back fails the
/// test after a minute instead of hanging it.
fn came_back(child: &mut std::process::Child) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the completion never came back");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
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
        .env_remove("KUBERNETES_SERVICE_HOST")
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
fn offers<T>(shell: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(shell)
}

const EKS_CONTEXT: &str = "arn:aws:eks:eu-west-1:123456789012:cluster/prod";

/// The demo sim, a kubeconfig with its contexts plus a stranger (a token the server rejects,
/// in namespace payments) and an EKS-style name, and the cluster's namespaces as admin lists
/// them.
struct Fixture {
    sim: kn_mesh::sim::RunningSim,
    home: tempfile::TempDir,
    kubeconfig: std::path::PathBuf,
    written: serde_json::Value,
    cluster: Vec<String>,
}

async fn fixture() -> Fixture {
    let sim = demo_sim().await;
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    let mut written: serde_json::Value = serde_saphyr::from_str(&sim.kubeconfig()).unwrap();
    written["users"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(
            {"name": "stranger", "user": {"token": "not-a-token"}}
        ));
    for (name, user, namespace) in [
        ("stranger", "stranger", "payments"),
        (EKS_CONTEXT, "admin", "ops"),
        ("kubernetes-admin@kubernetes", "admin", "ops"),
    ] {
        written["contexts"].as_array_mut().unwrap().push(serde_json::json!(
            {"name": name, "context": {"cluster": "kn-mesh-sim", "user": user, "namespace": namespace}}
        ));
    }
    std::fs::write(&kubeconfig, written.to_string()).unwrap();
    let mut cluster: Vec<String> = kube::Api::<Namespace>::all(client(&sim, "admin").await)
        .list_metadata(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    cluster.sort();
    Fixture {
        sim,
        home,
        kubeconfig,
        written,
        cluster,
    }
}

impl Fixture {
    fn bash(&self, line: &str) -> Vec<String> {
        offers(|| bash_offers(self.home.path(), &self.kubeconfig, line))
    }

    fn contexts(&self) -> Vec<String> {
        let contexts = self.written["contexts"].as_array().unwrap();
        contexts
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// The cluster's namespaces, with `first` moved to the front.
    fn cluster_with_first(&self, first: &str) -> Vec<String> {
        let mut names = vec![first.to_string()];
        names.extend(self.cluster.iter().filter(|n| *n != first).cloned());
        names
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn contexts_complete_from_the_kubeconfig_in_bash_and_fish() {
    let f = fixture().await;
    if !require("bash") {
        return;
    }
    assert_eq!(
        f.bash("kn-mesh --context "),
        f.contexts(),
        "every context, in order"
    );
    assert_eq!(f.bash("kn-mesh --context pay"), ["payments-only"]);
    // bash splits at = and :, and replaces only what follows the last of them.
    assert_eq!(f.bash("kn-mesh --context=pay"), ["payments-only"]);
    assert_eq!(
        f.bash("kn-mesh --context arn:aws:e"),
        [&EKS_CONTEXT["arn:aws:".len()..]]
    );
    assert_eq!(
        f.bash("kn-mesh --context arn:"),
        [&EKS_CONTEXT["arn:".len()..]]
    );
    // kubeadm's and eksctl's names split at @ where bash-completion is not loaded.
    assert_eq!(
        f.bash("kn-mesh --context kubernetes-admin@k"),
        ["kubernetes"]
    );
    // A path with a space, typed escaped or quoted, and offered escaped.
    std::fs::create_dir(f.home.path().join("my dir")).unwrap();
    std::fs::write(f.home.path().join("my dir/mesh.yaml"), "").unwrap();
    assert_eq!(f.bash("kn-mesh -f ./my"), ["./my\\ dir/"]);
    assert_eq!(f.bash("kn-mesh -f ./my\\ dir/m"), ["./my\\ dir/mesh.yaml"]);
    std::fs::copy(&f.kubeconfig, f.home.path().join("my dir/kube config")).unwrap();
    let line = "kn-mesh --kubeconfig 'my dir/kube config' --context pay";
    assert_eq!(f.bash(line), ["payments-only"]);
    // --kubeconfig typed on the line is the one read: one that does not exist offers nothing.
    assert!(
        f.bash("kn-mesh --kubeconfig /nonexistent --context ")
            .is_empty()
    );
    let home_relative = "kn-mesh --kubeconfig ~/kubeconfig --context pay";
    assert_eq!(
        f.bash(home_relative),
        ["payments-only"],
        "~/ is the home directory"
    );

    if !require("fish") {
        return;
    }
    let offered = offers(|| fish_offers(f.home.path(), &f.kubeconfig, "kn-mesh --context adm"));
    assert_eq!(offered, ["admin\tcluster kn-mesh-sim (current)"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn namespaces_complete_from_the_context_and_the_cluster() {
    let f = fixture().await;
    if !require("bash") {
        return;
    }
    // admin's context names none: the cluster's, in order.
    assert_eq!(f.bash("kn-mesh auth -n "), f.cluster);
    // The context's namespace comes first, however --context was spelled.
    let first = f.cluster_with_first("backstage");
    assert_eq!(f.bash("kn-mesh --context payments-only -n "), first);
    assert_eq!(f.bash("kn-mesh --context=payments-only trace -n "), first);
    // One already given is not offered again.
    let line = "kn-mesh --context payments-only -n default --namespace=ops -n ";
    let expected: Vec<String> = first
        .iter()
        .filter(|n| *n != "default" && *n != "ops")
        .cloned()
        .collect();
    assert_eq!(f.bash(line), expected);
    // The server rejects the stranger: its own namespace, then those the other contexts name,
    // and nothing only the cluster knows.
    assert_eq!(
        f.bash("kn-mesh --context stranger -n "),
        ["payments", "backstage", "ops"]
    );

    if !require("fish") {
        return;
    }
    let offered = offers(|| fish_offers(f.home.path(), &f.kubeconfig, "kn-mesh trace -n kube-"));
    let expected: Vec<&String> = f
        .cluster
        .iter()
        .filter(|n| n.starts_with("kube-"))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(offered.iter().collect::<Vec<_>>(), expected);
}

/// A context whose credential plugin never answers, or waits for a login: the Tab comes back
/// with what the kubeconfig names, and the plugin never reaches the terminal.
#[tokio::test(flavor = "multi_thread")]
async fn a_credential_plugin_that_never_answers_neither_holds_the_tab_nor_prints() {
    let f = fixture().await;
    if !require("bash") {
        return;
    }
    let plugin = f.home.path().join("credential-plugin");
    let plugin_pid = f.home.path().join("plugin.pid");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho $$ > {}\necho 'Open the browser to log in:' >&2\nexec sleep 600\n",
            plugin_pid.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut slow = f.written.clone();
    slow["users"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(
            {"name": "slow", "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1", "command": plugin}}}
        ));
    slow["contexts"].as_array_mut().unwrap().push(serde_json::json!(
        {"name": "slow", "context": {"cluster": "kn-mesh-sim", "user": "slow", "namespace": "shipping"}}
    ));
    let slow_kubeconfig = f.home.path().join("slow-kubeconfig");
    std::fs::write(&slow_kubeconfig, slow.to_string()).unwrap();
    let line = "kn-mesh --context slow -n ";
    let mut child = bash_tab(f.home.path(), &slow_kubeconfig, line);
    offers(|| came_back(&mut child));
    // Stopped before anything is asserted, so that a failure leaves no plugin behind.
    let pid = std::fs::read_to_string(&plugin_pid).expect("kube-rs started the plugin");
    let _ = std::process::Command::new("kill").arg(pid.trim()).status();
    let offered = offered_by(child.wait_with_output().unwrap(), line);
    assert_eq!(offered, ["shipping", "backstage", "payments", "ops"]);
}

#[test]
fn subcommands_flags_and_the_demo_complete_without_a_kubeconfig() {
    if !require("bash") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let nowhere = home.path().join("none");
    assert_eq!(
        bash_offers(home.path(), &nowhere, "kn-mesh ca"),
        ["can-send"]
    );
    assert_eq!(bash_offers(home.path(), &nowhere, "kn-mesh -o j"), ["json"]);
    let offered = bash_offers(home.path(), &nowhere, "kn-mesh -n ");
    assert!(offered.is_empty(), "no kubeconfig, no cluster: {offered:?}");
    // The demo needs neither: its namespaces (those the sim makes too) and identities are in
    // the binary.
    let offered = bash_offers(home.path(), &nowhere, "kn-mesh --demo -n k");
    assert_eq!(offered, ["knative-eventing", "kube-public", "kube-system"]);
    let offered = bash_offers(
        home.path(),
        &nowhere,
        "kn-mesh auth --demo-identity admin -n p",
    );
    assert_eq!(offered, ["payments"]);
    let offered = bash_offers(home.path(), &nowhere, "kn-mesh auth --demo-identity m");
    assert_eq!(offered, ["mesh-viewer"]);
}

/// kubectl (1.26 and later) completes `kubectl kn-mesh …` by running `kubectl_complete-kn_mesh`
/// from PATH: a link to kn-mesh under that name answers, through real kubectl.
#[tokio::test(flavor = "multi_thread")]
async fn kubectl_completes_kn_mesh_through_its_completer_link() {
    if !crate::sim_kubectl::require_kubectl() {
        return;
    }
    let f = fixture().await;
    let bin = f.home.path().join("bin");
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
            .env("HOME", f.home.path())
            .env("KUBECONFIG", &f.kubeconfig)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    // kubectl prints the candidates, then the directive: keep the order, no file names.
    let offered = offers(|| complete(&["kn-mesh", "--context", "pay"]));
    assert_eq!(
        offered,
        [
            "payments-only\tcluster kn-mesh-sim, namespace backstage",
            ":36"
        ]
    );
    let offered = offers(|| complete(&["kn-mesh", "--context=pay"]));
    assert_eq!(
        offered[0],
        "payments-only\tcluster kn-mesh-sim, namespace backstage"
    );
    let offered = offers(|| complete(&["kn-mesh", "can"]));
    assert_eq!(offered.len(), 2, "{offered:?}");
    assert!(offered[0].starts_with("can-send\t"), "{offered:?}");
    let offered = offers(|| complete(&["kn-mesh", "-n", "ship"]));
    assert_eq!(offered, ["shipping", ":36"]);
    // A directory goes on without a space after it.
    std::fs::create_dir(f.home.path().join("manifests")).unwrap();
    let here = f.home.path().display().to_string();
    let offered = offers(|| complete(&["kn-mesh", "-f", &format!("{here}/man")]));
    assert_eq!(offered, [format!("{here}/manifests/"), ":38".to_string()]);
}

/// The script calls kn-mesh by the path it was run from, quoted: a directory with a space or a
/// quote in its name still works.
#[test]
fn the_bash_script_works_from_a_path_with_a_space_and_a_quote() {
    if !require("bash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("it's a dir");
    std::fs::create_dir(&odd).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kn-mesh"), odd.join("kn-mesh")).unwrap();
    let out = std::process::Command::new(odd.join("kn-mesh"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let script = dir.path().join("kn-mesh.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let program = r#"source "$1"; COMP_LINE="kn-mesh ca"; COMP_POINT=10
COMP_WORDS=(kn-mesh ca); COMP_CWORD=1; COMP_TYPE=9
_kn_mesh kn-mesh ca kn-mesh; printf '%s\n' "${COMPREPLY[@]}""#;
    let out = std::process::Command::new("bash")
        .args(["--norc", "-c", program, "bash"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(text_of(&out.stderr), "");
    assert_eq!(text_of(&out.stdout), "can-send\n");
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `--as` offers the cluster's ServiceAccounts as kubectl's --as names them, as the context's
/// user may list them; bash replaces only what follows the last `:`.
#[tokio::test(flavor = "multi_thread")]
async fn as_offers_the_clusters_service_accounts() {
    let f = fixture().await;
    if !require("bash") {
        return;
    }
    let mut accounts: Vec<(String, String)> =
        kube::Api::<k8s_openapi::api::core::v1::ServiceAccount>::all(client(&f.sim, "admin").await)
            .list_metadata(&Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|a| (a.metadata.namespace.unwrap(), a.metadata.name.unwrap()))
            .collect();
    accounts.sort();
    let in_backstage: Vec<String> = accounts
        .iter()
        .filter(|(namespace, _)| namespace == "backstage")
        .map(|(_, name)| name.clone())
        .collect();
    assert!(in_backstage.contains(&"payments-only".to_string()));
    let line = "kn-mesh --as system:serviceaccount:backstage:";
    assert_eq!(f.bash(line), in_backstage);
    let every: Vec<String> = accounts
        .iter()
        .map(|(namespace, name)| format!("system:serviceaccount:{namespace}:{name}"))
        .collect();
    assert_eq!(f.bash("kn-mesh auth --as sys"), every);
    // A user the server rejects lists nothing, and nothing is made up.
    assert!(f.bash("kn-mesh --context stranger --as ").is_empty());
}
