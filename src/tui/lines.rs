//! The pieces detail-pane lines are made of: a bold field, a heading, conditions, labels and
//! annotations, and a link with what stands in its way.

use crate::mesh::model::{Resolution, SubscriberLink};
use crate::mesh::objects::{Condition, LAST_APPLIED_ANNOTATION, ObjectMeta, Status};
use crate::mesh::views::subscriber_text;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

pub(super) fn field(label: &str, value: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            format!("{label}: "),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(value.into()),
    ])
}

pub(super) fn heading(text: &str) -> Line<'static> {
    Line::from(Span::styled(
        text.to_string(),
        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    ))
}

pub(super) fn conditions(status: &Status, out: &mut Vec<Line<'static>>) {
    if status.conditions.is_empty() {
        out.push(field("Conditions", "(no status reported)"));
        return;
    }
    out.push(heading("Conditions"));
    for Condition {
        condition_type,
        status,
        reason,
        message,
        ..
    } in &status.conditions
    {
        let mut text = format!("  {condition_type}: {status}");
        if let Some(reason) = reason {
            text.push_str(&format!(" ({reason})"));
        }
        if let Some(message) = message {
            text.push_str(&format!(" {message}"));
        }
        out.push(Line::from(text));
    }
}

pub(super) fn labels_and_annotations(meta: &ObjectMeta, out: &mut Vec<Line<'static>>) {
    for (title, map) in [("Labels", &meta.labels), ("Annotations", &meta.annotations)] {
        let entries: Vec<_> = map
            .iter()
            .flatten()
            .filter(|(k, _)| k.as_str() != LAST_APPLIED_ANNOTATION)
            .collect();
        if entries.is_empty() {
            continue;
        }
        out.push(heading(title));
        for (key, value) in entries {
            out.push(Line::from(format!("  {key}={value}")));
        }
    }
}

pub(super) fn link(label: &str, link: &SubscriberLink, out: &mut Vec<Line<'static>>) {
    let (text, _) = subscriber_text(link);
    out.push(field(label, text));
    match &link.resolution {
        Resolution::Forbidden { message } => out.push(field("  forbidden", message.clone())),
        Resolution::Failed { message } => out.push(field("  failed", message.clone())),
        _ => {}
    }
}
