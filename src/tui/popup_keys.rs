//! Keys while a popup is open: every pick list (jump targets, contexts and what `c` offers
//! besides them, ServiceAccounts to impersonate, providers) moves and picks alike; the help,
//! the YAML view and the namespace picker have their own keys.

use super::contexts::ContextAction;
use super::msg::Cmd;
use super::picker::PickerOutcome;
use super::state::{App, Popup};
use super::yaml_view::YamlOutcome;
use crate::source::spec::Control;
use crossterm::event::{KeyCode, KeyEvent};

/// The help never scrolls further than it has lines; the view clamps to what it shows.
pub const HELP_SCROLL_LIMIT: u16 = 64;

/// What a key does to a pick list.
enum Pick {
    /// The cursor is here now (moved, or not).
    At(usize),
    Chosen(usize),
    Closed,
}

fn pick(key: KeyEvent, cursor: usize, len: usize) -> Pick {
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => Pick::At((cursor + 1).min(len.saturating_sub(1))),
        KeyCode::Up | KeyCode::Char('k') => Pick::At(cursor.saturating_sub(1)),
        KeyCode::Enter => Pick::Chosen(cursor),
        KeyCode::Esc | KeyCode::Char('q') => Pick::Closed,
        _ => Pick::At(cursor),
    }
}

pub fn popup_key(app: &mut App, popup: Popup, key: KeyEvent) -> (Option<Popup>, Option<Cmd>) {
    let popup = match popup {
        Popup::Help { scroll } => match key.code {
            KeyCode::Down | KeyCode::Char('j') => Some(Popup::Help {
                scroll: scroll.saturating_add(1).min(HELP_SCROLL_LIMIT),
            }),
            KeyCode::Up | KeyCode::Char('k') => Some(Popup::Help {
                scroll: scroll.saturating_sub(1),
            }),
            _ => None,
        },
        Popup::Jump { items, cursor } => {
            if key.code == KeyCode::Char('[') {
                return (None, None);
            }
            match pick(key, cursor, items.len()) {
                Pick::At(cursor) => Some(Popup::Jump { items, cursor }),
                Pick::Chosen(cursor) => {
                    if let Some((_, target)) = items.get(cursor) {
                        let target = target.clone();
                        app.jump(&target);
                    }
                    None
                }
                Pick::Closed => None,
            }
        }
        Popup::Contexts { names, cursor } => return contexts_key(app, names, cursor, key),
        Popup::ServiceAccounts { names, cursor } => match pick(key, cursor, names.len()) {
            Pick::At(cursor) => Some(Popup::ServiceAccounts { names, cursor }),
            Pick::Chosen(cursor) => {
                let pick = names.get(cursor).cloned();
                let same = pick.as_deref() == app.acting_as();
                let act = pick
                    .filter(|_| !same)
                    .map(|u| Control::Impersonate(Some(u)));
                return (None, act.map(Cmd::Source));
            }
            Pick::Closed => None,
        },
        Popup::Providers { ids, cursor } => match pick(key, cursor, ids.len()) {
            Pick::At(cursor) => Some(Popup::Providers { ids, cursor }),
            Pick::Chosen(cursor) => {
                let pick = ids
                    .get(cursor)
                    .map(|label| Control::PickProvider(label.id.clone()));
                return (None, pick.map(Cmd::Source));
            }
            // Nothing is shown until a provider is picked: leaving the list leaves kn-mesh.
            Pick::Closed => return (None, Some(Cmd::Quit)),
        },
        Popup::Yaml(mut view) => {
            let height = usize::from(app.screen.height.saturating_sub(6));
            match view.key(key, height) {
                YamlOutcome::Open => Some(Popup::Yaml(view)),
                YamlOutcome::Close => None,
                YamlOutcome::Copy(text) => return (Some(Popup::Yaml(view)), Some(Cmd::Copy(text))),
            }
        }
        Popup::Namespaces(mut picker) => {
            let height = super::picker::rows_on(app.screen);
            match picker.key(key, height) {
                PickerOutcome::Open => Some(Popup::Namespaces(picker)),
                PickerOutcome::Cancel => None,
                PickerOutcome::Apply(chosen) => {
                    app.namespaces = chosen;
                    app.reflow();
                    None
                }
            }
        }
    };
    (popup, None)
}

/// The contexts, then what `c` offers besides them (impersonation).
fn contexts_key(
    app: &mut App,
    names: Vec<String>,
    cursor: usize,
    key: KeyEvent,
) -> (Option<Popup>, Option<Cmd>) {
    let actions = app.context_actions();
    match pick(key, cursor, names.len() + actions.len()) {
        Pick::At(cursor) => (Some(Popup::Contexts { names, cursor }), None),
        Pick::Chosen(cursor) => {
            let control = match cursor.checked_sub(names.len()) {
                Some(action) => actions.get(action).map(|action| match action {
                    ContextAction::ImpersonateServiceAccount => Control::ListServiceAccounts,
                    ContextAction::StopImpersonating => Control::Impersonate(None),
                }),
                None => {
                    let pick = names.get(cursor).cloned();
                    let same = pick.is_some() && pick == app.source.context;
                    pick.filter(|_| !same).map(Control::SwitchContext)
                }
            };
            (None, control.map(Cmd::Source))
        }
        Pick::Closed => (None, None),
    }
}
