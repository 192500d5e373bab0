//! Resource requests once authenticated and authorized: get, list (pages, selectors, tables),
//! watch, create, update, patch, delete; and the create-only kinds: access reviews, the
//! SelfSubjectReview, and TokenRequest.

use super::rbac::UserInfo;
use super::resources::ResourceDef;
use super::state::{ResourcePath, SimState, json_response, parse_body, read_body};
use super::status::{self, ApiError};
use super::store::{self, Event, Selectors};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[allow(clippy::too_many_arguments)]
// Long: one arm per verb, as kube-apiserver dispatches.
#[allow(clippy::too_many_lines)]
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
    let protobuf = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("protobuf"));
    if def.is_review() || super::reviews::is_token_request(def, path) {
        return super::reviews::answer(state, def, path, protobuf, body, user).await;
    }
    if protobuf {
        return Err(status::unsupported_media_type());
    }
    if !path.subresource.is_empty() && path.subresource != "status" {
        return Err(status::no_such_path());
    }
    let namespace = path.namespace.as_deref().unwrap_or("");
    let name = path.name.as_deref().unwrap_or("");
    let wants_table = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("as=Table"));
    match verb {
        "get" => {
            let store = state.store.read().unwrap_or_else(|e| e.into_inner());
            let object = store
                .get(&def.group, &def.plural, namespace, name)
                .ok_or_else(|| status::not_found(&def.group, &def.plural, name))?;
            let object = store::convert(def, object.clone(), &path.version);
            if wants_table {
                return Ok(json_response(
                    200,
                    &table(&[object], store.resource_version(), None),
                ));
            }
            Ok(json_response(200, &object))
        }
        "list" => {
            let selectors = Selectors::parse(
                query.get("labelSelector").map(String::as_str),
                query.get("fieldSelector").map(String::as_str),
            )?;
            let limit = match query.get("limit") {
                Some(text) => Some(
                    text.parse::<usize>()
                        .map_err(|_| status::bad_request(format!("invalid limit {text:?}")))?,
                ),
                None => None,
            };
            let store = state.store.read().unwrap_or_else(|e| e.into_inner());
            let page = store.list(
                &def.group,
                &def.plural,
                path.namespace.as_deref(),
                &selectors,
                limit,
                query.get("continue").map(String::as_str),
            )?;
            let items: Vec<Value> = page
                .items
                .into_iter()
                .map(|o| store::convert(def, o, &path.version))
                .collect();
            if wants_table {
                return Ok(json_response(
                    200,
                    &table(
                        &items,
                        page.resource_version,
                        page.continue_token.as_deref(),
                    ),
                ));
            }
            let mut metadata = json!({"resourceVersion": page.resource_version.to_string()});
            if let Some(token) = page.continue_token {
                metadata["continue"] = json!(token);
                metadata["remainingItemCount"] = json!(page.remaining);
            }
            Ok(json_response(
                200,
                &json!({
                    "kind": format!("{}List", def.kind),
                    "apiVersion": def.api_version(&path.version),
                    "metadata": metadata,
                    "items": items,
                }),
            ))
        }
        "watch" => watch(state, def, path, query),
        "create" | "update" | "patch" => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_string();
            let body = parse_body(read_body(body).await?)?;
            let result = {
                let mut store = state.store.write().unwrap_or_else(|e| e.into_inner());
                match verb {
                    "create" => {
                        check_kind(def, &body)?;
                        store.create(&def.group, &def.plural, namespace, body)
                    }
                    "update" => {
                        check_kind(def, &body)?;
                        let body_name = body
                            .pointer("/metadata/name")
                            .and_then(Value::as_str)
                            .unwrap_or(name);
                        if body_name != name {
                            return Err(status::bad_request(
                                "the name of the object does not match the name on the URL",
                            ));
                        }
                        store.update(&def.group, &def.plural, namespace, name, body)
                    }
                    _ => store.patch(
                        &def.group,
                        &def.plural,
                        namespace,
                        name,
                        &content_type,
                        &body,
                    ),
                }?
            };
            after_write(state, def);
            let code = if verb == "create" { 201 } else { 200 };
            Ok(json_response(
                code,
                &store::convert(def, result, &path.version),
            ))
        }
        "delete" => {
            let deleted = state
                .store
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .delete(&def.group, &def.plural, namespace, name)?;
            after_write(state, def);
            Ok(json_response(
                200,
                &store::convert(def, deleted, &path.version),
            ))
        }
        "deletecollection" => {
            let selectors = Selectors::parse(
                query.get("labelSelector").map(String::as_str),
                query.get("fieldSelector").map(String::as_str),
            )?;
            let mut store = state.store.write().unwrap_or_else(|e| e.into_inner());
            let page = store.list(
                &def.group,
                &def.plural,
                path.namespace.as_deref(),
                &selectors,
                None,
                None,
            )?;
            let mut deleted = Vec::new();
            for object in page.items {
                let ns = object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let name = object
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                deleted.push(store::convert(
                    def,
                    store.delete(&def.group, &def.plural, &ns, &name)?,
                    &path.version,
                ));
            }
            drop(store);
            after_write(state, def);
            Ok(json_response(
                200,
                &json!({"kind": format!("{}List", def.kind), "apiVersion": def.api_version(&path.version), "metadata": {}, "items": deleted}),
            ))
        }
        _ => Err(status::method_not_allowed(verb)),
    }
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

