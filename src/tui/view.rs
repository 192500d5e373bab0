//! Drawing: a pure function of the state. Only the rows on screen are drawn.

use super::detail;
use super::keys::{self, Action};
use super::labels::{freshness_text, identity_text, origin_text};
use super::picker::{NamespacePicker, PICKER_HINT};
use super::query::Hit;
use super::state::{App, Popup, TABS};
use super::tree::Row;
use super::yaml_view::{YAML_HINT, YamlView};
use crate::mesh::views::{NodeKind, NodeStatus, TreeNode};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
const SPINNER: [&str; 4] = ["⠋", "⠙", "⠸", "⠴"];

/// Styles, with a colourless variant for NO_COLOR: every state stays distinct through its
/// glyph and modifiers alone.
struct Theme {
    color: bool,
}

impl Theme {
    fn status(&self, status: NodeStatus) -> Style {
        let base = Style::default();
        match (status, self.color) {
            (NodeStatus::Forbidden, true) => base.fg(Color::Red).add_modifier(Modifier::BOLD),
            (NodeStatus::Forbidden, false) => {
                base.add_modifier(Modifier::BOLD | Modifier::REVERSED)
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
            _ => base,
        }
    }

    fn kind(&self, kind: NodeKind) -> Style {
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
            NodeKind::Filter | NodeKind::Consumer | NodeKind::Producer => {
                Style::default().fg(Color::Gray)
            }
            _ => Style::default(),
        }
    }

    fn selected(&self) -> Style {
        if self.color {
            Style::default()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        }
    }

    fn matched(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Yellow).fg(Color::Black)
        } else {
            Style::default().add_modifier(Modifier::UNDERLINED)
        }
    }

    /// A row that matched by a label, annotation or kind: nothing in its text to highlight.
    fn matched_elsewhere(&self) -> Style {
        Style::default().add_modifier(Modifier::UNDERLINED)
    }

    fn dim(&self) -> Style {
        Style::default().add_modifier(Modifier::DIM)
    }

    fn accent(&self) -> Style {
        if self.color {
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        }
    }
}

/// The screen's parts, computed the same way for drawing and for mouse clicks.
pub struct Areas {
    pub header: Rect,
    pub tabs: Rect,
    pub tree: Rect,
    pub detail: Option<Rect>,
    pub filter: Option<Rect>,
    pub status: Rect,
}

pub fn areas(app: &App, area: Rect) -> Areas {
    let show_filter = app.filtering || !app.filter.is_empty();
    let [header, tabs, body, filter, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(u16::from(show_filter)),
        Constraint::Length(1),
    ])
    .areas(area);
    let (tree, detail) = if !app.show_detail {
        (body, None)
    } else if area.width >= 100 {
        let [tree, detail] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(body);
        (tree, Some(detail))
    } else {
        let [tree, detail] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        (tree, Some(detail))
    };
    Areas {
        header,
        tabs,
        tree,
        detail,
        filter: show_filter.then_some(filter),
        status,
    }
}

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let theme = Theme {
        color: !app.no_color,
    };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "kn-mesh needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this terminal is {}×{}.\nEnlarge it, or press q to quit.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let areas = areas(app, area);
    draw_header(frame, app, &theme, areas.header);
    draw_tabs(frame, app, &theme, areas.tabs);
    draw_tree(frame, app, &theme, areas.tree);
    if let Some(detail_area) = areas.detail {
        draw_detail(frame, app, detail_area);
    }
    if let Some(filter_area) = areas.filter {
        let cursor = if app.filtering { "▏" } else { "" };
        let matches = app
            .current()
            .rows
            .iter()
            .filter(|r| r.hit.is_some())
            .count();
        let line = Line::from(vec![
            Span::styled("/", theme.accent()),
            Span::raw(format!("{}{cursor}", app.filter)),
            Span::styled(
                format!("   {matches} matching  (Enter keeps it, Esc clears)"),
                theme.dim(),
            ),
        ]);
        frame.render_widget(Paragraph::new(line), filter_area);
    }
    draw_status(frame, app, &theme, areas.status);
    if let Some(popup) = &app.popup {
        draw_popup(frame, app, popup, area);
    }
}

