//! The popups drawn over the views: the help, the YAML, the namespace picker and the
//! provider picker.

use super::keys;
use super::picker::{NamespacePicker, PICKER_HINT};
use super::state::{App, Popup};
use super::theme::Theme;
use super::yaml_view::{YAML_HINT, YamlView};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(2));
    let height = height.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

pub(super) fn draw(frame: &mut Frame, app: &App, popup: &Popup, area: Rect) {
    let theme = Theme {
        color: !app.no_color,
    };
    match popup {
        Popup::Help { scroll } => draw_help(frame, app, &theme, area, *scroll),
        Popup::Yaml(yaml) => draw_yaml(frame, &theme, area, yaml),
        Popup::Jump { items, cursor } => {
            let lines = items
                .iter()
                .map(|(label, _)| format!(" {}", crate::text::escape(label)))
                .collect();
            let title = " Jump to: Enter goes, Esc stays; [ comes back later ";
            draw_pick_list(frame, &theme, area, (lines, *cursor), 64, title);
        }
        Popup::Contexts { names, cursor } => {
            let current = app.source.context.as_deref();
            let mut lines = marked(names, current);
            lines.extend(
                app.context_actions()
                    .iter()
                    .map(|action| format!(" → {}", action.label())),
            );
            let title = " Contexts (• in use): Enter switches, Esc stays ";
            draw_pick_list(frame, &theme, area, (lines, *cursor), 56, title);
        }
        Popup::ServiceAccounts { names, cursor } => {
            let lines = marked(names, app.acting_as());
            let title = " Act as (• in use): Enter impersonates, Esc stays ";
            draw_pick_list(frame, &theme, area, (lines, *cursor), 72, title);
        }
        Popup::Providers { ids, cursor } => {
            let width = ids.iter().map(|l| l.id.chars().count()).max().unwrap_or(0);
            let items = ids
                .iter()
                .map(|l| {
                    let url = crate::text::escape(&l.base_url);
                    format!(" {:<width$}  {url}", crate::text::escape(&l.id))
                })
                .collect();
            let title = " Knative event mesh providers: Enter picks, q quits ";
            draw_pick_list(frame, &theme, area, (items, *cursor), 76, title);
        }
        Popup::Namespaces(picker) => draw_namespaces(frame, &theme, area, picker),
    }
}

/// A pick list's lines, the one in use marked with a dot.
fn marked(names: &[String], current: Option<&str>) -> Vec<String> {
    names
        .iter()
        .map(|name| {
            let mark = if Some(name.as_str()) == current {
                "•"
            } else {
                " "
            };
            format!(" {mark} {}", crate::text::escape(name))
        })
        .collect()
}

