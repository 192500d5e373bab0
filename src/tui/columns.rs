//! `kubectl get`'s columns beside the tree: READY, REASON and AGE of each object's row,
//! aligned at the right edge under a header, and sorting by age (`s`).

use crate::mesh::Mesh;
use crate::mesh::views::{self, TreeNode};

/// READY, REASON and AGE take this many columns, with their gaps.
pub const WIDTH: usize = 5 + 1 + 12 + 1 + 4;
/// Trees narrower than this show no columns: the names come first.
pub const MIN_TREE_WIDTH: u16 = 72;

pub fn header() -> String {
    format!("{:<5} {:<12} {:>4}", "READY", "REASON", "AGE")
}

/// A row's columns, when it shows an object; `now` None leaves the age out.
pub fn cells(mesh: &Mesh, node: &TreeNode, now: Option<jiff::Timestamp>) -> Option<String> {
    let (_, meta, status) = views::object_facts(mesh, node.target.as_ref()?)?;
    let ready = status.condition("Ready");
    let state = ready.map_or("-", |c| c.status.as_str());
    let reason = ready.and_then(|c| c.reason.as_deref()).unwrap_or("");
    let age = now
        .zip(created(meta))
        .map(|(now, created)| crate::text::age(now.as_second().saturating_sub(created)))
        .unwrap_or_else(|| "-".into());
    Some(format!(
        "{:<5} {:<12} {:>4}",
        super::wrap::ellipsis(&crate::text::escape(state), 5),
        super::wrap::ellipsis(&crate::text::escape(reason), 12),
        age
    ))
}

fn created(meta: &crate::mesh::objects::ObjectMeta) -> Option<i64> {
    let at: jiff::Timestamp = meta.creation_timestamp.as_deref()?.parse().ok()?;
    Some(at.as_second())
}

/// Sorts every level's object rows newest first, as `kubectl get --sort-by` on age would read;
/// rows that are not objects (filters, notes, markers) keep their place after them.
pub fn sort_by_age(mesh: &Mesh, nodes: &mut [TreeNode]) {
    let key = |node: &TreeNode| {
        node.target
            .as_ref()
            .and_then(|t| views::object_of(mesh, t))
            .and_then(|(_, meta)| created(meta))
    };
    nodes.sort_by_key(|node| match key(node) {
        Some(created) => (0, -created),
        None => (1, 0),
    });
    for node in nodes.iter_mut() {
        sort_by_age(mesh, &mut node.children);
    }
}
