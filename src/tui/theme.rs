//! Styles, one place: what each state and kind looks like, with and without colour.

use crate::mesh::views::{NodeKind, NodeStatus};
use ratatui::style::{Color, Modifier, Style};

/// Styles, with a colourless variant for NO_COLOR: every state stays distinct through its
/// glyph and modifiers alone.
pub(super) struct Theme {
    pub(super) color: bool,
}

impl Theme {
    pub(super) fn status(&self, status: NodeStatus) -> Style {
        let base = Style::default();
        match (status, self.color) {
            (NodeStatus::Forbidden, true) => base.fg(Color::Red).add_modifier(Modifier::BOLD),
            // Reverse video is the selection's; a denial is its glyph, bold and underlined.
            (NodeStatus::Forbidden, false) => {
                base.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
            }
            (NodeStatus::NotFound, true) => base.fg(Color::Yellow).add_modifier(Modifier::ITALIC),
            (NodeStatus::NotFound, false) => base.add_modifier(Modifier::ITALIC),
            (NodeStatus::Failed, true) => {
                base.fg(Color::Magenta).add_modifier(Modifier::UNDERLINED)
            }
            (NodeStatus::Failed, false) => base.add_modifier(Modifier::UNDERLINED),
            (NodeStatus::Loading, _) => base.add_modifier(Modifier::DIM | Modifier::ITALIC),
            (NodeStatus::NotReady, true) => base.fg(Color::LightRed),
            (NodeStatus::NotReady, false) => base.add_modifier(Modifier::DIM),
            (NodeStatus::Finding, true) => base.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            (NodeStatus::Finding, false) => base.add_modifier(Modifier::BOLD | Modifier::ITALIC),
            _ => base,
        }
    }

    pub(super) fn kind(&self, kind: NodeKind) -> Style {
        if !self.color {
            return match kind {
                NodeKind::Namespace | NodeKind::Broker => {
                    Style::default().add_modifier(Modifier::BOLD)
                }
                _ => Style::default(),
            };
        }
        match kind {
            NodeKind::Namespace => Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            NodeKind::Broker => Style::default()
                .fg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            NodeKind::EventType => Style::default().fg(Color::LightMagenta),
            NodeKind::Source => Style::default().fg(Color::Green),
            NodeKind::Channel => Style::default().fg(Color::LightBlue),
            NodeKind::Component => Style::default().fg(Color::LightGreen),
            NodeKind::DeadLetter => Style::default().fg(Color::LightRed),
            NodeKind::Filter | NodeKind::Consumer | NodeKind::Producer => {
                Style::default().fg(Color::Gray)
            }
            _ => Style::default(),
        }
    }

    pub(super) fn selected(&self) -> Style {
        if self.color {
            Style::default()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }

    pub(super) fn matched(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Yellow).fg(Color::Black)
        } else {
            Style::default().add_modifier(Modifier::ITALIC | Modifier::BOLD)
        }
    }

    /// A row that matched by a label, annotation or kind: nothing in its text to highlight.
    pub(super) fn matched_elsewhere(&self) -> Style {
        Style::default().add_modifier(Modifier::UNDERLINED)
    }

    /// A trigger a trace met: what passes stands out, what fails fades, a maybe is in between.
    pub(super) fn trace(&self, mark: crate::mesh::trace::Mark) -> Style {
        use crate::mesh::trace::Mark;
        let base = Style::default();
        match (mark, self.color) {
            (Mark::Passes, true) => base.fg(Color::LightGreen).add_modifier(Modifier::BOLD),
            (Mark::Passes, false) => base.add_modifier(Modifier::BOLD),
            (Mark::Maybe, true) => base.fg(Color::Yellow).add_modifier(Modifier::ITALIC),
            (Mark::Maybe, false) => base.add_modifier(Modifier::ITALIC),
            (Mark::Fails, _) => base.add_modifier(Modifier::DIM | Modifier::CROSSED_OUT),
        }
    }

    pub(super) fn dim(&self) -> Style {
        Style::default().add_modifier(Modifier::DIM)
    }

    pub(super) fn accent(&self) -> Style {
        if self.color {
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        }
    }
}
