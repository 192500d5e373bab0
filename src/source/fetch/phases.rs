//! The direct fetch's phases. The async ones only send requests; what to ask next and what
//! the answers mean is decided by the pure functions beside them, which see answers already
//! fetched and nothing else.

use super::{Fetcher, Kind, Listed, Outcome, Scope, Scoped, Stop, bounded, marker, text};
use crate::mesh::catalog::{builtin_crds, snapshot_from_objects};
use crate::mesh::objects::Crd;
use crate::mesh::snapshot::{Access, AccessMarker, ApiRequest, Snapshot};
use serde_json::Value;
use std::collections::BTreeSet;

/// The kinds every mesh has, listed before anything else is known.
fn fixed_kinds() -> [Kind; 3] {
    [
        Kind::new("eventing.knative.dev", "v1", "brokers", "Broker"),
        Kind::new("eventing.knative.dev", "v1", "triggers", "Trigger"),
        Kind::new(
            "messaging.knative.dev",
            "v1",
            "subscriptions",
            "Subscription",
        ),
    ]
}

/// ConfigMap `knative-eventing/config-features`: whether OIDC is on, and the default
/// authorization mode, which decide who may deliver events (`mesh::authorization`).
pub(super) fn features_request() -> (Kind, ApiRequest) {
    use crate::mesh::snapshot::{FEATURES_NAME, FEATURES_NAMESPACE};
    let kind = Kind::new("", "v1", "configmaps", "ConfigMap");
    let request = ApiRequest::get("", "configmaps", FEATURES_NAMESPACE, FEATURES_NAME);
    (kind, request)
}

fn crds_kind() -> Kind {
    Kind::new(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
    )
}

fn crd_list_request() -> ApiRequest {
    ApiRequest::list("apiextensions.k8s.io", "customresourcedefinitions", None)
}

/// What the first round of requests answered.
pub(super) struct Discovered {
    /// The fixed kinds, then event types.
    pub per_kind: Vec<(Kind, Scoped)>,
    pub subscribable_crds: Outcome,
    pub source_crds: Outcome,
    /// None when the scope names its namespaces. A stop here is looked at only once the CRDs'
    /// kinds are listed: those lists are sent whatever the namespace list answered.
    pub namespaces: Result<Option<Outcome>, Stop>,
}

impl Fetcher {
    /// Phase 1: the fixed kinds, event types (negotiating the version), the CRDs that name the
    /// channel and source kinds, and the namespaces, all at once.
    pub(super) async fn discover(&self, scope: &Scope) -> Result<Discovered, Stop> {
        let (fixed, event_types, crds, namespaces) = tokio::join!(
            self.list_fixed_kinds(scope),
            self.event_types(scope),
            self.list_mesh_crds(),
            self.list_namespaces(scope),
        );
        let mut per_kind = fixed?;
        per_kind.push(event_types?);
        let (subscribable_crds, source_crds) = crds?;
        Ok(Discovered {
            per_kind,
            subscribable_crds,
            source_crds,
            namespaces,
        })
    }

    async fn list_fixed_kinds(&self, scope: &Scope) -> Result<Vec<(Kind, Scoped)>, Stop> {
        let lists =
            futures_util::future::join_all(fixed_kinds().into_iter().map(|kind| async move {
                let outcome = self.list_in_scope(&kind, scope, None).await;
                (kind, outcome)
            }))
            .await;
        lists
            .into_iter()
            .map(|(kind, outcome)| Ok((kind, outcome?)))
            .collect()
    }

    /// Event types at the first served version: v1beta2, then v1beta3, then v1beta1.
    async fn event_types(&self, scope: &Scope) -> Result<(Kind, Scoped), Stop> {
        let mut last = None;
        for version in ["v1beta2", "v1beta3", "v1beta1"] {
            let kind = Kind::new("eventing.knative.dev", version, "eventtypes", "EventType");
            let outcomes = self.list_in_scope(&kind, scope, None).await?;
            if outcomes
                .iter()
                .any(|(_, o)| !matches!(o, Outcome::NotFound))
            {
                return Ok((kind, outcomes));
            }
            last = Some((kind, outcomes));
        }
        Ok(last.expect("three versions were tried"))
    }

