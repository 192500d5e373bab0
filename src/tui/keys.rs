//! Keys: one table maps keys to actions and describes them, so the help overlay is generated
//! from the bindings that really apply.

use super::msg::Cmd;
use super::picker::NamespacePicker;
use super::state::{App, Popup, TABS};
use super::yaml_view::YamlView;
use crate::source::spec::Control;
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
    ShiftLeft,
    ShiftRight,
    Sort,
    Filter,
    Clear,
    Namespaces,
    Detail,
    Jump,
    Back,
    DetailDown,
    DetailUp,
    Yaml,
    Refresh,
    Identity,
    Contexts,
    Permissions,
    Trace,
    Help,
}

/// One binding: the keys that trigger an action, and its line in the help. The same table drives
/// dispatch (`action_for`), the help overlay, the status bar's hint and README's key table (a
/// test compares them), so an action cannot lack a key or a help line.
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub action: Action,
    /// The keys as the help shows them and what they do. None: described by the line before
    /// (↓ with ↑).
    pub help: Option<(&'static str, &'static str)>,
}

const fn bind(
    keys: &'static [KeyCode],
    action: Action,
    help: Option<(&'static str, &'static str)>,
) -> Binding {
    Binding { keys, action, help }
}

use KeyCode::{BackTab, Char, Down, End, Enter, Esc, Home, Left, PageDown, PageUp, Right, Tab, Up};

pub const BINDINGS: &[Binding] = &[
    bind(
        &[Up, Char('k')],
        Action::Up,
        Some(("↑ k / ↓ j", "move the selection")),
    ),
    bind(&[Down, Char('j')], Action::Down, None),
    bind(
        &[Left, Char('h')],
        Action::Collapse,
        Some(("← h", "collapse, or go to the parent")),
    ),
    bind(
        &[Right, Char('l')],
        Action::Expand,
        Some(("→ l", "expand, or go to the first child")),
    ),
    bind(
        &[Enter, Char(' ')],
        Action::Toggle,
        Some(("Enter Space", "expand or collapse")),
    ),
    bind(
        &[Home, Char('g')],
        Action::Top,
        Some(("g Home / G End", "first / last row")),
    ),
    bind(&[End, Char('G')], Action::Bottom, None),
    bind(
        &[PageUp],
        Action::PageUp,
        Some(("PgUp / PgDn", "a page up / down")),
    ),
    bind(&[PageDown], Action::PageDown, None),
    bind(
        &[Char('E')],
        Action::ExpandAll,
        Some(("E / C", "expand all / collapse all")),
    ),
    bind(&[Char('C')], Action::CollapseAll, None),
    bind(
        &[Char('<')],
        Action::ShiftLeft,
        Some(("< / >", "scroll long rows left / right (cut rows end in …)")),
    ),
    bind(&[Char('>')], Action::ShiftRight, None),
    bind(
        &[Char('s')],
        Action::Sort,
        Some(("s", "sort by name or by age (newest first)")),
    ),
    bind(
        &[Tab],
        Action::NextTab,
        Some(("Tab / Shift-Tab", "next / previous view")),
    ),
    bind(&[BackTab], Action::PreviousTab, None),
    bind(
        &[Char('1')],
        Action::Tab(0),
        Some(("1-7", "the view with that number in the tab bar")),
    ),
    bind(&[Char('2')], Action::Tab(1), None),
    bind(&[Char('3')], Action::Tab(2), None),
    bind(&[Char('4')], Action::Tab(3), None),
    bind(&[Char('5')], Action::Tab(4), None),
    bind(&[Char('6')], Action::Tab(5), None),
    bind(&[Char('7')], Action::Tab(6), None),
    bind(
        &[Char('/')],
        Action::Filter,
        Some((
            "/",
            "filter by text, kind, label (key or key=value) or a:annotation",
        )),
    ),
    bind(
        &[Esc],
        Action::Clear,
        Some((
            "Esc",
            "end a trace or the filter, close a popup, go back from a jump",
        )),
    ),
    bind(
        &[Char('n')],
        Action::Namespaces,
        Some(("n", "choose the namespaces to show")),
    ),
    bind(
        &[Char('d')],
        Action::Detail,
        Some(("d", "show or hide the detail pane")),
    ),
    bind(
        &[Char('o')],
        Action::Jump,
        Some(("o / [", "jump to a related object / go back")),
    ),
    bind(&[Char('[')], Action::Back, None),
    bind(
        &[Char('J')],
        Action::DetailDown,
        Some(("J / K", "scroll the detail pane (or the wheel over it)")),
    ),
    bind(&[Char('K')], Action::DetailUp, None),
    bind(
        &[Char('y')],
        Action::Yaml,
        Some(("y", "the selected object as YAML")),
    ),
    bind(
        &[Char('t')],
        Action::Trace,
        Some((
            "t",
            "trace an event from here: triggers [pass] [maybe] [fail]",
        )),
    ),
    bind(
        &[Char('p')],
        Action::Permissions,
        Some(("p", "from a denied node to its row in Permissions")),
    ),
    bind(
        &[Char('r')],
        Action::Refresh,
        Some(("r", "refresh now (files: read them again)")),
    ),
    bind(
        &[Char('i')],
        Action::Identity,
        Some(("i", "demo: switch identity")),
    ),
    bind(
        &[Char('c')],
        Action::Contexts,
        Some(("c", "switch context or impersonate (demo: identity)")),
    ),
    bind(&[Char('?')], Action::Help, Some(("?", "this help"))),
    bind(&[Char('q')], Action::Quit, Some(("q Ctrl-C", "quit"))),
];

