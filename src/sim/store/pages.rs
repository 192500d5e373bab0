//! Lists a page at a time, as kube-apiserver pages them: `limit`, and a `continue` token that
//! names where the next page starts and the resourceVersion of the list it belongs to (410
//! once that version has left the history).

use super::{Selectors, Store};
use crate::sim::status::{self, ApiError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// One page of a list.
pub struct Page {
    pub items: Vec<Value>,
    pub resource_version: u64,
    pub continue_token: Option<String>,
    pub remaining: usize,
}

impl Store {
    /// One page of a list: objects in `namespace` (all when None) that pass the selectors,
    /// after the continue token's position, at most `limit` of them.
    pub fn list(
        &self,
        group: &str,
        plural: &str,
        namespace: Option<&str>,
        selectors: &Selectors,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<Page, ApiError> {
        let (list_version, after) = match continue_token.filter(|t| !t.is_empty()) {
            Some(token) => {
                let (version, key) = decode_continue(token)?;
                if version < self.oldest_resource_version() {
                    return Err(status::expired(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                    ));
                }
                (version, Some(key))
            }
            None => (self.resource_version, None),
        };
        // Seek straight to where the page starts: after the continue key, or at the namespace.
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let start = match (after, namespace) {
            (Some(after), Some(wanted)) if after.0.as_str() >= wanted => Excluded(after),
            (_, Some(wanted)) => Included((wanted.to_string(), String::new())),
            (Some(after), None) => Excluded(after),
            (None, None) => Unbounded,
        };
        let mut matching = self
            .table(group, plural)
            .map(|t| t.range((start, Unbounded)))
            .into_iter()
            .flatten()
            .take_while(|((ns, _), _)| namespace.is_none_or(|wanted| wanted == ns))
            .filter(|(_, object)| selectors.matches(object));
        let mut items = Vec::new();
        let mut last_key = None;
        let limit = limit.filter(|&l| l > 0).unwrap_or(usize::MAX);
        for (key, object) in matching.by_ref() {
            if items.len() == limit {
                // One more exists: this page ends at the previous key.
                let remaining = 1 + matching.count();
                let (ns, name) = last_key.unwrap_or_else(|| key.clone());
                return Ok(Page {
                    items,
                    resource_version: list_version,
                    continue_token: Some(encode_continue(list_version, &ns, &name)),
                    remaining,
                });
            }
            items.push(object.clone());
            last_key = Some(key.clone());
        }
        Ok(Page {
            items,
            resource_version: list_version,
            continue_token: None,
            remaining: 0,
        })
    }
}

fn encode_continue(version: u64, namespace: &str, name: &str) -> String {
    URL_SAFE_NO_PAD.encode(
        json!({"v": "meta.k8s.io/v1", "rv": version, "start": [namespace, name]}).to_string(),
    )
}

fn decode_continue(token: &str) -> Result<(u64, (String, String)), ApiError> {
    let invalid = || {
        status::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let version = value
        .get("rv")
        .and_then(Value::as_u64)
        .ok_or_else(invalid)?;
    let start = value
        .get("start")
        .and_then(Value::as_array)
        .ok_or_else(invalid)?;
    match (
        start.first().and_then(Value::as_str),
        start.get(1).and_then(Value::as_str),
    ) {
        (Some(ns), Some(name)) => Ok((version, (ns.to_string(), name.to_string()))),
        _ => Err(invalid()),
    }
}
