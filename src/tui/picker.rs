//! The namespace picker (`n`): a scrolling list that typing filters, as k9s's and fzf's are.
//! Pure state and keys; `view` draws it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespacePicker {
    /// Every namespace the mesh knows, sorted.
    pub all: Vec<String>,
    /// What the views show now (empty: every namespace), to mark in the list.
    pub current: BTreeSet<String>,
    /// What Enter will show (empty: every namespace).
    pub chosen: BTreeSet<String>,
    /// Typed text: only namespaces containing it are listed.
    pub query: String,
    /// The cursor, as an index into `shown()`.
    pub cursor: usize,
    /// The first listed row on screen.
    pub offset: usize,
}

/// What a key did to the picker.
#[derive(Debug, PartialEq, Eq)]
pub enum PickerOutcome {
    Open,
    /// Show these namespaces (None: every namespace).
    Apply(Option<BTreeSet<String>>),
    Cancel,
}

/// The keys, for the popup's footer and the help.
pub const PICKER_HINT: &str = "Space pick · ^A all/none · Enter show · Esc cancel";

/// List rows the picker has on this screen: the popup leaves two lines above and below, and
/// holds its borders, the query line and the footer.
pub fn rows_on(screen: ratatui::layout::Rect) -> usize {
    usize::from(screen.height.saturating_sub(4 + 4)).max(1)
}

impl NamespacePicker {
    pub fn new(all: Vec<String>, current: Option<&BTreeSet<String>>) -> Self {
        let current = current.cloned().unwrap_or_default();
        Self {
            all,
            chosen: current.clone(),
            current,
            query: String::new(),
            cursor: 0,
            offset: 0,
        }
    }

    /// The namespaces the query lets through, in order.
    pub fn shown(&self) -> Vec<&str> {
        let needle = self.query.to_ascii_lowercase();
        self.all
            .iter()
            .filter(|n| n.to_ascii_lowercase().contains(&needle))
            .map(String::as_str)
            .collect()
    }

    /// Applies a key; `height` is the number of list rows on screen, for paging and scrolling.
    pub fn key(&mut self, key: KeyEvent, height: usize) -> PickerOutcome {
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        let count = self.shown().len();
        let height = height.max(1);
        match key.code {
            KeyCode::Esc if !self.query.is_empty() => self.set_query(String::new()),
            KeyCode::Esc => return PickerOutcome::Cancel,
            KeyCode::Enter => {
                let chosen = std::mem::take(&mut self.chosen);
                return PickerOutcome::Apply((!chosen.is_empty()).then_some(chosen));
            }
            KeyCode::Down => self.cursor += 1,
            KeyCode::Up => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::PageDown => self.cursor += height,
            KeyCode::PageUp => self.cursor = self.cursor.saturating_sub(height),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = count.saturating_sub(1),
            KeyCode::Char(' ') => self.toggle_cursor(),
            KeyCode::Char('a') if control => self.toggle_all_shown(),
            KeyCode::Backspace => {
                let mut query = self.query.clone();
                query.pop();
                self.set_query(query);
            }
            KeyCode::Char(c) if !control => {
                let query = format!("{}{c}", self.query);
                self.set_query(query);
            }
            _ => {}
        }
        self.cursor = self.cursor.min(self.shown().len().saturating_sub(1));
        self.scroll(height);
        PickerOutcome::Open
    }

    fn set_query(&mut self, query: String) {
        // The cursor stays on its namespace when the new query still lists it.
        let at = self.shown().get(self.cursor).map(|n| n.to_string());
        self.query = query;
        self.cursor = at
            .and_then(|at| self.shown().iter().position(|n| *n == at))
            .unwrap_or(0);
    }

    fn toggle_cursor(&mut self) {
        let Some(namespace) = self.shown().get(self.cursor).map(|n| n.to_string()) else {
            return;
        };
        if !self.chosen.remove(&namespace) {
            self.chosen.insert(namespace);
        }
        self.cursor += 1;
    }

    /// Picks every listed namespace, or, when all are picked already, none of them.
    fn toggle_all_shown(&mut self) {
        let shown: Vec<String> = self.shown().iter().map(|n| n.to_string()).collect();
        if shown.iter().all(|n| self.chosen.contains(n)) {
            for namespace in &shown {
                self.chosen.remove(namespace);
            }
        } else {
            self.chosen.extend(shown);
        }
    }

    /// Keeps the cursor on screen, moving the list as little as possible.
    pub fn scroll(&mut self, height: usize) {
        let height = height.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
        let count = self.shown().len();
        self.offset = self.offset.min(count.saturating_sub(height));
    }

    /// "3 of 40 chosen", or "none chosen: all 40 shown".
    pub fn summary(&self) -> String {
        let total = self.all.len();
        match self.chosen.len() {
            0 => format!("none chosen: all {total} shown"),
            n => format!("{n} of {total} chosen"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(picker: &mut NamespacePicker, code: KeyCode) -> PickerOutcome {
        picker.key(KeyEvent::new(code, KeyModifiers::NONE), 5)
    }

    fn picker(count: usize) -> NamespacePicker {
        let all = (0..count).map(|i| format!("team-{i:02}")).collect();
        NamespacePicker::new(all, None)
    }

    #[test]
    fn the_cursor_scrolls_the_list() {
        let mut picker = picker(40);
        for _ in 0..12 {
            press(&mut picker, KeyCode::Down);
        }
        assert_eq!((picker.cursor, picker.offset), (12, 8));
        press(&mut picker, KeyCode::End);
        assert_eq!((picker.cursor, picker.offset), (39, 35));
        press(&mut picker, KeyCode::Home);
        assert_eq!((picker.cursor, picker.offset), (0, 0));
    }

    #[test]
    fn typing_filters_and_space_picks_what_is_listed() {
        let mut picker = picker(40);
        for c in "3".chars() {
            press(&mut picker, KeyCode::Char(c));
        }
        assert_eq!(picker.shown().len(), 13, "03, 13, 23 and 30 to 39");
        press(&mut picker, KeyCode::Char('9'));
        assert_eq!(picker.shown(), ["team-39"]);
        press(&mut picker, KeyCode::Char(' '));
        assert_eq!(picker.summary(), "1 of 40 chosen");
        let all = picker.key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL), 5);
        assert_eq!(all, PickerOutcome::Open);
        // Every listed one was chosen already: Ctrl-A now clears them.
        assert_eq!(picker.summary(), "none chosen: all 40 shown");
        press(&mut picker, KeyCode::Esc);
        assert_eq!(picker.query, "", "the first Esc clears the query");
        assert_eq!(press(&mut picker, KeyCode::Esc), PickerOutcome::Cancel);
    }

    #[test]
    fn enter_applies_the_choice() {
        let current: BTreeSet<String> = ["team-01".to_string()].into();
        let all = (0..3).map(|i| format!("team-{i:02}")).collect();
        let mut picker = NamespacePicker::new(all, Some(&current));
        assert_eq!(picker.summary(), "1 of 3 chosen");
        press(&mut picker, KeyCode::Char(' '));
        let expected = BTreeSet::from(["team-00", "team-01"].map(String::from));
        assert_eq!(
            press(&mut picker, KeyCode::Enter),
            PickerOutcome::Apply(Some(expected))
        );
    }
}
