//! Patches as kube-apiserver applies them: JSON merge patch (RFC 7386; a strategic merge patch
//! is read as one, since the sim knows no patch strategies) and JSON patch (RFC 6902).

use super::status::{self, ApiError};
use serde_json::{Value, json};

/// RFC 7386.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// The list fields kubectl merges by a key rather than replaces (Kubernetes' `patchMergeKey`
/// for `patchStrategy: merge`), by field name. `ports` is keyed by `containerPort` in a
/// container and by `port` in a Service: the elements tell which.
fn merge_key(field: &str, elements: &[Value]) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "ports" if elements.iter().any(|e| e.get("containerPort").is_some()) => "containerPort",
        "ports" => "port",
        _ => return None,
    })
}

/// A strategic merge patch on a built-in kind, as kube-apiserver applies the ones kubectl
/// computes: lists with a merge key are merged element by element (`$patch: delete` removes
/// one), other lists are replaced, `null` deletes, `$patch: replace` replaces an object, and
/// the directives kubectl adds for ordering (`$setElementOrder/…`, `$retainKeys`) are read,
/// never stored. `$deleteFromPrimitiveList/field` removes values from a list of strings.
pub fn strategic_merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    match patch.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut replaced = patch.clone();
            replaced.remove("$patch");
            *target = Value::Object(replaced);
            return;
        }
        Some("delete") => {
            *target = Value::Null;
            return;
        }
        _ => {}
    }
    if !target.is_object() {
        *target = json!({});
    }
    let Value::Object(fields) = target else {
        return;
    };
    for (key, value) in patch {
        if key == "$patch" || key == "$retainKeys" || key.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(gone)) =
                (fields.get_mut(field), value.as_array())
            {
                list.retain(|item| !gone.contains(item));
            }
            continue;
        }
        match (fields.get_mut(key), value) {
            (_, Value::Null) => {
                fields.remove(key);
            }
            (Some(Value::Array(list)), Value::Array(changes)) => {
                match merge_key(key, changes).or_else(|| merge_key(key, list)) {
                    Some(merge_key) => merge_list(list, changes, merge_key),
                    None => *list = changes.clone(),
                }
            }
            (Some(existing), _) => strategic_merge_patch(existing, value),
            (None, _) => {
                let mut fresh = Value::Null;
                strategic_merge_patch(&mut fresh, value);
                fields.insert(key.clone(), fresh);
            }
        }
    }
}

fn merge_list(list: &mut Vec<Value>, changes: &[Value], merge_key: &str) {
    for change in changes {
        let key = change.get(merge_key);
        let at = key.and_then(|key| {
            list.iter()
                .position(|item| item.get(merge_key) == Some(key))
        });
        let delete = change.get("$patch").and_then(Value::as_str) == Some("delete");
        match (at, delete) {
            (Some(at), true) => {
                list.remove(at);
            }
            (None, true) => {}
            (Some(at), false) => {
                if let Some(item) = list.get_mut(at) {
                    strategic_merge_patch(item, change);
                }
            }
            (None, false) => {
                let mut fresh = Value::Null;
                strategic_merge_patch(&mut fresh, change);
                list.push(fresh);
            }
        }
    }
}

/// The largest object the sim stores: etcd's request limit (1.5 MiB), past which kube-apiserver
/// refuses a write.
pub const MAX_OBJECT_BYTES: usize = 3 << 19;

fn encoded_len(value: &Value) -> usize {
    serde_json::to_vec(value)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
}

/// 422 for an object that would be larger than etcd stores.
pub fn too_big(size: usize) -> ApiError {
    status::invalid(
        "Object",
        "",
        format!(
            "the object would be {size} bytes, more than the {MAX_OBJECT_BYTES} bytes etcd stores"
        ),
    )
}

