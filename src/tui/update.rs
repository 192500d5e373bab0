//! The TUI's update function: `update(&mut App, Msg) -> Vec<Cmd>`. Pure: it changes the state
//! and says what the runner must do, and never does I/O itself, so key sequences, source
//! updates and report results can be driven headless in tests.

use super::keys;
use super::msg::{Cmd, Msg};
use super::state::{self, App, TokenCheck};
use super::view;
use crate::source::spec::{Connection, Control, OriginLabel, Reading, Update};
use crossterm::event::{KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    // The spinner's tick changes no text or size: the layout and scrolls stay as they are.
    let tick = matches!(msg, Msg::Tick);
    let cmds = match msg {
        Msg::Key(key) if key.kind == KeyEventKind::Release => Vec::new(),
        Msg::Key(key) => {
            let cmd = keys::handle(app, key);
            let mut cmds = cmd.map(|cmd| after_command(app, cmd)).unwrap_or_default();
            cmds.extend(super::events::wanted(app));
            cmds
        }
        Msg::Mouse(mouse) => {
            mouse_event(app, mouse);
            super::events::wanted(app).into_iter().collect()
        }
        Msg::Events { about, events } => {
            if app.events.as_ref().is_some_and(|(t, _)| *t == about) {
                app.events = Some((about, Some(events)));
            }
            Vec::new()
        }
        Msg::Resize { width, height } => {
            app.screen = Rect::new(0, 0, width, height);
            Vec::new()
        }
        Msg::Source(Update::Connected(connection)) => {
            connected(app, *connection);
            Vec::new()
        }
        Msg::Source(Update::Read(reading)) => {
            let mut cmds = read(app, reading);
            cmds.extend(super::events::wanted(app));
            cmds
        }
        Msg::Source(Update::Notice(text)) => {
            app.notice = Some(text);
            Vec::new()
        }
        Msg::Source(Update::ServiceAccounts(accounts)) => {
            app.open_service_accounts(accounts);
            Vec::new()
        }
        Msg::Source(Update::Failed(error)) => {
            app.source.loading = false;
            app.source.problem = Some(error.to_string());
            Vec::new()
        }
        Msg::Report { generation, result } => {
            if app.token_check == (TokenCheck::Running { generation }) {
                app.token_check = TokenCheck::Idle;
                match result {
                    Ok(report) => app.set_report(Some(report), None),
                    Err(message) => {
                        app.set_report(None, Some(format!("the token check failed: {message}")))
                    }
                }
            }
            Vec::new()
        }
        Msg::Tick => {
            if app.source.loading {
                app.tick += 1;
            }
            Vec::new()
        }
    };
    if !tick {
        settle_layout(app);
    }
    cmds
}

/// The tree area's height, and the selection kept on screen.
fn settle_layout(app: &mut App) {
    let areas = view::areas(app, app.screen);
    app.page = areas.tree.height as usize;
    let page = app.page;
    app.current_mut().scroll_into_view(page);
    clamp_scrolls(app, &areas);
}

/// Scroll positions end where the text does, so the key that scrolls back moves at once.
fn clamp_scrolls(app: &mut App, areas: &view::Areas) {
    if let Some(state::Popup::Help { scroll }) = &mut app.popup {
        *scroll = (*scroll).min(super::popups::help_hidden_on(
            app.screen,
            app.source.can_switch_identity,
        ));
    }
    if let Some(detail) = areas.detail {
        let width = usize::from(detail.width.saturating_sub(2));
        let lines = super::wrap::lines(super::detail::lines(app), width).len() as u16;
        let hidden = lines.saturating_sub(detail.height.saturating_sub(2));
        app.detail_scroll.1 = app.detail_scroll.1.min(hidden);
    }
    // Sideways no further than the widest row on screen needs.
    let tree = app.current();
    let widest = (tree.offset..(tree.offset + app.page).min(tree.rows.len()))
        .filter_map(|row| {
            let node = tree.node_of(row)?;
            let depth = tree.rows.get(row).map_or(0, |r| usize::from(r.depth));
            Some(depth * 3 + 4 + node.text.chars().count())
        })
        .max()
        .unwrap_or(0);
    let room = usize::from(areas.tree.width);
    app.shift = app.shift.min(widest.saturating_sub(room / 2));
}

