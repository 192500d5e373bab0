//! `Status` error bodies, worded exactly as kube-apiserver words them, because clients (and
//! people) match on these messages.

use serde_json::{Value, json};

/// An API error: the HTTP code and the Status body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub body: Value,
}

fn status(code: u16, reason: &str, message: String, details: Option<Value>) -> ApiError {
    let mut body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(details) = details {
        body["details"] = details;
    }
    ApiError { code, body }
}

/// "brokers.eventing.knative.dev" or "secrets": the resource as the apiserver names it.
pub fn group_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// `details` as kube-apiserver fills it: the group is omitted for the core group, and the
/// "kind" is in fact the resource.
fn details(group: &str, resource: &str, name: Option<&str>) -> Value {
    let mut details = serde_json::Map::new();
    if let Some(name) = name {
        details.insert("name".into(), json!(name));
    }
    if !group.is_empty() {
        details.insert("group".into(), json!(group));
    }
    details.insert("kind".into(), json!(resource));
    Value::Object(details)
}

/// kube-apiserver's 403 for a resource request, word for word (the text is the request's own,
/// from `k8s::ResourceRequest`).
pub fn forbidden(user: &str, request: &super::rbac::Request) -> ApiError {
    let super::rbac::Request::Resource {
        request,
        subresource,
    } = request
    else {
        return status(403, "Forbidden", format!("forbidden: User {user:?}"), None);
    };
    let message = request.forbidden_message(user, subresource);
    let resource = &request.resource;
    let details = details(&resource.group, &resource.plural, request.name.as_deref());
    status(403, "Forbidden", message, Some(details))
}

/// A 403 for a reason other than a missing permission (RBAC's escalation check), worded as
/// kube-apiserver words it: `roles.rbac.authorization.k8s.io "x" is forbidden: REASON`.
pub fn forbidden_with(group: &str, resource: &str, name: &str, reason: String) -> ApiError {
    status(
        403,
        "Forbidden",
        format!(
            "{} {name:?} is forbidden: {reason}",
            group_resource(group, resource)
        ),
        Some(details(group, resource, Some(name))),
    )
}

/// A non-resource URL that the user may not access.
pub fn forbidden_path(user: &str, verb: &str, path: &str) -> ApiError {
    status(
        403,
        "Forbidden",
        format!("forbidden: User {user:?} cannot {verb} path {path:?}"),
        Some(json!({})),
    )
}

pub fn unauthorized() -> ApiError {
    status(401, "Unauthorized", "Unauthorized".into(), None)
}

pub fn not_found(group: &str, resource: &str, name: &str) -> ApiError {
    status(
        404,
        "NotFound",
        format!("{} {name:?} not found", group_resource(group, resource)),
        Some(details(group, resource, Some(name))),
    )
}

/// A path that names no resource the server knows.
pub fn no_such_path() -> ApiError {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource".into(),
        Some(json!({})),
    )
}

pub fn already_exists(group: &str, resource: &str, name: &str) -> ApiError {
    status(
        409,
        "AlreadyExists",
        format!(
            "{} {name:?} already exists",
            group_resource(group, resource)
        ),
        Some(details(group, resource, Some(name))),
    )
}

pub fn conflict(group: &str, resource: &str, name: &str) -> ApiError {
    status(
        409,
        "Conflict",
        format!(
            "Operation cannot be fulfilled on {} {name:?}: the object has been modified; please apply your changes to the latest version and try again",
            group_resource(group, resource)
        ),
        Some(details(group, resource, Some(name))),
    )
}

pub fn method_not_allowed(method: &str) -> ApiError {
    status(
        405,
        "MethodNotAllowed",
        format!("the server does not allow this method on the requested resource ({method})"),
        Some(json!({})),
    )
}

pub fn bad_request(message: impl Into<String>) -> ApiError {
    status(400, "BadRequest", message.into(), None)
}

pub fn invalid(kind: &str, name: &str, message: impl Into<String>) -> ApiError {
    status(
        422,
        "Invalid",
        format!("{kind} {name:?} is invalid: {}", message.into()),
        Some(json!({"name": name, "kind": kind})),
    )
}

/// One field's problem in an `Invalid` Status.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub reason: String,
    pub field: String,
    pub message: String,
}

