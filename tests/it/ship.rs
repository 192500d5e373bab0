//! What shipping gives a user: `version` with the commit, completions that each shell parses,
//! a roff manual page, and the plugin names `kn` and `kubectl` find.

use crate::common::kn_mesh;
use std::process::Command;

/// Whether `tool` runs here; under CI a missing tool is a failure, never a silent pass.
fn require(tool: &str) -> bool {
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
    // No PowerShell here to parse it: it is at least a completer registered for kn-mesh.
    let out = kn_mesh(&["completions", "powershell"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Register-ArgumentCompleter") && text.contains("'kn-mesh'"),
        "{text}"
    );
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
