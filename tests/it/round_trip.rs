//! Parsing what we print gives back the same model.

use crate::common;
use common::demo_dir;
use kn_mesh::mesh::views::View;
use kn_mesh::mesh::{self, Mesh, eventmesh};
use kn_mesh::output::{self, Format};
use kn_mesh::source::manifests::read_snapshot;

fn demo() -> Mesh {
    mesh::build(read_snapshot(&[demo_dir()], None).unwrap().snapshot)
}

#[test]
fn json_output_parses_back_into_the_same_mesh() {
    let mesh = demo();
    let text = output::render(&mesh, Format::Json, &View::ALL).unwrap();
    let parsed: Mesh = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, mesh);
}

#[test]
fn yaml_output_parses_back_into_the_same_mesh() {
    let mesh = demo();
    let text = output::render(&mesh, Format::Yaml, &View::ALL).unwrap();
    let parsed: Mesh = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(parsed, mesh);
}

#[test]
fn eventmesh_output_parses_back_and_projects_to_the_same_json() {
    let mesh = demo();
    let text = output::render(&mesh, Format::Eventmesh, &View::ALL).unwrap();
    let body: eventmesh::EventMesh = serde_json::from_str(&text).unwrap();
    let reduced = eventmesh::into_mesh(body.clone());
    assert!(reduced.reduced);
    assert_eq!(eventmesh::project(&reduced), body);
    let again = output::render(&reduced, Format::Eventmesh, &View::ALL).unwrap();
    assert_eq!(again, text);
}

#[test]
fn a_reduced_mesh_shows_backstage_consumers_and_says_it_is_reduced() {
    let body = eventmesh::project(&demo());
    let reduced = eventmesh::into_mesh(body);
    let tree = output::render(&reduced, Format::Tree, &[View::EventTypes]).unwrap();
    assert!(tree.starts_with("(reduced mesh from the eventmesh backend"));
    assert!(
        tree.contains("consumed by backstage:order-processor"),
        "{tree}"
    );
}

fn kn_mesh(args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// `-f` opens what `-o json` and `-o yaml` wrote, from a file or a pipe, as the same mesh; the
/// backend's answer (`-o eventmesh`) opens as the reduced mesh a backend gives.
#[test]
fn f_opens_what_kn_mesh_wrote() {
    let demo_mesh = demo();
    let demo = demo_dir().display().to_string();
    let tree = kn_mesh(&["-f", &demo, "-o", "tree"], None);
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "yaml"] {
        let saved = kn_mesh(&["-f", &demo, "-o", format], None);
        let path = dir.path().join(format!("saved.{format}"));
        std::fs::write(&path, &saved.stdout).unwrap();
        let reopened = kn_mesh(&["-f", &path.display().to_string(), "-o", "tree"], None);
        assert_eq!(reopened.status.code(), Some(0), "{format}");
        assert_eq!(
            reopened.stdout, tree.stdout,
            "{format} reopens as the same mesh"
        );
        let piped = kn_mesh(&["-f", "-", "-o", "tree"], Some(&saved.stdout));
        assert_eq!(piped.stdout, tree.stdout, "{format} through a pipe");
    }
    let answer = kn_mesh(&["-f", &demo, "-o", "eventmesh"], None);
    let reduced = kn_mesh(&["-f", "-", "-o", "json"], Some(&answer.stdout));
    assert_eq!(reduced.status.code(), Some(0));
    let mesh: Mesh = serde_json::from_slice(&reduced.stdout).unwrap();
    let expected = eventmesh::into_mesh(eventmesh::project(&demo_mesh));
    assert!(mesh.reduced && mesh.triggers.is_empty());
    assert_eq!(mesh, expected);
}

/// A saved mesh is a whole answer: with manifests beside it, it is refused, not merged.
#[test]
fn a_saved_mesh_does_not_mix_with_manifests() {
    let demo = demo_dir().display().to_string();
    let saved = kn_mesh(&["-f", &demo, "-o", "json"], None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved.json");
    std::fs::write(&path, &saved.stdout).unwrap();
    let mixed = kn_mesh(
        &["-f", &path.display().to_string(), "-f", &demo, "-o", "tree"],
        None,
    );
    assert_eq!(mixed.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&mixed.stderr);
    assert!(stderr.contains("opens alone"), "{stderr}");
    // Its shape without its content is a problem at its line, not a panic.
    let broken = kn_mesh(
        &["-f", "-", "-o", "tree"],
        Some(br#"{"brokers": [{"nope": 1}], "triggers": [], "eventTypes": []}"#),
    );
    assert_eq!(broken.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(
        stderr.contains("saved kn-mesh output that cannot be read back"),
        "{stderr}"
    );
}
