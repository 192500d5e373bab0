//! Wrapping text at spaces, for the help and the detail pane, where ratatui's own wrapping
//! would lose a hanging indent.

/// Splits text into lines of at most `width` characters, at spaces where it can; a word longer
/// than a line is cut.
pub fn words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        loop {
            let (length, word_length) = (line.chars().count(), word.chars().count());
            let space = usize::from(length > 0);
            if length + space + word_length <= width {
                if space == 1 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if length > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            lines.push(word.chars().take(width).collect());
            word = word.chars().skip(width).collect();
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Wraps a line whose continuation lines start with `indent` (its own leading spaces plus
/// `extra`), so that wrapped YAML stays readable and a copied block keeps its structure.
pub fn hanging(text: &str, width: usize, extra: usize) -> Vec<String> {
    let lead = text.len() - text.trim_start_matches(' ').len();
    let indent = " ".repeat(lead + extra);
    let body = &text[lead..];
    let first_width = width.saturating_sub(lead).max(1);
    let rest_width = width.saturating_sub(lead + extra).max(1);
    // The first line is a prefix of the text: the rest is wrapped from where it ends, so a
    // word cut in two is not rejoined with a space.
    let first = words(body, first_width).swap_remove(0);
    let rest = body.get(first.len()..).unwrap_or("");
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let mut parts = vec![first];
    if !rest.is_empty() {
        parts.extend(words(rest, rest_width));
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                format!("{}{part}", &text[..lead])
            } else {
                format!("{indent}{part}")
            }
        })
        .collect()
}

/// Lines wider than `width` are wrapped with a hanging indent of two; they keep the line's
/// style, and lose their spans' (a long line is text to read or copy).
pub fn lines(
    lines: Vec<ratatui::text::Line<'static>>,
    width: usize,
) -> Vec<ratatui::text::Line<'static>> {
    use ratatui::text::Line;
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        for part in hanging(&text, width, 2) {
            out.push(Line::styled(part, line.style));
        }
    }
    out
}

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// The part of a row from column `shift`, `width` wide: `…` marks text cut off on either side,
/// so a cut row never looks whole.
pub fn window(line: Line<'static>, shift: usize, width: usize) -> Line<'static> {
    let total = line.width();
    if shift == 0 && total <= width {
        return line;
    }
    let style = line.style;
    let mut cells: Vec<(String, Style)> = Vec::with_capacity(total);
    for span in &line.spans {
        for grapheme in span.content.chars() {
            cells.push((grapheme.to_string(), span.style));
        }
    }
    let shift = shift.min(cells.len().saturating_sub(1));
    // Cells are characters; an emoji takes two columns, so columns are counted as they go.
    let columns = |text: &str| Span::raw(text.to_string()).width();
    let rest: Vec<(String, Style)> = cells.into_iter().skip(shift).collect();
    let rest_width: usize = rest.iter().map(|(text, _)| columns(text)).sum();
    // Room for the `…` only when something is cut.
    let limit = if rest_width <= width {
        width
    } else {
        width.saturating_sub(1)
    };
    let mut shown: Vec<(String, Style)> = Vec::new();
    let mut used = 0;
    let mut cut = false;
    for (text, style) in rest {
        let wide = columns(&text);
        if used + wide > limit {
            cut = true;
            break;
        }
        used += wide;
        shown.push((text, style));
    }
    if cut {
        let last = shown.last().map(|(_, s)| *s).unwrap_or_default();
        shown.push(("…".into(), last));
    }
    if shift > 0
        && let Some(first) = shown.first_mut()
    {
        first.0 = "…".into();
    }
    let spans: Vec<Span> = shown
        .into_iter()
        .map(|(text, style)| Span::styled(text, style))
        .collect();
    Line::from(spans).style(style)
}

/// Text cut to `width` characters, ending with `…` when cut.
pub fn ellipsis(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_at_spaces_and_cut_what_cannot() {
        assert_eq!(words("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(words("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(words("", 5), [""]);
    }

    #[test]
    fn continuation_lines_hang_under_the_first() {
        let lines = hanging("  - apiGroups: a b c d", 16, 2);
        assert_eq!(lines, ["  - apiGroups: a", "    b c d"]);
        let url = hanging("http://kafka-broker.svc", 10, 2);
        assert_eq!(url.concat().replace(' ', ""), "http://kafka-broker.svc");
        assert!(lines.iter().skip(1).all(|l| l.starts_with("    ")));
    }
}
