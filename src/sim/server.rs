//! The simulated API server's HTTP face (axum): authentication, authorization, then the path
//! is parsed the way kube-apiserver lays out its API, and the request goes to discovery, the
//! object store, a review, or TokenRequest.
#![deny(clippy::indexing_slicing)]

use super::api;
use super::auth::ServiceAccountToken;
use super::rbac::{MASTERS_GROUP, Policy, Request as RbacRequest, UserInfo};
use super::resources::ResourceDef;
use super::routes::{Route, query_map, route};
use super::status::{self, ApiError};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::request_log::loggable_query;
pub use super::request_log::{RequestLog, RequestRecord};
pub use super::state::{Knobs, MAX_BODY, ResourcePath, SimState, json_response, read_body};

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.code, &self.body)
    }
}

pub fn router(state: Arc<SimState>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(state)
}

/// Every request comes here: the knobs, the log, then `serve`.
async fn handle(
    State(state): State<Arc<SimState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let knobs = state
        .knobs
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let path = uri.path().to_string();
    let in_flight = InFlight::enter(&state);
    if let Some(limit) = knobs.max_inflight
        && !path.starts_with("/debug/")
        && in_flight.count > limit
    {
        return throttled(&state, &method, &path, &headers);
    }
    if !knobs.latency.is_zero() {
        tokio::time::sleep(knobs.latency).await;
    }
    let query = uri.query().unwrap_or("").to_string();
    let user = authenticate(&state, &headers);
    let user_name = user
        .as_ref()
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let response = if knobs.fail_rate > 0.0
        && !path.starts_with("/debug/")
        && knobs
            .fail_path
            .as_ref()
            .is_none_or(|p| path.starts_with(p.as_str()))
        && state.next_random() < knobs.fail_rate
    {
        let code = if state.next_random() < 0.5 { 500 } else { 503 };
        status::injected(code).into_response()
    } else {
        match serve(&state, &method, &path, &query, &headers, body, user).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        }
    };
    // The log counts API traffic; reading or clearing the log is not part of it.
    if !path.starts_with("/debug/") {
        state.log(RequestRecord {
            method: method.to_string(),
            path,
            query: loggable_query(&query),
            user: user_name,
            code: response.status().as_u16(),
        });
    }
    response
}

/// One request in flight, counted while it is answered.
struct InFlight<'a> {
    state: &'a SimState,
    count: usize,
}

impl<'a> InFlight<'a> {
    fn enter(state: &'a SimState) -> Self {
        let count = state
            .inflight
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        Self { state, count }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.state
            .inflight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A 429 with `Retry-After` and the APF headers kube-apiserver sends, logged like any answer.
fn throttled(state: &SimState, method: &Method, path: &str, headers: &HeaderMap) -> Response {
    let mut response = status::too_many_requests().into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("1"),
    );
    response_headers.insert(
        "x-kubernetes-pf-flowschema-uid",
        axum::http::HeaderValue::from_static("sim-flowschema-global-default"),
    );
    response_headers.insert(
        "x-kubernetes-pf-prioritylevel-uid",
        axum::http::HeaderValue::from_static("sim-prioritylevel-global-default"),
    );
    let user = authenticate(state, headers)
        .map(|u| u.username)
        .unwrap_or_default();
    state.log(RequestRecord {
        method: method.to_string(),
        path: path.to_string(),
        query: String::new(),
        user,
        code: 429,
    });
    response
}

/// Who the bearer token says the caller is; None for no token or one the server does not know.
pub fn authenticate(state: &SimState, headers: &HeaderMap) -> Option<UserInfo> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?
        .trim();
    if token.is_empty() {
        return None;
    }
    if let Some(user) = state.static_tokens.get(token) {
        return Some(user.clone());
    }
    let now = jiff::Timestamp::now().as_second();
    let claims = state.authority.verify(token, now).ok()?;
    let store = state.store.read().unwrap_or_else(|e| e.into_inner());
    match claims {
        ServiceAccountToken::Legacy {
            namespace,
            name,
            secret,
        } => {
            // A legacy token dies with its Secret, lives only while the Secret holds it, and
            // belongs to the ServiceAccount the Secret was filled for, not to one made since
            // under the same name.
            let secret = store.get("", "secrets", &namespace, &secret)?;
            let holder = super::tokens::legacy_holder(&store, secret)?;
            if holder.account != name || holder.token != token {
                return None;
            }
            Some(UserInfo::service_account(&namespace, &name, &holder.uid))
        }
        ServiceAccountToken::Bound {
            namespace,
            name,
            uid,
            jti,
        } => {
            let account = store.get("", "serviceaccounts", &namespace, &name)?;
            if account.pointer("/metadata/uid").and_then(Value::as_str) != Some(uid.as_str()) {
                return None;
            }
            let mut user = UserInfo::service_account(&namespace, &name, &uid);
            user.extra.insert(
                "authentication.kubernetes.io/credential-id".into(),
                vec![format!("JTI={jti}")],
            );
            Some(user)
        }
    }
}

