//! What kube-apiserver checks before it stores a write, so that a rehearsal on the sim fails
//! where production would: object names (RFC 1123 and friends), and for custom resources the
//! CRD's structural schema: unknown fields and nulls pruned, defaults filled, then the rest
//! validated. Unknown
//! fields are reported as `fieldValidation` asks: Strict refuses them, Warn warns, Ignore drops
//! them silently.

use super::resources::ResourceDef;
use super::status::{self, ApiError, Cause};
use super::store::Store;
use serde_json::{Map, Value};

/// What to do about unknown fields, from the request's `fieldValidation` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

impl FieldValidation {
    /// kube-apiserver's default, when a client sends none, is Warn.
    pub fn from_query(value: Option<&str>) -> Result<Self, ApiError> {
        match value {
            None | Some("") | Some("Warn") => Ok(Self::Warn),
            Some("Strict") => Ok(Self::Strict),
            Some("Ignore") => Ok(Self::Ignore),
            Some(other) => Err(status::bad_request(format!(
                "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got {other:?}"
            ))),
        }
    }
}

/// An object as it may be stored, and the warnings the answer carries.
pub struct Admitted {
    pub object: Value,
    pub warnings: Vec<String>,
}

/// Checks and prunes an object about to be created or updated through `version` of `def`.
pub fn admit(
    store: &Store,
    def: &ResourceDef,
    version: &str,
    mut object: Value,
    mode: FieldValidation,
) -> Result<Admitted, ApiError> {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut causes = Vec::new();
    if !name.is_empty() {
        causes.extend(name_problems(&def.kind, &name));
    }
    let mut warnings = Vec::new();
    if let Some(schema) = crd_schema(store, def, version) {
        let mut unknown = Vec::new();
        prune(&mut object, &schema, "", true, &mut unknown);
        if !unknown.is_empty() {
            let listed: Vec<String> = unknown
                .iter()
                .map(|field| format!("unknown field {field:?}"))
                .collect();
            match mode {
                FieldValidation::Strict => {
                    return Err(status::bad_request(format!(
                        "{kind} in version {version:?} cannot be handled as a {kind}: strict decoding error: {}",
                        listed.join(", "),
                        kind = def.kind,
                    )));
                }
                FieldValidation::Warn => warnings = listed,
                FieldValidation::Ignore => {}
            }
        }
        causes.extend(schema_problems(&schema, &object));
    }
    if causes.is_empty() {
        Ok(Admitted { object, warnings })
    } else {
        Err(status::invalid_causes(&def.group, &def.kind, &name, causes))
    }
}

/// The openAPIV3Schema the CRD serving `def` gives `version`, if a CRD serves it.
pub fn crd_schema(store: &Store, def: &ResourceDef, version: &str) -> Option<Value> {
    store
        .crd_version(def, version)?
        .pointer("/schema/openAPIV3Schema")
        .cloned()
}

fn flag(schema: &Value, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Drops what the structural schema does not describe (recording each unknown field's path)
/// and nulls where the schema does not allow them, as kube-apiserver prunes before validating.
fn prune(value: &mut Value, schema: &Value, path: &str, root: bool, unknown: &mut Vec<String>) {
    match value {
        Value::Object(fields) => prune_object(fields, schema, path, root, unknown),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter_mut().enumerate() {
                    prune(
                        item,
                        item_schema,
                        &format!("{path}[{index}]"),
                        false,
                        unknown,
                    );
                }
            }
        }
        _ => {}
    }
}

fn prune_object(
    fields: &mut Map<String, Value>,
    schema: &Value,
    path: &str,
    root: bool,
    unknown: &mut Vec<String>,
) {
    let properties = schema.get("properties").and_then(Value::as_object);
    let additional = schema.get("additionalProperties").filter(|a| a.is_object());
    // `additionalProperties: true` keeps any key, as preserving unknown fields does.
    let preserve = flag(schema, "x-kubernetes-preserve-unknown-fields")
        || schema.get("additionalProperties") == Some(&Value::Bool(true));
    // The root, and an embedded resource, always keep their type and metadata.
    let typed = root || flag(schema, "x-kubernetes-embedded-resource");
    let keys: Vec<String> = fields.keys().cloned().collect();
    for key in keys {
        let field_path = child_path(path, &key);
        if typed && matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            if fields.get(&key).is_some_and(Value::is_null) {
                fields.remove(&key);
            }
            continue;
        }
        let child_schema = properties.and_then(|p| p.get(&key)).or(additional);
        match child_schema {
            Some(child_schema) => {
                if fields.get(&key).is_some_and(Value::is_null) && !flag(child_schema, "nullable") {
                    fields.remove(&key);
                } else if let Some(child) = fields.get_mut(&key) {
                    prune(child, child_schema, &field_path, false, unknown);
                }
            }
            None if preserve => {}
            None => {
                let was_null = fields.remove(&key).is_some_and(|v| v.is_null());
                if !was_null {
                    unknown.push(field_path);
                }
            }
        }
    }
    // Defaulting follows pruning, as in kube-apiserver: a property left absent (or a null
    // that was dropped) takes the schema's default.
    for (key, property) in properties.into_iter().flatten() {
        if let Some(default) = property.get("default")
            && !fields.contains_key(key)
        {
            fields.insert(key.clone(), default.clone());
        }
    }
}

