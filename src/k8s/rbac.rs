//! RBAC rules and the requests they match, as kube-apiserver's RBAC authorizer matches them.
//! The simulated API server decides with them; the fetcher and `auth` read a
//! SelfSubjectRulesReview's answer with them.

use super::{GroupResource, ResourceRequest};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    #[serde(default)]
    pub verbs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(
        default,
        rename = "nonResourceURLs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub non_resource_urls: Vec<String>,
}

/// What a request asks to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A request on a resource, in the vocabulary the whole crate uses, on a subresource ("" for
    /// the resource itself).
    Resource {
        request: ResourceRequest,
        subresource: String,
    },
    NonResource {
        verb: String,
        path: String,
    },
}

impl Request {
    pub fn resource(verb: &str, group: &str, resource: &str, namespace: Option<&str>) -> Self {
        Request::Resource {
            request: ResourceRequest::new(verb, group, resource, namespace),
            subresource: String::new(),
        }
    }
}

fn has(list: &[String], wanted: &str) -> bool {
    list.iter().any(|item| item == "*" || item == wanted)
}

impl PolicyRule {
    pub fn matches(&self, request: &Request) -> bool {
        match request {
            Request::Resource {
                request,
                subresource,
            } => {
                let GroupResource { group, plural } = &request.resource;
                if !has(&self.verbs, request.verb.as_str()) || !has(&self.api_groups, group) {
                    return false;
                }
                let combined = if subresource.is_empty() {
                    plural.clone()
                } else {
                    format!("{plural}/{subresource}")
                };
                let resource_ok = self.resources.iter().any(|r| {
                    r == "*"
                        || *r == combined
                        || (!subresource.is_empty() && *r == format!("*/{subresource}"))
                });
                // A rule with names never matches an unnamed request (list, create, ...).
                let name_ok = self.resource_names.is_empty()
                    || request
                        .name
                        .as_deref()
                        .is_some_and(|n| self.resource_names.iter().any(|r| r == n));
                resource_ok && name_ok
            }
            Request::NonResource { verb, path } => {
                has(&self.verbs, verb)
                    && self.non_resource_urls.iter().any(|url| {
                        url == "*"
                            || url == path
                            || url
                                .strip_suffix('*')
                                .is_some_and(|prefix| path.starts_with(prefix))
                    })
            }
        }
    }
}