/// RFC 6902: add, remove, replace, move, copy, test. The document's size is tracked as the
/// operations grow it, so that a chain of `copy` operations (each doubling the document) is
/// refused before it is built.
pub fn json_patch(mut document: Value, patch: &Value) -> Result<Value, ApiError> {
    let operations = patch
        .as_array()
        .ok_or_else(|| status::bad_request("a JSON patch must be a list of operations"))?;
    // The size as the operations change it: added values count, removed ones are taken off.
    let mut size = encoded_len(&document);
    let mut grow = |added: &Value, removed: Option<&Value>| {
        size = size
            .saturating_add(encoded_len(added))
            .saturating_sub(removed.map_or(0, encoded_len));
        if size > MAX_OBJECT_BYTES {
            Err(too_big(size))
        } else {
            Ok(())
        }
    };
    for operation in operations {
        let op = operation.get("op").and_then(Value::as_str).unwrap_or("");
        let path = operation
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| status::bad_request("a JSON patch operation needs a path"))?;
        let value = || {
            operation
                .get("value")
                .cloned()
                .ok_or_else(|| status::bad_request(format!("the {op} operation needs a value")))
        };
        match op {
            "add" => {
                let value = value()?;
                // An add into an array inserts: nothing leaves, so nothing is taken off.
                grow(&value, None)?;
                pointer_insert(&mut document, path, value)?
            }
            "remove" => {
                let removed = pointer_remove(&mut document, path)?;
                grow(&Value::Null, Some(&removed))?;
            }
            "replace" => {
                let value = value()?;
                let removed = pointer_remove(&mut document, path)?;
                grow(&value, Some(&removed))?;
                pointer_insert(&mut document, path, value)?;
            }
            "move" | "copy" => {
                let from = operation
                    .get("from")
                    .and_then(Value::as_str)
                    .ok_or_else(|| status::bad_request("move and copy need from"))?;
                let moved = if op == "move" {
                    pointer_remove(&mut document, from)?
                } else {
                    let copied = document
                        .pointer(from)
                        .ok_or_else(|| status::bad_request(format!("no value at {from}")))?;
                    grow(copied, None)?;
                    copied.clone()
                };
                pointer_insert(&mut document, path, moved)?;
            }
            "test" => {
                if document.pointer(path) != Some(&value()?) {
                    return Err(status::invalid(
                        "JSONPatch",
                        path,
                        "the test operation failed",
                    ));
                }
            }
            other => {
                return Err(status::bad_request(format!(
                    "unknown JSON patch operation {other:?}"
                )));
            }
        }
    }
    Ok(document)
}

fn split_pointer(path: &str) -> Result<(String, String), ApiError> {
    let (parent, last) = path
        .rsplit_once('/')
        .ok_or_else(|| status::bad_request(format!("invalid JSON pointer {path:?}")))?;
    Ok((
        parent.to_string(),
        last.replace("~1", "/").replace("~0", "~"),
    ))
}

fn pointer_insert(document: &mut Value, path: &str, value: Value) -> Result<(), ApiError> {
    let (parent, last) = split_pointer(path)?;
    match document.pointer_mut(&parent) {
        Some(Value::Object(map)) => {
            map.insert(last, value);
            Ok(())
        }
        Some(Value::Array(list)) => {
            let index = if last == "-" {
                list.len()
            } else {
                last.parse()
                    .map_err(|_| status::bad_request(format!("invalid index in {path}")))?
            };
            if index > list.len() {
                return Err(status::bad_request(format!("index out of range in {path}")));
            }
            list.insert(index, value);
            Ok(())
        }
        _ => Err(status::bad_request(format!("no parent for {path}"))),
    }
}

fn pointer_remove(document: &mut Value, path: &str) -> Result<Value, ApiError> {
    let (parent, last) = split_pointer(path)?;
    let missing = || status::bad_request(format!("no value at {path}"));
    match document.pointer_mut(&parent) {
        Some(Value::Object(map)) => map.remove(&last).ok_or_else(missing),
        Some(Value::Array(list)) => {
            let index: usize = last.parse().map_err(|_| missing())?;
            (index < list.len())
                .then(|| list.remove(index))
                .ok_or_else(missing)
        }
        _ => Err(missing()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_and_json_patches() {
        let mut doc = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge_patch(&mut doc, &json!({"b": {"c": null, "e": 4}}));
        assert_eq!(doc, json!({"a": 1, "b": {"d": 3, "e": 4}}));
        let patched = json_patch(
            json!({"l": [1, 2]}),
            &json!([
                {"op": "add", "path": "/l/-", "value": 3},
                {"op": "replace", "path": "/l/0", "value": 0},
                {"op": "test", "path": "/l/1", "value": 2}
            ]),
        )
        .unwrap();
        assert_eq!(patched, json!({"l": [0, 2, 3]}));
        assert!(json_patch(json!({}), &json!([{"op": "remove", "path": "/x"}])).is_err());
    }
}

#[cfg(test)]
mod strategic_tests {
    use super::*;

    #[test]
    fn kubectls_strategic_patch_merges_containers_by_name_and_drops_its_directives() {
        let mut deployment = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "app:1", "ports": [{"containerPort": 8080}],
             "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "side", "image": "side:1"}]}}}});
        let patch = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "side"}],
            "containers": [{"name": "app", "image": "app:2",
                            "env": [{"name": "B", "$patch": "delete"}, {"name": "C", "value": "3"}]}]}}}});
        strategic_merge_patch(&mut deployment, &patch);
        assert_eq!(
            deployment,
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "app", "image": "app:2", "ports": [{"containerPort": 8080}],
                 "env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]},
                {"name": "side", "image": "side:1"}]}}}})
        );
        let mut config =
            json!({"data": {"a": "1", "b": "2"}, "metadata": {"finalizers": ["x", "y"]}});
        strategic_merge_patch(
            &mut config,
            &json!({"data": {"a": null}, "metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}}),
        );
        assert_eq!(
            config,
            json!({"data": {"b": "2"}, "metadata": {"finalizers": ["y"]}})
        );
    }
}
