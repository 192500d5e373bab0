//! 316 real Knative manifests (../shared/conformance/real-world, with INDEX.json): read with no
//! panic, and with no object lost that kubectl would keep. An object is lost when it is neither
//! in the mesh nor marked: an object a real API server would reject (a string where an integer
//! belongs) may be marked undecodable, but never silently dropped.

use kn_mesh::mesh::snapshot::Access;
use kn_mesh::source::manifests::{self, ManifestError};
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/real-world")
}

struct Entry {
    file: String,
    objects: Option<u64>,
    kubectl_parses: bool,
    /// (kind, name) of the objects a real API server would reject on their schema or name.
    rejected: Vec<(String, String)>,
    /// Objects a real API server would reject for having no name.
    nameless: usize,
}

fn index() -> Vec<Entry> {
    let text = std::fs::read_to_string(corpus().join("INDEX.json"))
        .expect("../shared/conformance/real-world/INDEX.json is readable");
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    entries
        .into_iter()
        .map(|entry| {
            let yaml_ok = entry["yaml11_error"].is_null() && entry["objects"].is_u64();
            Entry {
                file: entry["file"].as_str().unwrap().to_string(),
                objects: entry["objects"].as_u64(),
                // Files without kubectl's verdict (the release and CRD files) are valid YAML.
                kubectl_parses: entry["kubectl_client_parse_ok"]
                    .as_bool()
                    .unwrap_or(yaml_ok),
                rejected: entry["real_apiserver_prediction"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| !p["rejects"].as_array().is_none_or(Vec::is_empty))
                    .map(|p| {
                        (
                            p["kind"].as_str().unwrap_or("").to_string(),
                            p["name"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect(),
                nameless: entry["real_apiserver_prediction"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| {
                        p["rejects"]
                            .to_string()
                            .contains("metadata.name: Required value")
                    })
                    .count(),
            }
        })
        .collect()
}

#[test]
fn every_real_manifest_reads_without_losing_an_object() {
    let entries = index();
    assert_eq!(entries.len(), 316);
    let (mut read, mut refused, mut marked) = (0, 0, 0);
    for entry in &entries {
        let path = corpus().join(&entry.file);
        let result = std::panic::catch_unwind(|| manifests::read_snapshot(&[path], None));
        let result = result.unwrap_or_else(|_| panic!("{}: the reader panicked", entry.file));
        if !entry.kubectl_parses {
            // kubectl cannot parse it either: a clear problem, never a panic or a silent pass.
            let problems = match &result {
                Ok(read) => read.problems.len(),
                Err(_) => 1,
            };
            assert!(
                problems > 0,
                "{}: kubectl refuses it, kn-mesh read it",
                entry.file
            );
            refused += 1;
            continue;
        }
        let read_back = result.unwrap_or_else(|e| panic!("{}: {e}", entry.file));
        let mut nameless = 0;
        for problem in &read_back.problems {
            // An object with no name is one a real API server refuses too.
            let no_name = matches!(problem, ManifestError::NotAnObject { reason, .. } if reason.contains("no metadata.name"));
            nameless += usize::from(no_name);
            assert!(
                matches!(problem, ManifestError::WrongType { .. }) || no_name,
                "{}: kubectl parses it, kn-mesh did not: {problem}",
                entry.file
            );
        }
        assert!(
            nameless <= entry.nameless,
            "{}: {nameless} nameless objects refused",
            entry.file
        );
        // INDEX counts objects with a YAML 1.1 parser; where that parser gives up (a `...`
        // pasted into a snippet) kubectl still reads the first document, and so do we.
        match entry.objects {
            Some(objects) => assert_eq!(
                (read_back.objects + nameless) as u64,
                objects,
                "{}",
                entry.file
            ),
            None => assert!(read_back.objects > 0, "{}: nothing read", entry.file),
        }
        // Every undecodable object is one a real API server would reject too.
        for marker in &read_back.snapshot.access {
            if let Access::Undecodable { kind, .. } = &marker.access {
                let name = marker.request.name.clone().unwrap_or_default();
                assert!(
                    entry.rejected.iter().any(|(k, n)| k == kind && *n == name),
                    "{}: {kind} {name} is marked undecodable but a real API server keeps it",
                    entry.file
                );
                marked += 1;
            }
        }
        read += 1;
    }
    eprintln!(
        "{read} files read, {refused} refused as kubectl refuses them, {marked} objects marked"
    );
    assert_eq!(read + refused, 316);
}

/// The Knative objects of the files kubectl reads, by kind, as INDEX.json counts them.
fn indexed_knative_kinds() -> std::collections::BTreeMap<String, u64> {
    let text = std::fs::read_to_string(corpus().join("INDEX.json")).unwrap();
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut kinds = std::collections::BTreeMap::new();
    for entry in entries
        .iter()
        .filter(|e| e["kubectl_client_parse_ok"] != false)
    {
        for (kind, count) in entry["knative_objects"].as_object().into_iter().flatten() {
            *kinds.entry(kind.clone()).or_default() += count.as_u64().unwrap();
        }
        // An object with no name is refused with its file and line, as an API server refuses
        // it: it is not in the mesh (the first test checks it is reported).
        let nameless = entry["real_apiserver_prediction"]
            .as_array()
            .into_iter()
            .flatten();
        for prediction in
            nameless.filter(|p| p["rejects"].to_string().contains("metadata.name: Required"))
        {
            let kind = prediction["kind"].as_str().unwrap_or_default().to_string();
            *kinds.entry(kind).or_default() -= 1;
        }
    }
    kinds
}

/// Issue 14: every Knative object of a file kubectl accepts is in the mesh (`-o json`), as its
/// kind's node, or in place as an object a real API server would reject too. Before the issue,
/// 64 objects (Sequence, Parallel, JobSink, EventTransform, KafkaSink, ...) were in no view.
#[test]
fn every_knative_object_of_the_corpus_is_in_the_mesh_by_kind() {
    let indexed = indexed_knative_kinds();
    let mut found: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for entry in index().iter().filter(|e| e.kubectl_parses) {
        let Ok(read) = manifests::read_snapshot(&[corpus().join(&entry.file)], None) else {
            continue;
        };
        let mesh = kn_mesh::mesh::build(read.snapshot);
        let kinds = mesh
            .brokers
            .iter()
            .map(|n| n.object.kind.clone())
            .chain(mesh.triggers.iter().map(|n| n.object.kind.clone()))
            .chain(mesh.event_types.iter().map(|n| n.object.kind.clone()))
            .chain(mesh.channels.iter().map(|n| n.object.kind.clone()))
            .chain(mesh.subscriptions.iter().map(|n| n.object.kind.clone()))
            .chain(mesh.sources.iter().map(|n| n.object.kind.clone()))
            .chain(mesh.components.iter().map(|n| n.object.kind.clone()))
            .chain(mesh.access.iter().filter_map(|m| match &m.access {
                Access::Undecodable { kind, .. } => Some(kind.clone()),
                _ => None,
            }));
        for kind in kinds.filter(|k| indexed.contains_key(k)) {
            *found.entry(kind).or_default() += 1;
        }
    }
    let total: u64 = found.values().sum();
    eprintln!(
        "{total} of {} Knative objects in the mesh: {found:?}",
        indexed.values().sum::<u64>()
    );
    assert_eq!(found, indexed);
}

/// Where a node sits in a tree: under a namespace row, or under another object's node.
#[derive(Debug, Clone, PartialEq)]
enum Parent {
    Namespace(String),
    Object(kn_mesh::mesh::views::Target),
}

type Home = (
    kn_mesh::mesh::views::NodeKind,
    kn_mesh::mesh::views::Target,
    Parent,
);

/// Every place each object's own node (its kind's row, not a reference to it) has in the trees
/// of every view, by the parent it sits under.
fn homes(mesh: &kn_mesh::mesh::Mesh) -> Vec<Home> {
    use kn_mesh::mesh::views::{self, NodeKind, TreeNode, View};
    fn walk(
        node: &TreeNode,
        parent: Option<&Parent>,
        out: &mut Vec<(NodeKind, views::Target, Parent)>,
    ) {
        if let (Some(target), Some(parent)) = (&node.target, parent) {
            out.push((node.kind, target.clone(), parent.clone()));
        }
        let here = match (&node.target, node.kind) {
            (_, NodeKind::Namespace) => Some(Parent::Namespace(node.text.clone())),
            (Some(target), _) => Some(Parent::Object(target.clone())),
            (None, _) => parent.cloned(),
        };
        for child in &node.children {
            walk(child, here.as_ref(), out);
        }
    }
    let mut out = Vec::new();
    for view in View::ALL {
        for root in views::tree(mesh, view) {
            walk(&root, None, &mut out);
        }
    }
    out
}

/// The parent each Knative object belongs under, by Knative's own relations: a trigger under
/// its broker, a subscription under its channel, a controller-made channel under its owner, and
/// anything whose parent is not there under its namespace. Each with its object's kind.
fn expected_homes(mesh: &kn_mesh::mesh::Mesh) -> Vec<(String, Home)> {
    use kn_mesh::mesh::views::{NodeKind, Target};
    let namespace =
        |meta: &kn_mesh::mesh::objects::ObjectMeta| Parent::Namespace(meta.namespace.clone());
    let mut out = Vec::new();
    for b in &mesh.brokers {
        let home = (
            NodeKind::Broker,
            Target::Broker(b.object.key()),
            namespace(&b.object.metadata),
        );
        out.push((b.object.kind.clone(), home));
    }
    for t in &mesh.triggers {
        let key = t.object.key();
        let owner = mesh.brokers.iter().find(|b| b.triggers.contains(&key));
        let parent = match owner {
            Some(b) => Parent::Object(Target::Broker(b.object.key())),
            None => namespace(&t.object.metadata),
        };
        out.push((
            t.object.kind.clone(),
            (NodeKind::Trigger, Target::Trigger(key), parent),
        ));
    }
    for e in &mesh.event_types {
        let home = (
            NodeKind::EventType,
            Target::EventType(e.object.key()),
            namespace(&e.object.metadata),
        );
        out.push((e.object.kind.clone(), home));
    }
    let owner_target = |owner: &Option<kn_mesh::mesh::model::OwnerLink>| {
        let owner = owner.as_ref()?;
        if let Some(b) = mesh.broker(&owner.key) {
            return Some(Target::Broker(b.object.key()));
        }
        mesh.components
            .iter()
            .position(|c| c.object.kind == owner.kind && c.object.key() == owner.key)
            .map(Target::Component)
    };
    for c in &mesh.channels {
        let parent = owner_target(&c.owner)
            .map(Parent::Object)
            .unwrap_or_else(|| namespace(&c.object.metadata));
        out.push((
            c.object.kind.clone(),
            (NodeKind::Channel, Target::Channel(c.object.key()), parent),
        ));
    }
    for s in &mesh.subscriptions {
        let key = s.object.key();
        let channel = mesh
            .channels
            .iter()
            .find(|c| c.subscriptions.contains(&key));
        let parent = match channel {
            Some(c) => Parent::Object(Target::Channel(c.object.key())),
            None => namespace(&s.object.metadata),
        };
        out.push((
            s.object.kind.clone(),
            (NodeKind::Subscription, Target::Subscription(key), parent),
        ));
    }
    for (i, s) in mesh.sources.iter().enumerate() {
        let home = (
            NodeKind::Source,
            Target::Source(i),
            namespace(&s.object.metadata),
        );
        out.push((s.object.kind.clone(), home));
    }
    for (i, c) in mesh.components.iter().enumerate() {
        let home = (
            NodeKind::Component,
            Target::Component(i),
            namespace(&c.object.metadata),
        );
        out.push((c.object.kind.clone(), home));
    }
    // An object a real API server would reject too is in place as its marker.
    for (i, marker) in mesh.access.iter().enumerate() {
        if let Access::Undecodable { kind, .. } = &marker.access {
            let ns = marker.request.namespace().unwrap_or_default().to_string();
            out.push((
                kind.clone(),
                (NodeKind::Access, Target::Access(i), Parent::Namespace(ns)),
            ));
        }
    }
    out
}

/// Issue 14: every Knative object of the corpus is in `-o tree` (the trees of the views) under
/// the right parent, counted by kind as INDEX.json counts them.
#[test]
fn every_knative_object_of_the_corpus_is_in_a_tree_under_its_parent() {
    let indexed = indexed_knative_kinds();
    let mut placed: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let mut misplaced = Vec::new();
    for entry in index().iter().filter(|e| e.kubectl_parses) {
        let Ok(read) = manifests::read_snapshot(&[corpus().join(&entry.file)], None) else {
            continue;
        };
        let mesh = kn_mesh::mesh::build(read.snapshot);
        let homes = homes(&mesh);
        for (kind, expected) in expected_homes(&mesh) {
            if homes.contains(&expected) {
                if indexed.contains_key(&kind) {
                    *placed.entry(kind).or_default() += 1;
                }
            } else {
                let elsewhere: Vec<_> = homes
                    .iter()
                    .filter(|(_, target, _)| *target == expected.1)
                    .map(|(_, _, parent)| parent.clone())
                    .collect();
                misplaced.push(format!(
                    "{}: {expected:?}, found under {elsewhere:?}",
                    entry.file
                ));
            }
        }
    }
    assert!(misplaced.is_empty(), "{}", misplaced.join("\n"));
    eprintln!(
        "{} Knative objects under their parent",
        placed.values().sum::<u64>()
    );
    assert_eq!(placed, indexed);
}