    /// The channel CRDs and the source CRDs, selected by their labels: only these name mesh
    /// kinds, and a cluster may hold hundreds of others.
    async fn list_mesh_crds(&self) -> Result<(Outcome, Outcome), Stop> {
        let crds = crds_kind();
        let subscribable = self.list(&crds, None, Some("messaging.knative.dev/subscribable=true"));
        let sources = self.list(&crds, None, Some("duck.knative.dev/source=true"));
        let (subscribable, sources) = tokio::join!(subscribable, sources);
        Ok((subscribable?, sources?))
    }

    /// Namespaces are listed only to find where to retry a forbidden cluster-wide list; a
    /// scope that names its namespaces has nothing to retry.
    async fn list_namespaces(&self, scope: &Scope) -> Result<Option<Outcome>, Stop> {
        if scope.namespaces.is_some() {
            return Ok(None);
        }
        let namespaces = Kind::new("", "v1", "namespaces", "Namespace");
        Ok(Some(self.list(&namespaces, None, None).await?))
    }

    /// Each kind in the scope, CONCURRENCY at a time.
    pub(super) async fn list_kinds(
        &self,
        kinds: &[Kind],
        scope: &Scope,
    ) -> Result<Vec<(Kind, Scoped)>, Stop> {
        let lists: Vec<Result<(Kind, Scoped), Stop>> = bounded(
            kinds
                .iter()
                .map(|kind| async move {
                    Ok((kind.clone(), self.list_in_scope(kind, scope, None).await?))
                })
                .collect(),
        )
        .await;
        lists.into_iter().collect()
    }

    /// Phase 2: each kind in each namespace it is to be retried in.
    pub(super) async fn list_per_namespace(
        &self,
        retries: Vec<(Kind, String)>,
        scope: &Scope,
    ) -> Result<Vec<(Kind, String, Outcome)>, Stop> {
        let labels = scope.label_selector.as_deref();
        let retried: Vec<Result<(Kind, String, Outcome), Stop>> = bounded(
            retries
                .into_iter()
                .map(|(kind, ns)| async move {
                    let outcome = self.list(&kind, Some(&ns), labels).await?;
                    Ok((kind, ns, outcome))
                })
                .collect(),
        )
        .await;
        retried.into_iter().collect()
    }
}

/// The CRDs that name channel and source kinds, and what reading them told.
#[derive(Default)]
pub(super) struct CrdCatalog {
    pub crds: Vec<Crd>,
    /// The CRDs as read, for the snapshot.
    pub objects: Vec<Value>,
    pub markers: Vec<AccessMarker>,
    pub notes: Vec<String>,
}

/// The channel and source kinds, from their CRDs, or the built-in ones when CRDs may not be
/// listed (as `kn source list` falls back).
pub(super) fn catalog_crds(subscribable: Outcome, sources: Outcome) -> CrdCatalog {
    let mut catalog = CrdCatalog {
        markers: crd_list_markers(&subscribable, &sources),
        ..CrdCatalog::default()
    };
    let mut fallback = false;
    for outcome in [subscribable, sources] {
        match outcome {
            Outcome::Items(items) => catalog.add(items),
            _ => fallback = true,
        }
    }
    if fallback {
        catalog.fall_back_to_builtin();
    }
    catalog
}

/// One marker per distinct outcome of the two label-selected lists: a source list that failed
/// must count even when the channel list was allowed.
fn crd_list_markers(subscribable: &Outcome, sources: &Outcome) -> Vec<AccessMarker> {
    let mut markers: Vec<AccessMarker> = Vec::new();
    for outcome in [subscribable, sources] {
        let marker = marker(crd_list_request(), outcome);
        if !markers.contains(&marker) {
            markers.push(marker);
        }
    }
    markers
}

