//! `kn-mesh auth`'s text: the report's outline (`outline`) as sections, with ✓, ✗ and ?
//! coloured on a terminal. The TUI shows the same outline as a tree.

use super::AccessReport;
use crate::mesh::views::TreeNode;
use std::fmt::Write;

/// The colour for a word that is a mark: ✓ green, ✗ red, ? and ⚠ yellow, severities.
fn colour_of(word: &str, first: bool) -> Option<&'static str> {
    match word {
        "✓" => Some("32"),
        "✗" => Some("31"),
        "?" | "⚠" => Some("33"),
        "HIGH" if first => Some("1;31"),
        "MEDIUM" if first => Some("33"),
        _ => None,
    }
}

/// Colours the marks of a line: whole words only, so a `?` inside a URL stays as it is.
fn paint_marks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        match colour_of(word, index == 0) {
            Some(code) => {
                let _ = write!(out, "\x1b[{code}m{word}\x1b[0m");
            }
            None => out.push_str(word),
        }
    }
    out
}

pub fn text(report: &AccessReport, color: bool, now: i64) -> String {
    let paint = |text: &str| {
        if color {
            paint_marks(text)
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    for (index, section) in super::outline::outline(report, now).iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        if color && !section.children.is_empty() {
            let _ = writeln!(out, "\x1b[1m{}\x1b[0m", section.text);
        } else {
            let _ = writeln!(out, "{}", section.text);
        }
        write_lines(&mut out, &section.children, 1, &paint);
    }
    out
}

fn write_lines(out: &mut String, lines: &[TreeNode], depth: usize, paint: &dyn Fn(&str) -> String) {
    // Sections' lines sit two spaces in, and what a line lists four more.
    let indent = 2 + 4 * (depth - 1);
    for line in lines {
        let _ = writeln!(out, "{:indent$}{}", "", paint(&line.text));
        write_lines(out, &line.children, depth + 1, paint);
    }
}
