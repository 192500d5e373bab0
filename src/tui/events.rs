//! The selected object's Events in the detail pane, as `kubectl describe` ends with them:
//! asked for when the selection lands on an object of a cluster, once per object, and shown
//! as denied or failed in place when they cannot be read.

use super::msg::Cmd;
use super::state::App;
use crate::mesh::views::{self, Target};
use crate::source::fetch::Events;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// The request for the selected object's Events, when it is an object of a cluster whose
/// Events have not been asked for yet.
pub fn wanted(app: &mut App) -> Option<Cmd> {
    // The cheap checks first: this runs after every key.
    if !app.show_detail || app.source.cluster.is_none() {
        return None;
    }
    let selected = app.selected_target()?;
    if app.events.as_ref().is_some_and(|(t, _)| t == selected) {
        return None;
    }
    let target = selected.clone();
    let cluster = app.source.cluster.clone()?;
    let (kind, meta) = views::object_of(&app.mesh, &target)?;
    let cmd = Cmd::FetchEvents {
        cluster,
        about: target.clone(),
        kind: kind.to_string(),
        namespace: meta.namespace.clone(),
        name: meta.name.clone(),
    };
    app.events = Some((target, None));
    Some(cmd)
}

/// The Events' lines for the detail pane, when they are for the selected object.
pub fn lines(app: &App, target: &Target) -> Vec<Line<'static>> {
    let Some((about, events)) = &app.events else {
        return Vec::new();
    };
    if about != target {
        return Vec::new();
    }
    let bold = Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    let mut out = vec![Line::from(""), Line::from(Span::styled("Events", bold))];
    match events {
        None => out.push(Line::from("  … asking the API server")),
        Some(Events::Forbidden(message)) => out.push(Line::from(format!(
            "  🔒 forbidden: {}",
            crate::text::escape(message)
        ))),
        Some(Events::Failed(message)) => out.push(Line::from(format!(
            "  ⚠ failed: {}",
            crate::text::escape(message)
        ))),
        Some(Events::Listed(events)) if events.is_empty() => out.push(Line::from("  <none>")),
        Some(Events::Listed(events)) => {
            out.push(Line::from(format!(
                "  {:<8} {:<18} {:>5}  {:<16} MESSAGE",
                "TYPE", "REASON", "AGE", "FROM"
            )));
            for event in events {
                let age = event
                    .last_seen
                    .as_deref()
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                    .zip(app.now)
                    .map(|(at, now)| crate::text::age(now.as_second() - at.as_second()))
                    .unwrap_or_else(|| "-".into());
                let count = if event.count > 1 {
                    format!(" (x{})", event.count)
                } else {
                    String::new()
                };
                out.push(Line::from(crate::text::escape(&format!(
                    "  {:<8} {:<18} {:>5}  {:<16} {}{count}",
                    event.event_type, event.reason, age, event.from, event.message
                ))));
            }
        }
    }
    out
}