fn after_write(state: &SimState, def: &ResourceDef) {
    if def.group == "rbac.authorization.k8s.io" {
        state.refresh_policy();
    }
}

/// The Table kubectl asks for: name, readiness when the object has conditions, and age.
fn table(items: &[Value], resource_version: u64, continue_token: Option<&str>) -> Value {
    let has_conditions = items
        .iter()
        .any(|o| o.pointer("/status/conditions").is_some());
    let mut columns = vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}),
    ];
    if has_conditions {
        columns.push(json!({"name": "Ready", "type": "string", "format": "", "description": "The Ready condition.", "priority": 0}));
        columns.push(json!({"name": "Reason", "type": "string", "format": "", "description": "Why it is not ready.", "priority": 0}));
    }
    columns.push(json!({"name": "Age", "type": "date", "format": "", "description": "Time since creation.", "priority": 0}));
    let now = jiff::Timestamp::now();
    let rows: Vec<Value> = items
        .iter()
        .map(|object| {
            let meta = |f: &str| object.pointer(&format!("/metadata/{f}")).and_then(Value::as_str).unwrap_or("").to_string();
            let mut cells = vec![json!(meta("name"))];
            if has_conditions {
                let ready = object
                    .pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .and_then(|c| c.iter().find(|c| c["type"] == "Ready"));
                cells.push(json!(ready.and_then(|c| c["status"].as_str()).unwrap_or("")));
                cells.push(json!(ready.and_then(|c| c["reason"].as_str()).unwrap_or("")));
            }
            let age = meta("creationTimestamp")
                .parse::<jiff::Timestamp>()
                .map(|created| human_age(now.as_second() - created.as_second()))
                .unwrap_or_else(|_| "<unknown>".into());
            cells.push(json!(age));
            json!({"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"]}})
        })
        .collect();
    let mut metadata = json!({"resourceVersion": resource_version.to_string()});
    if let Some(token) = continue_token {
        metadata["continue"] = json!(token);
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": columns, "rows": rows})
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

/// `?watch=1`: newline-delimited events. From a resourceVersion, the remembered changes after
/// it, then live ones; without one, the current objects as ADDED first. A version older than
/// the remembered history gets an ERROR event with a 410 Status, as kube-apiserver sends it.
fn watch(
    state: &Arc<SimState>,
    def: &ResourceDef,
    path: &ResourcePath,
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let selectors = Selectors::parse(
        query.get("labelSelector").map(String::as_str),
        query.get("fieldSelector").map(String::as_str),
    )?;
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(1800)
        .min(3600);
    let namespace = path.namespace.clone();
    let matches = {
        let def = def.clone();
        let namespace = namespace.clone();
        let selectors = selectors.clone();
        move |event: &Event| {
            event.group == def.group
                && event.plural == def.plural
                && namespace.as_ref().is_none_or(|n| *n == event.namespace)
                && selectors.matches(&event.object)
        }
    };
    let store = state.store.read().unwrap_or_else(|e| e.into_inner());
    let receiver = store.subscribe();
    let requested = query
        .get("resourceVersion")
        .filter(|v| !v.is_empty() && *v != "0");
    let mut first: Vec<Value> = Vec::new();
    let mut last_sent = store.resource_version();
    match requested {
        Some(version) => {
            let version: u64 = version
                .parse()
                .map_err(|_| status::bad_request(format!("invalid resourceVersion {version:?}")))?;
            match store.history_since(version) {
                Some(events) => {
                    for event in events.iter().filter(|e| matches(e)) {
                        first.push(json!({"type": event.kind, "object": store::convert(def, event.object.clone(), &path.version)}));
                    }
                }
                None => {
                    let gone = status::expired(format!(
                        "too old resource version: {version} ({})",
                        store.oldest_resource_version()
                    ));
                    first.push(json!({"type": "ERROR", "object": gone.body}));
                    last_sent = u64::MAX;
                }
            }
        }
        None => {
            let page = store.list(
                &def.group,
                &def.plural,
                namespace.as_deref(),
                &selectors,
                None,
                None,
            )?;
            for object in page.items {
                first.push(
                    json!({"type": "ADDED", "object": store::convert(def, object, &path.version)}),
                );
            }
        }
    }
    drop(store);
    let def = def.clone();
    let version = path.version.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    let initial = stream::iter(first.into_iter().map(line));
    let live = stream::unfold((receiver, last_sent), move |(mut receiver, last_sent)| {
        let matches = matches.clone();
        let def = def.clone();
        let version = version.clone();
        async move {
            if last_sent == u64::MAX {
                return None;
            }
            loop {
                let event = match tokio::time::timeout_at(deadline, receiver.recv()).await {
                    Ok(Ok(event)) => event,
                    // Timed out, the store went away, or this watcher fell too far behind:
                    // end the stream and let the client watch again.
                    _ => return None,
                };
                if event.resource_version <= last_sent || !matches(&event) {
                    continue;
                }
                let object = store::convert(&def, event.object.clone(), &version);
                let item = line(json!({"type": event.kind, "object": object}));
                return Some((item, (receiver, event.resource_version)));
            }
        }
    });
    let body = Body::from_stream(initial.chain(live).map(Ok::<_, std::convert::Infallible>));
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

fn line(value: Value) -> Bytes {
    let mut bytes = serde_json::to_vec(&value).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}
