//! Reviews and TokenRequest: SelfSubjectAccessReview, SelfSubjectRulesReview and
//! SelfSubjectReview answered for the caller, and bound tokens minted for a ServiceAccount. The
//! bodies are checked for their JSON shape first, as kube-apiserver's decoder does.
#![deny(clippy::indexing_slicing)]

use super::rbac::{Request as RbacRequest, UserInfo};
use super::resources::ResourceDef;
use super::state::{ResourcePath, SimState, json_response, parse_body, read_body};
use super::status::{self, ApiError};
use super::store;
use axum::body::Body;
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub(super) fn is_token_request(def: &ResourceDef, path: &ResourcePath) -> bool {
    path.subresource == "token" && def.plural == "serviceaccounts"
}

/// A review or a TokenRequest, from a JSON or protobuf body.
pub(super) async fn answer(
    state: &Arc<SimState>,
    def: &ResourceDef,
    path: &ResourcePath,
    protobuf: bool,
    body: Body,
    user: &UserInfo,
) -> Result<Response, ApiError> {
    let token_request = is_token_request(def, path);
    let kind = if token_request {
        "TokenRequest"
    } else {
        def.kind.as_str()
    };
    let bytes = read_body(body).await?;
    let body = if protobuf {
        let api_version = if token_request {
            "authentication.k8s.io/v1".to_string()
        } else {
            def.api_version(&path.version)
        };
        super::protobuf::decode(&bytes, &api_version, kind)
            .ok_or_else(status::unsupported_media_type)?
    } else {
        parse_body(bytes)?
    };
    check_review_shape(kind, &body)?;
    if token_request {
        self::token_request(state, path, &body)
    } else {
        review(state, def, &body, user)
    }
}

/// A review or TokenRequest body of the wrong JSON type gets 400, as kube-apiserver's decoder
/// answers it ("json: cannot unmarshal array into Go value of type ..."), before any field is
/// read: the answer is built by writing into the body, which must be an object.
fn check_review_shape(kind: &str, body: &Value) -> Result<(), ApiError> {
    let wrong =
        |what: &str, value: &Value, go_type: &str| Err(cannot_unmarshal(what, value, go_type));
    if !body.is_object() {
        return wrong("value", body, &format!("v1.{kind}"));
    }
    let spec = match body.get("spec") {
        None | Some(Value::Null) => return Ok(()),
        Some(spec @ Value::Object(_)) => spec,
        Some(other) => return wrong("struct field .spec", other, &format!("v1.{kind}Spec")),
    };
    let objects = ["resourceAttributes", "nonResourceAttributes"];
    for (field, value) in spec.as_object().into_iter().flatten() {
        let fits = match (field.as_str(), value) {
            (_, Value::Null) => true,
            ("expirationSeconds", Value::Number(n)) => n.is_i64(),
            ("audiences", Value::Array(items)) => items.iter().all(Value::is_string),
            ("namespace" | "user" | "uid", v) => v.is_string(),
            ("groups", Value::Array(items)) => items.iter().all(Value::is_string),
            (field, Value::Object(attributes)) if objects.contains(&field) => attributes
                .values()
                .all(|v| v.is_string() || v.is_null() || v.is_object()),
            ("expirationSeconds" | "audiences" | "groups", _) => false,
            (field, _) if objects.contains(&field) => false,
            _ => true,
        };
        if !fits {
            return wrong(
                &format!("struct field .spec.{field}"),
                value,
                "the field's type",
            );
        }
    }
    Ok(())
}

/// The decoder's 400 for a JSON value of the wrong type.
fn cannot_unmarshal(what: &str, value: &Value, go_type: &str) -> ApiError {
    let type_name = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    status::bad_request(format!(
        "json: cannot unmarshal {type_name} into Go {what} of type {go_type}"
    ))
}

/// The answer is the body with its fields filled in. `check_review_shape` has already refused
/// a body that is not an object; this refuses it again, the same way, rather than rely on it.
fn answer_object(kind: &str, body: &Value) -> Result<Map<String, Value>, ApiError> {
    body.as_object()
        .cloned()
        .ok_or_else(|| cannot_unmarshal("value", body, &format!("v1.{kind}")))
}

