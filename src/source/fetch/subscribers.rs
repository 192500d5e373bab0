//! Subscribers, replies and sinks: the objects refs point at, looked up for their labels (the
//! Backstage id) and to tell "not found" from "forbidden".

use super::{Fetcher, Kind, Listed, Outcome, Stop, bounded, marker, text};
use crate::mesh::objects::{Crd, group_of};
use crate::mesh::snapshot::{Access, AccessMarker, ApiRequest};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Objects found, what each lookup was allowed, and the lists that succeeded (live updates
/// watch them, so subscribers' labels stay current).
type Found = (Vec<Value>, Vec<AccessMarker>, Vec<Listed>);

/// What the refs point at, by (apiVersion, kind, namespace): the names to look up. Kinds in
/// hand already (brokers, channels and sources from their CRDs) are left out.
type Wanted = BTreeMap<(String, String, String), BTreeSet<String>>;

fn wanted(objects: &[Value], crds: &[Crd], listed: &[(String, String)], deep: bool) -> Wanted {
    let known_kinds: BTreeSet<(String, String)> = crds
        .iter()
        .map(|c| (c.spec.group.clone(), c.spec.names.kind.clone()))
        .chain([("eventing.knative.dev".to_string(), "Broker".to_string())])
        .chain(listed.iter().cloned())
        .collect();
    // Objects in hand need no lookup: a second, metadata-only copy would stand beside them.
    let in_hand: BTreeSet<(&str, &str, &str, &str)> = objects
        .iter()
        .map(|o| {
            let group = group_of(text(o, "/apiVersion"));
            (
                group,
                text(o, "/kind"),
                text(o, "/metadata/namespace"),
                text(o, "/metadata/name"),
            )
        })
        .collect();
    let mut wanted = Wanted::new();
    for object in objects {
        let namespace = text(object, "/metadata/namespace");
        for reference in crate::mesh::components::destination_refs(object, deep) {
            let api_version = text(reference, "/apiVersion");
            let kind = text(reference, "/kind");
            let name = text(reference, "/name");
            let ref_namespace = match text(reference, "/namespace") {
                "" => namespace,
                other => other,
            };
            let group = group_of(api_version);
            if api_version.is_empty()
                || kind.is_empty()
                || name.is_empty()
                || known_kinds.contains(&(group.to_string(), kind.to_string()))
                || in_hand.contains(&(group, kind, ref_namespace, name))
            {
                continue;
            }
            wanted
                .entry((
                    api_version.to_string(),
                    kind.to_string(),
                    ref_namespace.to_string(),
                ))
                .or_default()
                .insert(name.to_string());
        }
    }
    wanted
}

/// Kinds that hold secrets or access rules are never subscribers: a ref to one is not
/// followed (kn-mesh does not read Secrets), and a marker says so.
fn refuse_never_subscribers(wanted: &mut Wanted) -> Vec<AccessMarker> {
    let mut refused = Vec::new();
    wanted.retain(|(api_version, kind, namespace), names| {
        let group = group_of(api_version);
        // Refs are written by anyone who may write a trigger, and their apiVersion goes into
        // request paths: only a real group and version are followed.
        let version = api_version.rsplit('/').next().unwrap_or("");
        let valid = (group.is_empty() || crate::k8s::is_dns_subdomain(group))
            && crate::k8s::is_dns_label(version)
            && api_version.matches('/').count() <= 1;
        if !valid {
            let plural = crate::mesh::build::guess_resource(kind);
            refused.extend(names.iter().map(|name| {
                let request = ApiRequest::get(group, &plural, namespace, name);
                let message = format!(
                    "not looked up: {} is not an API version",
                    crate::text::escape(&format!("{api_version:?}"))
                );
                AccessMarker::new(request, Access::Fallback { message })
            }));
            return false;
        }
        if !crate::mesh::catalog::NEVER_SUBSCRIBERS.contains(&(group, kind.as_str())) {
            return true;
        }
        let plural = crate::mesh::build::guess_resource(kind);
        refused.extend(names.iter().map(|name| AccessMarker {
            role: crate::mesh::snapshot::Role::Other,
            request: ApiRequest::get(group, &plural, namespace, name),
            access: Access::Fallback {
                message: format!("not looked up: a {kind} is never a subscriber"),
            },
        }));
        false
    });
    refused
}

/// A kind's lookups gathered: namespace → names.
type ByNamespace = BTreeMap<String, BTreeSet<String>>;

/// Above this many namespaces, one cluster-wide list of a kind's metadata is cheaper than a
/// list per namespace.
const CLUSTER_LIST_FROM: usize = 3;

/// Which (api version, kind) pairs are wanted, and where.
fn by_kind(wanted: Wanted) -> BTreeMap<(String, String), ByNamespace> {
    let mut kinds: BTreeMap<(String, String), ByNamespace> = BTreeMap::new();
    for ((api_version, kind, namespace), names) in wanted {
        let namespaces = kinds.entry((api_version, kind)).or_default();
        namespaces.insert(namespace, names);
    }
    kinds
}

/// The objects of a list that were wanted, by namespace and name.
fn wanted_items(items: Vec<Value>, wanted: &ByNamespace) -> Vec<Value> {
    items
        .into_iter()
        .filter(|o| {
            let namespace = text(o, "/metadata/namespace");
            let name = text(o, "/metadata/name");
            wanted
                .get(namespace)
                .is_some_and(|names| names.contains(name))
        })
        .collect()
}

/// Whether objects of the kind are shown as themselves (flows, sinks, policies, other Knative
/// kinds), not only as where a subscriber points.
fn is_shown_whole(target: &Kind) -> bool {
    crate::mesh::components::ComponentKind::of(&target.group, &target.kind).is_some()
}

fn how(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Forbidden(_) => "forbidden",
        Outcome::NotFound => "not served",
        _ => "failed",
    }
}