impl CrdCatalog {
    /// A CRD both lists return (a source that is also subscribable) is kept once.
    fn add(&mut self, items: Vec<Value>) {
        for item in items {
            match crate::mesh::catalog::convert::<Crd>(0, item.clone()) {
                Ok(crd) if !self.has(&crd) => {
                    self.crds.push(crd);
                    self.objects.push(item);
                }
                Ok(_) => {}
                // Its kind's objects cannot be listed: say which CRD, and why.
                Err(error) => self.markers.push(error.marker(&[])),
            }
        }
    }

    /// The denied or failed list stays one marker, which says what was used instead: listing
    /// the denial and a fallback separately told one fact twice.
    fn fall_back_to_builtin(&mut self) {
        self.notes.push("CustomResourceDefinitions could not be listed: channel and source kinds are the built-in Knative ones, and custom kinds may be missing".into());
        for marker in &mut self.markers {
            if let Access::Forbidden { message } | Access::Failed { message } = &mut marker.access {
                message.push_str(" (kn-mesh uses the built-in Knative channel and source kinds)");
            }
        }
        for crd in builtin_crds() {
            if !self.has(crd) {
                self.crds.push(crd.clone());
            }
        }
    }

    fn has(&self, crd: &Crd) -> bool {
        self.crds.iter().any(|c| c.name() == crd.name())
    }
}

/// The kinds the CRDs name that are part of the mesh, at their served version.
pub(super) fn listable_kinds(crds: &[Crd]) -> Vec<Kind> {
    crds.iter()
        .filter(|crd| crd.is_subscribable() || crd.is_source())
        .filter_map(Kind::from_crd)
        .collect()
}

/// Flows, sinks, transforms, RequestReplies and EventPolicies, at their served versions.
pub(super) fn component_kinds() -> Vec<Kind> {
    crate::mesh::components::KNOWN_COMPONENTS
        .iter()
        .map(|(group, kind, plural, version, _)| Kind::new(group, version, plural, kind))
        .collect()
}

fn is_component(kind: &Kind) -> bool {
    crate::mesh::components::ComponentKind::of_resource(&kind.group, &kind.plural).is_some()
}

/// A list of a flow or sink kind that answers 404 means the kind is not installed (no Kafka,
/// an older Knative): there is nothing of it to show, and nothing missing.
pub(super) fn drop_uninstalled_components(per_kind: &mut Vec<(Kind, Scoped)>) {
    per_kind.retain(|(kind, outcomes)| {
        !(is_component(kind) && outcomes.iter().all(|(_, o)| matches!(o, Outcome::NotFound)))
    });
}

/// (group, kind) of the flow and sink kinds read whole: listed at the cluster scope, every list
/// allowed, nothing left out by a label selector. Only then is an object of the kind that is
/// not in hand truly absent; under `-n` or `-l` a reference to one is looked up.
pub(super) fn whole_components(
    per_kind: &[(Kind, Scoped)],
    scope: &Scope,
) -> Vec<(String, String)> {
    if scope.namespaces.is_some() || scope.label_selector.is_some() {
        return Vec::new();
    }
    per_kind
        .iter()
        .filter(|(kind, outcomes)| {
            is_component(kind) && outcomes.iter().all(|(_, o)| matches!(o, Outcome::Items(_)))
        })
        .map(|(kind, _)| (kind.group.clone(), kind.kind.clone()))
        .collect()
}

