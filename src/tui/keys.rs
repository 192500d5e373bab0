//! Keys: one table maps keys to actions and describes them, so the help overlay is generated
//! from the bindings that really apply.

use super::state::{App, Popup, TABS};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    NextTab,
    PreviousTab,
    Tab(usize),
    Up,
    Down,
    Collapse,
    Expand,
    Toggle,
    Top,
    Bottom,
    PageUp,
    PageDown,
    ExpandAll,
    CollapseAll,
    Filter,
    Clear,
    Namespaces,
    Detail,
    Yaml,
    Refresh,
    Identity,
    Permissions,
    Help,
}

pub struct Binding {
    /// The keys as the help shows them.
    pub keys: &'static str,
    pub action: Action,
    pub help: &'static str,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "↑ k / ↓ j",
        action: Action::Down,
        help: "move the selection",
    },
    Binding {
        keys: "← h",
        action: Action::Collapse,
        help: "collapse, or go to the parent",
    },
    Binding {
        keys: "→ l",
        action: Action::Expand,
        help: "expand, or go to the first child",
    },
    Binding {
        keys: "Enter Space",
        action: Action::Toggle,
        help: "expand or collapse",
    },
    Binding {
        keys: "g Home / G End",
        action: Action::Top,
        help: "first / last row",
    },
    Binding {
        keys: "PgUp / PgDn",
        action: Action::PageDown,
        help: "a page up / down",
    },
    Binding {
        keys: "E / C",
        action: Action::ExpandAll,
        help: "expand all / collapse all",
    },
    Binding {
        keys: "Tab / Shift-Tab",
        action: Action::NextTab,
        help: "next / previous view",
    },
    Binding {
        keys: "1-5",
        action: Action::Tab(0),
        help: "brokers, event types, sources, channels, permissions",
    },
    Binding {
        keys: "/",
        action: Action::Filter,
        help: "filter by name, type or label (keeps the way to each match)",
    },
    Binding {
        keys: "Esc",
        action: Action::Clear,
        help: "clear the filter, close a popup",
    },
    Binding {
        keys: "n",
        action: Action::Namespaces,
        help: "choose the namespaces to show",
    },
    Binding {
        keys: "d",
        action: Action::Detail,
        help: "show or hide the detail pane",
    },
    Binding {
        keys: "y",
        action: Action::Yaml,
        help: "the selected object as YAML",
    },
    Binding {
        keys: "r",
        action: Action::Refresh,
        help: "refresh now",
    },
    Binding {
        keys: "i",
        action: Action::Identity,
        help: "demo: switch identity (payments-only, mesh-viewer, docs-reader, admin)",
    },
    Binding {
        keys: "?",
        action: Action::Help,
        help: "this help",
    },
    Binding {
        keys: "q Ctrl-C",
        action: Action::Quit,
        help: "quit",
    },
];

pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Tab => Action::NextTab,
        KeyCode::BackTab => Action::PreviousTab,
        KeyCode::Char(c @ '1'..='5') => Action::Tab(c as usize - '1' as usize),
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Left | KeyCode::Char('h') => Action::Collapse,
        KeyCode::Right | KeyCode::Char('l') => Action::Expand,
        KeyCode::Enter | KeyCode::Char(' ') => Action::Toggle,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char('E') => Action::ExpandAll,
        KeyCode::Char('C') => Action::CollapseAll,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Esc => Action::Clear,
        KeyCode::Char('n') => Action::Namespaces,
        KeyCode::Char('d') => Action::Detail,
        KeyCode::Char('y') => Action::Yaml,
        KeyCode::Char('r') => Action::Refresh,
        KeyCode::Char('i') => Action::Identity,
        KeyCode::Char('p') => Action::Permissions,
        KeyCode::Char('?') => Action::Help,
        _ => return None,
    })
}

/// What the event loop must do beyond changing the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    Refresh,
    SwitchIdentity,
}

/// Applies a key to the state.
pub fn handle(app: &mut App, key: KeyEvent) -> Effect {
    // Ctrl-C quits from any mode: a popup or the filter line never swallows it.
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        app.quit = true;
        return Effect::None;
    }
    if let Some(popup) = app.popup.take() {
        app.popup = popup_key(app, popup, key);
        return Effect::None;
    }
    if app.filtering {
        filter_key(app, key);
        return Effect::None;
    }
    match action_for(key) {
        Some(action) => apply(app, action),
        None => Effect::None,
    }
}