fn review(
    state: &SimState,
    def: &ResourceDef,
    body: &Value,
    user: &UserInfo,
) -> Result<Response, ApiError> {
    let policy = state.policy();
    let mut answer = answer_object(&def.kind, body)?;
    answer.insert(
        "apiVersion".into(),
        json!(def.api_version(&def.storage_version)),
    );
    answer.insert("kind".into(), json!(def.kind));
    answer.insert("metadata".into(), json!({"creationTimestamp": null}));
    let text = |pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match def.plural.as_str() {
        "selfsubjectaccessreviews" => {
            let request = if body.pointer("/spec/resourceAttributes").is_some() {
                let namespace = text("/spec/resourceAttributes/namespace");
                let name = text("/spec/resourceAttributes/name");
                let request = crate::k8s::ResourceRequest {
                    name: (!name.is_empty()).then_some(name),
                    ..crate::k8s::ResourceRequest::new(
                        text("/spec/resourceAttributes/verb").as_str(),
                        &text("/spec/resourceAttributes/group"),
                        &text("/spec/resourceAttributes/resource"),
                        (!namespace.is_empty()).then_some(namespace.as_str()),
                    )
                };
                RbacRequest::Resource {
                    request,
                    subresource: text("/spec/resourceAttributes/subresource"),
                }
            } else if body.pointer("/spec/nonResourceAttributes").is_some() {
                RbacRequest::NonResource {
                    verb: text("/spec/nonResourceAttributes/verb"),
                    path: text("/spec/nonResourceAttributes/path"),
                }
            } else {
                return Err(status::invalid(
                    "SelfSubjectAccessReview",
                    "",
                    "spec.resourceAttributes: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
                ));
            };
            let decision = policy.decide(user, &request);
            let mut status_body = Map::new();
            status_body.insert("allowed".into(), json!(decision.allowed));
            if !decision.reason.is_empty() {
                status_body.insert("reason".into(), json!(decision.reason));
            }
            answer.insert("status".into(), Value::Object(status_body));
        }
        "selfsubjectrulesreviews" => {
            let namespace = text("/spec/namespace");
            if namespace.is_empty() {
                return Err(status::invalid(
                    "SelfSubjectRulesReview",
                    "",
                    "spec.namespace: Required value",
                ));
            }
            let rules = policy.rules_for(user, &namespace);
            let resource_rules: Vec<Value> = rules
                .iter()
                .filter(|r| r.non_resource_urls.is_empty())
                .map(|r| json!({"verbs": r.verbs, "apiGroups": r.api_groups, "resources": r.resources, "resourceNames": r.resource_names}))
                .collect();
            let non_resource_rules: Vec<Value> = rules
                .iter()
                .filter(|r| !r.non_resource_urls.is_empty())
                .map(|r| json!({"verbs": r.verbs, "nonResourceURLs": r.non_resource_urls}))
                .collect();
            answer.insert("status".into(), json!({"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": false}));
        }
        _ => {
            answer.insert("status".into(), json!({"userInfo": user}));
        }
    }
    Ok(json_response(201, &Value::Object(answer)))
}

/// TokenRequest: a bound token for a ServiceAccount, with the requested lifetime and audiences.
fn token_request(
    state: &SimState,
    path: &ResourcePath,
    body: &Value,
) -> Result<Response, ApiError> {
    let namespace = path.namespace.as_deref().unwrap_or("");
    let name = path.name.as_deref().unwrap_or("");
    let uid = {
        let store = state.store.read().unwrap_or_else(|e| e.into_inner());
        let account = store
            .get("", "serviceaccounts", namespace, name)
            .ok_or_else(|| status::not_found("", "serviceaccounts", name))?;
        account
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let lifetime = body
        .pointer("/spec/expirationSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(3600);
    if lifetime < 600 {
        return Err(status::invalid(
            "TokenRequest",
            name,
            "spec.expirationSeconds: Invalid value: may not specify a duration less than 10 minutes",
        ));
    }
    // kube-apiserver's bound: 2^32 seconds.
    if lifetime > 1 << 32 {
        return Err(status::invalid(
            "TokenRequest",
            name,
            "spec.expirationSeconds: Invalid value: may not specify a duration larger than 2^32 seconds",
        ));
    }
    let audiences: Vec<String> = body
        .pointer("/spec/audiences")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let now = jiff::Timestamp::now().as_second();
    let (token, expires) = state
        .authority
        .mint_bound(namespace, name, &uid, &audiences, lifetime, now);
    let expiration = jiff::Timestamp::from_second(expires)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let mut answer = answer_object("TokenRequest", body)?;
    answer.insert("apiVersion".into(), json!("authentication.k8s.io/v1"));
    answer.insert("kind".into(), json!("TokenRequest"));
    answer.insert(
        "metadata".into(),
        json!({"name": name, "namespace": namespace, "creationTimestamp": store::now_rfc3339()}),
    );
    let mut spec = token_request_spec(body)?;
    spec.insert("expirationSeconds".into(), json!(lifetime));
    spec.insert(
        "audiences".into(),
        json!(if audiences.is_empty() {
            vec![super::auth::API_AUDIENCE.to_string()]
        } else {
            audiences
        }),
    );
    answer.insert("spec".into(), Value::Object(spec));
    answer.insert(
        "status".into(),
        json!({"token": token, "expirationTimestamp": expiration}),
    );
    Ok(json_response(201, &Value::Object(answer)))
}

/// The spec the answer echoes, an empty one when none was sent; one of another type was
/// refused by `check_review_shape`, and is refused again here the same way.
fn token_request_spec(body: &Value) -> Result<Map<String, Value>, ApiError> {
    match body.get("spec") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(spec)) => Ok(spec.clone()),
        Some(other) => Err(cannot_unmarshal(
            "struct field .spec",
            other,
            "v1.TokenRequestSpec",
        )),
    }
}
