//! Label and field selectors, parsed from the query string and matched against objects.

use super::json::meta;
use super::status::{self, ApiError};
use serde_json::Value;

/// Label and field selectors, as kubectl and client-go send them.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    labels: Vec<Requirement>,
    fields: Vec<(String, bool, String)>,
}

#[derive(Debug, Clone)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// Splits on commas that are not inside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

impl Selectors {
    /// The `labelSelector` and `fieldSelector` of a request's query.
    pub fn from_query(query: &std::collections::HashMap<String, String>) -> Result<Self, ApiError> {
        Self::parse(
            query.get("labelSelector").map(String::as_str),
            query.get("fieldSelector").map(String::as_str),
        )
    }

    pub fn parse(
        label_selector: Option<&str>,
        field_selector: Option<&str>,
    ) -> Result<Self, ApiError> {
        let mut selectors = Selectors::default();
        for part in split_top(label_selector.unwrap_or("")) {
            let set = |rest: &str| -> Result<Vec<String>, ApiError> {
                let inner = rest
                    .trim()
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(|| {
                        status::bad_request(format!("unable to parse requirement: {part:?}"))
                    })?;
                Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
            };
            let requirement = if let Some((key, value)) = part.split_once("!=") {
                Requirement::NotEquals(key.trim().into(), value.trim().into())
            } else if let Some((key, value)) =
                part.split_once("==").or_else(|| part.split_once('='))
            {
                Requirement::Equals(key.trim().into(), value.trim().into())
            } else if let Some((key, rest)) = part.split_once(" notin ") {
                Requirement::NotIn(key.trim().into(), set(rest)?)
            } else if let Some((key, rest)) = part.split_once(" in ") {
                Requirement::In(key.trim().into(), set(rest)?)
            } else if let Some(key) = part.strip_prefix('!') {
                Requirement::NotExists(key.trim().into())
            } else if part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            {
                Requirement::Exists(part.into())
            } else {
                return Err(status::bad_request(format!(
                    "unable to parse requirement: {part:?}"
                )));
            };
            selectors.labels.push(requirement);
        }
        for part in split_top(field_selector.unwrap_or("")) {
            let (key, equal, value) = if let Some((k, v)) = part.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (k, true, v)
            } else {
                return Err(status::bad_request(format!(
                    "invalid field selector: {part:?}"
                )));
            };
            let key = key.trim();
            // The fields kube-apiserver indexes for events.k8s.io, besides every kind's.
            let event_field = key
                .strip_prefix("regarding.")
                .is_some_and(|f| matches!(f, "kind" | "name" | "namespace" | "uid" | "apiVersion"))
                || matches!(key, "reason" | "type" | "reportingController");
            if !matches!(key, "metadata.name" | "metadata.namespace") && !event_field {
                return Err(status::bad_request(format!(
                    "field label not supported: {key}"
                )));
            }
            selectors
                .fields
                .push((key.to_string(), equal, value.trim().to_string()));
        }
        Ok(selectors)
    }

    pub fn matches(&self, object: &Value) -> bool {
        let labels = object
            .pointer("/metadata/labels")
            .and_then(Value::as_object);
        let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        let labels_ok = self.labels.iter().all(|r| match r {
            Requirement::Equals(k, v) => label(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => label(k) != Some(v.as_str()),
            Requirement::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => label(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            Requirement::Exists(k) => label(k).is_some(),
            Requirement::NotExists(k) => label(k).is_none(),
        });
        labels_ok
            && self.fields.iter().all(|(key, equal, value)| {
                let actual = match key.strip_prefix("metadata.") {
                    Some(field) => meta(object, field),
                    None => object
                        .pointer(&format!("/{}", key.replace('.', "/")))
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                };
                (actual == value) == *equal
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_parse_equality_set_and_existence() {
        let object = json!({"metadata": {"name": "a", "namespace": "x", "labels": {"app": "web", "tier": "front"}}});
        let check = |labels: &str, fields: &str| {
            Selectors::parse(Some(labels), Some(fields))
                .unwrap()
                .matches(&object)
        };
        assert!(check("app=web", ""));
        assert!(check("app==web,tier!=back", ""));
        assert!(check("app in (web, api),!missing", ""));
        assert!(!check("app notin (web)", ""));
        assert!(check("tier", "metadata.name=a,metadata.namespace!=y"));
        assert!(!check("", "metadata.namespace=y"));
        assert!(Selectors::parse(None, Some("spec.x=1")).is_err());
    }
}
