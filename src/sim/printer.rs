//! The Tables `kubectl get` asks for (`as=Table`): for a custom resource, the columns its CRD
//! declares (`additionalPrinterColumns`, their JSONPath evaluated as kube-apiserver does), else
//! name, readiness when the objects have conditions, and age.

use serde_json::{Map, Value, json};

pub fn list_metadata(resource_version: u64, continue_token: Option<&str>) -> Map<String, Value> {
    let mut metadata = Map::new();
    metadata.insert(
        "resourceVersion".into(),
        json!(resource_version.to_string()),
    );
    if let Some(token) = continue_token {
        metadata.insert("continue".into(), json!(token));
    }
    metadata
}

/// One row's object, as kube-apiserver embeds it: metadata only.
fn row(cells: Vec<Value>, object: &Value) -> Value {
    json!({"cells": cells, "object": {"kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"]}})
}

/// A Table of `items`; `columns` are a CRD's printer columns, when it declares any.
pub fn table(
    items: &[Value],
    (resource_version, continue_token): (u64, Option<&str>),
    columns: Option<Vec<Value>>,
) -> Value {
    let (definitions, rows) = match columns.filter(|c| !c.is_empty()) {
        Some(columns) => declared(items, &columns),
        None => default_columns(items),
    };
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1",
           "metadata": list_metadata(resource_version, continue_token),
           "columnDefinitions": definitions, "rows": rows})
}

fn name_column() -> Value {
    json!({"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0})
}

/// The CRD's columns after Name, each cell its JSONPath's first result: a string as is, a date
/// as an age, other types as JSON values; nothing found is an empty cell.
fn declared(items: &[Value], columns: &[Value]) -> (Vec<Value>, Vec<Value>) {
    let mut definitions = vec![name_column()];
    definitions.extend(columns.iter().map(|c| {
        json!({"name": c["name"], "type": c["type"],
               "format": c.get("format").cloned().unwrap_or(json!("")),
               "description": c.get("description").cloned().unwrap_or(json!("")),
               "priority": c.get("priority").cloned().unwrap_or(json!(0))})
    }));
    let now = jiff::Timestamp::now();
    let rows = items
        .iter()
        .map(|object| {
            let mut cells = vec![json!(super::json::meta(object, "name"))];
            for column in columns {
                let path = column["jsonPath"].as_str().unwrap_or("");
                let found = json_path(object, path);
                cells.push(match (column["type"].as_str(), found) {
                    (_, None) => Value::Null,
                    (Some("date"), Some(Value::String(time))) => json!(age(&time, now)),
                    (Some("string"), Some(Value::String(text))) => json!(text),
                    (Some("string"), Some(other)) => json!(other.to_string()),
                    (_, Some(value)) => value,
                });
            }
            row(cells, object)
        })
        .collect();
    (definitions, rows)
}

fn default_columns(items: &[Value]) -> (Vec<Value>, Vec<Value>) {
    let has_conditions = items
        .iter()
        .any(|o| o.pointer("/status/conditions").is_some());
    let mut definitions = vec![name_column()];
    if has_conditions {
        definitions.push(json!({"name": "Ready", "type": "string", "format": "", "description": "The Ready condition.", "priority": 0}));
        definitions.push(json!({"name": "Reason", "type": "string", "format": "", "description": "Why it is not ready.", "priority": 0}));
    }
    definitions.push(json!({"name": "Age", "type": "date", "format": "", "description": "Time since creation.", "priority": 0}));
    let now = jiff::Timestamp::now();
    let rows = items
        .iter()
        .map(|object| {
            let mut cells = vec![json!(super::json::meta(object, "name"))];
            if has_conditions {
                let ready = object
                    .pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .and_then(|c| c.iter().find(|c| c["type"] == "Ready"));
                cells.push(json!(
                    ready.and_then(|c| c["status"].as_str()).unwrap_or("")
                ));
                cells.push(json!(
                    ready.and_then(|c| c["reason"].as_str()).unwrap_or("")
                ));
            }
            let created = object["metadata"]["creationTimestamp"]
                .as_str()
                .unwrap_or("");
            cells.push(json!(age(created, now)));
            row(cells, object)
        })
        .collect();
    (definitions, rows)
}

fn age(time: &str, now: jiff::Timestamp) -> String {
    time.parse::<jiff::Timestamp>()
        .map(|then| human_age(now.as_second() - then.as_second()))
        .unwrap_or_else(|_| "<unknown>".into())
}

/// Ages as kubectl prints them: 45s, 12m, 3h, 5d.
fn human_age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// The first result of the simple JSONPath CRDs use in printer columns: `.a.b`, `[0]`,
/// and `[?(@.type=="Ready")]`.
pub fn json_path(object: &Value, path: &str) -> Option<Value> {
    let mut current = object;
    let mut rest = path.trim().trim_start_matches('{').trim_end_matches('}');
    rest = rest.strip_prefix('$').unwrap_or(rest);
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inside = &after[..end];
            rest = &after[end + 1..];
            current = match inside.strip_prefix("?(@.") {
                Some(filter) => {
                    let filter = filter.strip_suffix(')')?;
                    let (key, wanted) = filter.split_once("==")?;
                    let wanted = wanted.trim().trim_matches(|c| c == '"' || c == '\'');
                    current
                        .as_array()?
                        .iter()
                        .find(|item| item[key.trim()].as_str() == Some(wanted))?
                }
                None => current.get(inside.parse::<usize>().ok()?)?,
            };
        } else {
            let after = rest.strip_prefix('.')?;
            let end = after.find(['.', '[']).unwrap_or(after.len());
            current = current.get(&after[..end])?;
            rest = &after[end..];
        }
    }
    Some(current.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_column_paths_evaluate_as_kube_apiserver_does() {
        let object = json!({"spec": {"broker": "default", "list": [1, 2]},
            "status": {"conditions": [{"type": "Other", "status": "False"},
                                      {"type": "Ready", "status": "True", "reason": "Fine"}]}});
        assert_eq!(json_path(&object, ".spec.broker"), Some(json!("default")));
        assert_eq!(json_path(&object, ".spec.list[1]"), Some(json!(2)));
        assert_eq!(
            json_path(&object, ".status.conditions[?(@.type==\"Ready\")].status"),
            Some(json!("True"))
        );
        assert_eq!(
            json_path(&object, ".status.conditions[?(@.type=='Ready')].reason"),
            Some(json!("Fine"))
        );
        assert_eq!(json_path(&object, ".status.address.url"), None);
    }

    #[test]
    fn a_crd_table_has_its_declared_columns() {
        let columns = vec![
            json!({"name": "Broker", "type": "string", "jsonPath": ".spec.broker"}),
            json!({"name": "Retries", "type": "integer", "jsonPath": ".spec.retry"}),
            json!({"name": "Missing", "type": "string", "jsonPath": ".status.nothing"}),
        ];
        let item = json!({"metadata": {"name": "t"}, "spec": {"broker": "b", "retry": 3}});
        let table = table(&[item], (7, None), Some(columns));
        let names: Vec<&str> = table["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Name", "Broker", "Retries", "Missing"]);
        assert_eq!(table["rows"][0]["cells"], json!(["t", "b", 3, null]));
    }
}
