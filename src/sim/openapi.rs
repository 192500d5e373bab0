//! `/openapi/v3`: the OpenAPI documents kubectl reads before it writes. With them, kubectl
//! finds that the server validates fields itself (a `fieldValidation` parameter on each PATCH)
//! and sends `fieldValidation=Strict` instead of validating client-side; `kubectl explain`
//! reads the CRDs' schemas from them.
//!
//! `/openapi/v2` is an empty Swagger document (no definitions), in protobuf (gnostic's
//! `Document`, the only form kubectl reads) or JSON. kubectl reads it only for a kind v3 does not
//! know, and skips client-side validation of a kind v2 does not define, so such a kind reaches
//! the server's "no matches for kind" as it would on a real cluster.

use super::admission::crd_schema;
use super::resources::ResourceDef;
use super::store::Store;
use md5::{Digest, Md5};
use serde_json::{Map, Value, json};

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// "api/v1" or "apis/eventing.knative.dev/v1": how the root document names a group version.
fn group_version_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The group versions the server serves, each once, in the order discovery lists them.
fn group_versions(defs: &[ResourceDef]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for def in defs.iter().filter(|d| !d.is_review()) {
        for version in &def.versions {
            let entry = (def.group.clone(), version.clone());
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
    }
    out
}

/// `/openapi/v3`: each group version with the URL of its document. The hash changes when the
/// document does, so kubectl's cache never serves a stale schema.
pub fn root(store: &Store) -> Value {
    let paths: Map<String, Value> = group_versions(store.defs())
        .into_iter()
        .map(|(group, version)| {
            let document = group_version(store, &group, &version).unwrap_or_default();
            let hash: String = Md5::digest(document.to_string().as_bytes())
                .iter()
                .map(|byte| format!("{byte:02X}"))
                .collect();
            let path = group_version_path(&group, &version);
            let url = format!("/openapi/v3/{path}?hash={hash}");
            (path, json!({"serverRelativeURL": url}))
        })
        .collect();
    json!({"paths": paths})
}

/// "dev.knative.eventing.v1.Broker" or "io.k8s.api.core.v1.ConfigMap", as kube-apiserver names
/// its schemas.
fn schema_name(def: &ResourceDef, version: &str) -> String {
    if def.custom {
        let reversed: Vec<&str> = def.group.split('.').rev().collect();
        format!("{}.{version}.{}", reversed.join("."), def.kind)
    } else {
        let group = def.group.split('.').next().filter(|g| !g.is_empty());
        format!(
            "io.k8s.api.{}.{version}.{}",
            group.unwrap_or("core"),
            def.kind
        )
    }
}

fn gvk(def: &ResourceDef, version: &str) -> Value {
    json!({"group": def.group, "version": version, "kind": def.kind})
}

fn query_parameter(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description,
           "schema": {"type": "string", "uniqueItems": true}})
}