/// The verb RBAC sees for a method on a resource path.
fn verb_for(
    method: &Method,
    path: &ResourcePath,
    query: &HashMap<String, String>,
) -> Option<&'static str> {
    let watching = matches!(query.get("watch").map(String::as_str), Some("1" | "true"));
    Some(match (method.as_str(), path.name.is_some()) {
        ("GET", _) if watching => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return None,
    })
}

/// A request the knobs let through: health probes answer anyone, anything else needs a caller
/// the server knows.
async fn serve(
    state: &Arc<SimState>,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: Body,
    user: Option<UserInfo>,
) -> Result<Response, ApiError> {
    let route = route(path, &state.store.read().unwrap_or_else(|e| e.into_inner()));
    if let Route::Health = route {
        return Ok((StatusCode::OK, "ok").into_response());
    }
    let Some(user) = user else {
        return Err(status::unauthorized());
    };
    let user = super::impersonation::impersonate(&state.policy(), headers, user)?;
    match route {
        Route::Resource(resource_path) => {
            serve_resource_path(
                state,
                method,
                &resource_path,
                &query_map(query),
                headers,
                body,
                &user,
            )
            .await
        }
        Route::DebugRequests => debug_requests(state, method, path, &user),
        Route::OpenApiV2 if wants_protobuf(headers) => {
            authorize_path(&state.policy(), &user, "get", path)?;
            Ok((
                StatusCode::OK,
                [(
                    axum::http::header::CONTENT_TYPE,
                    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
                )],
                super::openapi::v2_protobuf(),
            )
                .into_response())
        }
        Route::Unknown => Err(status::no_such_path()),
        discovery => {
            if method != Method::GET {
                return Err(status::method_not_allowed(method.as_str()));
            }
            authorize_path(&state.policy(), &user, "get", path)?;
            Ok(json_response(200, &discovery_document(state, &discovery)?))
        }
    }
}

fn wants_protobuf(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("protobuf"))
}

/// `/version` and the discovery documents; other routes have none.
fn discovery_document(state: &SimState, route: &Route) -> Result<Value, ApiError> {
    let store = || state.store.read().unwrap_or_else(|e| e.into_inner());
    match route {
        Route::Version => Ok(version_document()),
        Route::ApiVersions => Ok(super::discovery::api_versions(&state.address)),
        Route::GroupList => Ok(super::discovery::api_group_list(store().defs())),
        Route::Group(group) => {
            super::discovery::api_group(store().defs(), group).ok_or_else(status::no_such_path)
        }
        Route::ResourceList(group, version) => {
            super::discovery::api_resource_list(store().defs(), group, version)
                .ok_or_else(status::no_such_path)
        }
        Route::OpenApiV2 => Ok(super::openapi::v2_json()),
        Route::OpenApiRoot => Ok(super::openapi::root(&store())),
        Route::OpenApi(group, version) => {
            super::openapi::group_version(&store(), group, version).ok_or_else(status::no_such_path)
        }
        Route::Health | Route::Resource(_) | Route::DebugRequests | Route::Unknown => {
            Err(status::no_such_path())
        }
    }
}

