//! Impersonation as kube-apiserver does it: `Impersonate-User`, `-Group`, `-Uid` and
//! `-Extra-*` headers, each allowed only by the `impersonate` verb on users (or the
//! ServiceAccount), groups, uids and userextras; the request then runs as the impersonated user.

use super::rbac::{Policy, Request as RbacRequest, UserInfo};
use super::status::{self, ApiError};
use axum::http::HeaderMap;
use std::collections::BTreeMap;

const USER: &str = "impersonate-user";
const GROUP: &str = "impersonate-group";
const UID: &str = "impersonate-uid";
const EXTRA: &str = "impersonate-extra-";

/// The user the request runs as: the caller, or whom the caller may impersonate.
pub fn impersonate(
    policy: &Policy,
    headers: &HeaderMap,
    caller: UserInfo,
) -> Result<UserInfo, ApiError> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    };
    let groups = values(GROUP);
    let uid = values(UID).into_iter().next();
    let mut extra: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        if let Some(key) = name.as_str().strip_prefix(EXTRA)
            && let Ok(value) = value.to_str()
        {
            let key = percent_decode(key);
            extra.entry(key).or_default().push(value.to_string());
        }
    }
    // An empty Impersonate-User is none, as kube-apiserver reads it.
    let Some(username) = values(USER).into_iter().next().filter(|u| !u.is_empty()) else {
        if groups.is_empty() && uid.is_none() && extra.is_empty() {
            return Ok(caller);
        }
        return Err(status::bad_request(
            "requested impersonation of groups, uid or extra without impersonating a user",
        ));
    };
    let may = |request: crate::k8s::ResourceRequest| -> Result<(), ApiError> {
        let request = RbacRequest::Resource {
            request,
            subresource: String::new(),
        };
        if policy.decide(&caller, &request).allowed {
            Ok(())
        } else {
            Err(status::forbidden(&caller.username, &request))
        }
    };
    let asked = |group: &str, plural: &str, namespace: Option<&str>, name: &str| {
        crate::k8s::ResourceRequest {
            name: Some(name.to_string()),
            ..crate::k8s::ResourceRequest::new("impersonate", group, plural, namespace)
        }
    };
    let account = service_account(&username);
    match account {
        Some((namespace, name)) => may(asked("", "serviceaccounts", Some(namespace), name))?,
        None => may(asked("", "users", None, &username))?,
    }
    for group in &groups {
        may(asked("", "groups", None, group))?;
    }
    if let Some(uid) = &uid {
        may(asked("authentication.k8s.io", "uids", None, uid))?;
    }
    for (key, values) in &extra {
        for value in values {
            let plural = format!("userextras/{key}");
            may(asked("authentication.k8s.io", &plural, None, value))?;
        }
    }
    Ok(impersonated(username, groups, uid, extra))
}

/// The impersonated user as kube-apiserver makes it: a ServiceAccount named without groups gets
/// the ServiceAccount groups, and everyone but the anonymous user is authenticated.
fn impersonated(
    username: String,
    mut groups: Vec<String>,
    uid: Option<String>,
    extra: BTreeMap<String, Vec<String>>,
) -> UserInfo {
    if groups.is_empty()
        && let Some((namespace, _)) = service_account(&username)
    {
        groups.push("system:serviceaccounts".into());
        groups.push(format!("system:serviceaccounts:{namespace}"));
    }
    if username != "system:anonymous" && !groups.iter().any(|g| g == "system:authenticated") {
        groups.push("system:authenticated".into());
    }
    UserInfo {
        username,
        uid: uid.unwrap_or_default(),
        groups,
        extra,
    }
}

/// `system:serviceaccount:NS:NAME` as (NS, NAME).
fn service_account(username: &str) -> Option<(&str, &str)> {
    let rest = username.strip_prefix("system:serviceaccount:")?;
    let (namespace, name) = rest.split_once(':')?;
    (!namespace.is_empty() && !name.is_empty() && !name.contains(':')).then_some((namespace, name))
}

/// An extra key travels %-encoded in its header name.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