/// Namespaces we know of, for retrying forbidden cluster-wide lists one by one: the scope's,
/// the kubeconfig's, the listed ones and those any listed object is in.
pub(super) fn known_namespaces(
    scope: &Scope,
    namespace_list: Option<&Outcome>,
    per_kind: &[(Kind, Scoped)],
) -> BTreeSet<String> {
    let mut known: BTreeSet<String> = scope.namespaces.iter().flatten().cloned().collect();
    known.extend(scope.default_namespace.iter().cloned());
    let listed = namespace_list.map(Outcome::items).unwrap_or_default();
    known.extend(listed.iter().map(|n| text(n, "/metadata/name").to_string()));
    let found = per_kind
        .iter()
        .flat_map(|(_, outcomes)| outcomes)
        .flat_map(|(_, outcome)| outcome.items());
    known.extend(
        found
            .map(|o| text(o, "/metadata/namespace").to_string())
            .filter(|n| !n.is_empty()),
    );
    known
}

/// Namespaces only guide the per-namespace retries: a mesh list denied cluster-wide is marked
/// itself, so a namespace list that is not allowed hides nothing more and is a fallback. One
/// that failed stays a failure: the empty namespaces it would have shown are missing, and a
/// later read that lists them would differ from this one.
pub(super) fn namespace_marker(outcome: &Outcome) -> AccessMarker {
    let mut namespace_marker = marker(ApiRequest::list("", "namespaces", None), outcome);
    if let Access::Forbidden { message } = &namespace_marker.access {
        namespace_marker.access = Access::Fallback {
            message: format!(
                "namespaces are learned from the objects, the kubeconfig and -n ({message})"
            ),
        };
    }
    namespace_marker
}

/// What a face says of a namespace `-n` named that does not exist.
pub fn missing_namespace_note(namespace: &str) -> String {
    format!(
        "namespace {:?} does not exist (named with -n)",
        crate::text::escape(namespace)
    )
}

/// Every kind whose cluster-wide list was forbidden, in each known namespace.
pub(super) fn forbidden_retries(
    per_kind: &[(Kind, Scoped)],
    known: &BTreeSet<String>,
) -> Vec<(Kind, String)> {
    let mut retries = Vec::new();
    for (kind, outcomes) in per_kind {
        for (namespace, outcome) in outcomes {
            if namespace.is_none() && matches!(outcome, Outcome::Forbidden(_)) {
                for ns in known {
                    retries.push((kind.clone(), ns.clone()));
                }
            }
        }
    }
    retries
}

/// Each retry's outcome joins its kind's, after the cluster-wide one it stands in for.
pub(super) fn merge_retries(
    per_kind: &mut [(Kind, Scoped)],
    retried: Vec<(Kind, String, Outcome)>,
) {
    for (kind, ns, outcome) in retried {
        if let Some((_, outcomes)) = per_kind.iter_mut().find(|(k, _)| *k == kind) {
            outcomes.push((Some(ns), outcome));
        }
    }
    // Retries screened out by rules and retries made arrive apart: namespaces in order, after
    // the cluster-wide outcome they stand in for (None sorts first).
    for (_, outcomes) in per_kind.iter_mut() {
        outcomes.sort_by(|(a, _), (b, _)| a.cmp(b));
    }
}

/// What the lists add to the snapshot.
pub(super) struct Lists {
    /// One per list, allowed or not.
    pub markers: Vec<AccessMarker>,
    pub objects: Vec<Value>,
    /// The lists that succeeded, for live updates to watch.
    pub listed: Vec<Listed>,
}

pub(super) fn record_lists(per_kind: Vec<(Kind, Scoped)>, selector: Option<&str>) -> Lists {
    let mut lists = Lists {
        markers: Vec::new(),
        objects: Vec::new(),
        listed: Vec::new(),
    };
    for (kind, outcomes) in per_kind {
        for (namespace, outcome) in outcomes {
            lists.markers.push(marker(
                ApiRequest::list(&kind.group, &kind.plural, namespace.as_deref()),
                &outcome,
            ));
            if let Outcome::Items(items) = outcome {
                lists.objects.extend(items);
                lists.listed.push(Listed {
                    labels_only: false,
                    kind: kind.clone(),
                    namespace,
                    selector: selector.map(str::to_string),
                });
            }
        }
    }
    lists
}

