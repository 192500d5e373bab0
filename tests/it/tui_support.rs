//! What the TUI tests share: the demo's meshes, an App as `--demo` starts it, a headless
//! render with ratatui's TestBackend and its text, and keys.

use crate::common;
use common::{demo_dir, demo_sim};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kn_mesh::mesh::{self, Mesh};
use kn_mesh::source::fetch::Scope;
use kn_mesh::source::spec::{Freshness, Identity, OriginLabel};
use kn_mesh::tui::keys;
use kn_mesh::tui::msg::Cmd;
use kn_mesh::tui::state::{App, SourceInfo};
use kn_mesh::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use std::sync::Arc;

/// The demo mesh as `payments-only` sees it, through the sim, as `--demo` shows it.
pub(crate) async fn payments_only_mesh() -> Mesh {
    let sim = demo_sim().await;
    mesh::build(
        common::fetcher(&sim, "payments-only")
            .await
            .fetch(&Scope::default())
            .await
            .unwrap(),
    )
}

pub(crate) fn offline_mesh() -> Mesh {
    mesh::build(
        kn_mesh::source::manifests::read_snapshot(&[demo_dir()], None)
            .unwrap()
            .snapshot,
    )
}

pub(crate) fn app(mesh: Mesh) -> App {
    let source = SourceInfo {
        origin: Some(OriginLabel::Demo {
            url: "https://127.0.0.1:6443".into(),
        }),
        identity: Some(Identity {
            name: "payments-only".into(),
            username: "system:serviceaccount:backstage:payments-only".into(),
            token_kind: "bound".into(),
        }),
        freshness: Some(Freshness::Watched {
            at: "2026-01-01T12:00:00Z".parse().unwrap(),
        }),
        ..Default::default()
    };
    let mut app = App::new(Arc::new(mesh), source);
    app.time_zone = jiff::tz::TimeZone::UTC;
    app
}

pub(crate) fn render(app: &mut App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let areas = view::areas(app, ratatui::layout::Rect::new(0, 0, width, height));
    app.page = areas.tree.height as usize;
    let page = app.page;
    app.current_mut().scroll_into_view(page);
    terminal.draw(|frame| view::draw(frame, app)).unwrap();
    terminal.backend().buffer().clone()
}

/// The screen as text, one line per row, trailing spaces trimmed.
pub(crate) fn text(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buffer.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            line.push_str(symbol);
            // A wide glyph takes two cells; the second holds nothing to print.
            skip = unicode_width(symbol).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub(crate) fn unicode_width(symbol: &str) -> usize {
    symbol.chars().map(|c| if c == '🔒' { 2 } else { 1 }).sum()
}

pub(crate) fn press(app: &mut App, code: KeyCode) -> Option<Cmd> {
    keys::handle(app, KeyEvent::new(code, KeyModifiers::NONE))
}

pub(crate) fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// The text of every visible row.
pub(crate) fn row_texts(app: &App) -> Vec<String> {
    let tree = app.current();
    (0..tree.rows.len())
        .map(|i| tree.node_of(i).unwrap().text.clone())
        .collect()
}

/// The text of the visible top-level rows.
pub(crate) fn root_texts(app: &App) -> Vec<String> {
    let tree = app.current();
    (0..tree.rows.len())
        .filter(|&i| tree.rows[i].depth == 0)
        .map(|i| tree.node_of(i).unwrap().text.clone())
        .collect()
}

pub(crate) fn selected_text(app: &App) -> String {
    app.current()
        .selected_node()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}
