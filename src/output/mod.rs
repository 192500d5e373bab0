//! Non-interactive renderers: one function from a Mesh to text per format.

pub mod graph;
pub mod tree;

pub use crate::text::{escape, escape_lines};

use crate::mesh::eventmesh;
use crate::mesh::model::Mesh;
use crate::mesh::views::View;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain-text trees, as the TUI shows them.
    Tree,
    /// The full model, with access markers and filter outcomes.
    Json,
    /// The full model as YAML.
    Yaml,
    /// Exactly what the Knative eventmesh backend's GET /v1/getEventMesh returns.
    Eventmesh,
    /// The relation graph for Graphviz.
    Dot,
    /// The relation graph for Mermaid.
    Mermaid,
    /// The trees with each object's age, as kubectl's `-o wide` adds columns.
    Wide,
    /// One `kind.group/name` per object, as kubectl's `-o name` prints them.
    Name,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot render {format:?}: {message}")]
pub struct RenderError {
    format: Format,
    message: String,
}

pub fn render(mesh: &Mesh, format: Format, views: &[View]) -> Result<String, RenderError> {
    let fail = |message: String| RenderError { format, message };
    Ok(match format {
        Format::Tree => tree::render(mesh, views),
        Format::Json => json(mesh).map_err(|e| fail(e.to_string()))?,
        Format::Yaml => serde_saphyr::to_string(mesh).map_err(|e| fail(e.to_string()))?,
        Format::Eventmesh => json(&eventmesh::project(mesh)).map_err(|e| fail(e.to_string()))?,
        Format::Dot => graph::dot(mesh),
        Format::Mermaid => graph::mermaid(mesh),
        Format::Wide => tree::render_wide(mesh, views, jiff::Timestamp::now()),
        Format::Name => names(mesh),
    })
}

/// kubectl's `-o name`: `broker.eventing.knative.dev/default`, a line per object, in the order
/// of the views (brokers, triggers, event types, sources, channels, subscriptions). Like
/// kubectl's, the name leaves the namespace out.
fn names(mesh: &Mesh) -> String {
    fn line<S, T>(object: &crate::mesh::objects::Object<S, T>) -> String {
        let kind = crate::text::escape(&object.kind.to_ascii_lowercase());
        let name = crate::text::escape(object.name());
        match object.group() {
            "" => format!("{kind}/{name}\n"),
            group => format!("{kind}.{}/{name}\n", crate::text::escape(group)),
        }
    }
    let mut out = String::new();
    out.extend(mesh.brokers.iter().map(|n| line(&n.object)));
    out.extend(mesh.triggers.iter().map(|n| line(&n.object)));
    out.extend(mesh.event_types.iter().map(|n| line(&n.object)));
    out.extend(mesh.sources.iter().map(|n| line(&n.object)));
    out.extend(mesh.components.iter().map(|n| line(&n.object)));
    out.extend(
        mesh.channels
            .iter()
            .filter(|c| c.owner.is_none())
            .map(|n| line(&n.object)),
    );
    out.extend(
        mesh.subscriptions
            .iter()
            .filter(|s| s.owner.is_none())
            .map(|n| line(&n.object)),
    );
    out
}

/// Pretty JSON with a newline, escaped for a terminal.
pub fn json<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    let mut text = escape_json(&serde_json::to_string_pretty(value)?);
    text.push('\n');
    Ok(text)
}

/// JSON text with the characters a terminal would act on (DEL, C1 controls, bidi overrides)
/// written as `\uXXXX`: serde escapes only C0, and outside its strings JSON is ASCII.
pub fn escape_json(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c >= '\u{7f}' && crate::text::needs_escape(c))
    {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c >= '\u{7f}' && crate::text::needs_escape(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}
