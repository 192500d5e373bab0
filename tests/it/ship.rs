//! What shipping gives a user: `version` with the commit, completions that each shell parses,
//! a roff manual page, and the plugin names `kn` and `kubectl` find.

use crate::common::kn_mesh;
use std::process::Command;

/// Whether `tool` runs here; under CI a missing tool is a failure, never a silent pass.
pub(crate) fn require(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok();
    assert!(
        found || std::env::var_os("CI").is_none(),
        "{tool} is required under CI (.ci/run installs it)"
    );
    if !found {
        eprintln!("{tool} is not on PATH: skipping its check (.ci/run installs it)");
    }
    found
}

#[test]
fn version_names_the_commit_and_the_kubernetes_api() {
    let out = kn_mesh(&["version"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.starts_with(&format!("kn-mesh {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("Kubernetes API 1.37"), "{text}");
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(head) = head.ok().filter(|h| h.status.success()) {
        let commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
        assert!(
            text.contains(&format!("(commit {commit},")),
            "{text} vs {commit}"
        );
    }
    let flag = kn_mesh(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&flag.stdout),
        text,
        "--version says the same"
    );
}

/// Writes `kn-mesh completions SHELL` to a file and asks the shell to parse it (`-n`).
fn parses(shell: &str) {
    let out = kn_mesh(&["completions", shell]);
    assert_eq!(out.status.code(), Some(0), "{shell}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("kn-mesh.{shell}"));
    std::fs::write(&file, &out.stdout).unwrap();
    let check = Command::new(shell).arg("-n").arg(&file).output().unwrap();
    assert!(
        check.status.success(),
        "{shell} -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("kn-mesh"));
}

#[test]
fn completions_parse_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        if require(shell) {
            parses(shell);
        }
    }
    // No PowerShell or Elvish here to parse them: each at least registers kn-mesh, as it was
    // invoked, as the completer it asks.
    let binary = env!("CARGO_BIN_EXE_kn-mesh");
    for (shell, registers) in [
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName kn-mesh",
        ),
        ("elvish", "set edit:completion:arg-completer[kn-mesh]"),
    ] {
        let out = kn_mesh(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(registers) && text.contains(binary) && text.contains("KN_MESH_COMPLETE"),
            "{text}"
        );
    }
    let out = kn_mesh(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "an unknown shell is bad input");
}

#[test]
fn the_manual_page_is_roff() {
    let out = kn_mesh(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH kn-mesh 1"), "{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section} missing");
    }
    assert!(
        page.contains("kn\\-mesh\\-auth"),
        "the subcommands are listed"
    );
}

/// `man --dir` writes a page for every page the others refer to (`kn-mesh-auth(1)` and so on).
#[test]
fn every_manual_page_referred_to_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = kn_mesh(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let mut referred = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let page = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(page.starts_with(".ie"), "roff");
        for after in page.split("kn\\-mesh\\-").skip(1) {
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '\\' || *c == '-')
                .collect();
            if after[name.len()..].starts_with("(1)") {
                referred.insert(format!("kn-mesh-{}.1", name.replace("\\-", "-")));
            }
        }
    }
    assert!(referred.contains("kn-mesh-auth.1") && referred.contains("kn-mesh-sim-serve.1"));
    for page in referred {
        assert!(
            dir.path().join(&page).exists(),
            "{page} is referred to but not written"
        );
    }
}

