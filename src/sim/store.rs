//! The simulated cluster's objects: one ordered map per resource, a global resourceVersion,
//! and a bounded history of changes that watches replay and follow.

pub use super::conversion::convert;
use super::conversion::to_storage;
use super::json::{meta, text};
use super::patch::{json_patch, merge_patch, strategic_merge_patch};
use super::resources::{self, ResourceDef};
pub use super::selectors::Selectors;
use super::status::{self, ApiError};
use crate::mesh::objects::Crd;
pub use pages::Page;
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

mod pages;

pub struct Store {
    defs: Vec<ResourceDef>,
    objects: HashMap<(String, String), BTreeMap<(String, String), Value>>,
    resource_version: u64,
    history: VecDeque<Arc<Event>>,
    events: broadcast::Sender<Arc<Event>>,
    /// The aggregation controller is running: its own writes do not start it again.
    aggregating: bool,
}

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// An object's metadata as a map to edit, made if absent.
fn metadata_of(object: &mut Value) -> Result<&mut Map<String, Value>, ApiError> {
    object
        .as_object_mut()
        .and_then(|o| {
            o.entry("metadata")
                .or_insert_with(|| json!({}))
                .as_object_mut()
        })
        .ok_or_else(|| status::bad_request("metadata must be an object"))
}

impl Store {
    /// The built-in kinds and no object.
    fn empty() -> Self {
        let (events, _) = broadcast::channel(4096);
        Self {
            defs: resources::builtin(),
            objects: HashMap::new(),
            resource_version: 1,
            history: VecDeque::new(),
            events,
            aggregating: false,
        }
    }

    /// Exactly these objects (CRDs first), as they were saved: metadata untouched, and the
    /// resourceVersion where it was, so clients' versions stay meaningful across a restart.
    pub fn restored(objects: Vec<Value>, resource_version: u64) -> Self {
        let mut store = Self::empty();
        for object in objects {
            let api_version = object["apiVersion"].as_str().unwrap_or("").to_string();
            let kind = object["kind"].as_str().unwrap_or("").to_string();
            let def = store.ensure_kind(&api_version, &kind);
            let key = (
                meta(&object, "namespace").to_string(),
                meta(&object, "name").to_string(),
            );
            if def.group == "apiextensions.k8s.io" {
                store.register_crd(&object);
            }
            store
                .objects
                .entry((def.group.clone(), def.plural.clone()))
                .or_default()
                .insert(key, object);
        }
        store.resource_version = resource_version;
        store
    }

    /// Every object, CRDs first (what `restored` takes back).
    pub fn everything(&self) -> Vec<Value> {
        let is_crd = |(group, _): &&(String, String)| group == "apiextensions.k8s.io";
        let mut tables: Vec<&(String, String)> = self.objects.keys().collect();
        tables.sort_by_key(|key| (!is_crd(key), (*key).clone()));
        tables
            .into_iter()
            .flat_map(|key| self.objects[key].values().cloned())
            .collect()
    }

