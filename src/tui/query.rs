//! What `/` filters by. Plain text matches a row's text, an object's kind, or a label key;
//! `key=value` matches a label; `a:` matches annotations; `kind:` only kinds.

use crate::mesh::objects::ObjectMeta;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Query {
    #[default]
    Everything,
    /// Lower case. Also a kind's name, or a label's key.
    Text(String),
    Label {
        key: String,
        value: String,
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
            return Query::Kind(normalise_kind(kind));
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
        // A label selector's equality term: no spaces around or in it.
        if let Some((key, value)) = text.split_once('=')
            && !key.is_empty()
            && !text.contains(char::is_whitespace)
        {
            return Query::Label {
                key: key.to_string(),
                value: value.to_string(),
            };
        }
        Query::Text(text.to_ascii_lowercase())
    }

    pub fn is_everything(&self) -> bool {
        *self == Query::Everything
    }

    /// Whether a node matches. `lowered` is its text in ASCII lower case (same byte offsets).
    pub fn hit(&self, lowered: &str, facts: Facts) -> Option<Hit> {
        let labels = || {
            facts
                .meta
                .and_then(|m| m.labels.as_ref())
                .into_iter()
                .flatten()
        };
        match self {
            Query::Everything => None,
            Query::Text(needle) => {
                if let Some(at) = lowered.find(needle.as_str()) {
                    return Some(Hit::Text(at as u32, (at + needle.len()) as u32));
                }
                let kind = normalise_kind(needle) == normalise_kind(facts.kind);
                let label = facts.meta.is_some_and(|m| m.label(needle).is_some());
                (kind || label).then_some(Hit::Elsewhere)
            }
            Query::Label { key, value } => labels()
                .any(|(k, v)| k == key && v == value)
                .then_some(Hit::Elsewhere),
            Query::Annotation { prefix, value } => facts
                .meta
                .and_then(|m| m.annotations.as_ref())
                .into_iter()
                .flatten()
                .any(|(k, v)| match value {
                    Some(value) => k == prefix && v == value,
                    None => k.starts_with(prefix.as_str()),
                })
                .then_some(Hit::Elsewhere),
            Query::Kind(kind) => (*kind == normalise_kind(facts.kind)).then_some(Hit::Elsewhere),
        }
    }
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
        let hit = |query: &str, text: &str| Query::parse(query).hit(text, facts);
        assert_eq!(hit("ping", "source ping-1"), Some(Hit::Text(7, 11)));
        assert_eq!(hit("app=web", "source x"), Some(Hit::Elsewhere));
        assert_eq!(hit("app=api", "source x"), None);
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
