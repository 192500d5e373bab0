//! What a full fetch read, kept so that watch events can update it in place: the objects as
//! read, and the markers, namespaces and notes of that fetch. A Snapshot is assembled from it
//! again after each batch of changes, with no request.

use super::{Fetcher, Stop, phases, text};
use crate::mesh::objects::Crd;
use crate::mesh::snapshot::{AccessMarker, Snapshot};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Default)]
pub struct Base {
    objects: Vec<Value>,
    markers: Vec<AccessMarker>,
    namespaces: BTreeSet<String>,
    notes: Vec<String>,
    crds: Vec<Crd>,
    /// Kinds beyond the CRDs' whose lists read them whole: references to them need no lookup.
    whole_kinds: Vec<(String, String)>,
    /// Whether lookups follow dead-letter sinks, steps and branches too.
    deep_refs: bool,
}

/// An object's identity: the group of its apiVersion, its kind, namespace and name.
fn identity(object: &Value) -> (String, String, String, String) {
    let api_version = text(object, "/apiVersion");
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    (
        group.to_string(),
        text(object, "/kind").to_string(),
        text(object, "/metadata/namespace").to_string(),
        text(object, "/metadata/name").to_string(),
    )
}

/// A change a watch saw.
#[derive(Debug, Clone)]
pub enum Change {
    Applied(Value),
    /// A subscriber's change: it replaces the object if the mesh knows it, else is nothing.
    Relabelled(Value),
    Deleted(Value),
}

impl Base {
    pub(super) fn new(
        objects: Vec<Value>,
        markers: Vec<AccessMarker>,
        namespaces: BTreeSet<String>,
        notes: Vec<String>,
        crds: Vec<Crd>,
    ) -> Self {
        Self {
            objects,
            markers,
            namespaces,
            notes,
            crds,
            whole_kinds: Vec::new(),
            deep_refs: true,
        }
    }

    pub(super) fn with_whole_kinds(mut self, kinds: Vec<(String, String)>, deep: bool) -> Self {
        self.whole_kinds = kinds;
        self.deep_refs = deep;
        self
    }

    /// The Snapshot, the base given up (a one-shot fetch keeps nothing).
    pub fn into_snapshot(self) -> Snapshot {
        phases::assemble(self.objects, self.markers, self.namespaces, self.notes)
    }

    /// The Snapshot of what is read now.
    pub fn snapshot(&self) -> Snapshot {
        phases::assemble(
            self.objects.clone(),
            self.markers.clone(),
            self.namespaces.clone(),
            self.notes.clone(),
        )
    }

    /// Applies watch events: an applied object replaces its earlier self or joins, a deleted
    /// one leaves. Returns the objects applied, whose references may need a lookup.
    pub fn apply(&mut self, changes: Vec<Change>) -> Vec<Value> {
        let mut at: HashMap<(String, String, String, String), usize> = self
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| (identity(o), i))
            .collect();
        let mut applied = Vec::new();
        let mut deleted = BTreeSet::new();
        for change in changes {
            match change {
                Change::Applied(object) => {
                    let id = identity(&object);
                    deleted.remove(&id);
                    match at.get(&id) {
                        Some(&i) => self.objects[i] = object.clone(),
                        None => {
                            at.insert(id, self.objects.len());
                            self.objects.push(object.clone());
                        }
                    }
                    applied.push(object);
                }
                Change::Relabelled(object) => {
                    if let Some(&i) = at.get(&identity(&object)) {
                        self.objects[i] = object;
                    }
                }
                Change::Deleted(object) => {
                    deleted.insert(identity(&object));
                }
            }
        }
        if !deleted.is_empty() {
            self.objects.retain(|o| !deleted.contains(&identity(o)));
        }
        applied
    }

    /// Adds what a lookup of new references found: objects not yet known, and markers for
    /// requests not yet made.
    fn add_lookups(&mut self, found: Vec<Value>, markers: Vec<AccessMarker>) {
        let known: BTreeSet<_> = self.objects.iter().map(identity).collect();
        self.objects
            .extend(found.into_iter().filter(|o| !known.contains(&identity(o))));
        for marker in markers {
            if !self.markers.iter().any(|m| m.request == marker.request) {
                self.markers.push(marker);
            }
        }
    }
}

impl Fetcher {
    /// Looks up what the changed objects point at and is not known yet (a subscriber added to
    /// a trigger, say): requests only for new references.
    pub async fn follow_references(
        &self,
        base: &mut Base,
        changed: &[Value],
    ) -> Result<(), super::FetchError> {
        let known: BTreeSet<_> = base.objects.iter().map(identity).collect();
        let new_refs: Vec<Value> = changed
            .iter()
            .filter(|o| {
                references(o, base.deep_refs)
                    .iter()
                    .any(|r| !known.contains(r))
            })
            .cloned()
            .collect();
        if new_refs.is_empty() {
            return Ok(());
        }
        // Lists made here are not watched: the next full fetch takes them in.
        let (found, markers, _) = self
            .subscribers(&new_refs, &base.crds, &base.whole_kinds, base.deep_refs)
            .await
            .map_err(|stop: Stop| self.stop(stop))?;
        base.add_lookups(found, markers);
        Ok(())
    }
}

/// The identities an object's refs point at (subscriber, reply, sink, and with `deep` its
/// dead-letter sinks, steps and branches).
fn references(object: &Value, deep: bool) -> Vec<(String, String, String, String)> {
    let namespace = text(object, "/metadata/namespace");
    crate::mesh::components::destination_refs(object, deep)
        .into_iter()
        .map(|reference| {
            let api_version = text(reference, "/apiVersion");
            let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
            let ref_namespace = match text(reference, "/namespace") {
                "" => namespace,
                other => other,
            };
            (
                group.to_string(),
                text(reference, "/kind").to_string(),
                ref_namespace.to_string(),
                text(reference, "/name").to_string(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trigger(name: &str, label: &str) -> Value {
        json!({"apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
               "metadata": {"name": name, "namespace": "a", "labels": {"v": label}},
               "spec": {"broker": "default"}})
    }

    #[test]
    fn applied_objects_replace_their_earlier_selves_and_deleted_ones_leave() {
        let mut base = Base::new(
            vec![trigger("t1", "1"), trigger("t2", "1")],
            Vec::new(),
            BTreeSet::new(),
            Vec::new(),
            Vec::new(),
        );
        base.apply(vec![
            Change::Applied(trigger("t1", "2")),
            Change::Applied(trigger("t3", "1")),
            Change::Deleted(trigger("t2", "1")),
        ]);
        let snapshot = base.snapshot();
        let names: Vec<&str> = snapshot.triggers.iter().map(|t| t.name()).collect();
        assert_eq!(names, ["t1", "t3"]);
        assert_eq!(snapshot.triggers[0].metadata.label("v"), Some("2"));
    }
}
