//! A navigable tree over the mesh's view trees: which nodes are expanded, and the flattened
//! list of visible rows. Rows are recomputed only when something changes what is visible
//! (expand, collapse, filter, namespaces, new data), so drawing a frame touches only the rows
//! on screen. Nodes are known by identity, a hash of the path of stable keys from the root, so
//! the selection and the expanded set survive live updates that insert rows above them.
//!
//! A row holds no heap data: its node path and tree guides are derived from its parent row on
//! demand, for the few rows on screen. That keeps a filter keystroke on a 100,000-node tree
//! within a frame or two.

use super::query::{Facts, Hit, Query};
use crate::mesh::views::{NodeKind, NodeStatus, Target, TreeNode};
use std::collections::{BTreeSet, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// Nodes this shallow are expanded when first seen: namespaces and brokers open, so a new
/// user sees brokers and their triggers at once.
const OPEN_DEPTH: usize = 2;

/// A node's identity: its key path from the root, hashed.
pub type NodeId = u64;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub id: NodeId,
    /// The parent's row, None for a root.
    pub parent: Option<u32>,
    /// The node's index among its parent's children (or among the roots).
    pub index: u32,
    pub depth: u16,
    pub has_children: bool,
    pub expanded: bool,
    /// Whether the node is the last of its visible siblings (for the tree guides).
    pub last: bool,
    /// How the node matched the filter, if it did.
    pub hit: Option<Hit>,
}

#[derive(Debug, Clone, Default)]
pub struct TreeState {
    pub roots: Vec<TreeNode>,
    pub expanded: HashSet<NodeId>,
    seen: HashSet<NodeId>,
    /// Each node's text in ASCII lower case, in pre-order: made on the first filter after new
    /// data, so a keystroke only searches. ASCII lower-casing keeps byte offsets.
    lowered: Option<Vec<String>>,
    pub rows: Vec<Row>,
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
}

/// A child's identity from its parent's: what the node is, not where it sits or what counts
/// it shows. A key wins; then an object's target; the text only when there is neither.
fn child_id(parent: NodeId, node: &TreeNode) -> NodeId {
    let mut hasher = DefaultHasher::new();
    parent.hash(&mut hasher);
    node.kind.hash(&mut hasher);
    match (&node.key, &node.target) {
        (Some(key), _) => key.hash(&mut hasher),
        // Index targets point into this mesh's vectors: another mesh reorders them.
        (None, Some(Target::Access(_) | Target::Source(_)) | None) => node.text.hash(&mut hasher),
        (None, Some(target)) => target.hash(&mut hasher),
    }
    hasher.finish()
}

const ROOT: NodeId = 0;

impl TreeState {
    pub fn new(roots: Vec<TreeNode>) -> Self {
        let mut state = Self::default();
        state.set_roots(roots);
        state
    }

    /// New data: keep what was expanded and selected, open new shallow nodes.
    pub fn set_roots(&mut self, roots: Vec<TreeNode>) {
        self.roots = roots;
        self.lowered = None;
        let mut stack: Vec<(&TreeNode, NodeId, usize)> = self
            .roots
            .iter()
            .rev()
            .map(|n| (n, child_id(ROOT, n), 0))
            .collect();
        while let Some((node, id, depth)) = stack.pop() {
            // Shallow nodes open when first seen, except wholly denied ones: their lock says it.
            // A denied node is not counted as seen, so it opens once it becomes readable (the
            // demo switching to a stronger identity, say).
            let denied = node.status == NodeStatus::Forbidden;
            let open = depth < OPEN_DEPTH && !node.children.is_empty() && !denied;
            if !denied && self.seen.insert(id) && open {
                self.expanded.insert(id);
            }
            for child in node.children.iter().rev() {
                stack.push((child, child_id(id, child), depth + 1));
            }
        }
    }

    /// The child indices from the root down to a row's node.
    pub fn path(&self, row: usize) -> Vec<usize> {
        let mut path = Vec::new();
        let mut current = self.rows.get(row).copied();
        while let Some(r) = current {
            path.push(r.index as usize);
            current = r.parent.map(|p| self.rows[p as usize]);
        }
        path.reverse();
        path
    }

    pub fn node(&self, path: &[usize]) -> Option<&TreeNode> {
        let (first, rest) = path.split_first()?;
        let mut node = self.roots.get(*first)?;
        for index in rest {
            node = node.children.get(*index)?;
        }
        Some(node)
    }

    /// The node a row shows.
    pub fn node_of(&self, row: usize) -> Option<&TreeNode> {
        self.node(&self.path(row))
    }