impl Cause {
    pub fn new(reason: &str, field: &str, message: &str) -> Self {
        Self {
            reason: reason.into(),
            field: field.into(),
            message: message.into(),
        }
    }
}

/// kube-apiserver's 422: `Broker.eventing.knative.dev "x" is invalid: spec.a: Required value`,
/// with the causes bracketed when there are several, and each one in `details.causes`.
pub fn invalid_causes(group: &str, kind: &str, name: &str, causes: Vec<Cause>) -> ApiError {
    let qualified = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    let texts: Vec<String> = causes
        .iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect();
    let listed = match texts.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    };
    let causes: Vec<Value> = causes
        .iter()
        .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
        .collect();
    let mut details = json!({"name": name, "kind": kind, "causes": causes});
    if !group.is_empty() {
        details["group"] = json!(group);
    }
    status(
        422,
        "Invalid",
        format!("{qualified} {name:?} is invalid: {listed}"),
        Some(details),
    )
}

/// kube-apiserver's answer to a strategic merge patch on a custom resource: it has no Go type
/// to read the patch strategies from.
pub fn strategic_merge_on_custom_resource() -> ApiError {
    status(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml".into(),
        None,
    )
}

/// A patch of a type the sim does not apply. Server-side apply is one: the sim does not
/// track field managers, so it says so rather than pretend.
pub fn unsupported_patch_type(custom: bool) -> ApiError {
    let strategic = if custom {
        ""
    } else {
        ", application/strategic-merge-patch+json"
    };
    status(
        415,
        "UnsupportedMediaType",
        format!(
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json{strategic} (the kn-mesh sim does not do server-side apply)"
        ),
        None,
    )
}

/// Protobuf bodies: the sim speaks JSON only; clients fall back to JSON on a 415.
pub fn unsupported_media_type() -> ApiError {
    status(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/json-patch+json".into(),
        None,
    )
}

pub fn too_large(limit: usize) -> ApiError {
    status(
        413,
        "RequestEntityTooLarge",
        format!("Request entity too large: limit is {limit}"),
        None,
    )
}

/// A continue token or watch resourceVersion older than the history the server keeps.
pub fn expired(message: impl Into<String>) -> ApiError {
    status(410, "Expired", message.into(), None)
}

pub fn gone(message: impl Into<String>) -> ApiError {
    status(410, "Gone", message.into(), None)
}

/// An injected failure (`--fail-rate`).
/// Too many requests in flight (`max_inflight`): 429, as API Priority and Fairness answers.
pub fn too_many_requests() -> ApiError {
    status(
        429,
        "TooManyRequests",
        "Too many requests, please try again later.".into(),
        Some(json!({"retryAfterSeconds": 1})),
    )
}

pub fn injected(code: u16) -> ApiError {
    let (reason, message) = if code == 503 {
        (
            "ServiceUnavailable",
            "the server is currently unable to handle the request (injected by --fail-rate)",
        )
    } else {
        (
            "InternalError",
            "an error on the server (\"injected by --fail-rate\") has prevented the request from succeeding",
        )
    };
    status(code, reason, message.into(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_scope_403_is_worded_as_kube_apiserver_words_it() {
        let request =
            super::super::rbac::Request::resource("list", "eventing.knative.dev", "brokers", None);
        let error = forbidden("system:serviceaccount:ns:sa", &request);
        assert_eq!(
            serde_json::to_string(&error.body).unwrap(),
            r#"{"apiVersion":"v1","code":403,"details":{"group":"eventing.knative.dev","kind":"brokers"},"kind":"Status","message":"brokers.eventing.knative.dev is forbidden: User \"system:serviceaccount:ns:sa\" cannot list resource \"brokers\" in API group \"eventing.knative.dev\" at the cluster scope","metadata":{},"reason":"Forbidden","status":"Failure"}"#
        );
    }

    #[test]
    fn a_named_namespaced_core_403_names_the_object_and_namespace() {
        let request = super::super::rbac::Request::Resource {
            request: crate::k8s::ResourceRequest::get("", "secrets", "x", "db"),
            subresource: String::new(),
        };
        let error = forbidden("u", &request);
        assert_eq!(
            error.body["message"],
            r#"secrets "db" is forbidden: User "u" cannot get resource "secrets" in API group "" in the namespace "x""#
        );
        assert_eq!(
            error.body["details"],
            json!({"name": "db", "kind": "secrets"})
        );
    }
}