fn draw_namespaces(frame: &mut Frame, theme: &Theme, area: Rect, picker: &NamespacePicker) {
    let box_width = (PICKER_HINT.chars().count() as u16 + 4).max(44);
    // A name longer than the box ends in `…`.
    let inner = usize::from(
        box_width
            .min(area.width.saturating_sub(2))
            .saturating_sub(2),
    );
    let shown = picker.shown();
    let rows = super::picker::rows_on(area);
    let mut lines = vec![Line::from(vec![
        Span::styled("type to filter: ", theme.dim()),
        Span::raw(format!("{}▏", crate::text::escape(&picker.query))),
        Span::styled(
            format!("  {} of {} listed", shown.len(), picker.all.len()),
            theme.dim(),
        ),
    ])];
    for (index, namespace) in shown.iter().enumerate().skip(picker.offset).take(rows) {
        let mark = if picker.chosen.contains(*namespace) {
            "[x]"
        } else {
            "[ ]"
        };
        // The namespaces the views show now, before this choice is applied.
        let current = if picker.current.contains(*namespace) {
            "•"
        } else {
            " "
        };
        let line = Line::from(format!(
            " {mark} {current} {}",
            crate::text::escape(namespace)
        ));
        let line = super::wrap::window(line, 0, inner);
        lines.push(if index == picker.cursor {
            line.patch_style(theme.selected())
        } else {
            line
        });
    }
    if shown.is_empty() {
        lines.push(Line::styled(" (no namespace matches)", theme.dim()));
    }
    let listed = lines.len();
    let more = shown.len().saturating_sub(picker.offset + rows);
    let position = if more > 0 {
        format!(" ↓ {more} more")
    } else {
        String::new()
    };
    lines.push(Line::styled(
        format!(" {}{position}", picker.summary()),
        theme.accent(),
    ));
    let rect = centered(area, box_width, listed as u16 + 3);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Namespaces (• shown now) ")
        .title_bottom(format!(" {PICKER_HINT} "));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// The YAML popup: the text from its scroll line, the search hit marked, and in the bottom
/// border the search being typed, what the last key did, or the keys.
fn draw_yaml(frame: &mut Frame, theme: &Theme, area: Rect, yaml: &YamlView) {
    let rect = centered(
        area,
        area.width.saturating_sub(8),
        area.height.saturating_sub(4),
    );
    let height = usize::from(rect.height.saturating_sub(2));
    let width = usize::from(rect.width.saturating_sub(2));
    let lines: Vec<Line> = yaml
        .text
        .lines()
        .enumerate()
        .skip(yaml.scroll)
        .take(height)
        .map(|(index, text)| {
            // Escaped and cut with `…` on screen; `c` copies the text whole and exact.
            let line = Line::from(crate::text::escape(text));
            let line = super::wrap::window(line, 0, width);
            if yaml.found == Some(index) {
                line.patch_style(theme.matched())
            } else {
                line
            }
        })
        .collect();
    let footer = if yaml.typing {
        format!(" /{}▏ Enter finds, Esc cancels ", yaml.query)
    } else if let Some(note) = &yaml.note {
        format!(" {note} ")
    } else {
        format!(" {YAML_HINT} ")
    };
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", crate::text::escape(&yaml.title)))
        .title_bottom(footer);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// The keys' column in the help.
const HELP_KEYS: usize = 18;

/// The help's lines at this screen's width, and the box's width.
fn help_lines(can_switch_identity: bool, theme: &Theme, area: Rect) -> (Vec<Line<'static>>, u16) {
    let rect_width = area.width.saturating_sub(2).min(84);
    // Inside the borders, the text column: a long line wraps under itself, not under the keys.
    let text_width = usize::from(rect_width.saturating_sub(2))
        .saturating_sub(HELP_KEYS)
        .max(10);
    let mut lines: Vec<Line> = Vec::new();
    for (keys, help) in keys::help_lines(can_switch_identity) {
        for (index, part) in super::wrap::words(help, text_width).into_iter().enumerate() {
            let keys = if index == 0 { keys } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{keys:<HELP_KEYS$}"), theme.accent()),
                Span::raw(part),
            ]));
        }
    }
    lines.push(Line::from(""));
    let notes = [
        "Mouse: click to select, wheel to scroll (--no-mouse lets you select text).",
        "🔒 forbidden  ∅ not found  ⚠ failed  … loading  ✗ not ready  ⚑ finding",
    ];
    for note in notes {
        for part in super::wrap::words(note, usize::from(rect_width.saturating_sub(2))) {
            lines.push(Line::styled(part, theme.dim()));
        }
    }
    (lines, rect_width)
}

/// How many help lines do not fit on this screen: as far as j can scroll.
pub(super) fn help_hidden_on(area: Rect, can_switch_identity: bool) -> u16 {
    let theme = Theme { color: false };
    let (lines, rect_width) = help_lines(can_switch_identity, &theme, area);
    let rect = centered(area, rect_width, lines.len() as u16 + 2);
    (lines.len() as u16).saturating_sub(rect.height.saturating_sub(2))
}

fn draw_help(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, scroll: u16) {
    let (lines, rect_width) = help_lines(app.source.can_switch_identity, theme, area);
    let rect = centered(area, rect_width, lines.len() as u16 + 2);
    let inside = rect.height.saturating_sub(2);
    let hidden = (lines.len() as u16).saturating_sub(inside);
    let scroll = scroll.min(hidden);
    let title = if hidden > 0 {
        format!(
            " Keys ({}/{hidden}, j/k scroll, any other key closes) ",
            scroll
        )
    } else {
        " Keys (any key closes) ".to_string()
    };
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(title);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), rect);
}

/// A list in a box, its cursor's line highlighted.
fn draw_pick_list(
    frame: &mut Frame,
    theme: &Theme,
    area: Rect,
    (items, cursor): (Vec<String>, usize),
    width: u16,
    title: &str,
) {
    let lines: Vec<Line> = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let line = Line::from(item);
            if i == cursor {
                line.patch_style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    let rect = centered(area, width, lines.len() as u16 + 2);
    // A list longer than the box scrolls so that the cursor stays in it.
    let inside = usize::from(rect.height.saturating_sub(2)).max(1);
    let offset = cursor.saturating_sub(inside - 1) as u16;
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(title);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((offset, 0)), rect);
}