    /// For each level of a row from the top, whether that ancestor (and last, the row itself)
    /// was the last of its siblings.
    pub fn lasts(&self, row: usize) -> Vec<bool> {
        let mut lasts = Vec::new();
        let mut current = self.rows.get(row).copied();
        while let Some(r) = current {
            lasts.push(r.last);
            current = r.parent.map(|p| self.rows[p as usize]);
        }
        lasts.reverse();
        lasts
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }

    pub fn selected_node(&self) -> Option<&TreeNode> {
        self.node_of(self.selected)
    }

    /// Recomputes the visible rows. With a filter, a node shows when it or a descendant matches,
    /// and every node on the way to a match is open. `namespaces`, when given, hides the other
    /// namespace roots.
    pub fn flatten<'m>(
        &mut self,
        query: &Query,
        namespaces: Option<&BTreeSet<String>>,
        facts: &dyn Fn(&TreeNode) -> Facts<'m>,
    ) {
        let selected_id = self.selected_row().map(|r| r.id);
        let filtering = !query.is_everything();
        // With a filter, one pass marks which nodes stay (pre-order), then the walk reads it.
        if filtering && self.lowered.is_none() {
            let mut lowered = Vec::new();
            let mut stack: Vec<&TreeNode> = self.roots.iter().rev().collect();
            while let Some(node) = stack.pop() {
                lowered.push(node.text.to_ascii_lowercase());
                stack.extend(node.children.iter().rev());
            }
            self.lowered = Some(lowered);
        }
        let marks = match (&self.lowered, filtering) {
            (Some(lowered), true) => Some(Marks::new(&self.roots, lowered, query, facts)),
            _ => None,
        };
        let mut walk = Walk {
            marks: marks.as_ref(),
            expanded: &self.expanded,
            rows: Vec::with_capacity(self.rows.len()),
        };
        let shown: Vec<(usize, usize)> = {
            let mut order = 0;
            let mut shown = Vec::new();
            for (index, root) in self.roots.iter().enumerate() {
                let here = order;
                order += marks.as_ref().map_or(0, |m| m.size[here]);
                let hidden = root.kind == NodeKind::Namespace
                    && namespaces.is_some_and(|n| !n.contains(&root.text));
                if !hidden && marks.as_ref().is_none_or(|m| m.keep[here]) {
                    shown.push((index, here));
                }
            }
            shown
        };
        let count = shown.len();
        for (position, (index, order)) in shown.into_iter().enumerate() {
            let root = &self.roots[index];
            walk.node(
                root,
                order,
                child_id(ROOT, root),
                None,
                index,
                0,
                position + 1 == count,
            );
        }
        self.rows = walk.rows;
        self.reselect(selected_id);
    }

    /// Keeps the selection on the same node if it is still visible, else near where it was.
    fn reselect(&mut self, id: Option<NodeId>) {
        if let Some(index) = id.and_then(|id| self.rows.iter().position(|r| r.id == id)) {
            self.selected = index;
        } else {
            self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        }
    }

    /// Opens every ancestor of the selected row, so the selection stays visible when a filter
    /// that opened them goes away.
    pub fn open_to_selection(&mut self) {
        let mut parent = self.selected_row().and_then(|r| r.parent);
        while let Some(row) = parent.and_then(|p| self.rows.get(p as usize)) {
            self.expanded.insert(row.id);
            parent = row.parent;
        }
    }

    pub fn toggle(&mut self) -> bool {
        let Some(row) = self.selected_row().copied() else {
            return false;
        };
        if !row.has_children {
            return false;
        }
        if !self.expanded.remove(&row.id) {
            self.expanded.insert(row.id);
        }
        true
    }

    /// Opens the selected node; if it is open already, moves to its first child.
    pub fn expand(&mut self) -> bool {
        let Some(row) = self.selected_row().copied() else {
            return false;
        };
        if !row.has_children {
            return false;
        }
        if row.expanded {
            self.move_by(1);
            false
        } else {
            self.expanded.insert(row.id);
            true
        }
    }

    /// Closes the selected node; if it is closed already, moves to its parent.
    pub fn collapse(&mut self) -> bool {
        let Some(row) = self.selected_row().copied() else {
            return false;
        };
        if row.expanded {
            self.expanded.remove(&row.id);
            return true;
        }
        if let Some(parent) = row.parent {
            self.selected = parent as usize;
        }
        false
    }

    pub fn expand_all(&mut self) {
        let mut stack: Vec<(&TreeNode, NodeId)> =
            self.roots.iter().map(|n| (n, child_id(ROOT, n))).collect();
        while let Some((node, id)) = stack.pop() {
            if !node.children.is_empty() {
                stack.extend(
                    node.children
                        .iter()
                        .map(|child| (child, child_id(id, child))),
                );
                self.expanded.insert(id);
            }
        }
    }

    /// Expands every ancestor of the first node with this target, so it will be visible.
    pub fn open_path_to(&mut self, target: &Target) {
        fn find(
            nodes: &[TreeNode],
            parent: NodeId,
            target: &Target,
            path: &mut Vec<NodeId>,
        ) -> bool {
            for node in nodes {
                let id = child_id(parent, node);
                if node.target.as_ref() == Some(target) {
                    return true;
                }
                path.push(id);
                if find(&node.children, id, target, path) {
                    return true;
                }
                path.pop();
            }
            false
        }
        let mut path = Vec::new();
        if find(&self.roots, ROOT, target, &mut path) {
            self.expanded.extend(path);
        }
    }

    pub fn collapse_all(&mut self) {
        self.expanded.clear();
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.rows.is_empty() {
            return;
        }
        let last = self.rows.len() as isize - 1;
        self.selected = (self.selected as isize + delta).clamp(0, last) as usize;
    }

    pub fn select_first(&mut self) {
        self.selected = 0;
    }

    pub fn select_last(&mut self) {
        self.selected = self.rows.len().saturating_sub(1);
    }

    /// Scrolls so that the selection is on screen, given the number of visible lines.
    pub fn scroll_into_view(&mut self, height: usize) {
        if height == 0 {
            return;
        }
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(1));
    }
}

