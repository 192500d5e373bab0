//! Denied, missing and failed data as nodes, placed where the data would have been.

use super::{NodeKind, NodeStatus, Target, TreeNode};
use crate::mesh::model::Mesh;
use crate::mesh::snapshot::{Access, AccessMarker, Role};

/// A node for an access marker, e.g. "🔒 triggers in payments: forbidden (list triggers...)".
fn access_node(index: usize, marker: &AccessMarker) -> Option<TreeNode> {
    let request = &marker.request;
    let (status, verdict) = match &marker.access {
        Access::Allowed => return None,
        Access::Forbidden { .. } => (NodeStatus::Forbidden, "forbidden"),
        Access::NotFound => (NodeStatus::NotFound, "not found"),
        Access::Failed { .. } => (NodeStatus::Failed, "failed"),
        Access::Fallback { .. } => (NodeStatus::Failed, "fallback"),
        Access::Undecodable {
            kind,
            field,
            message,
        } => {
            let field = if field.is_empty() {
                String::new()
            } else {
                format!(" field {field}")
            };
            let text = format!(
                "{kind} {}: cannot decode{field}: {message}",
                request.name.as_deref().unwrap_or("?")
            );
            return Some(
                TreeNode::new(NodeKind::Access, text)
                    .status(NodeStatus::Failed)
                    .target(Target::Access(index))
                    .key(request.to_string()),
            );
        }
    };
    let text = format!(
        "{} {}: {verdict} ({} {})",
        request.resource.plural, request.scope, request.verb, request.resource
    );
    Some(
        TreeNode::new(NodeKind::Access, text)
            .status(status)
            .target(Target::Access(index))
            .key(request.to_string()),
    )
}

/// Markers for kinds of the given roles in the given namespace (None: the cluster scope).
pub(super) fn markers(mesh: &Mesh, roles: &[Role], namespace: Option<&str>) -> Vec<TreeNode> {
    mesh.access
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.request.name.is_none()
                && m.request.namespace() == namespace
                && roles.contains(&m.role)
        })
        .filter_map(|(i, m)| access_node(i, m))
        .collect()
}

/// Objects of kinds of the given roles in a namespace that could not be decoded, each in place
/// of the object.
pub(super) fn undecodable(mesh: &Mesh, roles: &[Role], namespace: Option<&str>) -> Vec<TreeNode> {
    mesh.access
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            matches!(m.access, Access::Undecodable { .. })
                && m.request.namespace() == namespace
                && roles.contains(&m.role)
        })
        .filter_map(|(i, m)| access_node(i, m))
        .collect()
}

/// A namespace node. When everything in it was denied, the namespace itself is marked
/// forbidden, so a screen of denied namespaces reads as a list of locks, not a wall of rows.
pub(super) fn namespace_node(namespace: &str, children: Vec<TreeNode>) -> TreeNode {
    let all_denied = children
        .iter()
        .all(|c| c.kind == NodeKind::Access && c.status == NodeStatus::Forbidden);
    let node = TreeNode::new(NodeKind::Namespace, namespace).children(children);
    if all_denied {
        node.status(NodeStatus::Forbidden)
    } else {
        node
    }
}

/// From this many namespaces where nothing is readable, they fold into one row: a token bound
/// to a few namespaces of hundreds sees its own, not a wall of locks.
const LOCKED_GROUP_FROM: usize = 10;

/// Wholly denied namespaces, folded into one row that expands when there are many, where the
/// first of them was.
pub(super) fn group_locked(roots: Vec<TreeNode>) -> Vec<TreeNode> {
    let locked =
        |node: &TreeNode| node.kind == NodeKind::Namespace && node.status == NodeStatus::Forbidden;
    let count = roots.iter().filter(|n| locked(n)).count();
    if count < LOCKED_GROUP_FROM {
        return roots;
    }
    let first = roots.iter().position(locked).unwrap_or(0);
    let (folded, mut grouped): (Vec<TreeNode>, Vec<TreeNode>) = roots.into_iter().partition(locked);
    let row = TreeNode::new(
        NodeKind::Note,
        format!("{count} namespaces: nothing readable"),
    )
    .status(NodeStatus::Forbidden)
    .key("locked namespaces")
    .children(folded);
    // Everything before the first locked namespace stayed before it.
    grouped.insert(first, row);
    grouped
}

/// Denials at the cluster scope, under one node when there are several.
pub(super) fn cluster_markers(markers: Vec<TreeNode>) -> Vec<TreeNode> {
    if markers.len() < 2 {
        return markers;
    }
    let denied = markers
        .iter()
        .filter(|m| m.status == NodeStatus::Forbidden)
        .count();
    let status = if denied > 0 {
        NodeStatus::Forbidden
    } else {
        NodeStatus::Failed
    };
    let lists = crate::text::count(denied, "list", "lists");
    let text = match markers.len() - denied {
        0 => format!("at the cluster scope: {lists} denied"),
        other => format!("at the cluster scope: {lists} denied, {other} failed or fallback"),
    };
    vec![
        TreeNode::new(NodeKind::Access, text)
            .status(status)
            .children(markers),
    ]
}

/// What of a role could not be read in a namespace, for faces that build trees of their own (a
/// trace): the namespace's own list, or else the cluster-scope list that stood for it (the
/// Resolver's rule), and the objects there that could not be decoded.
pub fn unread(mesh: &Mesh, role: Role, namespace: &str) -> Vec<TreeNode> {
    let listed = crate::mesh::snapshot::lists_for(&mesh.access, &[role], namespace);
    let mut nodes: Vec<TreeNode> = listed
        .into_iter()
        .filter_map(|(i, m)| access_node(i, m))
        .collect();
    nodes.extend(undecodable(mesh, &[role], Some(namespace)));
    nodes
}
