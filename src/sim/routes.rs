//! Request paths and query strings, read the way kube-apiserver lays out its API: discovery,
//! OpenAPI, and resource paths (group, version, namespace, resource, name, subresource), each
//! segment %-decoded on its own.

use super::state::ResourcePath;
use super::store::Store;
use std::collections::HashMap;

pub enum Route {
    Version,
    Health,
    ApiVersions,
    GroupList,
    Group(String),
    ResourceList(String, String),
    OpenApiV2,
    OpenApiRoot,
    OpenApi(String, String),
    Resource(ResourcePath),
    DebugRequests,
    Unknown,
}

pub fn route(path: &str, store: &Store) -> Route {
    // Each segment is %-decoded on its own, so an encoded '/' stays inside its segment.
    let decoded: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode_path)
        .collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let (group, version, rest) = match segments.as_slice() {
        ["openapi", "v2"] => return Route::OpenApiV2,
        ["openapi", "v3"] => return Route::OpenApiRoot,
        ["openapi", "v3", "api", version] => {
            return Route::OpenApi(String::new(), version.to_string());
        }
        ["openapi", "v3", "apis", group, version] => {
            return Route::OpenApi(group.to_string(), version.to_string());
        }
        ["version"] => return Route::Version,
        ["healthz" | "livez" | "readyz", ..] => return Route::Health,
        ["debug", "requests"] => return Route::DebugRequests,
        ["api"] => return Route::ApiVersions,
        ["apis"] => return Route::GroupList,
        ["apis", group] => return Route::Group(group.to_string()),
        ["api", version] => return Route::ResourceList(String::new(), version.to_string()),
        ["apis", group, version] => {
            return Route::ResourceList(group.to_string(), version.to_string());
        }
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Route::Unknown,
    };
    // "namespaces/NS/RESOURCE..." is a namespaced request unless RESOURCE is not a namespaced
    // resource, in which case it is a subresource of the Namespace itself.
    let (namespace, rest) = match rest {
        ["namespaces", namespace, tail @ ..]
            if tail.first().is_some_and(|resource| {
                store
                    .def(group, version, resource)
                    .is_some_and(|d| d.namespaced)
            }) =>
        {
            (Some(namespace.to_string()), tail)
        }
        _ => (None, rest),
    };
    // The patterns above leave at least the resource; an empty rest is no path of the API.
    let [resource, name_and_subresource @ ..] = rest else {
        return Route::Unknown;
    };
    if name_and_subresource.len() > 2 {
        return Route::Unknown;
    }
    Route::Resource(ResourcePath {
        group: group.to_string(),
        version: version.to_string(),
        namespace,
        resource: resource.to_string(),
        name: name_and_subresource.first().map(|s| s.to_string()),
        subresource: name_and_subresource
            .get(1)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    })
}

/// The query string as a map (the last value of a repeated key wins).
pub fn query_map(query: &str) -> HashMap<String, String> {
    url_decode_pairs(query).into_iter().collect()
}

fn url_decode_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// A path segment: %-escapes decoded, and '+' is a plus, not a space.
fn percent_decode_path(text: &str) -> String {
    decode_escapes(text, false)
}

fn percent_decode(text: &str) -> String {
    decode_escapes(text, true)
}

fn decode_escapes(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => match bytes.get(i + 1..i + 3).and_then(hex_byte) {
                Some(decoded) => {
                    out.push(decoded);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The byte two hex digits after a `%` stand for.
fn hex_byte(digits: &[u8]) -> Option<u8> {
    u8::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_as_the_apiserver_lays_them_out() {
        let store = Store::new();
        let Route::Resource(p) = route(
            "/apis/eventing.knative.dev/v1/namespaces/payments/triggers/t",
            &store,
        ) else {
            panic!()
        };
        assert_eq!(
            (
                p.group.as_str(),
                p.namespace.as_deref(),
                p.resource.as_str(),
                p.name.as_deref()
            ),
            (
                "eventing.knative.dev",
                Some("payments"),
                "triggers",
                Some("t")
            )
        );
        let Route::Resource(p) = route("/api/v1/namespaces/payments", &store) else {
            panic!()
        };
        assert_eq!(
            (
                p.namespace.as_deref(),
                p.resource.as_str(),
                p.name.as_deref()
            ),
            (None, "namespaces", Some("payments"))
        );
        let Route::Resource(p) = route("/api/v1/namespaces/ns/serviceaccounts/sa/token", &store)
        else {
            panic!()
        };
        assert_eq!(
            (p.resource.as_str(), p.subresource.as_str()),
            ("serviceaccounts", "token")
        );
        assert!(matches!(
            route("/apis/eventing.knative.dev/v1", &store),
            Route::ResourceList(..)
        ));
        assert!(matches!(route("/nonsense", &store), Route::Unknown));
    }

    #[test]
    fn path_segments_are_percent_decoded_one_by_one() {
        let store = Store::new();
        let Route::Resource(p) = route(
            "/apis/eventing.knative.dev/v1/namespaces/pay%6Dents/triggers/%3Ctrigger%3E",
            &store,
        ) else {
            panic!()
        };
        assert_eq!(p.namespace.as_deref(), Some("payments"));
        assert_eq!(p.name.as_deref(), Some("<trigger>"));
        // An encoded slash stays inside its segment; a plus is a plus.
        let Route::Resource(p) = route("/api/v1/namespaces/a/configmaps/x%2Fy+z", &store) else {
            panic!()
        };
        assert_eq!(p.name.as_deref(), Some("x/y+z"));
    }

    #[test]
    fn query_strings_are_percent_decoded() {
        let q = query_map("labelSelector=app%3Dweb%2Ctier+in+(a)&limit=500");
        assert_eq!(
            q.get("labelSelector").map(String::as_str),
            Some("app=web,tier in (a)")
        );
        assert_eq!(q.get("limit").map(String::as_str), Some("500"));
    }
}