/// `kn` runs `kn-<name>` from PATH for `kn <name>`; kubectl runs `kubectl-<name>`, with `_`
/// for `-`, for `kubectl <name>`. A stub `kn` that does what kn's plugin lookup does finds
/// kn-mesh, and a `kubectl-kn_mesh` link is kn-mesh under kubectl's name: the same flags, the
/// same answers.
#[test]
fn kn_and_kubectl_find_kn_mesh_as_a_plugin() {
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_kn-mesh"));
    let dir = tempfile::tempdir().unwrap();
    let stub = dir.path().join("kn");
    std::fs::write(
        &stub,
        "#!/bin/sh\n# kn's plugin lookup: `kn NAME ARGS` runs kn-NAME from PATH.\nname=$1; shift\nexec \"kn-$name\" \"$@\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink(&bin, dir.path().join("kubectl-kn_mesh")).unwrap();
    let path = format!(
        "{}:{}:{}",
        dir.path().display(),
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let direct = kn_mesh(&["--demo", "-o", "name"]);
    for (program, args) in [
        ("kn", vec!["mesh", "--demo", "-o", "name"]),
        ("kubectl-kn_mesh", vec!["--demo", "-o", "name"]),
    ] {
        let out = Command::new(program)
            .args(&args)
            .env("PATH", &path)
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), direct.status.code(), "{program}");
        assert_eq!(out.stdout, direct.stdout, "{program}");
    }
    // And real kubectl finds the link as `kubectl kn-mesh`.
    if crate::sim_kubectl::require_kubectl() {
        let out = Command::new("kubectl")
            .args(["kn-mesh", "--demo", "-o", "name"])
            .env("PATH", &path)
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap();
        assert_eq!(
            out.stdout,
            direct.stdout,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What no container runtime here can run is checked by what it is made of: every file the
/// Dockerfile copies exists, the build and runtime stages are the same Debian release, and the
/// runtime runs as UID 65532 with serve on 0.0.0.0:8080.
#[test]
fn the_dockerfile_copies_files_that_exist_between_matching_stages() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let mut copied = 0;
    for line in dockerfile.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("COPY ") else {
            continue;
        };
        if rest.starts_with("--from") {
            continue;
        }
        let words: Vec<&str> = rest.split_whitespace().collect();
        for source in &words[..words.len() - 1] {
            assert!(
                repo().join(source).exists(),
                "the Dockerfile copies {source}, which is not here"
            );
            copied += 1;
        }
    }
    assert!(copied >= 5, "{dockerfile}");
    let from: Vec<&str> = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("FROM "))
        .collect();
    assert_eq!(from.len(), 2, "a build stage and a runtime stage");
    assert!(
        from[0].contains("bookworm") && from[1].contains("debian12"),
        "{from:?}"
    );
    assert!(dockerfile.contains("USER 65532:65532"));
    assert!(dockerfile.contains(r#"ENTRYPOINT ["kn-mesh", "serve", "--addr", "0.0.0.0:8080"]"#));
    // The Rust the image builds with is the crate's minimum or newer.
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let minimum = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    assert!(
        from[0].contains(&format!("rust:{minimum}-")),
        "{from:?} vs {minimum}"
    );
}

/// The binary, built as the image builds it (this toolchain, on Debian 12), needs no newer
/// glibc than distroless/cc-debian12's 2.36, and runs.
#[test]
fn the_binary_runs_on_the_images_glibc() {
    let bin = env!("CARGO_BIN_EXE_kn-mesh");
    let symbols = Command::new("objdump").args(["-T", bin]).output();
    let Ok(symbols) = symbols else {
        assert!(
            std::env::var_os("CI").is_none(),
            "objdump (binutils) is required under CI"
        );
        return;
    };
    let newest = String::from_utf8_lossy(&symbols.stdout)
        .split_whitespace()
        .filter_map(|word| {
            word.trim_matches(|c| c == '(' || c == ')')
                .strip_prefix("GLIBC_")
        })
        .filter_map(|version| {
            let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
            Some((parts.next()?, parts.next().unwrap_or(0)))
        })
        .max()
        .expect("a dynamically linked binary names glibc versions");
    assert!(
        newest <= (2, 36),
        "needs glibc {newest:?}, the image has 2.36"
    );
    let out = kn_mesh(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
}

/// demo/serve as the Pod Security "restricted" profile asks, with probes, resources, two
/// replicas and a disruption budget, and accepted by the API server as kubectl sends it.
#[tokio::test(flavor = "multi_thread")]
async fn the_serve_manifests_are_restricted_and_apply() {
    let text = std::fs::read_to_string(repo().join("demo/serve/eventmesh-backend.yaml")).unwrap();
    let objects: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
    let deployment = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "kn-mesh:dev");
    let security = &container["securityContext"];
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["capabilities"]["drop"], serde_json::json!(["ALL"]));
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(container[probe]["httpGet"]["path"], "/healthz", "{probe}");
    }
    assert!(container["resources"]["requests"].is_object());
    assert!(deployment["spec"]["replicas"].as_u64().unwrap() >= 2);
    assert!(objects.iter().any(|o| o["kind"] == "PodDisruptionBudget"));

    if !crate::sim_kubectl::require_kubectl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let _sim = crate::sim_rehearsal::serve_release(&kubeconfig);
    let path = repo().join("demo/serve").display().to_string();
    let (code, out, err) =
        crate::sim_kubectl::kubectl(&kubeconfig, &["apply", "--dry-run=server", "-f", &path]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "poddisruptionbudget.policy/kn-mesh-eventmesh-backend created (server dry run)"
        ),
        "{out}"
    );
}

/// The release workflow cannot run here; it is at least well-formed YAML that builds both
/// architectures and the image on a tag.
#[test]
fn the_release_workflow_builds_both_architectures_and_the_image_on_a_tag() {
    let text = std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap();
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(workflow["on"]["push"]["tags"], serde_json::json!(["v*"]));
    let targets: Vec<&str> = workflow["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["target"].as_str())
        .collect();
    assert_eq!(
        targets,
        ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
    );
    assert!(text.contains("platforms: linux/amd64,linux/arm64"));
    // The binaries are built on the image's Debian, so their glibc floor is the one the glibc
    // test checks; nothing is published before the checks pass; only what publishes may write.
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let builder = workflow["jobs"]["binaries"]["container"].as_str().unwrap();
    assert!(
        dockerfile.contains(&format!("FROM {builder} AS build")),
        "{builder}"
    );
    for job in ["binaries", "image"] {
        assert_eq!(workflow["jobs"][job]["needs"], "checks", "{job}");
    }
    assert_eq!(
        workflow["permissions"],
        serde_json::json!({"contents": "read"})
    );
    assert_eq!(
        workflow["jobs"]["binaries"]["permissions"]["contents"],
        "write"
    );
    assert_eq!(
        workflow["jobs"]["image"]["permissions"]["packages"],
        "write"
    );
}
