//! Drawing: a pure function of the state. Only the rows on screen are drawn.

use super::detail;
use super::keys::{self, Action};
use super::labels::{freshness_text, freshness_time, identity_text, origin_short, origin_text};
use super::query::Hit;
use super::state::{App, TABS};
use super::theme::Theme;
use super::tree::Row;
use crate::mesh::trace::Mark;
use crate::mesh::views::{NodeKind, NodeStatus, TreeNode};
use crate::source::spec::Freshness;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
const SPINNER: [&str; 4] = ["⠋", "⠙", "⠸", "⠴"];

/// The screen's parts, computed the same way for drawing and for mouse clicks.
pub struct Areas {
    pub header: Rect,
    pub tabs: Rect,
    /// The columns' header line above the tree, when it shows columns.
    pub columns: Option<Rect>,
    pub tree: Rect,
    pub detail: Option<Rect>,
    pub filter: Option<Rect>,
    /// `t`'s prompt, or the trace the trees mark.
    pub trace: Option<Rect>,
    pub status: Rect,
}

/// Whether the tree shows kubectl's columns: a mesh view wide enough for names and columns.
fn shows_columns(app: &App, tree: Rect) -> bool {
    tree.width >= super::columns::MIN_TREE_WIDTH
        && matches!(TABS.get(app.tab), Some(super::state::Tab::Mesh(_)))
}