/// The schema as JSON Schema draft 4 reads it: OpenAPI's `nullable` becomes a "null" type, an
/// int-or-string has no single type, and formats (which kube-apiserver mostly ignores) go.
fn as_json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(fields) => {
            let mut out: Map<String, Value> = fields
                .iter()
                .filter(|(key, _)| key.as_str() != "format" && !key.starts_with("x-kubernetes"))
                .map(|(key, value)| {
                    let converted = match key.as_str() {
                        // Maps of schemas: convert each schema, not the map itself.
                        "properties" | "definitions" => Value::Object(
                            value
                                .as_object()
                                .map(|m| {
                                    m.iter()
                                        .map(|(k, v)| (k.clone(), as_json_schema(v)))
                                        .collect()
                                })
                                .unwrap_or_default(),
                        ),
                        // Literal values, not schemas.
                        "enum" | "default" | "example" | "required" => value.clone(),
                        _ => as_json_schema(value),
                    };
                    (key.clone(), converted)
                })
                .collect();
            if flag(schema, "x-kubernetes-int-or-string") {
                out.remove("type");
            }
            if out.remove("nullable").is_some_and(|n| n == true)
                && let Some(Value::String(kind)) = out.get("type").cloned()
            {
                out.insert("type".into(), serde_json::json!([kind, "null"]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(as_json_schema).collect()),
        other => other.clone(),
    }
}

/// "spec.delivery.retry" or "spec.subscribers[0].uri" from a JSON pointer.
fn field_of(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// A JSON value's type, as kube-openapi's validation names it.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn go_value(value: &Value) -> String {
    match value {
        Value::String(text) => format!("{text:?}"),
        other => other.to_string(),
    }
}

/// The schema's complaints about an object, worded as kube-apiserver's validation words them.
fn schema_problems(schema: &Value, object: &Value) -> Vec<Cause> {
    let schema = as_json_schema(schema);
    let validator = match jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(&schema)
    {
        Ok(validator) => validator,
        // A CRD's schema that does not compile validates nothing, as a broken webhook would not.
        Err(_) => return Vec::new(),
    };
    use jsonschema::error::ValidationErrorKind as Kind;
    validator
        .iter_errors(object)
        .map(|error| {
            let field = field_of(error.instance_path().as_str());
            let value = go_value(error.instance());
            match error.kind() {
                Kind::Required { property } => {
                    let missing = child_path(&field, property.as_str().unwrap_or(""));
                    Cause::new("FieldValueRequired", &missing, "Required value")
                }
                Kind::Type { .. } => {
                    // kube-openapi names the value's type, not the value: `Invalid value:
                    // "string": spec.replicas in body must be of type integer: "string"`.
                    let found = format!("{:?}", json_type(error.instance()));
                    let wanted = schema
                        .pointer(error.schema_path().as_str())
                        .map(|kind| match kind {
                            Value::Array(kinds) => kinds
                                .iter()
                                .filter_map(Value::as_str)
                                .filter(|k| *k != "null")
                                .collect::<Vec<_>>()
                                .join(","),
                            other => other.as_str().unwrap_or("").to_string(),
                        })
                        .unwrap_or_default();
                    Cause::new(
                        "FieldValueTypeInvalid",
                        &field,
                        &format!("Invalid value: {found}: {field} in body must be of type {wanted}: {found}"),
                    )
                }
                Kind::Enum { options } => {
                    let supported: Vec<String> = options
                        .as_array()
                        .map(|o| o.iter().map(go_value).collect())
                        .unwrap_or_default();
                    Cause::new(
                        "FieldValueNotSupported",
                        &field,
                        &format!(
                            "Unsupported value: {value}: supported values: {}",
                            supported.join(", ")
                        ),
                    )
                }
                _ => Cause::new(
                    "FieldValueInvalid",
                    &field,
                    &format!("Invalid value: {value}: {error}"),
                ),
            }
        })
        .collect()
}

const SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

fn is_label(text: &str, first_alphabetic: bool) -> bool {
    let bytes = text.as_bytes();
    let inner_ok = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    let first_ok = bytes
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || (!first_alphabetic && b.is_ascii_digit()));
    let last_ok = bytes
        .last()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    inner_ok && first_ok && last_ok
}