impl Action {
    /// Every action; `all_actions_are_listed` keeps this in step with the enum.
    pub const ALL: &[Action] = &[
        Action::Quit,
        Action::NextTab,
        Action::PreviousTab,
        Action::Tab(0),
        Action::Tab(1),
        Action::Tab(2),
        Action::Tab(3),
        Action::Tab(4),
        Action::Up,
        Action::Down,
        Action::Collapse,
        Action::Expand,
        Action::Toggle,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::ExpandAll,
        Action::CollapseAll,
        Action::ShiftLeft,
        Action::ShiftRight,
        Action::Sort,
        Action::Filter,
        Action::Clear,
        Action::Namespaces,
        Action::Detail,
        Action::Jump,
        Action::Back,
        Action::DetailDown,
        Action::DetailUp,
        Action::Yaml,
        Action::Refresh,
        Action::Identity,
        Action::Contexts,
        Action::Permissions,
        Action::Trace,
        Action::Help,
    ];
}

/// README.md's key table, as the help lines make it.
pub fn markdown_table() -> String {
    let mut table = String::from("| keys | what |\n| --- | --- |\n");
    for (keys, help) in help_lines(true) {
        table.push_str(&format!("| `{keys}` | {help} |\n"));
    }
    table
}

/// The binding for an action (the first, where several share one).
pub fn binding(action: Action) -> Option<&'static Binding> {
    BINDINGS.iter().find(|b| b.action == action)
}

/// The help lines: (keys, what they do), in the table's order.
pub fn help_lines(can_switch_identity: bool) -> impl Iterator<Item = (&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(move |b| can_switch_identity || b.action != Action::Identity)
        .filter_map(|b| b.help)
}

pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    BINDINGS
        .iter()
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// Applies a key to the state; returns what only the runner can do, if anything.
pub fn handle(app: &mut App, key: KeyEvent) -> Option<Cmd> {
    // Ctrl-C quits from any mode: a popup or the filter line never swallows it.
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Cmd::Quit);
    }
    app.notice = None;
    if let Some(popup) = app.popup.take() {
        let (popup, cmd) = super::popup_keys::popup_key(app, popup, key);
        app.popup = popup;
        return cmd;
    }
    if let Some(prompt) = app.trace_prompt.take() {
        use super::trace::PromptOutcome;
        match super::trace::prompt_key(prompt, key) {
            PromptOutcome::Open(prompt) => app.trace_prompt = Some(prompt),
            PromptOutcome::Cancel => {}
            PromptOutcome::Trace(prompt) => app.run_trace(prompt),
        }
        return None;
    }
    if app.filtering {
        filter_key(app, key);
        return None;
    }
    action_for(key).and_then(|action| apply(app, action))
}

