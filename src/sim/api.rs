//! Resource requests once authenticated and authorized: get, list (pages, selectors, tables),
//! create, update, patch, delete (and their dry runs; watches are in `watch`); and the
//! create-only kinds: access reviews, the
//! SelfSubjectReview, and TokenRequest.
#![deny(clippy::indexing_slicing)]

use super::admission::{self, Admitted, FieldValidation};
use super::printer;
use super::rbac::UserInfo;
use super::resources::ResourceDef;
use super::state::{ResourcePath, SimState, json_response, parse_body, read_body};
use super::status::{self, ApiError};
use super::store::{self, Page, Selectors, Store};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, header};
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

#[allow(clippy::too_many_arguments)]
pub async fn serve_resource(
    state: &Arc<SimState>,
    def: &ResourceDef,
    path: &ResourcePath,
    verb: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
    user: &UserInfo,
) -> Result<Response, ApiError> {
    let protobuf =
        header_text(headers, header::CONTENT_TYPE).is_some_and(|t| t.contains("protobuf"));
    if def.is_review() || super::reviews::is_token_request(def, path) {
        return super::reviews::answer(state, def, path, protobuf, body, user).await;
    }
    if protobuf && !matches!(verb, "create" | "update") {
        return Err(status::unsupported_media_type());
    }
    let has_subresource = def
        .subresources
        .iter()
        .any(|(sub, _, _)| *sub == path.subresource);
    if !path.subresource.is_empty() && !has_subresource {
        return Err(status::no_such_path());
    }
    // A status is read and written, never created or deleted on its own.
    if path.subresource == "status" && !matches!(verb, "get" | "update" | "patch") {
        return Err(status::method_not_allowed(verb));
    }
    let shape = Shape::of(header_text(headers, header::ACCEPT).unwrap_or(""));
    match verb {
        "get" => get_object(state, def, path, shape),
        "list" => list_objects(state, def, path, query, shape),
        "watch" => super::watch::watch(state, def, path, query),
        "create" | "update" | "patch" => {
            let content_type = header_text(headers, header::CONTENT_TYPE)
                .unwrap_or("application/json")
                .to_string();
            let bytes = read_body(body).await?;
            let body = if protobuf {
                super::protobuf::decode(&bytes, &def.api_version(&path.version), &def.kind)
                    .ok_or_else(status::unsupported_media_type)?
            } else {
                parse_body(bytes)?
            };
            let write = Write {
                user,
                policy: state.policy(),
                verb,
                content_type: &content_type,
                body,
                field_validation: FieldValidation::from_query(
                    query.get("fieldValidation").map(String::as_str),
                )?,
            };
            write_object(state, def, path, write, dry_run(query)?)
        }
        "delete" | "deletecollection" => {
            // Clients send DeleteOptions in the body; dryRun may come either way.
            let options = read_body(body).await?;
            let in_body = serde_json::from_slice::<Value>(&options)
                .ok()
                .and_then(|o| o.get("dryRun").cloned())
                .is_some_and(|d| d.as_array().is_some_and(|a| a.iter().any(|v| v == "All")));
            let dry_run = in_body || dry_run(query)?;
            if verb == "delete" {
                delete_object(state, def, path, dry_run)
            } else {
                delete_collection(state, def, path, query, dry_run)
            }
        }
        _ => Err(status::method_not_allowed(verb)),
    }
}

/// The shape of a read's answer, as the Accept header asks: the objects, a Table (kubectl get),
/// or their metadata only (`as=PartialObjectMetadataList`, as metadata informers ask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Objects,
    Table,
    Metadata,
}

impl Shape {
    fn of(accept: &str) -> Self {
        if accept.contains("as=Table") {
            Shape::Table
        } else if accept.contains("as=PartialObjectMetadata") {
            Shape::Metadata
        } else {
            Shape::Objects
        }
    }
}

