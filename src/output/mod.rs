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
    })
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}