fn filter_key(app: &mut App, key: KeyEvent) {
    match key.code {
        KeyCode::Esc => {
            app.filtering = false;
            app.filter.clear();
        }
        KeyCode::Enter => app.filtering = false,
        KeyCode::Backspace => {
            app.filter.pop();
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => app.filter.push(c),
        KeyCode::Up => app.current_mut().move_by(-1),
        KeyCode::Down => app.current_mut().move_by(1),
        _ => return,
    }
    app.reflow();
}

/// A key while a popup is open; returns the popup to keep open, if any.
fn popup_key(app: &mut App, popup: Popup, key: KeyEvent) -> Option<Popup> {
    match popup {
        Popup::Help => None,
        Popup::Providers { ids, mut cursor } => {
            match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    cursor = (cursor + 1).min(ids.len().saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => cursor = cursor.saturating_sub(1),
                KeyCode::Enter => {
                    app.chosen_provider = ids.get(cursor).cloned();
                    return None;
                }
                KeyCode::Char('q') | KeyCode::Esc => {
                    app.quit = true;
                    return None;
                }
                _ => {}
            }
            Some(Popup::Providers { ids, cursor })
        }
        Popup::Yaml {
            title,
            text,
            scroll,
        } => {
            let lines = text.lines().count() as u16;
            let scroll = match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    scroll.saturating_add(1).min(lines.saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                KeyCode::PageDown | KeyCode::Char(' ') => {
                    scroll.saturating_add(10).min(lines.saturating_sub(1))
                }
                KeyCode::PageUp => scroll.saturating_sub(10),
                _ => return None,
            };
            Some(Popup::Yaml {
                title,
                text,
                scroll,
            })
        }
        Popup::Namespaces {
            mut cursor,
            mut chosen,
        } => {
            let all = &app.mesh.namespaces;
            match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    cursor = (cursor + 1).min(all.len().saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => cursor = cursor.saturating_sub(1),
                KeyCode::Char(' ') => {
                    if let Some(namespace) = all.get(cursor)
                        && !chosen.remove(namespace)
                    {
                        chosen.insert(namespace.clone());
                    }
                }
                KeyCode::Char('a') => chosen.clear(),
                KeyCode::Enter => {
                    app.namespaces = (!chosen.is_empty()).then_some(chosen);
                    app.reflow();
                    return None;
                }
                _ => return None,
            }
            Some(Popup::Namespaces { cursor, chosen })
        }
    }
}

pub fn apply(app: &mut App, action: Action) -> Effect {
    let page = app.page.max(1) as isize;
    match action {
        Action::Quit => app.quit = true,
        Action::NextTab => app.select_tab((app.tab + 1) % TABS.len()),
        Action::PreviousTab => app.select_tab((app.tab + TABS.len() - 1) % TABS.len()),
        Action::Tab(index) => app.select_tab(index),
        Action::Up => app.current_mut().move_by(-1),
        Action::Down => app.current_mut().move_by(1),
        Action::PageUp => app.current_mut().move_by(-page),
        Action::PageDown => app.current_mut().move_by(page),
        Action::Top => app.current_mut().select_first(),
        Action::Bottom => app.current_mut().select_last(),
        Action::Collapse => {
            if app.current_mut().collapse() {
                app.reflow();
            }
        }
        Action::Expand => {
            if app.current_mut().expand() {
                app.reflow();
            }
        }
        Action::Toggle => {
            if app.current_mut().toggle() {
                app.reflow();
            }
        }
        Action::ExpandAll => {
            app.current_mut().expand_all();
            app.reflow();
        }
        Action::CollapseAll => {
            app.current_mut().collapse_all();
            app.reflow();
        }
        Action::Filter => app.filtering = true,
        Action::Clear => {
            if !app.filter.is_empty() {
                app.filter.clear();
                app.reflow();
            }
        }
        Action::Namespaces => {
            let chosen = app.namespaces.clone().unwrap_or_default();
            app.popup = Some(Popup::Namespaces { cursor: 0, chosen });
        }
        Action::Detail => app.show_detail = !app.show_detail,
        Action::Yaml => {
            if let Some((title, text)) = super::detail::yaml(app) {
                app.popup = Some(Popup::Yaml {
                    title,
                    text,
                    scroll: 0,
                });
            }
        }
        Action::Refresh => return Effect::Refresh,
        Action::Identity => {
            if app.can_switch_identity {
                return Effect::SwitchIdentity;
            }
        }
        Action::Permissions => match app.selected_target() {
            Some(crate::mesh::views::Target::Access(index)) => {
                let index = *index;
                app.jump_to_access(index);
            }
            _ => app.select_tab(TABS.len() - 1),
        },
        Action::Help => app.popup = Some(Popup::Help),
    }
    Effect::None
}
