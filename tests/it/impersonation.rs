//! `--as`: kn-mesh acts as another user through kube-apiserver's impersonation, as kubectl
//! does. What it sees as X from an admin context is what X's own token sees.

use crate::common::demo_sim;
use std::process::{Command, Output};

async fn kn_mesh(kubeconfig: &std::path::Path, args: &[&str]) -> Output {
    let mut all: Vec<String> = vec!["--kubeconfig".into(), kubeconfig.display().to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
            .args(&all)
            .env_remove("RUST_BACKTRACE")
            .env_remove("KNATIVE_EVENT_MESH_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn as_a_service_account_sees_what_its_own_token_sees() {
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    for identity in ["mesh-viewer", "payments-only"] {
        let user = format!("system:serviceaccount:backstage:{identity}");
        let own = kn_mesh(&kubeconfig, &["--context", identity, "-o", "eventmesh"]).await;
        let impersonated = kn_mesh(
            &kubeconfig,
            &["--context", "admin", "--as", &user, "-o", "eventmesh"],
        )
        .await;
        assert_eq!(own.status.code(), impersonated.status.code(), "{identity}");
        assert_eq!(own.stdout, impersonated.stdout, "{identity}");

        // auth: the same verdict and exit code, for the impersonated identity.
        let own = kn_mesh(&kubeconfig, &["auth", "--context", identity]).await;
        let impersonated =
            kn_mesh(&kubeconfig, &["auth", "--context", "admin", "--as", &user]).await;
        assert_eq!(own.status.code(), impersonated.status.code(), "{identity}");
        let text = String::from_utf8_lossy(&impersonated.stdout);
        assert!(text.contains(&user), "auth reports whom it acts as: {text}");
        let verdict = |out: &Output| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.contains("fit for purpose") || l.contains("missing"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(verdict(&own), verdict(&impersonated), "{identity}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn impersonation_needs_the_right_and_a_user() {
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    // mesh-viewer may not impersonate: the 403 names the right it lacks.
    let out = kn_mesh(
        &kubeconfig,
        &[
            "--context",
            "mesh-viewer",
            "--as",
            "system:serviceaccount:backstage:docs-reader",
            "-o",
            "tree",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing printed as if it were the mesh"
    );
    assert!(
        stderr.contains("cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"backstage\"")
            && stderr.contains("verbs [impersonate]"),
        "{stderr}"
    );
    // Groups without a user, or --as anywhere but a cluster, are bad input.
    let out = kn_mesh(&kubeconfig, &["--as-group", "team-a", "-o", "tree"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --as USER too"));
    let out = crate::common::kn_mesh(&["--demo", "--as", "alice", "-o", "tree"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--as acts on a cluster connection"));
}
