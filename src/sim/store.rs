//! The simulated cluster's objects: one ordered map per resource, a global resourceVersion,
//! and a bounded history of changes that watches replay and follow.

use super::resources::{self, ResourceDef};
use super::status::{self, ApiError};
use crate::mesh::objects::Crd;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many changes the store remembers for watches and continue tokens.
const HISTORY: usize = 20_000;

#[derive(Debug, Clone)]
pub struct Event {
    pub resource_version: u64,
    pub group: String,
    pub plural: String,
    pub namespace: String,
    /// ADDED, MODIFIED or DELETED.
    pub kind: &'static str,
    pub object: Value,
}

pub struct Store {
    defs: Vec<ResourceDef>,
    objects: HashMap<(String, String), BTreeMap<(String, String), Value>>,
    resource_version: u64,
    history: VecDeque<Arc<Event>>,
    events: broadcast::Sender<Arc<Event>>,
}

/// One page of a list.
pub struct Page {
    pub items: Vec<Value>,
    pub resource_version: u64,
    pub continue_token: Option<String>,
    pub remaining: usize,
}

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn meta<'a>(object: &'a Value, field: &str) -> &'a str {
    object
        .pointer(&format!("/metadata/{field}"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

impl Store {
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(4096);
        let mut store = Self {
            defs: resources::builtin(),
            objects: HashMap::new(),
            resource_version: 1,
            history: VecDeque::new(),
            events,
        };
        for crd in crate::mesh::catalog::builtin_crds() {
            let value = serde_json::to_value(crd).unwrap_or_default();
            // The built-in CRDs are valid, so creating them cannot fail.
            let _ = store.create(
                "apiextensions.k8s.io",
                "customresourcedefinitions",
                "",
                value,
            );
        }
        store
    }

    pub fn defs(&self) -> &[ResourceDef] {
        &self.defs
    }

    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    /// The definition serving `plural` in this group and version.
    pub fn def(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceDef> {
        self.defs.iter().find(|d| {
            d.group == group && d.plural == plural && d.versions.iter().any(|v| v == version)
        })
    }

    /// The definition for a kind, by group and kind.
    pub fn def_for_kind(&self, group: &str, kind: &str) -> Option<&ResourceDef> {
        self.defs
            .iter()
            .find(|d| d.group == group && d.kind == kind)
    }

    /// Makes sure a kind without a definition is served under its guessed plural.
    pub fn ensure_kind(&mut self, api_version: &str, kind: &str) -> ResourceDef {
        let group = crate::mesh::objects::group_of(api_version);
        if let Some(def) = self.def_for_kind(group, kind) {
            return def.clone();
        }
        let def = ResourceDef::guessed(api_version, kind);
        self.defs.push(def.clone());
        def
    }

    fn table(&self, group: &str, plural: &str) -> Option<&BTreeMap<(String, String), Value>> {
        self.objects.get(&(group.to_string(), plural.to_string()))
    }

    pub fn get(&self, group: &str, plural: &str, namespace: &str, name: &str) -> Option<&Value> {
        self.table(group, plural)?
            .get(&(namespace.to_string(), name.to_string()))
    }

    /// All objects of a resource, in namespace then name order.
    pub fn all(&self, group: &str, plural: &str) -> impl Iterator<Item = &Value> {
        self.table(group, plural)
            .into_iter()
            .flat_map(|t| t.values())
    }

    pub fn namespace_exists(&self, namespace: &str) -> bool {
        self.get("", "namespaces", "", namespace).is_some()
    }

    fn record(&mut self, def: &ResourceDef, kind: &'static str, object: Value) {
        let event = Arc::new(Event {
            resource_version: self.resource_version,
            group: def.group.clone(),
            plural: def.plural.clone(),
            namespace: meta(&object, "namespace").to_string(),
            kind,
            object,
        });
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(event.clone());
        // Nobody listening is fine.
        let _ = self.events.send(event);
    }

    /// The oldest resourceVersion a watch or continue token may start from.
    pub fn oldest_resource_version(&self) -> u64 {
        self.history
            .front()
            .map(|e| e.resource_version.saturating_sub(1))
            .unwrap_or(self.resource_version)
    }

    /// Changes after `since`, or None when they are no longer all remembered.
    pub fn history_since(&self, since: u64) -> Option<Vec<Arc<Event>>> {
        if since < self.oldest_resource_version() {
            return None;
        }
        Some(
            self.history
                .iter()
                .filter(|e| e.resource_version > since)
                .cloned()
                .collect(),
        )
    }

    fn def_or_404(&self, group: &str, plural: &str) -> Result<ResourceDef, ApiError> {
        self.defs
            .iter()
            .find(|d| d.group == group && d.plural == plural)
            .cloned()
            .ok_or_else(status::no_such_path)
    }

    pub fn create(
        &mut self,
        group: &str,
        plural: &str,
        namespace: &str,
        mut object: Value,
    ) -> Result<Value, ApiError> {
        let def = self.def_or_404(group, plural)?;
        if !object.is_object() {
            return Err(status::bad_request("the body must be a JSON object"));
        }
        let metadata = object
            .as_object_mut()
            .and_then(|o| {
                o.entry("metadata")
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
            })
            .ok_or_else(|| status::bad_request("metadata must be an object"))?;
        if metadata
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            match metadata.get("generateName").and_then(Value::as_str) {
                Some(prefix) if !prefix.is_empty() => {
                    let suffix: String = uuid::Uuid::new_v4().simple().to_string()[..5].to_string();
                    metadata.insert("name".into(), json!(format!("{prefix}{suffix}")));
                }
                _ => {
                    return Err(status::invalid(
                        &def.kind,
                        "",
                        "metadata.name: Required value: name or generateName is required",
                    ));
                }
            }
        }
        let name = metadata["name"].as_str().unwrap_or("").to_string();
        if def.namespaced {
            let body_namespace = metadata
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !body_namespace.is_empty() && !namespace.is_empty() && body_namespace != namespace {
                return Err(status::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            let namespace = if namespace.is_empty() {
                body_namespace
            } else {
                namespace
            }
            .to_string();
            if namespace.is_empty() {
                return Err(status::bad_request(
                    "a namespace is required for a namespaced resource",
                ));
            }
            metadata.insert("namespace".into(), json!(namespace));
        } else {
            metadata.remove("namespace");
        }
        let namespace = metadata
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if def.namespaced && !self.namespace_exists(&namespace) {
            return Err(status::not_found("", "namespaces", &namespace));
        }
        if self.get(group, plural, &namespace, &name).is_some() {
            return Err(status::already_exists(group, plural, &name));
        }
        self.resource_version += 1;
        metadata.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        metadata.insert(
            "resourceVersion".into(),
            json!(self.resource_version.to_string()),
        );
        metadata.insert("creationTimestamp".into(), json!(now_rfc3339()));
        metadata.entry("generation").or_insert(json!(1));
        let object = to_storage(&def, object);
        self.objects
            .entry((group.to_string(), plural.to_string()))
            .or_default()
            .insert((namespace, name), object.clone());
        if group == "apiextensions.k8s.io" {
            self.register_crd(&object);
        }
        self.record(&def, "ADDED", object.clone());
        Ok(object)
    }

    /// A CRD defines (or redefines) a resource.
    fn register_crd(&mut self, object: &Value) {
        let Ok(crd) = serde_json::from_value::<Crd>(object.clone()) else {
            return;
        };
        if let Some(def) = ResourceDef::from_crd(&crd) {
            self.defs
                .retain(|d| !(d.group == def.group && d.plural == def.plural));
            self.defs.push(def);
        }
    }

    /// Puts back the uid and creation time a manifest gave an object, at load time only: the
    /// same manifests then give the same mesh whether read from files or from the sim.
    pub fn restore_identity(
        &mut self,
        group: &str,
        plural: &str,
        namespace: &str,
        name: &str,
        object: Value,
    ) {
        if let Some(table) = self
            .objects
            .get_mut(&(group.to_string(), plural.to_string()))
        {
            table.insert((namespace.to_string(), name.to_string()), object);
        }
    }

    pub fn update(
        &mut self,
        group: &str,
        plural: &str,
        namespace: &str,
        name: &str,
        mut object: Value,
    ) -> Result<Value, ApiError> {
        let def = self.def_or_404(group, plural)?;
        let Some(current) = self.get(group, plural, namespace, name).cloned() else {
            return Err(status::not_found(group, plural, name));
        };
        let sent_version = object
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !sent_version.is_empty() && sent_version != meta(&current, "resourceVersion") {
            return Err(status::conflict(group, plural, name));
        }
        self.resource_version += 1;
        let metadata = object
            .as_object_mut()
            .and_then(|o| {
                o.entry("metadata")
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
            })
            .ok_or_else(|| status::bad_request("metadata must be an object"))?;
        for field in ["uid", "creationTimestamp", "namespace", "name"] {
            if let Some(value) = current.pointer(&format!("/metadata/{field}")) {
                metadata.insert(field.into(), value.clone());
            }
        }
        metadata.insert(
            "resourceVersion".into(),
            json!(self.resource_version.to_string()),
        );
        let generation = current
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        metadata.insert("generation".into(), json!(generation + 1));
        let object = to_storage(&def, object);
        self.objects
            .entry((group.to_string(), plural.to_string()))
            .or_default()
            .insert((namespace.to_string(), name.to_string()), object.clone());
        if group == "apiextensions.k8s.io" {
            self.register_crd(&object);
        }
        self.record(&def, "MODIFIED", object.clone());
        Ok(object)
    }

    pub fn patch(
        &mut self,
        group: &str,
        plural: &str,
        namespace: &str,
        name: &str,
        content_type: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let Some(current) = self.get(group, plural, namespace, name).cloned() else {
            return Err(status::not_found(group, plural, name));
        };
        let patched = if content_type.starts_with("application/json-patch+json") {
            json_patch(current, body)?
        } else {
            // Merge patch; a strategic merge patch is treated as one (no patch strategies here).
            let mut target = current;
            merge_patch(&mut target, body);
            target
        };
        let mut patched = patched;
        if let Some(metadata) = patched.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.remove("resourceVersion");
        }
        self.update(group, plural, namespace, name, patched)
    }

    pub fn delete(
        &mut self,
        group: &str,
        plural: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, ApiError> {
        let def = self.def_or_404(group, plural)?;
        let removed = self
            .objects
            .get_mut(&(group.to_string(), plural.to_string()))
            .and_then(|t| t.remove(&(namespace.to_string(), name.to_string())));
        let Some(mut object) = removed else {
            return Err(status::not_found(group, plural, name));
        };
        self.resource_version += 1;
        object["metadata"]["resourceVersion"] = json!(self.resource_version.to_string());
        self.record(&def, "DELETED", object.clone());
        Ok(object)
    }

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
        let mut matching = self
            .table(group, plural)
            .into_iter()
            .flat_map(|t| t.iter())
            .filter(|((ns, _), _)| namespace.is_none_or(|wanted| wanted == ns))
            .filter(|(key, _)| after.as_ref().is_none_or(|after| *key > after))
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

impl Default for Store {
    fn default() -> Self {
        Self::new()
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

/// Converts an object to the version it is stored in. Only EventType differs in shape between
/// its versions; for every other kind only apiVersion changes.
fn to_storage(def: &ResourceDef, object: Value) -> Value {
    convert(def, object, &def.storage_version.clone())
}

/// Converts an object to the given version of its resource.
pub fn convert(def: &ResourceDef, mut object: Value, version: &str) -> Value {
    let from = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(|v| v.rsplit('/').next().unwrap_or(v).to_string())
        .unwrap_or_default();
    if def.kind == "EventType"
        && from != version
        && let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut)
    {
        if version == "v1beta3" {
            eventtype_to_attributes(spec);
        } else if from == "v1beta3" {
            eventtype_from_attributes(spec);
        }
    }
    if let Some(o) = object.as_object_mut() {
        o.insert("apiVersion".into(), json!(def.api_version(version)));
        o.insert("kind".into(), json!(def.kind));
    }
    object
}

const PINNED: [(&str, &str); 3] = [
    ("type", "type"),
    ("source", "source"),
    ("schema", "dataschema"),
];

fn eventtype_to_attributes(spec: &mut Map<String, Value>) {
    let mut attributes = Vec::new();
    for (field, attribute) in PINNED {
        if let Some(value) = spec.remove(field) {
            attributes.push(json!({"name": attribute, "required": true, "value": value}));
        }
    }
    spec.remove("broker");
    spec.remove("schemaData");
    if !attributes.is_empty() {
        spec.insert("attributes".into(), Value::Array(attributes));
    }
}

fn eventtype_from_attributes(spec: &mut Map<String, Value>) {
    let Some(Value::Array(attributes)) = spec.remove("attributes") else {
        return;
    };
    for attribute in &attributes {
        let name = attribute.get("name").and_then(Value::as_str).unwrap_or("");
        if let (Some((field, _)), Some(value)) = (
            PINNED.iter().find(|(_, a)| *a == name),
            attribute.get("value"),
        ) {
            spec.insert((*field).into(), value.clone());
        }
    }
}

/// RFC 7386.
fn merge_patch(target: &mut Value, patch: &Value) {
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

/// RFC 6902: add, remove, replace, move, copy, test.
fn json_patch(mut document: Value, patch: &Value) -> Result<Value, ApiError> {
    let operations = patch
        .as_array()
        .ok_or_else(|| status::bad_request("a JSON patch must be a list of operations"))?;
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
            "add" => pointer_insert(&mut document, path, value()?)?,
            "remove" => {
                pointer_remove(&mut document, path)?;
            }
            "replace" => {
                pointer_remove(&mut document, path)?;
                pointer_insert(&mut document, path, value()?)?;
            }
            "move" | "copy" => {
                let from = operation
                    .get("from")
                    .and_then(Value::as_str)
                    .ok_or_else(|| status::bad_request("move and copy need from"))?;
                let moved = if op == "move" {
                    pointer_remove(&mut document, from)?
                } else {
                    document
                        .pointer(from)
                        .cloned()
                        .ok_or_else(|| status::bad_request(format!("no value at {from}")))?
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
            if !matches!(key, "metadata.name" | "metadata.namespace") {
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
                let actual = meta(object, key.trim_start_matches("metadata."));
                (actual == value) == *equal
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn eventtypes_convert_between_v1beta2_and_v1beta3() {
        let store = Store::new();
        let def = store
            .def("eventing.knative.dev", "v1beta3", "eventtypes")
            .unwrap()
            .clone();
        let v1beta2 = json!({"apiVersion": "eventing.knative.dev/v1beta2", "kind": "EventType",
                             "spec": {"type": "t", "source": "s", "description": "d"}});
        let v1beta3 = convert(&def, v1beta2.clone(), "v1beta3");
        assert_eq!(
            v1beta3["spec"]["attributes"][0],
            json!({"name": "type", "required": true, "value": "t"})
        );
        assert_eq!(v1beta3["spec"]["description"], "d");
        let back = convert(&def, v1beta3, "v1beta2");
        assert_eq!(back, v1beta2);
    }
}