/// The version kubectl sees. kubectl warns past one minor version of skew, and these machines
/// (and most users') run kubectl 1.32, so the sim says 1.33: the newest within that skew.
fn version_document() -> Value {
    json!({
        "major": "1", "minor": "33", "gitVersion": "v1.33.0+kn-mesh-sim",
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2026-11-01T00:00:00Z", "goVersion": "go1.25.0", "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// RBAC on a non-resource URL such as `/version` or `/apis`.
fn authorize_path(
    policy: &Policy,
    user: &UserInfo,
    verb: &str,
    path: &str,
) -> Result<(), ApiError> {
    let request = RbacRequest::NonResource {
        verb: verb.into(),
        path: path.into(),
    };
    if policy.decide(user, &request).allowed {
        Ok(())
    } else {
        Err(status::forbidden_path(&user.username, verb, path))
    }
}

/// The request log, read or cleared; for system:masters only, whatever RBAC says.
fn debug_requests(
    state: &SimState,
    method: &Method,
    path: &str,
    user: &UserInfo,
) -> Result<Response, ApiError> {
    if !user.groups.iter().any(|g| g == MASTERS_GROUP) {
        return Err(status::forbidden_path(
            &user.username,
            &method.as_str().to_lowercase(),
            path,
        ));
    }
    let mut requests = state.requests.lock().unwrap_or_else(|e| e.into_inner());
    match *method {
        Method::GET => Ok(json_response(
            200,
            &json!({"total": requests.total, "requests": requests.latest}),
        )),
        Method::DELETE => {
            *requests = RequestLog::default();
            Ok(json_response(200, &json!({"total": 0})))
        }
        _ => Err(status::method_not_allowed(method.as_str())),
    }
}

/// A request for objects: a resource the store knows, a verb it serves, RBAC, then `api`.
async fn serve_resource_path(
    state: &Arc<SimState>,
    method: &Method,
    path: &ResourcePath,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
    user: &UserInfo,
) -> Result<Response, ApiError> {
    let def = state
        .store
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .def(&path.group, &path.version, &path.resource)
        .cloned()
        .ok_or_else(status::no_such_path)?;
    let verb = served_verb(&def, method, path, query)?;
    authorize_resource(&state.policy(), user, &def, path, verb)?;
    api::serve_resource(state, &def, path, verb, query, headers, body, user).await
}

/// The verb RBAC sees, if the resource serves it; a subresource is not held to the
/// resource's verbs.
fn served_verb(
    def: &ResourceDef,
    method: &Method,
    path: &ResourcePath,
    query: &HashMap<String, String>,
) -> Result<&'static str, ApiError> {
    let verb =
        verb_for(method, path, query).ok_or_else(|| status::method_not_allowed(method.as_str()))?;
    if !def.verbs.contains(&verb) && path.subresource.is_empty() {
        return Err(status::method_not_allowed(method.as_str()));
    }
    Ok(verb)
}

fn authorize_resource(
    policy: &Policy,
    user: &UserInfo,
    def: &ResourceDef,
    path: &ResourcePath,
    verb: &str,
) -> Result<(), ApiError> {
    let asked = crate::k8s::ResourceRequest {
        name: path.name.clone(),
        ..crate::k8s::ResourceRequest::new(verb, &def.group, &def.plural, path.namespace.as_deref())
    };
    let request = RbacRequest::Resource {
        request: asked,
        subresource: path.subresource.clone(),
    };
    if policy.decide(user, &request).allowed {
        Ok(())
    } else {
        Err(status::forbidden(&user.username, &request))
    }
}