/// The problems kube-apiserver finds with an object's name, by kind: RBAC objects take any
/// path segment, namespaces a label, services a DNS-1035 label, everything else a subdomain.
pub fn name_problems(kind: &str, name: &str) -> Vec<Cause> {
    let invalid = |why: &str| {
        vec![Cause::new(
            "FieldValueInvalid",
            "metadata.name",
            &format!("Invalid value: {name:?}: {why}"),
        )]
    };
    match kind {
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => {
            if name == "." || name == ".." {
                return invalid(&format!("may not be '{name}'"));
            }
            for bad in ["/", "%"] {
                if name.contains(bad) {
                    return invalid(&format!("may not contain '{bad}'"));
                }
            }
            Vec::new()
        }
        "Namespace" | "Service" => {
            let (first_alphabetic, rule) = if kind == "Service" {
                (true, DNS1035)
            } else {
                (false, LABEL)
            };
            if name.len() > 63 {
                invalid("must be no more than 63 characters")
            } else if !is_label(name, first_alphabetic) {
                invalid(rule)
            } else {
                Vec::new()
            }
        }
        _ => {
            if name.len() > 253 {
                invalid("must be no more than 253 characters")
            } else if !name.split('.').all(|label| is_label(label, false)) {
                invalid(SUBDOMAIN)
            } else {
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_follow_the_kind_rules() {
        assert!(name_problems("Broker", "default").is_empty());
        assert!(name_problems("Broker", "a.b-c").is_empty());
        assert_eq!(name_problems("Broker", "<broker-name>").len(), 1);
        assert_eq!(name_problems("Broker", "Default").len(), 1);
        assert!(name_problems("ClusterRole", "system:aggregate-to-view").is_empty());
        assert_eq!(name_problems("ClusterRole", "a/b").len(), 1);
        assert_eq!(name_problems("Namespace", "a.b").len(), 1);
        assert_eq!(name_problems("Service", "1abc").len(), 1);
        assert!(name_problems("Namespace", "1abc").is_empty());
    }

    #[test]
    fn pruning_drops_unknown_fields_and_nulls_but_keeps_preserved_ones() {
        let schema = json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "a": {"type": "string"},
            "b": {"type": "string", "nullable": true},
            "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "list": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "integer"}}}}
        }}}});
        let mut object = json!({"apiVersion": "v", "kind": "K", "metadata": {"name": "n"},
            "spec": {"a": null, "b": null, "c": 1, "open": {"any": 1},
                     "list": [{"x": 1, "y": 2}]}, "extra": true});
        let mut unknown = Vec::new();
        prune(&mut object, &schema, "", true, &mut unknown);
        assert_eq!(unknown, ["extra", "spec.c", "spec.list[0].y"]);
        assert_eq!(
            object["spec"],
            json!({"b": null, "open": {"any": 1}, "list": [{"x": 1}]})
        );
    }

    #[test]
    fn defaults_fill_what_is_absent_and_additional_properties_true_keeps_keys() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "mode": {"type": "string", "default": "fast"},
                "open": {"type": "object", "additionalProperties": true}}}}});
        let mut object = json!({"spec": {"mode": null, "open": {"a": 1}}});
        let mut unknown = Vec::new();
        prune(&mut object, &schema, "", true, &mut unknown);
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(object["spec"], json!({"mode": "fast", "open": {"a": 1}}));
    }

    #[test]
    fn schema_problems_are_worded_as_kube_apiserver_words_them() {
        let schema = json!({"type": "object", "required": ["spec"], "properties": {
        "spec": {"type": "object", "required": ["subscriber"], "properties": {
            "retry": {"type": "integer", "format": "int32"},
            "subscriber": {"type": "object"},
            "policy": {"type": "string", "enum": ["linear", "exponential"]},
            "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}
        }}}});
        let object = json!({"spec": {"retry": "three", "policy": "never", "port": "http"}});
        let messages: Vec<String> = schema_problems(&schema, &object)
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        assert!(
            messages.contains(&"spec.retry: Invalid value: \"string\": spec.retry in body must be of type integer: \"string\"".to_string()),
            "{messages:?}"
        );
        assert!(messages.contains(&"spec.subscriber: Required value".to_string()));
        assert!(messages.contains(
            &"spec.policy: Unsupported value: \"never\": supported values: \"linear\", \"exponential\"".to_string()
        ));
        assert_eq!(messages.len(), 3, "{messages:?}");
    }
}
