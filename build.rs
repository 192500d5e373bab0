//! Embeds the git commit kn-mesh is built from, for `kn-mesh version`: from `KN_MESH_COMMIT`
//! when the build has no repository (a container build copies only the sources), else from
//! git, else "unknown".

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=KN_MESH_COMMIT");
    for path in [".git/HEAD", ".git/refs", ".git/packed-refs"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let commit = std::env::var("KN_MESH_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| {
            let output = Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()?;
            output
                .status
                .success()
                .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=KN_MESH_COMMIT={commit}");
}