/// What a key's command changes in the state before the runner carries it out.
fn after_command(app: &mut App, cmd: Cmd) -> Vec<Cmd> {
    match &cmd {
        Cmd::Source(Control::Refresh) => {
            // An app-config whose provider is not chosen has nothing to read yet.
            app.source.loading = app.source.origin != Some(OriginLabel::Unchosen);
            // `r` retries everything, the selected object's Events too.
            app.events = None;
            // The report is made again from the fresh reading.
            if app.source.cluster.is_some() {
                app.token_check = TokenCheck::AwaitingData;
                app.set_report(None, Some(CHECKING.into()));
            }
        }
        Cmd::Source(
            Control::SwitchIdentity
            | Control::PickProvider(_)
            | Control::SwitchContext(_)
            | Control::Impersonate(_),
        ) => {
            app.source.loading = true;
        }
        Cmd::Source(Control::ListServiceAccounts) => {
            app.notice = Some("listing the ServiceAccounts you may read…".into());
        }
        Cmd::Quit | Cmd::CheckToken { .. } | Cmd::Copy(_) | Cmd::FetchEvents { .. } => {}
    }
    vec![cmd]
}

/// A backend gives no token to inspect against the API server.
pub const NO_REPORT: &str = "the token report needs the API server: run kn-mesh auth --server …";
pub const CHECKING: &str = "checking the token… (the report appears here in a moment)";

fn connected(app: &mut App, connection: Connection) {
    let awaiting_pick = !connection.providers.is_empty();
    app.source.origin = Some(connection.origin.clone());
    app.source.identity = connection.identity;
    app.source.can_switch_identity = connection.identities.len() > 1;
    app.source.contexts = connection.contexts.clone();
    app.source.context = connection.context.clone();
    app.source.generation = connection.generation;
    // The last reading's time belongs to the connection before.
    app.source.freshness = None;
    app.source.problem = None;
    app.source.loading = !awaiting_pick;
    app.source.cluster = connection.cluster;
    // Another identity or context may see other Events.
    app.events = None;
    if awaiting_pick {
        app.popup = Some(state::Popup::Providers {
            ids: connection.providers,
            cursor: 0,
        });
    }
    let (check, status) = match (&app.source.cluster, &connection.origin) {
        (Some(_), _) => (TokenCheck::AwaitingData, Some(CHECKING)),
        (None, OriginLabel::Backend { .. }) => (TokenCheck::Idle, Some(NO_REPORT)),
        (None, _) => (TokenCheck::Idle, None),
    };
    app.token_check = check;
    app.set_report(None, status.map(str::to_string));
}

fn read(app: &mut App, reading: Reading) -> Vec<Cmd> {
    app.source.loading = false;
    app.source.freshness = Some(reading.freshness);
    app.source.problem = (!reading.problems.is_empty()).then(|| {
        format!(
            "{} problem(s) in the files: {}",
            reading.problems.len(),
            reading.problems.join("; ")
        )
    });
    app.set_mesh(reading.mesh);
    let Some(cluster) = app.source.cluster.clone() else {
        return Vec::new();
    };
    if app.token_check != TokenCheck::AwaitingData {
        return Vec::new();
    }
    let generation = app.source.generation;
    app.token_check = TokenCheck::Running { generation };
    vec![Cmd::CheckToken {
        cluster,
        snapshot: reading.snapshot,
        generation,
    }]
}

fn mouse_event(app: &mut App, mouse: MouseEvent) {
    let areas = view::areas(app, app.screen);
    let tree = areas.tree;
    let over_detail = areas.detail.is_some_and(|d| {
        (d.x..d.x + d.width).contains(&mouse.column) && (d.y..d.y + d.height).contains(&mouse.row)
    });
    match mouse.kind {
        MouseEventKind::ScrollDown if over_detail => app.scroll_detail(3),
        MouseEventKind::ScrollUp if over_detail => app.scroll_detail(-3),
        MouseEventKind::ScrollDown => app.current_mut().move_by(3),
        MouseEventKind::ScrollUp => app.current_mut().move_by(-3),
        MouseEventKind::Down(MouseButton::Left) => {
            if mouse.row >= tree.y
                && mouse.row < tree.y + tree.height
                && mouse.column < tree.x + tree.width
            {
                click_row(app, app.current().offset + (mouse.row - tree.y) as usize);
            } else if mouse.row == areas.tabs.y {
                click_tab(app, mouse.column);
            }
        }
        _ => {}
    }
}

/// A click selects a row; a click on the selected row expands or collapses it.
fn click_row(app: &mut App, index: usize) {
    if index >= app.current().rows.len() {
        return;
    }
    if app.current().selected == index {
        if app.current_mut().toggle() {
            app.reflow();
        }
    } else {
        app.current_mut().selected = index;
    }
}

fn click_tab(app: &mut App, column: u16) {
    // Each tab label is " N Title " plus a space.
    let mut x = 0u16;
    for (index, tab) in state::TABS.iter().enumerate() {
        let width = tab.title().len() as u16 + 5;
        if column >= x && column < x + width {
            app.select_tab(index);
            return;
        }
        x += width;
    }
}
