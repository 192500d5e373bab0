//! Plain-text trees, readable in a terminal and in CI logs.

use crate::mesh::model::Mesh;
use crate::mesh::views::{self, TreeNode, View};

/// Renders the chosen views, each under its title.
pub fn render(mesh: &Mesh, views: &[View]) -> String {
    let mut out = String::new();
    if mesh.reduced {
        out.push_str(
            "(reduced mesh from the eventmesh backend: no triggers; consumers by Backstage id)\n\n",
        );
    }
    for (i, view) in views.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let roots = views::tree(mesh, *view);
        out.push_str(view.title());
        out.push('\n');
        if roots.is_empty() {
            out.push_str("  (none)\n");
        }
        for root in &roots {
            write_node(&mut out, root, "", None);
        }
    }
    for note in &mesh.notes {
        out.push_str(&format!("\nnote: {}\n", crate::text::escape(note)));
    }
    out
}

/// `last` is None for a root, which is printed flush left with no connector.
fn write_node(out: &mut String, node: &TreeNode, prefix: &str, last: Option<bool>) {
    let (connector, child_prefix) = match last {
        None => ("", String::new()),
        Some(true) => ("└── ", format!("{prefix}    ")),
        Some(false) => ("├── ", format!("{prefix}│   ")),
    };
    out.push_str(prefix);
    out.push_str(connector);
    out.push_str(node.status.glyph());
    // Names, URLs and server messages in the text came from outside.
    out.push_str(&crate::text::escape(&node.text));
    out.push('\n');
    let count = node.children.len();
    for (i, child) in node.children.iter().enumerate() {
        write_node(out, child, &child_prefix, Some(i + 1 == count));
    }
}