/// The detail pane: wrapped with hanging indents (so copied YAML keeps its shape), and
/// scrolled by J/K or the wheel.
fn draw_detail(frame: &mut Frame, app: &App, area: Rect) {
    let width = usize::from(area.width.saturating_sub(2));
    let lines = super::wrap::lines(detail::lines(app), width);
    let inside = area.height.saturating_sub(2);
    let hidden = (lines.len() as u16).saturating_sub(inside);
    let scroll = app.detail_offset().min(hidden);
    let title = if hidden > 0 {
        format!(" Detail  {}/{hidden}  J/K scroll ", scroll)
    } else {
        " Detail ".to_string()
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

fn draw_header(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mut spans = vec![
        Span::styled(" kn-mesh ", theme.accent()),
        Span::raw(format!("│ {} ", origin_text(app.source.origin.as_ref()))),
    ];
    if let Some(identity) = &app.source.identity {
        spans.push(Span::raw(format!("│ as {} ", identity_text(identity))));
    }
    if app.mesh.reduced {
        spans.push(Span::styled(
            "│ reduced: backend data, no triggers ",
            theme.status(NodeStatus::NotFound),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_tabs(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mut spans = Vec::new();
    for (index, tab) in TABS.iter().enumerate() {
        let label = format!(" {} {} ", index + 1, tab.title());
        let style = if index == app.tab {
            if theme.color {
                Style::default()
                    .bg(Color::Blue)
                    .fg(Color::White)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default().add_modifier(Modifier::REVERSED)
            }
        } else {
            theme.dim()
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `lasts`: for each level from the root down to the row, whether it was the last sibling.
fn guides(lasts: &[bool]) -> String {
    let mut text = String::new();
    let depth = lasts.len().saturating_sub(1);
    // Ancestors below the root level draw a line while they have siblings to come.
    for &last in lasts.iter().take(depth).skip(1) {
        text.push_str(if last { "   " } else { "│  " });
    }
    if depth > 0 {
        text.push_str(if *lasts.last().unwrap_or(&true) {
            "└─ "
        } else {
            "├─ "
        });
    }
    text
}

fn row_line(
    row: &Row,
    lasts: &[bool],
    node: &TreeNode,
    theme: &Theme,
    selected: bool,
) -> Line<'static> {
    let marker = match (row.has_children, row.expanded) {
        (false, _) => "  ",
        (true, true) => "▾ ",
        (true, false) => "▸ ",
    };
    let status_style = theme.status(node.status);
    let style = theme.kind(node.kind).patch(status_style);
    // A text that starts with its own status glyph (the report's "⚠ expires…") gets it once.
    let glyph = node.status.glyph();
    let glyph = if node.text.starts_with(glyph.trim_end()) {
        ""
    } else {
        glyph
    };
    let mut spans = vec![
        Span::styled(guides(lasts), theme.dim()),
        Span::raw(marker),
        Span::styled(glyph, style),
    ];
    match row.hit {
        Some(Hit::Text(start, end)) => {
            let (start, end) = (start as usize, end as usize);
            spans.push(Span::styled(node.text[..start].to_string(), style));
            spans.push(Span::styled(
                node.text[start..end].to_string(),
                style.patch(theme.matched()),
            ));
            spans.push(Span::styled(node.text[end..].to_string(), style));
        }
        Some(Hit::Elsewhere) => spans.push(Span::styled(
            node.text.clone(),
            style.patch(theme.matched_elsewhere()),
        )),
        None => spans.push(Span::styled(node.text.clone(), style)),
    }
    let line = Line::from(spans);
    if selected {
        line.patch_style(theme.selected())
    } else {
        line
    }
}

fn draw_tree(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let tree = app.current();
    let height = area.height as usize;
    let mut lines = Vec::with_capacity(height);
    if tree.rows.is_empty() {
        let text = if app.source.loading {
            format!("{} loading the mesh…", SPINNER[app.tick % SPINNER.len()])
        } else if !app.filter.is_empty() {
            format!("nothing matches {:?}", app.filter)
        } else {
            "(nothing here)".to_string()
        };
        lines.push(Line::styled(text, theme.status(NodeStatus::Loading)));
    }
    // The offset is kept by the event loop; clamp it here in case the rows shrank.
    let offset = tree
        .offset
        .min(tree.rows.len().saturating_sub(height.max(1)))
        .min(tree.selected);
    let offset = if tree.selected >= offset + height {
        tree.selected + 1 - height
    } else {
        offset
    };
    for (index, row) in tree.rows.iter().enumerate().skip(offset).take(height) {
        if let Some(node) = tree.node_of(index) {
            lines.push(row_line(
                row,
                &tree.lasts(index),
                node,
                theme,
                index == tree.selected,
            ));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_status(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mesh = &app.mesh;
    let mut spans = Vec::new();
    let missing = mesh.missing_namespaces();
    if let Some(problem) = &app.source.problem {
        spans.push(Span::styled(
            format!(" ⚠ {problem} "),
            theme.status(NodeStatus::Failed),
        ));
    } else if !missing.is_empty() {
        let names = missing
            .iter()
            .map(|n| crate::text::escape(n))
            .collect::<Vec<_>>();
        spans.push(Span::styled(
            format!(" ∅ no namespace {} ", names.join(", ")),
            theme.status(NodeStatus::NotFound),
        ));
    } else if app.source.loading {
        spans.push(Span::styled(
            format!(" {} loading ", SPINNER[app.tick % SPINNER.len()]),
            theme.dim(),
        ));
    }
    let counts = [
        (mesh.brokers.len(), ("broker", "brokers"), "b"),
        (mesh.triggers.len(), ("trigger", "triggers"), "t"),
        (mesh.event_types.len(), ("event type", "event types"), "et"),
        (mesh.sources.len(), ("source", "sources"), "s"),
        (
            mesh.channels.iter().filter(|c| c.owner.is_none()).count(),
            ("channel", "channels"),
            "ch",
        ),
    ];
    // Narrow terminals get the short form, so the denied count and the help hint still fit.
    let wide = area.width >= 110;
    let counts: Vec<String> = counts
        .iter()
        .map(|(n, (one, many), short)| {
            if wide {
                crate::text::count(*n, one, many)
            } else {
                format!("{n}{short}")
            }
        })
        .collect();
    spans.push(Span::raw(format!(
        " {} ",
        counts.join(if wide { " · " } else { " " })
    )));
    // Denials per namespace, not per request: 300 locked namespaces are one fact each.
    let (namespaces, cluster) = app.mesh.denied_scopes();
    let denied = match (namespaces, cluster, wide) {
        (0, false, _) => String::new(),
        (0, true, _) => "cluster".to_string(),
        (n, false, _) => format!("{n} ns"),
        (n, true, true) => format!("{n} ns + cluster"),
        (n, true, false) => format!("{n}ns+cl"),
    };
    if !denied.is_empty() {
        spans.push(Span::styled(
            format!("│ 🔒 {denied} "),
            theme.status(NodeStatus::Forbidden),
        ));
    }
    if let Some(freshness) = &app.source.freshness {
        let updated = freshness_text(freshness, &app.time_zone);
        spans.push(Span::styled(format!("│ updated {updated} "), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    // The hint is drawn last, at the right edge, so it is never pushed off screen.
    // From the key table, so the hint names the keys that really apply.
    let label = |action| {
        keys::binding(action)
            .and_then(|b| b.help)
            .map_or("", |(k, _)| k)
    };
    let quit = label(Action::Quit).split(' ').next().unwrap_or("q");
    let hint = format!(" {} help  {quit} quit ", label(Action::Help));
    let width = hint.chars().count() as u16;
    if area.width > width {
        let hint_area = Rect {
            x: area.x + area.width - width,
            width,
            ..area
        };
        frame.render_widget(
            Paragraph::new(Span::styled(hint, theme.accent())),
            hint_area,
        );
    }
}

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

fn draw_popup(frame: &mut Frame, app: &App, popup: &Popup, area: Rect) {
    let theme = Theme {
        color: !app.no_color,
    };
    match popup {
        Popup::Help { scroll } => draw_help(frame, app, &theme, area, *scroll),
        Popup::Yaml(yaml) => draw_yaml(frame, &theme, area, yaml),
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

fn draw_namespaces(frame: &mut Frame, theme: &Theme, area: Rect, picker: &NamespacePicker) {
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
        let line = Line::from(format!(" {mark} {current} {namespace}"));
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
    let width = (PICKER_HINT.chars().count() as u16 + 4).max(44);
    let rect = centered(area, width, listed as u16 + 3);
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
    let lines: Vec<Line> = yaml
        .text
        .lines()
        .enumerate()
        .skip(yaml.scroll)
        .take(height)
        .map(|(index, text)| {
            let line = Line::from(text.to_string());
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
        .title(format!(" {} ", yaml.title))
        .title_bottom(footer);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// The keys' column in the help.
const HELP_KEYS: usize = 18;

fn draw_help(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, scroll: u16) {
    let rect_width = area.width.saturating_sub(2).min(84);
    // Inside the borders, the text column: a long line wraps under itself, not under the keys.
    let text_width = usize::from(rect_width.saturating_sub(2))
        .saturating_sub(HELP_KEYS)
        .max(10);
    let mut lines: Vec<Line> = Vec::new();
    for (keys, help) in keys::help_lines(app.source.can_switch_identity) {
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
        "🔒 forbidden  ∅ not found  ⚠ failed  … loading  ✗ not ready",
    ];
    for note in notes {
        for part in super::wrap::words(note, usize::from(rect_width.saturating_sub(2))) {
            lines.push(Line::styled(part, theme.dim()));
        }
    }
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
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(title);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