/// The snapshot of everything fetched. CRDs came only from the label-selected lists; the
/// built-in ones fill in the rest. An object that cannot be decoded becomes a marker of its
/// own, after the fetch's, costing only itself.
pub(super) fn assemble(
    objects: Vec<Value>,
    mut markers: Vec<AccessMarker>,
    namespaces: BTreeSet<String>,
    notes: Vec<String>,
) -> Snapshot {
    let mut snapshot = snapshot_from_objects(objects);
    markers.append(&mut snapshot.access);
    snapshot.namespaces.extend(namespaces);
    snapshot.namespaces.sort();
    snapshot.namespaces.dedup();
    snapshot.access = markers;
    snapshot.notes.extend(notes);
    snapshot
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn brokers() -> Kind {
        fixed_kinds()[0].clone()
    }

    fn triggers() -> Kind {
        fixed_kinds()[1].clone()
    }

    fn in_namespace(namespace: &str) -> Value {
        json!({"metadata": {"name": "x", "namespace": namespace}})
    }

    fn namespaces(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn only_a_forbidden_cluster_wide_list_is_retried_in_each_known_namespace() {
        let per_kind = vec![
            (brokers(), vec![(None, Outcome::Forbidden("no".into()))]),
            (
                triggers(),
                vec![(Some("a".into()), Outcome::Forbidden("no".into()))],
            ),
        ];
        let retries = forbidden_retries(&per_kind, &namespaces(&["a", "b"]));
        assert_eq!(
            retries,
            vec![(brokers(), "a".to_string()), (brokers(), "b".to_string())]
        );
    }

    #[test]
    fn retries_follow_the_cluster_wide_outcome_of_their_kind() {
        let mut per_kind = vec![
            (brokers(), vec![(None, Outcome::Forbidden("no".into()))]),
            (triggers(), vec![(None, Outcome::Items(Vec::new()))]),
        ];
        merge_retries(
            &mut per_kind,
            vec![(brokers(), "a".into(), Outcome::NotFound)],
        );
        let namespaces: Vec<Option<&str>> =
            per_kind[0].1.iter().map(|(ns, _)| ns.as_deref()).collect();
        assert_eq!(namespaces, vec![None, Some("a")]);
        assert_eq!(per_kind[1].1.len(), 1);
    }

    #[test]
    fn known_namespaces_come_from_the_scope_the_list_and_the_objects() {
        let scope = Scope {
            namespaces: None,
            default_namespace: Some("home".into()),
            label_selector: None,
            eventmesh_only: false,
        };
        let listed = Outcome::Items(vec![json!({"metadata": {"name": "listed"}})]);
        let per_kind = vec![(
            brokers(),
            vec![(
                None,
                Outcome::Items(vec![in_namespace("found"), in_namespace("")]),
            )],
        )];
        let known = known_namespaces(&scope, Some(&listed), &per_kind);
        assert_eq!(known, namespaces(&["found", "home", "listed"]));
    }

    #[test]
    fn a_crd_list_not_allowed_falls_back_to_the_builtin_kinds_and_says_so() {
        let catalog = catalog_crds(Outcome::Items(Vec::new()), Outcome::Forbidden("no".into()));
        let accesses: Vec<&Access> = catalog.markers.iter().map(|m| &m.access).collect();
        assert!(matches!(
            accesses.as_slice(),
            [Access::Allowed, Access::Forbidden { message }] if message.contains("built-in Knative")
        ));
        assert_eq!(catalog.crds.len(), builtin_crds().len());
        assert!(catalog.objects.is_empty());
        assert_eq!(catalog.notes.len(), 1);
    }

    #[test]
    fn two_crd_lists_with_one_outcome_make_one_marker() {
        let catalog = catalog_crds(Outcome::Items(Vec::new()), Outcome::Items(Vec::new()));
        assert_eq!(catalog.markers.len(), 1);
        assert!(catalog.crds.is_empty() && catalog.notes.is_empty());
    }
}