    pub fn new() -> Self {
        let mut store = Self::empty();
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

    /// A copy to try a dry-run write on: what it records reaches no watcher.
    pub fn scratch(&self) -> Store {
        let (events, _) = broadcast::channel(16);
        Store {
            defs: self.defs.clone(),
            objects: self.objects.clone(),
            resource_version: self.resource_version,
            history: VecDeque::new(),
            events,
            aggregating: false,
        }
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
        let metadata = metadata_of(&mut object)?;
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
        super::controllers::reconcile(group, plural, &mut object);
        let object = to_storage(&def, object);
        self.objects
            .entry((group.to_string(), plural.to_string()))
            .or_default()
            .insert((namespace, name), object.clone());
        if group == "apiextensions.k8s.io" {
            self.register_crd(&object);
        }
        self.record(&def, "ADDED", object.clone());
        self.aggregate_if_roles(group, plural);
        Ok(object)
    }

    /// The ClusterRole aggregation controller, run after every ClusterRole write: one
    /// out-of-date role at a time is written from the roles as they are, until none is; the
    /// writes it makes do not start it again. Roles that select each other settle, and the
    /// bound stops any that would not.
    fn aggregate_if_roles(&mut self, group: &str, plural: &str) {
        const RBAC: &str = "rbac.authorization.k8s.io";
        if (group, plural) != (RBAC, "clusterroles") || self.aggregating {
            return;
        }
        self.aggregating = true;
        let bound = 2 * self.all(RBAC, "clusterroles").count() + 2;
        for _ in 0..bound {
            let roles: Vec<&Value> = self.all(RBAC, "clusterroles").collect();
            let Some((name, rules)) = super::controllers::aggregation_changes(&roles)
                .into_iter()
                .next()
            else {
                break;
            };
            if let Some(mut role) = self.get(RBAC, "clusterroles", "", &name).cloned() {
                role["rules"] = rules;
                // The role exists, so the update cannot miss it.
                let _ = self.update(RBAC, "clusterroles", "", &name, role);
            }
        }
        self.aggregating = false;
    }

    /// The CRD's entry for one version of a resource it defines, if a CRD defines it.
    pub fn crd_version(&self, def: &ResourceDef, version: &str) -> Option<&Value> {
        let name = format!("{}.{}", def.plural, def.group);
        let crd = self.get(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            "",
            &name,
        )?;
        crd.pointer("/spec/versions")?
            .as_array()?
            .iter()
            .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
    }

    /// The printer columns a CRD declares for this version of its resource.
    pub fn printer_columns(&self, def: &ResourceDef, version: &str) -> Option<Vec<Value>> {
        self.crd_version(def, version)?
            .get("additionalPrinterColumns")?
            .as_array()
            .cloned()
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
        (group, plural, namespace, name): (&str, &str, &str, &str),
        uid: &str,
        created: &str,
    ) {
        let object = self
            .objects
            .get_mut(&(group.to_string(), plural.to_string()))
            .and_then(|t| t.get_mut(&(namespace.to_string(), name.to_string())));
        if let Some(object) = object {
            if !uid.is_empty() {
                object["metadata"]["uid"] = json!(uid);
            }
            if !created.is_empty() {
                object["metadata"]["creationTimestamp"] = json!(created);
            }
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
        let metadata = metadata_of(&mut object)?;
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
        // The controllers keep what they own (a namespace's label and phase, a CRD's
        // Established condition) whatever the update sent.
        super::controllers::reconcile(group, plural, &mut object);
        let mut object = to_storage(&def, object);
        // Only a change to what the user asks for (neither metadata nor status) is a new
        // generation: a label edit is not.
        let bump = i64::from(desired_state(&current) != desired_state(&object));
        object["metadata"]["generation"] = json!(generation + bump);
        self.objects
            .entry((group.to_string(), plural.to_string()))
            .or_default()
            .insert((namespace.to_string(), name.to_string()), object.clone());
        if group == "apiextensions.k8s.io" {
            self.register_crd(&object);
        }
        self.record(&def, "MODIFIED", object.clone());
        self.aggregate_if_roles(group, plural);
        Ok(object)
    }

    /// The object a patch would make, not yet stored: the caller admits it, then updates.
    pub fn patched(
        &self,
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
            // Custom resources never get here with a strategic merge patch (415 before).
            let mut target = current;
            if content_type.starts_with("application/strategic-merge-patch") {
                strategic_merge_patch(&mut target, body);
            } else {
                merge_patch(&mut target, body);
            }
            target
        };
        let mut patched = patched;
        let size = serde_json::to_vec(&patched)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if size > super::patch::MAX_OBJECT_BYTES {
            return Err(super::patch::too_big(size));
        }
        if let Some(metadata) = patched.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.remove("resourceVersion");
        }
        Ok(patched)
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
        self.aggregate_if_roles(group, plural);
        self.collect_garbage(group, plural, &object);
        Ok(object)
    }

    /// What goes with a deleted object, at once (the sim has no Terminating phase): a
    /// namespace's objects, and a CRD's resource with all its objects.
    fn collect_garbage(&mut self, group: &str, plural: &str, deleted: &Value) {
        let name = meta(deleted, "name").to_string();
        // The resource a deleted CRD served.
        let served = (
            text(deleted, "/spec/group").to_string(),
            text(deleted, "/spec/names/plural").to_string(),
        );
        let doomed: Vec<(String, String, String, String)> = match (group, plural) {
            ("", "namespaces") => self
                .objects
                .iter()
                .flat_map(|((g, p), table)| {
                    table
                        .keys()
                        .filter(|(ns, _)| *ns == name)
                        .map(move |(ns, n)| (g.clone(), p.clone(), ns.clone(), n.clone()))
                })
                .collect(),
            ("apiextensions.k8s.io", "customresourcedefinitions") => self
                .objects
                .get(&served)
                .into_iter()
                .flat_map(|table| table.keys())
                .map(|(ns, n)| (served.0.clone(), served.1.clone(), ns.clone(), n.clone()))
                .collect(),
            _ => return,
        };
        for (group, plural, namespace, name) in doomed {
            // Each goes as a delete of its own goes: a new resourceVersion and a DELETED event.
            let _ = self.delete(&group, &plural, &namespace, &name);
        }
        if group == "apiextensions.k8s.io" {
            self.defs
                .retain(|d| (d.group.as_str(), d.plural.as_str()) != (&served.0, &served.1));
        }
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

/// An object without its metadata and status, apiVersion and kind: what a generation counts.
fn desired_state(object: &Value) -> Value {
    let mut fields = object.as_object().cloned().unwrap_or_default();
    for key in ["metadata", "status", "apiVersion", "kind"] {
        fields.remove(key);
    }
    Value::Object(fields)
}