/// An object's metadata alone, as kube-apiserver answers for PartialObjectMetadata.
fn partial(object: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

fn header_text(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn limit(query: &HashMap<String, String>) -> Result<Option<usize>, ApiError> {
    query
        .get("limit")
        .map(|text| {
            text.parse::<usize>()
                .map_err(|_| status::bad_request(format!("invalid limit {text:?}")))
        })
        .transpose()
}

fn get_object(
    state: &SimState,
    def: &ResourceDef,
    path: &ResourcePath,
    shape: Shape,
) -> Result<Response, ApiError> {
    let namespace = path.namespace.as_deref().unwrap_or("");
    let name = path.name.as_deref().unwrap_or("");
    let store = state.store.read().unwrap_or_else(|e| e.into_inner());
    let object = store
        .get(&def.group, &def.plural, namespace, name)
        .ok_or_else(|| status::not_found(&def.group, &def.plural, name))?;
    let object = store::convert(def, object.clone(), &path.version);
    Ok(json_response(
        200,
        &match shape {
            Shape::Table => printer::table(
                &[object],
                (store.resource_version(), None),
                store.printer_columns(def, &path.version),
            ),
            Shape::Metadata => partial(&object),
            Shape::Objects => object,
        },
    ))
}

fn list_objects(
    state: &SimState,
    def: &ResourceDef,
    path: &ResourcePath,
    query: &HashMap<String, String>,
    shape: Shape,
) -> Result<Response, ApiError> {
    let selectors = Selectors::from_query(query)?;
    let limit = limit(query)?;
    let (page, columns) = {
        let store = state.store.read().unwrap_or_else(|e| e.into_inner());
        let page = store.list(
            &def.group,
            &def.plural,
            path.namespace.as_deref(),
            &selectors,
            limit,
            query.get("continue").map(String::as_str),
        )?;
        (page, store.printer_columns(def, &path.version))
    };
    let items = page
        .items
        .into_iter()
        .map(|o| store::convert(def, o, &path.version))
        .collect();
    let page = Page { items, ..page };
    let answer = match shape {
        Shape::Table => printer::table(
            &page.items,
            (page.resource_version, page.continue_token.as_deref()),
            columns,
        ),
        Shape::Metadata => partial_list(page),
        Shape::Objects => list_document(def, &path.version, page),
    };
    Ok(json_response(200, &answer))
}

/// A page as a `{Kind}List`; a page with more after it says how many more.
fn list_document(def: &ResourceDef, version: &str, page: Page) -> Value {
    let mut metadata =
        printer::list_metadata(page.resource_version, page.continue_token.as_deref());
    if page.continue_token.is_some() {
        metadata.insert("remainingItemCount".into(), json!(page.remaining));
    }
    list_of(def, version, metadata, page.items)
}

/// A page of metadata only: a PartialObjectMetadataList.
fn partial_list(page: Page) -> Value {
    let metadata = printer::list_metadata(page.resource_version, page.continue_token.as_deref());
    let items: Vec<Value> = page.items.iter().map(partial).collect();
    json!({
        "kind": "PartialObjectMetadataList",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "items": items,
    })
}

fn list_of(
    def: &ResourceDef,
    version: &str,
    metadata: Map<String, Value>,
    items: Vec<Value>,
) -> Value {
    json!({
        "kind": format!("{}List", def.kind),
        "apiVersion": def.api_version(version),
        "metadata": metadata,
        "items": items,
    })
}

/// Create, update or patch with a body already read; a create answers 201.
/// `dryRun=All`: the write is checked and answered as if it happened, and nothing is kept.
fn dry_run(query: &HashMap<String, String>) -> Result<bool, ApiError> {
    match query.get("dryRun").map(String::as_str) {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(status::bad_request(format!(
            "unsupported dryRun value {other:?}: the only supported value is All"
        ))),
    }
}

/// Makes a change to the store, or with `dryRun=All` to a scratch copy of it that is then
/// dropped: checked and answered the same, never kept, never seen by a watch. A real change is
/// followed by what follows every write (`after_write`), once the store's lock is let go.
fn change<T>(
    state: &SimState,
    def: &ResourceDef,
    dry_run: bool,
    make: impl FnOnce(&mut Store) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    if dry_run {
        let mut scratch = state
            .store
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .scratch();
        return make(&mut scratch);
    }
    let made = make(&mut state.store.write().unwrap_or_else(|e| e.into_inner()))?;
    after_write(state, def);
    Ok(made)
}

/// A create, update or patch as the request asked for it.
struct Write<'a> {
    user: &'a UserInfo,
    /// RBAC as the request found it, for the escalation check.
    policy: Arc<super::rbac::Policy>,
    verb: &'a str,
    content_type: &'a str,
    body: Value,
    field_validation: FieldValidation,
}

fn write_object(
    state: &SimState,
    def: &ResourceDef,
    path: &ResourcePath,
    write: Write,
    dry_run: bool,
) -> Result<Response, ApiError> {
    let verb = write.verb;
    let admitted = change(state, def, dry_run, |store| {
        apply_write(store, def, path, write)
    })?;
    let code = if verb == "create" { 201 } else { 200 };
    let mut response = json_response(code, &store::convert(def, admitted.object, &path.version));
    for warning in admitted.warnings {
        // The Warning header's form (RFC 7234): code, agent, quoted text.
        if let Ok(value) = format!("299 - {warning:?}").parse() {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    Ok(response)
}

fn apply_write(
    store: &mut Store,
    def: &ResourceDef,
    path: &ResourcePath,
    write: Write,
) -> Result<Admitted, ApiError> {
    let namespace = path.namespace.as_deref().unwrap_or("");
    let name = path.name.as_deref().unwrap_or("");
    let body = match write.verb {
        "create" | "update" => {
            check_kind(def, &write.body)?;
            if write.verb == "update" {
                check_name(&write.body, name)?;
            }
            write.body
        }
        _ => {
            let strategic = write
                .content_type
                .starts_with("application/strategic-merge-patch");
            if def.custom && strategic {
                return Err(status::strategic_merge_on_custom_resource());
            }
            let known = strategic
                || [
                    "application/merge-patch+json",
                    "application/json-patch+json",
                ]
                .iter()
                .any(|t| write.content_type.starts_with(t));
            if !known {
                // Server-side apply (application/apply-patch+yaml) included: the sim has none.
                return Err(status::unsupported_patch_type(def.custom));
            }
            let patched = store.patched(
                &def.group,
                &def.plural,
                namespace,
                name,
                write.content_type,
                &write.body,
            )?;
            store::convert(def, patched, &path.version)
        }
    };
    let body = split_status(store, def, path, write.verb, body);
    let admitted = admission::admit(store, def, &path.version, body, write.field_validation)?;
    super::escalation::check(
        &write.policy,
        store,
        write.user,
        (def, namespace),
        &admitted.object,
    )?;
    let object = if write.verb == "create" {
        store.create(&def.group, &def.plural, namespace, admitted.object)?
    } else {
        store.update(&def.group, &def.plural, namespace, name, admitted.object)?
    };
    Ok(Admitted {
        object,
        warnings: admitted.warnings,
    })
}

/// For a kind with a status subresource, as kube-apiserver splits it: a write to `/status`
/// changes the status only, and a write to the object itself leaves the status as it was.
fn split_status(
    store: &Store,
    def: &ResourceDef,
    path: &ResourcePath,
    verb: &str,
    mut body: Value,
) -> Value {
    let has_status = def.subresources.iter().any(|(sub, _, _)| sub == "status");
    let namespace = path.namespace.as_deref().unwrap_or("");
    let name = path.name.as_deref().unwrap_or("");
    let current = store
        .get(&def.group, &def.plural, namespace, name)
        .map(|current| store::convert(def, current.clone(), &path.version));
    let (Some(mut current), true, false) = (current, has_status, verb == "create") else {
        return body;
    };
    if path.subresource == "status" {
        // The status from the request, on the object as it is; the request's resourceVersion
        // still guards against a lost update.
        let status = body.get("status").cloned();
        let version = body.pointer("/metadata/resourceVersion").cloned();
        set_or_remove(&mut current, "status", status);
        if let Some(metadata) = current.get_mut("metadata") {
            set_or_remove(metadata, "resourceVersion", version);
        }
        current
    } else {
        set_or_remove(&mut body, "status", current.get("status").cloned());
        body
    }
}

fn set_or_remove(object: &mut Value, key: &str, value: Option<Value>) {
    if let Some(fields) = object.as_object_mut() {
        match value {
            Some(value) => fields.insert(key.to_string(), value),
            None => fields.remove(key),
        };
    }
}

fn delete_object(
    state: &SimState,
    def: &ResourceDef,
    path: &ResourcePath,
    dry_run: bool,
) -> Result<Response, ApiError> {
    let namespace = path.namespace.as_deref().unwrap_or("");
    let name = path.name.as_deref().unwrap_or("");
    let deleted = change(state, def, dry_run, |store| {
        store.delete(&def.group, &def.plural, namespace, name)
    })?;
    Ok(json_response(
        200,
        &store::convert(def, deleted, &path.version),
    ))
}

/// Deletes what the same list would return, and answers with the deleted objects.
fn delete_collection(
    state: &SimState,
    def: &ResourceDef,
    path: &ResourcePath,
    query: &HashMap<String, String>,
    dry_run: bool,
) -> Result<Response, ApiError> {
    let selectors = Selectors::from_query(query)?;
    let deleted = change(state, def, dry_run, |store| {
        delete_matching(store, def, path, &selectors)
    })?;
    Ok(json_response(
        200,
        &list_of(def, &path.version, Map::new(), deleted),
    ))
}

/// Stops at the first object that cannot be deleted: the answer is then that error.
fn delete_matching(
    store: &mut Store,
    def: &ResourceDef,
    path: &ResourcePath,
    selectors: &Selectors,
) -> Result<Vec<Value>, ApiError> {
    let page = store.list(
        &def.group,
        &def.plural,
        path.namespace.as_deref(),
        selectors,
        None,
        None,
    )?;
    page.items
        .iter()
        .map(|object| {
            let deleted = store.delete(
                &def.group,
                &def.plural,
                super::json::meta(object, "namespace"),
                super::json::meta(object, "name"),
            )?;
            Ok(store::convert(def, deleted, &path.version))
        })
        .collect()
}

/// An update names its object twice, on the URL and in the body; the two must agree.
fn check_name(body: &Value, name: &str) -> Result<(), ApiError> {
    let body_name = body
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or(name);
    if body_name != name {
        return Err(status::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    Ok(())
}

/// The body's kind, when given, must be the resource's.
fn check_kind(def: &ResourceDef, body: &Value) -> Result<(), ApiError> {
    match body.get("kind").and_then(Value::as_str) {
        Some(kind) if kind != def.kind => Err(status::bad_request(format!(
            "the kind of the object ({kind}) does not match the resource ({})",
            def.kind
        ))),
        _ => Ok(()),
    }
}

/// What follows a write outside the store: RBAC takes effect at once, and the token
/// controller fills token Secrets whose ServiceAccount now exists.
fn after_write(state: &SimState, def: &ResourceDef) {
    // A namespace takes its Roles and RoleBindings with it.
    if def.group == "rbac.authorization.k8s.io"
        || (def.group.is_empty() && def.plural == "namespaces")
    {
        state.refresh_policy();
    }
    if def.group.is_empty() && matches!(def.plural.as_str(), "secrets" | "serviceaccounts") {
        let mut store = state.store.write().unwrap_or_else(|e| e.into_inner());
        super::tokens::fill_token_secrets(&mut store, &state.authority, &state.ca_pem);
    }
    // The write took effect; a state that cannot be saved is told, and the next write tries
    // again.
    if let Err(error) = state.save() {
        eprintln!("kn-mesh sim: {error}");
    }
}
