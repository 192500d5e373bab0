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
