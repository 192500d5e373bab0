//! A navigable tree over the mesh's view trees: which nodes are expanded, and the flattened
//! list of visible rows. Rows are recomputed only when something changes what is visible
//! (expand, collapse, filter, namespaces, new data), so drawing a frame touches only the rows
//! on screen. Nodes are known by identity (a path of stable keys), so the selection and the
//! expanded set survive live updates that insert rows above them.

use crate::mesh::views::{NodeKind, NodeStatus, Target, TreeNode};
use std::collections::{BTreeSet, HashSet};

/// Nodes this shallow are expanded when first seen: namespaces and brokers open, so a new
/// user sees brokers and their triggers at once.
const OPEN_DEPTH: usize = 2;

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    /// Child indices from the roots down to this node.
    pub path: Vec<usize>,
    pub depth: usize,
    pub has_children: bool,
    pub expanded: bool,
    /// For each ancestor level, whether that ancestor was the last of its siblings (to draw
    /// tree guides), this node included.
    pub last: Vec<bool>,
    /// Byte range of the filter match in the node's text.
    pub matched: Option<(usize, usize)>,
}

#[derive(Debug, Clone, Default)]
pub struct TreeState {
    pub roots: Vec<TreeNode>,
    pub expanded: HashSet<String>,
    seen: HashSet<String>,
    pub rows: Vec<Row>,
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
}

/// A node's key among its siblings: what it shows, not where it sits.
fn key(node: &TreeNode) -> String {
    match &node.target {
        Some(Target::Access(_)) | None => format!("{:?}:{}", node.kind, node.text),
        Some(target) => format!("{:?}:{target:?}", node.kind),
    }
}

/// Where a filter matches a text, ignoring ASCII case, without allocating.
pub fn find_ignore_case(text: &str, needle: &str) -> Option<(usize, usize)> {
    if needle.is_empty() {
        return None;
    }
    let (hay, pin) = (text.as_bytes(), needle.as_bytes());
    if pin.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - pin.len())
        .find(|&i| text.is_char_boundary(i) && hay[i..i + pin.len()].eq_ignore_ascii_case(pin))
        .map(|i| (i, i + pin.len()))
}

impl TreeState {
    pub fn new(roots: Vec<TreeNode>) -> Self {
        let mut state = Self::default();
        state.set_roots(roots);
        state
    }

    /// New data: keep what was expanded and selected, open new shallow nodes.
    pub fn set_roots(&mut self, roots: Vec<TreeNode>) {
        self.roots = roots;
        let mut stack: Vec<(&TreeNode, String, usize)> =
            self.roots.iter().rev().map(|n| (n, key(n), 0)).collect();
        while let Some((node, id, depth)) = stack.pop() {
            // Shallow nodes open when first seen, except wholly denied ones: their lock says it.
            let open = depth < OPEN_DEPTH
                && !node.children.is_empty()
                && node.status != NodeStatus::Forbidden;
            if self.seen.insert(id.clone()) && open {
                self.expanded.insert(id.clone());
            }
            for child in node.children.iter().rev() {
                stack.push((child, format!("{id}\u{1f}{}", key(child)), depth + 1));
            }
        }
    }

    pub fn node(&self, path: &[usize]) -> Option<&TreeNode> {
        let (first, rest) = path.split_first()?;
        let mut node = self.roots.get(*first)?;
        for index in rest {
            node = node.children.get(*index)?;
        }
        Some(node)
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }

    pub fn selected_node(&self) -> Option<&TreeNode> {
        self.selected_row().and_then(|row| self.node(&row.path))
    }

    /// Recomputes the visible rows. With a filter, a node shows when it or a descendant matches,
    /// and every node on the way to a match is open. `namespaces`, when given, hides the other
    /// namespace roots.
    pub fn flatten(&mut self, filter: &str, namespaces: Option<&BTreeSet<String>>) {
        let selected_id = self.selected_row().map(|r| r.id.clone());
        // With a filter, one pass marks which nodes stay (pre-order), then the walk below reads it.
        let marks = (!filter.is_empty()).then(|| Marks::new(&self.roots, filter));
        let mut walk = Walk {
            filter,
            marks: marks.as_ref(),
            expanded: &self.expanded,
            rows: Vec::new(),
        };
        let count = self.roots.len();
        let mut index_in_order = 0;
        for (index, root) in self.roots.iter().enumerate() {
            let here = index_in_order;
            index_in_order += marks.as_ref().map_or(0, |m| m.size[here]);
            if root.kind == NodeKind::Namespace
                && namespaces.is_some_and(|n| !n.contains(&root.text))
            {
                continue;
            }
            walk.node(root, here, key(root), vec![index], vec![index + 1 == count]);
        }
        self.rows = walk.rows;
        self.reselect(selected_id.as_deref());
    }