fn operation(def: &ResourceDef, version: &str, action: &str, writes: bool) -> Value {
    let mut parameters = Vec::new();
    if writes {
        parameters.push(query_parameter(
            "dryRun",
            "When present, indicates that modifications should not be persisted.",
        ));
        parameters.push(query_parameter(
            "fieldManager",
            "A name associated with the actor or entity that is making these changes.",
        ));
        parameters.push(query_parameter(
            "fieldValidation",
            "How the server handles unknown or duplicate fields: Ignore, Warn (the default) or Strict.",
        ));
    }
    let reference = format!("#/components/schemas/{}", schema_name(def, version));
    json!({
        "operationId": format!("{action}{}", def.kind),
        "parameters": parameters,
        "responses": {"200": {"description": "OK",
            "content": {"application/json": {"schema": {"$ref": reference}}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk(def, version),
    })
}

fn resource_paths(def: &ResourceDef, version: &str, paths: &mut Map<String, Value>) {
    let prefix = format!("/{}", group_version_path(&def.group, version));
    let collection = if def.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{}", def.plural)
    } else {
        format!("{prefix}/{}", def.plural)
    };
    paths.insert(
        collection.clone(),
        json!({
            "get": operation(def, version, "list", false),
            "post": operation(def, version, "post", true),
        }),
    );
    paths.insert(
        format!("{collection}/{{name}}"),
        json!({
            "get": operation(def, version, "get", false),
            "put": operation(def, version, "put", true),
            "patch": operation(def, version, "patch", true),
            "delete": operation(def, version, "delete", true),
        }),
    );
}

/// A custom resource's schema as kube-apiserver publishes it: the CRD's, with metadata a
/// reference to ObjectMeta and the kind it is for.
fn custom_schema(store: &Store, def: &ResourceDef, version: &str) -> Value {
    let mut schema = crd_schema(store, def, version)
        .unwrap_or_else(|| json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}));
    if let Some(fields) = schema.as_object_mut() {
        let properties = fields
            .entry("properties")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(properties) = properties {
            properties.insert("apiVersion".into(), json!({"type": "string",
                "description": "APIVersion defines the versioned schema of this representation of an object."}));
            properties.insert("kind".into(), json!({"type": "string",
                "description": "Kind is a string value representing the REST resource this object represents."}));
            properties.insert(
                "metadata".into(),
                json!({
                "allOf": [{"$ref": format!("#/components/schemas/{OBJECT_META}")}],
                "description": "Standard object's metadata."}),
            );
        }
        fields.insert(
            "x-kubernetes-group-version-kind".into(),
            json!([gvk(def, version)]),
        );
    }
    schema
}

/// A built-in kind, served as a stored object: its fields are not described, and it names no
/// kind, so kubectl computes its patches from its own compiled-in types, as it does with a
/// server that publishes no schema.
fn builtin_schema() -> Value {
    json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true,
           "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                          "metadata": {"allOf": [{"$ref": format!("#/components/schemas/{OBJECT_META}")}]}}})
}

fn object_meta_schema() -> Value {
    let text = |description: &str| json!({"type": "string", "description": description});
    let map = |description: &str| {
        json!({"type": "object", "description": description,
        "additionalProperties": {"type": "string", "default": ""}})
    };
    json!({
        "description": "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
        "type": "object",
        "properties": {
            "name": text("Name must be unique within a namespace."),
            "generateName": text("GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided."),
            "namespace": text("Namespace defines the space within which each name must be unique."),
            "uid": text("UID is the unique in time and space value for this object."),
            "resourceVersion": text("An opaque value that represents the internal version of this object."),
            "generation": {"type": "integer", "format": "int64", "description": "A sequence number representing a specific generation of the desired state."},
            "creationTimestamp": text("CreationTimestamp is a timestamp representing the server time when this object was created."),
            "labels": map("Map of string keys and values that can be used to organize and categorize (scope and select) objects."),
            "annotations": map("Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata."),
            "finalizers": {"type": "array", "items": {"type": "string", "default": ""}, "description": "Must be empty before the object is deleted from the registry."},
            "ownerReferences": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}, "description": "List of objects depended by this object."}
        }
    })
}

/// `/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`; None for a group version the
/// server does not serve.
pub fn group_version(store: &Store, group: &str, version: &str) -> Option<Value> {
    let defs: Vec<&ResourceDef> = store
        .defs()
        .iter()
        .filter(|d| d.group == group && !d.is_review() && d.versions.iter().any(|v| v == version))
        .collect();
    if defs.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert(OBJECT_META.into(), object_meta_schema());
    for def in defs {
        resource_paths(def, version, &mut paths);
        let schema = if def.custom {
            custom_schema(store, def, version)
        } else {
            builtin_schema()
        };
        schemas.insert(schema_name(def, version), schema);
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

/// `/openapi/v2` as protobuf: `swagger: "2.0"` and an `info`, nothing else.
pub fn v2_protobuf() -> Vec<u8> {
    fn field(number: u8, bytes: &[u8]) -> Vec<u8> {
        // Both fields are short: one length byte is enough.
        let mut out = vec![(number << 3) | 2, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }
    let info = [field(1, b"Kubernetes"), field(2, b"v1.33.0")].concat();
    [field(1, b"2.0"), field(2, &info)].concat()
}

/// `/openapi/v2` as JSON, for clients that ask for it that way.
pub fn v2_json() -> Value {
    json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.33.0"},
           "paths": {}, "definitions": {}})
}