fn filter_key(app: &mut App, key: KeyEvent) {
    match key.code {
        KeyCode::Esc => {
            app.clear_filter();
            return;
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

/// A key while a popup is open; returns the popup to keep open, if any, and a command.
/// Columns `<` and `>` move the tree by, and the furthest they go.
const SHIFT_STEP: usize = 20;
const SHIFT_LIMIT: usize = 2000;

/// Applies an action to the state; returns what only the runner can do, if anything.
pub fn apply(app: &mut App, action: Action) -> Option<Cmd> {
    let page = app.page.max(1) as isize;
    match action {
        Action::Quit => return Some(Cmd::Quit),
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
        Action::Sort => {
            app.sort_by_age = !app.sort_by_age;
            app.rebuild_trees();
        }
        Action::ShiftLeft => app.shift = app.shift.saturating_sub(SHIFT_STEP),
        Action::ShiftRight => app.shift = (app.shift + SHIFT_STEP).min(SHIFT_LIMIT),
        Action::Filter => app.filtering = true,
        // Esc ends a trace, then clears the filter; with neither, it goes back from a jump, as
        // k9s's Esc does.
        Action::Clear => {
            if app.trace.take().is_some() {
                app.notice = Some("the trace ended".into());
            } else if app.filter.is_empty() && !app.filtering {
                app.back();
            } else {
                app.clear_filter();
            }
        }
        Action::Jump => app.open_jump_list(),
        Action::Contexts => app.open_contexts(),
        Action::Back => {
            if !app.back() {
                app.notice = Some("no jump to go back from".into());
            }
        }
        Action::Namespaces => {
            let picker = NamespacePicker::new(app.mesh.namespaces.clone(), app.namespaces.as_ref());
            app.popup = Some(Popup::Namespaces(picker));
        }
        Action::Detail => app.show_detail = !app.show_detail,
        Action::DetailDown => app.scroll_detail(3),
        Action::DetailUp => app.scroll_detail(-3),
        Action::Yaml => {
            if let Some((title, text)) = super::detail::yaml(app) {
                app.popup = Some(Popup::Yaml(YamlView::new(title, text)));
            }
        }
        Action::Refresh => return Some(Cmd::Source(Control::Refresh)),
        Action::Identity => {
            if app.source.can_switch_identity {
                return Some(Cmd::Source(Control::SwitchIdentity));
            }
        }
        Action::Permissions => match app.selected_target() {
            Some(crate::mesh::views::Target::Access(index)) => {
                let index = *index;
                app.jump_to_access(index);
            }
            _ => app.select_tab(TABS.len() - 1),
        },
        Action::Trace => app.open_trace_prompt(),
        Action::Help => app.popup = Some(Popup::Help { scroll: 0 }),
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_actions_are_listed() {
        // A new variant fails to compile here until it is added to `Action::ALL`.
        for action in Action::ALL {
            match action {
                Action::Quit
                | Action::NextTab
                | Action::PreviousTab
                | Action::Tab(_)
                | Action::Up
                | Action::Down
                | Action::Collapse
                | Action::Expand
                | Action::Toggle
                | Action::Top
                | Action::Bottom
                | Action::PageUp
                | Action::PageDown
                | Action::ExpandAll
                | Action::CollapseAll
                | Action::ShiftLeft
                | Action::ShiftRight
                | Action::Sort
                | Action::Filter
                | Action::Clear
                | Action::Namespaces
                | Action::Detail
                | Action::Jump
                | Action::Back
                | Action::DetailDown
                | Action::DetailUp
                | Action::Yaml
                | Action::Refresh
                | Action::Identity
                | Action::Contexts
                | Action::Permissions
                | Action::Trace
                | Action::Help => {}
            }
        }
    }

    #[test]
    fn every_action_has_a_key_and_a_help_line() {
        for action in Action::ALL {
            let index = BINDINGS
                .iter()
                .position(|b| b.action == *action)
                .unwrap_or_else(|| panic!("{action:?} has no binding"));
            // Its own help line, or the line of the group it belongs to.
            assert!(
                BINDINGS[..=index].iter().rev().any(|b| b.help.is_some()),
                "{action:?} has no help line"
            );
            let binding = &BINDINGS[index];
            for key in binding.keys {
                assert_eq!(
                    action_for(KeyEvent::new(*key, KeyModifiers::NONE)),
                    Some(*action),
                    "{key:?} does not dispatch to {action:?}"
                );
            }
        }
        assert!(
            BINDINGS[0].help.is_some(),
            "the first binding opens a group"
        );
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = std::collections::HashSet::new();
        for binding in BINDINGS {
            for key in binding.keys {
                assert!(seen.insert(*key), "{key:?} is bound twice");
            }
        }
    }
}
