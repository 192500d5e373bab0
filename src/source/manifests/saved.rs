//! Reading back what kn-mesh writes: `-o json` and `-o yaml` are the Mesh itself, and
//! `-o eventmesh` is the backend's answer, read as the reduced mesh a backend gives. So a saved
//! snapshot opens again, to look at later or to share.

use super::{ManifestError, Origin};
use crate::mesh::Mesh;
use crate::mesh::eventmesh::{self, EventMesh};
use serde_json::Value;

/// Which of kn-mesh's own outputs a document is, by its top-level fields (it has no apiVersion
/// or kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// `-o json` or `-o yaml`.
    Mesh,
    /// `-o eventmesh`.
    EventMesh,
}

pub(super) fn shape(value: &Value) -> Option<Shape> {
    let object = value.as_object()?;
    if object.contains_key("apiVersion") || object.contains_key("kind") {
        return None;
    }
    let has = |key: &str| object.get(key).is_some_and(Value::is_array);
    if has("brokers") && has("triggers") && has("eventTypes") {
        Some(Shape::Mesh)
    } else if has("brokers") && has("eventTypes") && has("subscribables") {
        Some(Shape::EventMesh)
    } else {
        None
    }
}

/// A saved mesh in the order lookups rely on (they search brokers, triggers, event types and
/// subscriptions by namespace and name): a file edited by hand or with jq may have lost it.
fn sorted(mut mesh: Mesh) -> Mesh {
    fn by_key<T>(nodes: &mut [T], meta: impl Fn(&T) -> &crate::mesh::objects::ObjectMeta) {
        nodes.sort_by(|a, b| {
            let (a, b) = (meta(a), meta(b));
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
    }
    by_key(&mut mesh.brokers, |n| &n.object.metadata);
    by_key(&mut mesh.triggers, |n| &n.object.metadata);
    by_key(&mut mesh.event_types, |n| &n.object.metadata);
    by_key(&mut mesh.subscriptions, |n| &n.object.metadata);
    mesh
}

/// The mesh a saved document holds; a document that has the shape but not the content is a
/// problem at its location, like any bad object.
pub(super) fn read(value: Value, shape: Shape, origin: &Origin) -> Result<Mesh, ManifestError> {
    let bad = |error: serde_json::Error| ManifestError::NotAnObject {
        location: origin.location(),
        reason: format!("a saved kn-mesh output that cannot be read back: {error}"),
    };
    match shape {
        Shape::Mesh => serde_json::from_value::<Mesh>(value)
            .map(sorted)
            .map_err(bad),
        Shape::EventMesh => serde_json::from_value::<EventMesh>(value)
            .map(eventmesh::into_mesh)
            .map_err(bad),
    }
}