pub fn areas(app: &App, area: Rect) -> Areas {
    let show_filter = app.filtering || !app.filter.is_empty();
    let show_trace = app.trace_prompt.is_some() || app.trace.is_some();
    let [header, tabs, body, filter, trace, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(u16::from(show_filter)),
        Constraint::Length(u16::from(show_trace)),
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
    let (columns, tree) = if shows_columns(app, tree) {
        let [columns, tree] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(tree);
        (Some(columns), tree)
    } else {
        (None, tree)
    };
    Areas {
        header,
        tabs,
        columns,
        tree,
        detail,
        filter: show_filter.then_some(filter),
        trace: show_trace.then_some(trace),
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
    if let Some(columns) = areas.columns {
        let sort = if app.sort_by_age { "by age" } else { "by name" };
        let header = format!(
            "{:<width$} {}",
            format!("NAME ({sort}, s sorts)"),
            super::columns::header(),
            width = usize::from(columns.width).saturating_sub(COLUMNS_GAP)
        );
        frame.render_widget(
            Paragraph::new(Span::styled(header, theme.accent())),
            columns,
        );
    }
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
    if let Some(trace_area) = areas.trace {
        draw_trace_line(frame, app, &theme, trace_area);
    }
    draw_status(frame, app, &theme, areas.status);
    if let Some(popup) = &app.popup {
        super::popups::draw(frame, app, popup, area);
    }
}

/// `t`'s prompt while it is typed, else what the trees' marks are a trace of.
fn draw_trace_line(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let width = usize::from(area.width);
    let line = if let Some(prompt) = &app.trace_prompt {
        let label = format!("trace from {}: ", super::trace::entry_label(&prompt.entry));
        let (hint, hint_style) = match &prompt.error {
            Some(error) => (format!("   ⚠ {error}"), theme.status(NodeStatus::Failed)),
            None => (
                "   key=value words (Enter traces, Esc cancels)".to_string(),
                theme.dim(),
            ),
        };
        // The end of the text is where typing happens: a long text shows its tail, measured
        // in screen columns (a CJK character takes two).
        use unicode_width::UnicodeWidthStr;
        let text = crate::text::escape(&prompt.text);
        let room = width.saturating_sub(label.width() + 1);
        let shown = tail_within(&text, room);
        let count = text.width();
        let mut spans = vec![
            Span::styled(label, theme.accent()),
            Span::raw(format!("{shown}▏")),
        ];
        // A refusal is shown even over the text; the keys' hint only where there is room.
        if prompt.error.is_some() || count + hint.width() <= room {
            spans.push(Span::styled(hint, hint_style));
        }
        Line::from(spans)
    } else if let Some(trace) = &app.trace {
        let (counts, event) = trace.summary();
        Line::from(vec![
            Span::styled(counts, theme.accent()),
            Span::styled(" (t edits, Esc ends) │ ", theme.dim()),
            Span::raw(event),
        ])
    } else {
        return;
    };
    let line = super::wrap::window(line, 0, width);
    frame.render_widget(Paragraph::new(line), area);
}

/// The end of a text that fits in `room` columns, with `…` where its start was cut.
fn tail_within(text: &str, room: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= room {
        return text.to_string();
    }
    let mut taken = 1; // the `…`
    let mut start = text.len();
    for (at, c) in text.char_indices().rev() {
        let wide = c.width().unwrap_or(0);
        if taken + wide > room {
            break;
        }
        taken += wide;
        start = at;
    }
    format!("…{}", &text[start..])
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

/// The header, as much of it as fits: the identity is what matters most on a narrow screen,
/// so the server's URL goes first, then the identity's details.
fn draw_header(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let origin = app.source.origin.as_ref();
    let identity = app.source.identity.as_ref();
    let long_origin = origin_text(origin);
    let candidates = [
        (long_origin.as_str(), identity.map(identity_text)),
        (origin_short(origin), identity.map(identity_text)),
        (
            origin_short(origin),
            identity.map(|i| crate::text::escape(&i.name)),
        ),
    ];
    let reduced = app
        .mesh
        .reduced
        .then_some("│ reduced: backend data, no triggers ");
    let width = usize::from(area.width);
    let line_of = |(origin, identity): &(&str, Option<String>)| {
        let mut spans = vec![
            Span::styled(" kn-mesh ", theme.accent()),
            Span::raw(format!("│ {origin} ")),
        ];
        if let Some(identity) = identity {
            spans.push(Span::raw(format!("│ as {identity} ")));
        }
        if let Some(reduced) = reduced {
            spans.push(Span::styled(reduced, theme.status(NodeStatus::NotFound)));
        }
        Line::from(spans)
    };
    let fits = candidates
        .iter()
        .map(line_of)
        .find(|line| line.width() <= width);
    let line = fits.unwrap_or_else(|| {
        let text = line_of(&candidates[2]).to_string();
        Line::from(super::wrap::ellipsis(&text, width))
    });
    frame.render_widget(Paragraph::new(line), area);
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
    // Cut with `…` where the screen ends, never silently.
    let line = super::wrap::window(Line::from(spans), 0, usize::from(area.width));
    frame.render_widget(Paragraph::new(line), area);
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
    (selected, mark): (bool, Option<Mark>),
) -> Line<'static> {
    let marker = match (row.has_children, row.expanded) {
        (false, _) => "  ",
        (true, true) => "▾ ",
        (true, false) => "▸ ",
    };
    let status_style = theme.status(node.status);
    let mut style = theme.kind(node.kind).patch(status_style);
    if let Some(mark) = mark {
        style = style.patch(theme.trace(mark));
    }
    // A text that starts with its own status glyph (the report's "⚠ expires…") gets it once.
    let glyph = node.status.glyph();
    let glyph = if node.text.starts_with(glyph.trim_end()) {
        ""
    } else {
        glyph
    };
    let mut spans = vec![Span::styled(guides(lasts), theme.dim()), Span::raw(marker)];
    if let Some(mark) = mark {
        spans.push(Span::styled(mark_glyph(mark), style));
    }
    spans.push(Span::styled(glyph, style));
    // Names, URLs and messages in the text came from outside; each piece is escaped on its
    // own so the match's byte offsets stay those of the text.
    let escape = crate::text::escape;
    match row.hit {
        Some(Hit::Text(start, end)) => {
            let (start, end) = (start as usize, end as usize);
            spans.push(Span::styled(escape(&node.text[..start]), style));
            spans.push(Span::styled(
                escape(&node.text[start..end]),
                style.patch(theme.matched()),
            ));
            spans.push(Span::styled(escape(&node.text[end..]), style));
        }
        Some(Hit::Elsewhere) => spans.push(Span::styled(
            escape(&node.text),
            style.patch(theme.matched_elsewhere()),
        )),
        None => spans.push(Span::styled(escape(&node.text), style)),
    }
    let line = Line::from(spans);
    if selected {
        line.patch_style(theme.selected())
    } else {
        line
    }
}

/// A traced trigger's tag: what it did with the event, readable without colour, and unlike the
/// status glyphs (`✗` is "not ready").
fn mark_glyph(mark: Mark) -> &'static str {
    match mark {
        Mark::Passes => "[pass] ",
        Mark::Maybe => "[maybe] ",
        Mark::Fails => "[fail] ",
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
    let columns = shows_columns(app, area);
    // With columns, the names take what the columns leave.
    let width = usize::from(area.width).saturating_sub(if columns { COLUMNS_GAP } else { 0 });
    for (index, row) in tree.rows.iter().enumerate().skip(offset).take(height) {
        if let Some(node) = tree.node_of(index) {
            let selected = index == tree.selected;
            // The trigger itself, not a row that names it (an event type's consumer).
            let mark = app
                .trace
                .as_ref()
                .filter(|_| node.kind == NodeKind::Trigger)
                .and_then(|t| t.mark(node.target.as_ref()))
                .map(|(mark, _)| *mark);
            let line = row_line(row, &tree.lasts(index), node, theme, (selected, mark));
            let mut line = super::wrap::window(line, app.shift, width);
            let cells = columns
                .then(|| super::columns::cells(&app.mesh, node, app.now))
                .flatten();
            if let Some(cells) = cells {
                let pad = width.saturating_sub(line.width()) + 1;
                line.spans.push(Span::raw(" ".repeat(pad)));
                line.spans.push(Span::styled(cells, theme.dim()));
                if selected {
                    line = line.patch_style(theme.selected());
                }
            }
            lines.push(line);
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// What the columns and their gap take from a row.
const COLUMNS_GAP: usize = super::columns::WIDTH + 1;

fn draw_status(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mesh = &app.mesh;
    let mut spans = Vec::new();
    let missing = mesh.missing_namespaces();
    if let Some(problem) = &app.source.problem {
        // A problem may carry a file's or a server's words too.
        spans.push(Span::styled(
            format!(" ⚠ {} ", crate::text::escape(problem)),
            theme.status(NodeStatus::Failed),
        ));
    } else if let Some(notice) = &app.notice {
        // A notice may carry a server's words (a refused listing): never a control character.
        spans.push(Span::styled(
            format!(" {} ", crate::text::escape(notice)),
            theme.accent(),
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
    // Denials per namespace, not per request: 300 locked namespaces are one fact each.
    let (namespaces, cluster) = app.mesh.denied_scopes();
    let denied = match (namespaces, cluster) {
        (0, false) => String::new(),
        (0, true) => "cluster".to_string(),
        (n, false) => format!("{n} ns"),
        (n, true) => format!("{n} ns + cluster"),
    };
    if !denied.is_empty() {
        spans.push(Span::styled(
            format!("│ 🔒 {denied} "),
            theme.status(NodeStatus::Forbidden),
        ));
    }
    if let Some(freshness) = &app.source.freshness {
        // Files are read, not updated: "read 12:00:00" says it once.
        let text = match freshness {
            Freshness::Read { .. } => freshness_text(freshness, &app.time_zone),
            _ => format!("updated {}", freshness_text(freshness, &app.time_zone)),
        };
        spans.push(Span::styled(format!("│ {text} "), theme.dim()));
    }
    // From the key table, so the hint names the keys that really apply.
    let label = |action| {
        keys::binding(action)
            .and_then(|b| b.help)
            .map_or("", |(k, _)| k)
    };
    let quit = label(Action::Quit).split(' ').next().unwrap_or("q");
    let hint = format!(" {} help  {quit} quit ", label(Action::Help));
    let width = hint.chars().count() as u16;
    // The counts take the room the rest leaves, in the longest wording that fits; on a narrow
    // screen the time of the last update loses its explanation first.
    let mut taken = Line::from(spans.clone()).width() + usize::from(width);
    if let Some(freshness) = &app.source.freshness
        && taken + " 99 objects ".len() > usize::from(area.width)
        && let Some(last) = spans.last_mut()
    {
        *last = Span::styled(
            format!("│ {} ", freshness_time(freshness, &app.time_zone)),
            theme.dim(),
        );
        taken = Line::from(spans.clone()).width() + usize::from(width);
    }
    let room = usize::from(area.width).saturating_sub(taken);
    let at = usize::from(
        app.source.problem.is_some()
            || app.notice.is_some()
            || app.source.loading
            || !missing.is_empty(),
    );
    spans.insert(at, Span::raw(status_counts(mesh, room)));
    let line = super::wrap::window(Line::from(spans), 0, usize::from(area.width));
    frame.render_widget(Paragraph::new(line), area);
    // The hint is drawn last, at the right edge, so it is never pushed off screen.
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

/// The object counts in words, as long as `room` allows: every count, then the ones that are
/// not zero, then the total; never abbreviations nobody can read.
fn status_counts(mesh: &crate::mesh::Mesh, room: usize) -> String {
    let counts = [
        (mesh.brokers.len(), "broker", "brokers"),
        (mesh.triggers.len(), "trigger", "triggers"),
        (mesh.event_types.len(), "event type", "event types"),
        (mesh.sources.len(), "source", "sources"),
        (
            mesh.channels.iter().filter(|c| c.owner.is_none()).count(),
            "channel",
            "channels",
        ),
        (
            mesh.components
                .iter()
                .filter(|c| c.component != crate::mesh::components::ComponentKind::EventPolicy)
                .count(),
            "flow or sink",
            "flows & sinks",
        ),
    ];
    let words = |(n, one, many): &(usize, &str, &str)| crate::text::count(*n, one, many);
    let all: Vec<String> = counts.iter().map(words).collect();
    let nonzero: Vec<String> = counts.iter().filter(|c| c.0 > 0).map(words).collect();
    let total: usize = counts.iter().map(|c| c.0).sum();
    let candidates = [
        format!(" {} ", all.join(" · ")),
        format!(" {} ", nonzero.join(", ")),
        format!(" {} ", crate::text::count(total, "object", "objects")),
    ];
    candidates
        .into_iter()
        .find(|c| c.chars().count() <= room && c.trim() != "")
        .unwrap_or_default()
}
