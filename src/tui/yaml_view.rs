//! The YAML popup (`y`): scrolling, `/` search with n/N, and copying the text to the
//! clipboard. Pure state and keys; `view` draws it and the runner copies.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlView {
    pub title: String,
    pub text: String,
    /// The first line on screen.
    pub scroll: usize,
    /// The search text: typed after `/`, then kept for n and N.
    pub query: String,
    pub typing: bool,
    /// The line the last search landed on, to highlight.
    pub found: Option<usize>,
    /// What the last key did, when it is worth saying ("copied", "not found").
    pub note: Option<String>,
}

/// What a key asks of the TUI.
#[derive(Debug, PartialEq, Eq)]
pub enum YamlOutcome {
    Open,
    Close,
    /// Put this text on the clipboard (OSC 52), and keep the popup open.
    Copy(String),
}

/// The keys, for the popup's border.
pub const YAML_HINT: &str = "g/G top/end · / search, n/N · c copy · Esc closes";

impl YamlView {
    pub fn new(title: String, text: String) -> Self {
        Self {
            title,
            text,
            scroll: 0,
            query: String::new(),
            typing: false,
            found: None,
            note: None,
        }
    }

    fn line_count(&self) -> usize {
        self.text.lines().count()
    }

    /// Applies a key; `height` is the number of text lines on screen.
    pub fn key(&mut self, key: KeyEvent, height: usize) -> YamlOutcome {
        if self.typing {
            self.search_key(key, height);
            return YamlOutcome::Open;
        }
        self.note = None;
        let last = self.line_count().saturating_sub(height.max(1));
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return YamlOutcome::Close,
            KeyCode::Down | KeyCode::Char('j') => self.scroll += 1,
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll += height.max(1),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(height.max(1)),
            KeyCode::Home | KeyCode::Char('g') => self.scroll = 0,
            KeyCode::End | KeyCode::Char('G') => self.scroll = last,
            KeyCode::Char('/') => {
                self.typing = true;
                self.query.clear();
            }
            KeyCode::Char('n') => self.find(true, height),
            KeyCode::Char('N') => self.find(false, height),
            KeyCode::Char('c') if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.note = Some(format!("copied {} lines (OSC 52)", self.line_count()));
                return YamlOutcome::Copy(self.text.clone());
            }
            _ => {}
        }
        self.scroll = self.scroll.min(last);
        YamlOutcome::Open
    }

    fn search_key(&mut self, key: KeyEvent, height: usize) {
        match key.code {
            KeyCode::Esc => {
                self.typing = false;
                self.query.clear();
                self.found = None;
            }
            KeyCode::Enter => {
                self.typing = false;
                self.found = None;
                self.find(true, height);
            }
            KeyCode::Backspace => {
                self.query.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.query.push(c);
            }
            _ => {}
        }
    }

    /// Moves to the next (or previous) line holding the query, wrapping around.
    fn find(&mut self, forward: bool, height: usize) {
        if self.query.is_empty() {
            return;
        }
        let needle = self.query.to_lowercase();
        let lines: Vec<&str> = self.text.lines().collect();
        let count = lines.len();
        let start = self.found.unwrap_or(if forward { usize::MAX } else { 0 });
        let hit = (1..=count)
            .map(|step| {
                if forward {
                    start.wrapping_add(step) % count
                } else {
                    (start + count * 2 - step) % count
                }
            })
            .find(|&i| lines[i].to_lowercase().contains(&needle));
        match hit {
            Some(line) => {
                self.found = Some(line);
                // The hit a third of the way down, so the lines before it give context.
                self.scroll = line.saturating_sub(height / 3);
                self.scroll = self.scroll.min(count.saturating_sub(height.max(1)));
            }
            None => self.note = Some(format!("{:?} not found", self.query)),
        }
    }
}

/// The escape sequence that asks the terminal to put text on the clipboard.
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(view: &mut YamlView, code: KeyCode) -> YamlOutcome {
        view.key(KeyEvent::new(code, KeyModifiers::NONE), 10)
    }

    fn view() -> YamlView {
        let text = (0..50)
            .map(|i| format!("line{i}: {}", if i % 20 == 7 { "needle" } else { "hay" }))
            .collect::<Vec<_>>()
            .join("\n");
        YamlView::new("t".into(), text)
    }

    #[test]
    fn g_and_end_jump_and_other_keys_do_not_close() {
        let mut view = view();
        press(&mut view, KeyCode::Char('G'));
        assert_eq!(view.scroll, 40);
        press(&mut view, KeyCode::Home);
        assert_eq!(view.scroll, 0);
        assert_eq!(press(&mut view, KeyCode::Char('x')), YamlOutcome::Open);
        assert_eq!(press(&mut view, KeyCode::Enter), YamlOutcome::Open);
        assert_eq!(press(&mut view, KeyCode::Char('q')), YamlOutcome::Close);
    }

    #[test]
    fn search_finds_and_n_and_shift_n_cycle() {
        let mut view = view();
        press(&mut view, KeyCode::Char('/'));
        for c in "NEEDLE".chars() {
            press(&mut view, KeyCode::Char(c));
        }
        press(&mut view, KeyCode::Enter);
        assert_eq!(view.found, Some(7));
        press(&mut view, KeyCode::Char('n'));
        assert_eq!(view.found, Some(27));
        press(&mut view, KeyCode::Char('n'));
        press(&mut view, KeyCode::Char('n'));
        assert_eq!(view.found, Some(7), "wraps around");
        press(&mut view, KeyCode::Char('N'));
        assert_eq!(view.found, Some(47));
        assert!(
            view.scroll <= 47 && view.scroll + 10 > 47,
            "the hit is on screen"
        );
    }

    #[test]
    fn c_copies_the_text_with_osc_52() {
        let mut view = YamlView::new("t".into(), "a: b".into());
        assert_eq!(
            press(&mut view, KeyCode::Char('c')),
            YamlOutcome::Copy("a: b".into())
        );
        assert_eq!(osc52("a: b"), "\x1b]52;c;YTogYg==\x07");
    }
}