impl Fetcher {
    /// Looks up every object a ref points at that is not already in hand, metadata only. Per
    /// kind: one cluster-wide list where refs point into several namespaces and that list is
    /// allowed; else one list per namespace that has refs; else one get per name. Requests grow
    /// with the kinds and namespaces in use, not with the number of triggers.
    /// `listed`: (group, kind) of further kinds read whole by their lists (flows and sinks),
    /// whose objects are in hand already. `deep`: also what dead-letter sinks, steps and
    /// branches point at (not for the eventmesh backend's answer).
    pub(super) async fn subscribers(
        &self,
        objects: &[Value],
        crds: &[Crd],
        listed: &[(String, String)],
        deep: bool,
    ) -> Result<Found, Stop> {
        let mut wanted = wanted(objects, crds, listed, deep);
        let refused = refuse_never_subscribers(&mut wanted);
        let plurals = self
            .plurals(wanted.keys().map(|(v, _, _)| v.as_str()))
            .await;
        let plurals = &plurals;
        let lookups: Vec<Result<Found, Stop>> = bounded(
            by_kind(wanted)
                .into_iter()
                .map(|((api_version, kind), namespaces)| async move {
                    let (group, version) = match api_version.split_once('/') {
                        Some((g, v)) => (g.to_string(), v.to_string()),
                        None => (String::new(), api_version.clone()),
                    };
                    let plural = plurals
                        .get(&(api_version.clone(), kind.clone()))
                        .cloned()
                        .unwrap_or_else(|| crate::mesh::build::guess_resource(&kind));
                    let target = Kind::new(&group, &version, &plural, &kind);
                    self.lookup_kind(&target, namespaces).await
                })
                .collect(),
        )
        .await;
        let (mut found, mut markers, mut listed) = (Vec::new(), refused, Vec::new());
        for lookup in lookups {
            let (objects, lookup_markers, lookup_listed) = lookup?;
            found.extend(objects);
            markers.extend(lookup_markers);
            listed.extend(lookup_listed);
        }
        Ok((found, markers, listed))
    }

    /// A subscriber's kind is read for its labels only; a flow or sink is shown as itself, so it
    /// is read whole.
    async fn lookup_list(&self, target: &Kind, namespace: Option<&str>) -> Result<Outcome, Stop> {
        if is_shown_whole(target) {
            self.list(target, namespace, None).await
        } else {
            self.list_metadata(target, namespace).await
        }
    }