    /// Keeps the selection on the same node if it is still visible, else near where it was.
    fn reselect(&mut self, id: Option<&str>) {
        if let Some(index) = id.and_then(|id| self.rows.iter().position(|r| r.id == id)) {
            self.selected = index;
        } else {
            self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        }
    }

    pub fn select_id(&mut self, id: &str) {
        self.reselect(Some(id));
    }

    pub fn toggle(&mut self) -> bool {
        let Some(row) = self.selected_row().cloned() else {
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
        let Some(row) = self.selected_row().cloned() else {
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
        let Some(row) = self.selected_row().cloned() else {
            return false;
        };
        if row.expanded {
            self.expanded.remove(&row.id);
            return true;
        }
        if let Some(parent) = (0..self.selected)
            .rev()
            .find(|&i| self.rows[i].depth < row.depth)
        {
            self.selected = parent;
        }
        false
    }

    pub fn expand_all(&mut self) {
        let mut stack: Vec<(&TreeNode, String)> = self.roots.iter().map(|n| (n, key(n))).collect();
        while let Some((node, id)) = stack.pop() {
            if !node.children.is_empty() {
                for child in &node.children {
                    stack.push((child, format!("{id}\u{1f}{}", key(child))));
                }
                self.expanded.insert(id);
            }
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
}

impl Marks {
    fn new(roots: &[TreeNode], filter: &str) -> Self {
        let mut marks = Marks {
            keep: Vec::new(),
            size: Vec::new(),
        };
        for root in roots {
            marks.mark(root, filter);
        }
        marks
    }

    fn mark(&mut self, node: &TreeNode, filter: &str) -> bool {
        let index = self.keep.len();
        self.keep.push(false);
        self.size.push(0);
        let mut keep = find_ignore_case(&node.text, filter).is_some();
        for child in &node.children {
            keep |= self.mark(child, filter);
        }
        self.keep[index] = keep;
        self.size[index] = self.keep.len() - index;
        keep
    }
}

struct Walk<'a> {
    filter: &'a str,
    marks: Option<&'a Marks>,
    expanded: &'a HashSet<String>,
    rows: Vec<Row>,
}

impl Walk<'_> {
    /// `order` is the node's pre-order index (meaningful only while filtering).
    fn node(
        &mut self,
        node: &TreeNode,
        order: usize,
        id: String,
        path: Vec<usize>,
        last: Vec<bool>,
    ) {
        if self.marks.is_some_and(|m| !m.keep[order]) {
            return;
        }
        let has_children = !node.children.is_empty();
        // Child pre-order indices, and which children stay.
        let mut children = Vec::with_capacity(node.children.len());
        if let Some(marks) = self.marks {
            let mut next = order + 1;
            for (i, _) in node.children.iter().enumerate() {
                if marks.keep[next] {
                    children.push((i, next));
                }
                next += marks.size[next];
            }
        } else {
            children.extend((0..node.children.len()).map(|i| (i, 0)));
        }
        // While filtering, a node is open when a descendant matches, so every match shows.
        let open = match self.marks {
            Some(_) => !children.is_empty(),
            None => has_children && self.expanded.contains(&id),
        };
        self.rows.push(Row {
            id: id.clone(),
            path: path.clone(),
            depth: path.len() - 1,
            has_children,
            expanded: open,
            last: last.clone(),
            matched: find_ignore_case(&node.text, self.filter),
        });
        if !open {
            return;
        }
        let count = children.len();
        for (position, (index, child_order)) in children.into_iter().enumerate() {
            let child = &node.children[index];
            let mut child_path = path.clone();
            child_path.push(index);
            let mut child_last = last.clone();
            child_last.push(position + 1 == count);
            self.node(
                child,
                child_order,
                format!("{id}\u{1f}{}", key(child)),
                child_path,
                child_last,
            );
        }
    }
}