/// Which nodes a filter keeps, in pre-order: a node stays when it or a descendant matches.
struct Marks {
    keep: Vec<bool>,
    /// Nodes in each subtree, to step over one.
    size: Vec<usize>,
    /// How the filter matches the node itself.
    hits: Vec<Option<Hit>>,
}

impl Marks {
    fn new<'m>(
        roots: &[TreeNode],
        lowered: &[String],
        query: &Query,
        facts: &dyn Fn(&TreeNode) -> Facts<'m>,
    ) -> Self {
        let count = lowered.len();
        let mut marks = Marks {
            keep: Vec::with_capacity(count),
            size: Vec::with_capacity(count),
            hits: Vec::with_capacity(count),
        };
        let mut matcher =
            |node: &TreeNode, index: usize| query.hit(&lowered[index], &|| facts(node));
        for root in roots {
            marks.mark(root, &mut matcher);
        }
        marks
    }

    fn mark(
        &mut self,
        node: &TreeNode,
        matcher: &mut dyn FnMut(&TreeNode, usize) -> Option<Hit>,
    ) -> bool {
        let index = self.keep.len();
        let hit = matcher(node, index);
        self.keep.push(false);
        self.size.push(0);
        self.hits.push(hit);
        let mut keep = hit.is_some();
        for child in &node.children {
            keep |= self.mark(child, matcher);
        }
        self.keep[index] = keep;
        self.size[index] = self.keep.len() - index;
        keep
    }
}

struct Walk<'a> {
    marks: Option<&'a Marks>,
    expanded: &'a HashSet<NodeId>,
    rows: Vec<Row>,
}

impl Walk<'_> {
    /// `order` is the node's pre-order index (used only while filtering).
    #[allow(clippy::too_many_arguments)]
    fn node(
        &mut self,
        node: &TreeNode,
        order: usize,
        id: NodeId,
        parent: Option<u32>,
        index: usize,
        depth: u16,
        last: bool,
    ) {
        let has_children = !node.children.is_empty();
        // While filtering, a node is open when a descendant matches, so every match shows.
        let open = match self.marks {
            Some(marks) => {
                has_children && marks.keep[order] && marks.size[order] > 1 && {
                    let mut next = order + 1;
                    node.children.iter().any(|_| {
                        let kept = marks.keep[next];
                        next += marks.size[next];
                        kept
                    })
                }
            }
            None => has_children && self.expanded.contains(&id),
        };
        let hit = self.marks.and_then(|m| m.hits[order]);
        let row = self.rows.len() as u32;
        self.rows.push(Row {
            id,
            parent,
            index: index as u32,
            depth,
            has_children,
            expanded: open,
            last,
            hit,
        });
        if !open {
            return;
        }
        match self.marks {
            None => {
                let count = node.children.len();
                for (i, child) in node.children.iter().enumerate() {
                    self.node(
                        child,
                        0,
                        child_id(id, child),
                        Some(row),
                        i,
                        depth + 1,
                        i + 1 == count,
                    );
                }
            }
            Some(marks) => {
                // The kept children, found by stepping over each subtree.
                let mut kept = Vec::new();
                let mut next = order + 1;
                for i in 0..node.children.len() {
                    if marks.keep[next] {
                        kept.push((i, next));
                    }
                    next += marks.size[next];
                }
                let count = kept.len();
                for (position, (i, child_order)) in kept.into_iter().enumerate() {
                    let child = &node.children[i];
                    self.node(
                        child,
                        child_order,
                        child_id(id, child),
                        Some(row),
                        i,
                        depth + 1,
                        position + 1 == count,
                    );
                }
            }
        }
    }
}
