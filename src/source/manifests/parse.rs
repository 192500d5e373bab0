//! Parsing one text into documents: JSON streams and YAML, with the limits and the quirks that
//! make them read as kubectl reads them.

use super::{MAX_DOCUMENTS, MAX_FILE_BYTES, MAX_VALUES, MAX_YAML_DEPTH, ManifestError};
use serde_json::Value;
use serde_saphyr::Spanned;

/// JSON: one value, or several concatenated, as `kubectl get -o json` and jq produce. Lines
/// are counted as the stream advances, so a long stream reads in linear time.
pub(super) fn parse_json(name: &str, text: &str) -> Result<Vec<(u64, Value)>, ManifestError> {
    let values = json_values(text);
    if values > MAX_VALUES {
        return Err(ManifestError::Syntax {
            location: name.to_string(),
            message: format!(
                "{values} JSON values is more than the {MAX_VALUES} one file may hold"
            ),
        });
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut documents = Vec::new();
    let mut counted_to = 0;
    let mut line = 1u64;
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => return Ok(documents),
            Some(Ok(_)) if documents.len() == MAX_DOCUMENTS => {
                return Err(ManifestError::Syntax {
                    location: name.to_string(),
                    message: format!("more than the {MAX_DOCUMENTS} documents one file may hold"),
                });
            }
            Some(Ok(value)) => {
                let rest = &text[offset..];
                let start = offset + rest.len() - rest.trim_start().len();
                line += text[counted_to..start].matches('\n').count() as u64;
                counted_to = start;
                documents.push((line, value));
            }
            Some(Err(error)) => {
                let message = if error.is_eof() {
                    format!("the JSON ends before it is complete ({error})")
                } else {
                    error.to_string()
                };
                return Err(ManifestError::Syntax {
                    location: format!("{name}:{}", error.line()),
                    message,
                });
            }
        }
    }
}

/// About how many values a JSON text holds (its opening brackets and separators outside
/// strings), counted in one pass before anything is allocated for them.
pub(super) fn json_values(text: &str) -> usize {
    let (mut count, mut in_string, mut escaped) = (0, false, false);
    for byte in text.bytes() {
        match (in_string, escaped, byte) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, false, _) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'[' | b'{' | b',' | b':') => count += 1,
            _ => {}
        }
    }
    count
}

pub(super) fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_documents = MAX_DOCUMENTS;
    budget.max_nodes = MAX_VALUES;
    budget.max_events = 2 * MAX_VALUES;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES;
    budget.max_depth = MAX_YAML_DEPTH;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// The text as kubectl reads it: kubectl splits documents only at `---` lines and decodes the
/// first YAML document of each piece, so what follows a `...` (document end, often pasted from
/// docs to mean "more here") up to the next `---` is ignored. Those lines are blanked, which
/// keeps every line number.
pub(super) fn as_kubectl_reads(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.lines().any(|line| line.trim_end() == "...") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut ignoring = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.starts_with("---") {
            ignoring = false;
        }
        if ignoring {
            if line.ends_with('\n') {
                out.push('\n');
            }
            continue;
        }
        if line.trim_end() == "..." {
            ignoring = true;
        }
        out.push_str(line);
    }
    std::borrow::Cow::Owned(out)
}

pub(super) fn parse_yaml(name: &str, text: &str) -> Result<Vec<(u64, Value)>, ManifestError> {
    let text: &str = &as_kubectl_reads(text);
    let documents: Vec<Spanned<Value>> =
        serde_saphyr::from_multiple_with_options(text, yaml_options()).map_err(|error| {
            ManifestError::Syntax {
                location: match error.location() {
                    Some(location) => format!("{name}:{}", location.line()),
                    None => name.to_string(),
                },
                message: first_line(&error.to_string()),
            }
        })?;
    Ok(documents
        .into_iter()
        .filter(|d| !d.value.is_null())
        .map(|d| (d.referenced.line(), d.value))
        .collect())
}

/// serde-saphyr renders a code snippet under its message; the message line is what we want.
pub(super) fn first_line(message: &str) -> String {
    crate::text::escape(message.lines().next().unwrap_or(message).trim())
}