    /// One kind's lookups: a cluster-wide list first when that pays, else per namespace.
    async fn lookup_kind(&self, target: &Kind, namespaces: ByNamespace) -> Result<Found, Stop> {
        let mut markers = Vec::new();
        if namespaces.len() >= CLUSTER_LIST_FROM {
            let listed = self.lookup_list(target, None).await?;
            let request = ApiRequest::list(&target.group, &target.plural, None);
            let mut listed_marker = marker(request, &listed);
            if let Outcome::Items(items) = listed {
                let watchable = Listed {
                    selector: None,
                    labels_only: !is_shown_whole(target),
                    kind: target.clone(),
                    namespace: None,
                };
                let found = wanted_items(items, &namespaces);
                return Ok((found, vec![listed_marker], vec![watchable]));
            }
            // Not data the mesh lacks: the lookups go on per namespace, and say so.
            let message = format!(
                "the cluster-wide list was {}: listed per namespace",
                how(&listed)
            );
            listed_marker.access = Access::Fallback { message };
            markers.push(listed_marker);
        }
        let per_namespace: Vec<Result<Found, Stop>> = bounded(
            namespaces
                .into_iter()
                .map(|(namespace, names)| self.lookup_in_namespace(target, namespace, names))
                .collect(),
        )
        .await;
        let (mut found, mut listed) = (Vec::new(), Vec::new());
        for lookup in per_namespace {
            let (objects, lookup_markers, lookup_listed) = lookup?;
            found.extend(objects);
            markers.extend(lookup_markers);
            listed.extend(lookup_listed);
        }
        Ok((found, markers, listed))
    }

    /// One namespace's lookups of a kind: a list, else a get per name.
    async fn lookup_in_namespace(
        &self,
        target: &Kind,
        namespace: String,
        names: BTreeSet<String>,
    ) -> Result<Found, Stop> {
        let (group, plural) = (&target.group, &target.plural);
        let listed = self.lookup_list(target, Some(&namespace)).await?;
        let mut markers = vec![marker(
            ApiRequest::list(group, plural, Some(&namespace)),
            &listed,
        )];
        let listed = match listed {
            Outcome::Items(items) => {
                let watchable = Listed {
                    selector: None,
                    labels_only: !is_shown_whole(target),
                    kind: target.clone(),
                    namespace: Some(namespace.clone()),
                };
                let wanted = ByNamespace::from([(namespace, names)]);
                return Ok((wanted_items(items, &wanted), markers, vec![watchable]));
            }
            other => other,
        };
        // Not allowed to list: ask for each object by name, a few at a time. The gets' own
        // markers say what is missing; the list only tells how they were looked up.
        markers[0].access = Access::Fallback {
            message: format!("the list was {}: looked up one by one", how(&listed)),
        };
        let namespace_ref = &namespace;
        let gets: Vec<Result<(String, Outcome), Stop>> = bounded(
            names
                .iter()
                .map(|name| async move {
                    Ok((name.clone(), self.get(target, namespace_ref, name).await?))
                })
                .collect(),
        )
        .await;
        let mut found = Vec::new();
        for get in gets {
            let (name, outcome) = get?;
            markers.push(marker(
                ApiRequest::get(group, plural, &namespace, &name),
                &outcome,
            ));
            if let Outcome::Items(items) = outcome {
                found.extend(items);
            }
        }
        Ok((found, markers, Vec::new()))
    }

    /// The plural of each kind in these API versions, from discovery (one request per version),
    /// as kubectl finds it: a CRD may name its plural anything (`octopi`). Where discovery does
    /// not answer, the caller guesses as client-go does.
    async fn plurals<'v>(
        &self,
        api_versions: impl Iterator<Item = &'v str>,
    ) -> std::collections::HashMap<(String, String), String> {
        let versions: BTreeSet<&str> = api_versions.collect();
        let answers = bounded(
            versions
                .into_iter()
                .map(|api_version| async move {
                    let path = if api_version.contains('/') {
                        format!("/apis/{api_version}")
                    } else {
                        format!("/api/{api_version}")
                    };
                    let request = axum::http::Request::get(path).body(Vec::new()).ok()?;
                    self.count_request();
                    let list: Value = self.client.request(request).await.ok()?;
                    Some((api_version.to_string(), list))
                })
                .collect(),
        )
        .await;
        let mut plurals = std::collections::HashMap::new();
        for (api_version, list) in answers.into_iter().flatten() {
            for resource in list["resources"].as_array().into_iter().flatten() {
                let (Some(name), Some(kind)) =
                    (resource["name"].as_str(), resource["kind"].as_str())
                else {
                    continue;
                };
                if !name.contains('/') {
                    plurals.insert((api_version.clone(), kind.to_string()), name.to_string());
                }
            }
        }
        plurals
    }
}
