//! Text that crosses a trust boundary: strings from outside (names, labels, URLs, messages,
//! claims, error bodies) on their way to a terminal or a log, and bearer tokens, which never go
//! there at all (DESIGN.md §1). One mechanism each, used by every face.

use std::fmt::Write;

/// The text with every control character escaped, so that an object named
/// `x\e]0;…\a\e[2J` prints as that text instead of rewriting the terminal. Newlines and tabs
/// are escaped too: a name is one line. Printable Unicode (emoji, accents) is kept.
pub fn escape(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x100 => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The same, keeping line breaks: for multi-line messages whose lines are our own layout.
pub fn escape_lines(text: &str) -> String {
    text.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// C0 and C1 controls, DEL, and the Unicode bidirectional overrides that can reorder what a
/// terminal shows.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Tokens this short are never shown, not even in part: a prefix would give most of them away.
const SHORTEST_SHOWN: usize = 13;

/// How a token is named on screen: a 6-character prefix and its length, or only its length
/// when it is 12 characters or fewer.
pub fn redact(token: &str) -> String {
    let length = token.chars().count();
    if length < SHORTEST_SHOWN {
        return format!("(redacted, {length} chars)");
    }
    let prefix: String = token.chars().take(6).collect();
    format!("{}…(redacted, {length} chars)", escape(&prefix))
}

/// Text from a server or a backend with every occurrence of the token replaced: a proxy that
/// echoes the Authorization header in its error body must not print it.
pub fn scrub(text: &str, token: Option<&str>) -> String {
    match token.map(str::trim) {
        Some(token) if !token.is_empty() && text.contains(token) => {
            text.replace(token, &redact(token))
        }
        _ => text.to_string(),
    }
}

/// A problem with a token as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenTextError {
    #[error("the token is empty")]
    Empty,
    #[error(
        "the token has a control character at position {position} (a bearer token is one line of printable text)"
    )]
    ControlCharacter { position: usize },
}

/// A token as read from a file, a variable, a flag or an app-config: one trailing line break is
/// what editors and `echo` add, and is trimmed with surrounding spaces; any other control
/// character means the file holds something else, and is refused with its position (never the
/// token's text).
pub fn clean_token(raw: &str) -> Result<String, TokenTextError> {
    let token = raw.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r');
    if token.is_empty() {
        return Err(TokenTextError::Empty);
    }
    if let Some(position) = token.chars().position(|c| c.is_control()) {
        return Err(TokenTextError::ControlCharacter {
            position: position + 1,
        });
    }
    Ok(token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_text_kept() {
        assert_eq!(escape("payments"), "payments");
        assert_eq!(
            escape("x\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "x\\x1b]0;pwned\\x07\\x1b[2J"
        );
        assert_eq!(escape("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(escape("🔒 é"), "🔒 é");
        assert_eq!(escape("\u{9b}31m"), "\\x9b31m");
        assert_eq!(escape("abc\u{202e}cba"), "abc\\u{202e}cba");
        assert_eq!(escape_lines("one\ntwo\u{1b}"), "one\ntwo\\x1b");
    }

    #[test]
    fn short_tokens_are_never_shown_in_part() {
        assert_eq!(redact("abc"), "(redacted, 3 chars)");
        assert_eq!(redact("123456789012"), "(redacted, 12 chars)");
        let long = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        assert_eq!(
            redact(long),
            format!("eyJhbG…(redacted, {} chars)", long.len())
        );
    }

    #[test]
    fn server_text_is_scrubbed_of_the_token() {
        let token = "s3cr3t-t0ken-value";
        let body = format!("proxy error: header was Bearer {token}");
        let scrubbed = scrub(&body, Some(token));
        assert!(!scrubbed.contains(token), "{scrubbed}");
        assert!(scrubbed.contains("(redacted, 18 chars)"));
        assert_eq!(scrub("nothing here", Some(token)), "nothing here");
        assert_eq!(scrub("x", None), "x");
    }

    #[test]
    fn tokens_lose_their_line_break_and_refuse_control_characters() {
        assert_eq!(clean_token("abc123\n").unwrap(), "abc123");
        assert_eq!(clean_token("  abc123\r\n").unwrap(), "abc123");
        assert_eq!(clean_token("\n\n"), Err(TokenTextError::Empty));
        assert_eq!(
            clean_token("abc\ndef"),
            Err(TokenTextError::ControlCharacter { position: 4 })
        );
        assert_eq!(
            clean_token("ab\u{1b}c"),
            Err(TokenTextError::ControlCharacter { position: 3 })
        );
    }
}

/// "a bound token", "an opaque token", "an OIDC ID token": the article a noun phrase takes, by
/// its sound where it matters (initialisms read letter by letter).
pub fn with_article(phrase: &str) -> String {
    let first = phrase.split_whitespace().next().unwrap_or("");
    let initialism = first.len() > 1 && first.chars().all(|c| c.is_ascii_uppercase());
    let vowel_sound = if initialism {
        first.starts_with(['A', 'E', 'F', 'H', 'I', 'L', 'M', 'N', 'O', 'R', 'S', 'X'])
    } else {
        first.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U'])
    };
    let article = if vowel_sound { "an" } else { "a" };
    format!("{article} {phrase}")
}

/// "1 broker", "2 brokers".
/// "45s", "12m", "3h", "5d": an age as kubectl's AGE column shows it.
pub fn age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

#[cfg(test)]
mod wording_tests {
    use super::*;

    #[test]
    fn articles_and_plurals() {
        assert_eq!(with_article("opaque token"), "an opaque token");
        assert_eq!(with_article("OIDC ID token"), "an OIDC ID token");
        assert_eq!(
            with_article("bound ServiceAccount token"),
            "a bound ServiceAccount token"
        );
        assert_eq!(
            with_article("Backstage user identity token"),
            "a Backstage user identity token"
        );
        assert_eq!(count(1, "broker", "brokers"), "1 broker");
        assert_eq!(count(0, "broker", "brokers"), "0 brokers");
    }
}
