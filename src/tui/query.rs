//! What `/` filters by. Plain text matches a row's text, an object's kind, or a label key;
//! `key=value` matches a label; `a:` matches annotations; `kind:` only kinds.

use crate::mesh::objects::ObjectMeta;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Query {
    #[default]
    Everything,
    /// Lower case. Also a kind's name (`kind`: lower case, no spaces), or a label's key
    /// (`raw`: as typed).
    Text {
        needle: String,
        kind: String,
        raw: String,
        /// Whether any object's kind or label key could be the text (`prepare`): when none can,
        /// only row texts are searched, with no lookup per row.
        elsewhere: bool,
    },
    /// `key=value` (or `==`), or `key!=value` when `equal` is false.
    Label {
        key: String,
        value: String,
        equal: bool,
    },
    /// `a:PREFIX` matches an annotation whose key starts with PREFIX; `a:KEY=VALUE` one pair.
    Annotation {
        prefix: String,
        value: Option<String>,
    },
    /// Lower case, spaces removed: "eventtype" matches an "EventType".
    Kind(String),
}

/// A node's facts that a query may match beyond its text.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The object's kind ("Trigger", "PingSource"), or the row's kind for other rows.
    pub kind: &'a str,
    pub meta: Option<&'a ObjectMeta>,
}

/// How a node matched: by its text (this byte range, to highlight) or by something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    Text(u32, u32),
    Elsewhere,
}

impl Query {
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        if text.is_empty() {
            return Query::Everything;
        }
        if let Some(kind) = text.strip_prefix("kind:") {
            // `kind:` alone, while the kind is being typed, filters nothing yet.
            return match kind.trim() {
                "" => Query::Everything,
                kind => Query::Kind(normalise_kind(kind)),
            };
        }
        if let Some(annotation) = text.strip_prefix("a:") {
            let (prefix, value) = match annotation.split_once('=') {
                Some((key, value)) => (key, Some(value.to_string())),
                None => (annotation, None),
            };
            return Query::Annotation {
                prefix: prefix.to_string(),
                value,
            };
        }
        // A label selector's equality term, as kubectl's -l writes it: `=`, `==` or `!=`, no
        // spaces.
        if let Some((key, value)) = text.split_once('=')
            && !text.contains(char::is_whitespace)
        {
            let (key, equal) = match key.strip_suffix('!') {
                Some(key) => (key, false),
                None => (key, true),
            };
            let value = value.strip_prefix('=').unwrap_or(value);
            if !key.is_empty() {
                return Query::Label {
                    key: key.to_string(),
                    value: value.to_string(),
                    equal,
                };
            }
        }
        Query::Text {
            needle: text.to_ascii_lowercase(),
            kind: normalise_kind(text),
            raw: text.to_string(),
            elsewhere: true,
        }
    }

    /// Settles, once per keystroke, whether plain text can match anything but row texts: a
    /// kind some object or row has, or a label key some object carries.
    pub fn prepare(&mut self, mesh: &crate::mesh::Mesh) {
        let Query::Text {
            kind,
            raw,
            elsewhere,
            ..
        } = self
        else {
            return;
        };
        let row_kind = crate::mesh::views::NodeKind::ALL
            .iter()
            .any(|k| same_kind(kind, k.name()));
        *elsewhere = row_kind
            || mesh
                .objects()
                .any(|(k, meta)| same_kind(kind, k) || meta.label(raw).is_some());
    }

    pub fn is_everything(&self) -> bool {
        *self == Query::Everything
    }

    /// Whether a node matches. `lowered` is its text in ASCII lower case (same byte offsets);
    /// `facts` are looked up only when the text alone does not decide.
    pub fn hit<'m>(&self, lowered: &str, facts: &dyn Fn() -> Facts<'m>) -> Option<Hit> {
        match self {
            Query::Everything => None,
            Query::Text {
                needle,
                kind,
                raw,
                elsewhere,
            } => {
                if let Some(at) = lowered.find(needle.as_str()) {
                    return Some(Hit::Text(at as u32, (at + needle.len()) as u32));
                }
                if !elsewhere {
                    return None;
                }
                let facts = facts();
                let is_kind = same_kind(kind, facts.kind);
                let label = facts.meta.is_some_and(|m| m.label(raw).is_some());
                (is_kind || label).then_some(Hit::Elsewhere)
            }
            Query::Label { key, value, equal } => {
                // `!=` matches objects without the label too, as kubectl's selector does; rows
                // that are not objects never match.
                let facts = facts();
                let meta = facts.meta?;
                let has = meta.label(key) == Some(value.as_str());
                (has == *equal).then_some(Hit::Elsewhere)
            }
            Query::Annotation { prefix, value } => facts()
                .meta
                .and_then(|m| m.annotations.as_ref())
                .into_iter()
                .flatten()
                .any(|(k, v)| match value {
                    Some(value) => k == prefix && v == value,
                    None => k.starts_with(prefix.as_str()),
                })
                .then_some(Hit::Elsewhere),
            Query::Kind(kind) => same_kind(kind, facts().kind).then_some(Hit::Elsewhere),
        }
    }
}

/// Whether a kind ("PingSource", "event type") is the normalised one ("pingsource"), without
/// allocating: this runs for every row on every keystroke.
fn same_kind(normalised: &str, kind: &str) -> bool {
    let mut letters = kind
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase());
    normalised.chars().all(|c| letters.next() == Some(c)) && letters.next().is_none()
}

fn normalise_kind(kind: &str) -> String {
    kind.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ObjectMeta {
        let pair = |k: &str, v: &str| Some([(k.to_string(), v.to_string())].into_iter().collect());
        ObjectMeta {
            labels: pair("app", "web"),
            annotations: pair("eventing.knative.dev/creator", "alice"),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn each_form_matches_what_it_names() {
        let meta = meta();
        let facts = Facts {
            kind: "PingSource",
            meta: Some(&meta),
        };
        let hit = |query: &str, text: &str| Query::parse(query).hit(text, &|| facts);
        assert_eq!(hit("ping", "source ping-1"), Some(Hit::Text(7, 11)));
        assert_eq!(hit("app=web", "source x"), Some(Hit::Elsewhere));
        assert_eq!(hit("app=api", "source x"), None);
        assert_eq!(hit("app==web", "source x"), Some(Hit::Elsewhere));
        assert_eq!(hit("app!=web", "source x"), None);
        assert_eq!(hit("app!=api", "source x"), Some(Hit::Elsewhere));
        assert_eq!(Query::parse("kind:"), Query::Everything);
        assert_eq!(hit("app", "source x"), Some(Hit::Elsewhere), "a label key");
        assert_eq!(
            hit("pingsource", "source x"),
            Some(Hit::Elsewhere),
            "a kind"
        );
        assert_eq!(hit("kind:Ping Source", "source x"), Some(Hit::Elsewhere));
        assert_eq!(hit("kind:trigger", "source x"), None);
        assert_eq!(hit("a:eventing.knative.dev/", "x"), Some(Hit::Elsewhere));
        assert_eq!(
            hit("a:eventing.knative.dev/creator=alice", "x"),
            Some(Hit::Elsewhere)
        );
        assert_eq!(hit("a:eventing.knative.dev/creator=bob", "x"), None);
        assert_eq!(hit("a:app", "x"), None, "labels are not annotations");
        assert_eq!(hit("  ", "x"), None);
    }
}
