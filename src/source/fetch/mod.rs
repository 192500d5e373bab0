//! The direct fetcher: everything the mesh needs, read from the API server with the caller's
//! token, concurrently, page by page. A 403 is data (an access marker), never an error: a
//! cluster-wide list that is forbidden is retried per namespace, and each namespace's outcome
//! is kept. Only a rejected token (401) or an unreachable server stops the fetch.

use crate::mesh::objects::Crd;
use crate::mesh::snapshot::{Access, AccessMarker, ApiRequest, Snapshot};
use crate::source::connect::Endpoint;
use futures_util::stream::{self, StreamExt};
use kube::api::{DynamicObject, GetParams, ListParams};
use kube::core::{ApiResource, ObjectList, Resource};
use serde_json::Value;
use std::time::Duration;

mod base;
mod events;
pub use events::{EventLine, Events};
mod phases;
mod polite;
mod rules;
pub use base::{Base, Change};
pub use rules::{Rules, RulesAnswer};
mod subscribers;

/// Requests in flight at once.
const CONCURRENCY: usize = 16;
/// Page size, as `kubectl get` uses.
const PAGE: u32 = 500;
/// Tries for a request that failed on the network or with a 5xx.
const TRIES: u32 = 4;
/// The Accept header for a list of metadata only, as kube-apiserver and controller-runtime's
/// metadata informers spell it.
/// Plain JSON after it, as client-go sends: a server that cannot answer in metadata form (an
/// aggregated API) answers the objects instead of 406.
const METADATA_LIST: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/// An item of a list with its own type: lists of built-in kinds leave it out, and a metadata
/// list says PartialObjectMetadata.
fn typed(mut item: Value, kind: &Kind, metadata_only: bool) -> Value {
    let api_version = kind.api_resource().api_version;
    if let Some(object) = item.as_object_mut() {
        if metadata_only {
            object.insert("apiVersion".into(), Value::from(api_version));
            object.insert("kind".into(), Value::from(kind.kind.clone()));
        } else {
            object
                .entry("apiVersion")
                .or_insert_with(|| Value::from(api_version));
            object
                .entry("kind")
                .or_insert_with(|| Value::from(kind.kind.clone()));
        }
    }
    item
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("token rejected: {endpoint} answered 401 Unauthorized. {hint}")]
    TokenRejected { endpoint: String, hint: String },
    #[error("cannot reach the API server {server}: {message}")]
    Unreachable { server: String, message: String },
    #[error(
        "--as is refused: {message}. Acting as someone else needs the impersonate verb on \
         them: a ClusterRole (or Role, for a ServiceAccount's namespace) rule with verbs \
         [impersonate] on resources users, groups or serviceaccounts"
    )]
    ImpersonationRefused { message: String },
}

/// Why a server may reject a token, when nothing more is known about it.
pub const REJECTED_HINT: &str =
    "The token is unknown to this server, expired, revoked, or meant for another audience.";

/// An error with its causes, "outer: inner: innermost", since kube-rs's own messages alone
/// ("client error (Connect)") do not say what went wrong. The client library's wrappers, which
/// name its internals rather than the problem, are left out, and a TLS failure gets a hint.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(cause) = source {
        let text = plain_cause(&cause.to_string());
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    let mut text = parts.join(": ");
    if text.contains("UnknownIssuer") || text.contains("unknown issuer") {
        text.push_str(
            ". The server's certificate is signed by a CA kn-mesh does not trust: pass \
             --certificate-authority FILE, or give the kubeconfig's cluster its \
             certificate-authority(-data)",
        );
    }
    text
}

/// One cause's text without the client library's own vocabulary: "ServiceError: " and
/// "client error (Connect)" say where in hyper it failed, "(os error 111)" repeats the errno.
fn plain_cause(text: &str) -> String {
    let text = text.strip_prefix("ServiceError: ").unwrap_or(text);
    if text.starts_with("client error (") && text.ends_with(')') {
        return String::new();
    }
    match text.find(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_string(),
        _ => text.to_string(),
    }
}

/// Which namespaces to read: all of them, or the listed ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub namespaces: Option<Vec<String>>,
    /// A namespace known from the configuration (the kubeconfig's), used when a cluster-wide
    /// list is forbidden.
    pub default_namespace: Option<String>,
    /// `-l`: only mesh objects with these labels, selected by the server (kubectl's syntax).
    pub label_selector: Option<String>,
    /// Read only what the eventmesh backend reads (`serve`, `-o eventmesh`): no flows, sinks
    /// or policies, whose denial would fail an answer the backend gives.
    pub eventmesh_only: bool,
}

/// A resource to list: group, version, plural and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub kind: String,
}

/// A list that succeeded: what live updates can watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub kind: Kind,
    /// None: cluster-wide.
    pub namespace: Option<String>,
    /// A subscriber kind: its watch only keeps known objects' labels current (the rest of
    /// the kind is not the mesh's), and a forbidden watch only means labels wait for a fetch.
    pub labels_only: bool,
    /// `-l`: the label selector the list was made with, which its watch keeps.
    pub selector: Option<String>,
}

impl Kind {
    /// "brokers.eventing.knative.dev", as RBAC and kubectl name it.
    fn group_resource(&self) -> crate::k8s::GroupResource {
        crate::k8s::GroupResource::new(&self.group, &self.plural)
    }

    fn new(group: &str, version: &str, plural: &str, kind: &str) -> Self {
        Self {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
            kind: kind.into(),
        }
    }

    fn from_crd(crd: &Crd) -> Option<Self> {
        Some(Self::new(
            &crd.spec.group,
            crd.served_version()?,
            &crd.spec.names.plural,
            &crd.spec.names.kind,
        ))
    }

    pub fn api_resource(&self) -> ApiResource {
        let api_version = if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        };
        ApiResource {
            group: self.group.clone(),
            version: self.version.clone(),
            api_version,
            kind: self.kind.clone(),
            plural: self.plural.clone(),
        }
    }

    fn url(&self, namespace: Option<&str>) -> String {
        DynamicObject::url_path(&self.api_resource(), namespace)
    }
}

/// Runs futures with at most CONCURRENCY in flight, keeping their order. The futures are made
/// up front: built lazily inside a stream, they would borrow in a way `tokio::spawn` rejects.
async fn bounded<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    stream::iter(futures).buffered(CONCURRENCY).collect().await
}

/// The outcome of listing a kind, per namespace (None: cluster-wide).
type Scoped = Vec<(Option<String>, Outcome)>;

/// What a server said to one request.
enum Answer {
    Value(Vec<u8>),
    Status(u16, String),
    /// 429: wait this long, then ask again.
    Throttled(Duration, String),
    Unreachable(String),
}

/// How many times a request may be told to wait (429) before it counts as failed.
const THROTTLED_TRIES: u32 = 8;

/// What became of one list or get.
enum Outcome {
    Items(Vec<Value>),
    Forbidden(String),
    NotFound,
    Failed(String),
}

impl Outcome {
    fn items(&self) -> &[Value] {
        match self {
            Outcome::Items(items) => items,
            _ => &[],
        }
    }
}

/// Fatal for the whole fetch.
enum Stop {
    Rejected,
    Unreachable(String),
    /// `--as` that the caller may not use: every request would be refused.
    ImpersonationRefused(String),
}

pub struct Fetcher {
    client: kube::Client,
    endpoint: Endpoint,
    /// Requests in flight, lowered while the server answers 429.
    throttle: polite::Throttle,
    /// Requests made so far, for `serve`'s metrics.
    requests: std::sync::atomic::AtomicU64,
    /// Each namespace's SelfSubjectRulesReview, once asked.
    rules: std::sync::Mutex<std::collections::HashMap<String, rules::RulesAnswer>>,
    /// The bearer token the client presents, kept only to scrub it from what the server says.
    secret: Option<secrecy::SecretString>,
    /// `--timeout`: how long one request may wait for its answer.
    timeout: Option<Duration>,
}

fn marker(request: ApiRequest, outcome: &Outcome) -> AccessMarker {
    let access = match outcome {
        Outcome::Items(_) => Access::Allowed,
        Outcome::Forbidden(message) => Access::Forbidden {
            message: message.clone(),
        },
        Outcome::NotFound => Access::NotFound,
        Outcome::Failed(message) => Access::Failed {
            message: message.clone(),
        },
    };
    AccessMarker::new(request, access)
}

/// A URL path segment with everything but RFC 3986's unreserved characters %-encoded.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

impl Fetcher {
    pub fn new(client: kube::Client, endpoint: Endpoint) -> Self {
        Self {
            client,
            endpoint,
            rules: Default::default(),
            throttle: Default::default(),
            requests: Default::default(),
            secret: None,
            timeout: None,
        }
    }

    /// How long each request may wait for its whole answer (`--timeout`); none by default.
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs a request's future within the timeout, if there is one.
    async fn timed<T>(&self, future: impl std::future::Future<Output = T>) -> Result<T, String> {
        match self.timeout {
            None => Ok(future.await),
            Some(limit) => tokio::time::timeout(limit, future)
                .await
                .map_err(|_| format!("no answer within {}s (--timeout)", limit.as_secs_f64())),
        }
    }

    /// The token the client presents: any text from the server is scrubbed of it before it is
    /// kept in a marker or an error, since a server or proxy may echo it back.
    pub fn with_secret(mut self, token: Option<&str>) -> Self {
        self.secret = token.map(|t| t.to_string().into());
        self
    }

    /// Text from the server, without the token in it.
    pub fn scrub(&self, text: &str) -> String {
        use secrecy::ExposeSecret;
        crate::text::scrub(text, self.secret.as_ref().map(|s| s.expose_secret()))
    }

    fn stop(&self, stop: Stop) -> FetchError {
        match stop {
            Stop::Rejected => FetchError::TokenRejected {
                endpoint: self.endpoint.to_string(),
                hint: REJECTED_HINT.into(),
            },
            Stop::Unreachable(message) => FetchError::Unreachable {
                server: self.endpoint.server.clone(),
                message: self.scrub(&message),
            },
            Stop::ImpersonationRefused(message) => FetchError::ImpersonationRefused {
                message: self.scrub(&message),
            },
        }
    }

    /// Sends one request, retrying network errors and 5xx with backoff.
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: axum::http::Request<Vec<u8>>,
    ) -> Result<Result<T, Outcome>, Stop> {
        let mut delay = Duration::from_millis(100);
        let (mut attempt, mut throttled) = (0, 0);
        loop {
            let answer = {
                let turn = self.throttle.permit().await;
                let answer = self.answer(request.clone()).await;
                self.throttle.release(turn);
                answer
            };
            let retry_message = match answer {
                Answer::Value(bytes) => {
                    self.throttle.succeeded();
                    return Ok(serde_json::from_slice::<T>(&bytes).map_err(|e| {
                        Outcome::Failed(format!("the answer could not be read: {e}"))
                    }));
                }
                Answer::Status(401, _) => return Err(Stop::Rejected),
                Answer::Status(403, message) => return Ok(Err(Outcome::Forbidden(message))),
                Answer::Status(404, _) => return Ok(Err(Outcome::NotFound)),
                Answer::Throttled(wait, _) if throttled < THROTTLED_TRIES => {
                    // Waiting as told is not a failed try: APF asks every client to wait.
                    throttled += 1;
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Answer::Throttled(_, message) => message,
                Answer::Status(code, message) if code >= 500 => message,
                Answer::Status(_, message) => return Ok(Err(Outcome::Failed(message))),
                Answer::Unreachable(message) => message,
            };
            attempt += 1;
            if attempt == TRIES {
                return Ok(Err(Outcome::Failed(format!(
                    "after {TRIES} tries: {retry_message}"
                ))));
            }
            tokio::time::sleep(delay).await;
            delay *= 3;
        }
    }

    /// One request's answer: its body on success, else its status and what the server said
    /// (scrubbed of the token).
    async fn answer(&self, request: axum::http::Request<Vec<u8>>) -> Answer {
        use http_body_util::BodyExt;
        self.count_request();
        let exchange = async {
            let response = self
                .client
                .send(request.map(kube::client::Body::from))
                .await
                .map_err(|error| with_causes(&error))?;
            let (parts, body) = response.into_parts();
            let bytes = body.collect().await.map_err(|error| with_causes(&error))?;
            Ok::<_, String>((parts, bytes.to_bytes()))
        };
        let (parts, bytes) = match self.timed(exchange).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(message)) | Err(message) => return Answer::Unreachable(self.scrub(&message)),
        };
        if parts.status.is_success() {
            return Answer::Value(bytes.to_vec());
        }
        let code = parts.status.as_u16();
        let status: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let message = self.scrub(status["message"].as_str().unwrap_or_default());
        if code == 401 || code == 403 || code == 404 {
            return Answer::Status(code, message);
        }
        let reason = status["reason"]
            .as_str()
            .or(parts.status.canonical_reason())
            .unwrap_or("");
        let described = self.scrub(&format!("{code} {reason}: {message}"));
        if code == 429 {
            return Answer::Throttled(self.throttle.throttled(&parts.headers), described);
        }
        Answer::Status(code, described)
    }

    /// Lists every page of a resource in one namespace, or in all (None).
    async fn list(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        labels: Option<&str>,
    ) -> Result<Outcome, Stop> {
        self.list_pages(kind, namespace, labels, false).await
    }

    /// The same, metadata only (a PartialObjectMetadataList, as metadata informers read): for
    /// subscribers, whose labels and existence are all kn-mesh needs.
    async fn list_metadata(&self, kind: &Kind, namespace: Option<&str>) -> Result<Outcome, Stop> {
        self.list_pages(kind, namespace, None, true).await
    }

    async fn list_pages(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        labels: Option<&str>,
        metadata_only: bool,
    ) -> Result<Outcome, Stop> {
        let url = kind.url(namespace);
        let mut params = ListParams::default().limit(PAGE);
        if let Some(labels) = labels {
            params = params.labels(labels);
        }
        let mut items = Vec::new();
        loop {
            let mut request = kube::core::Request::new(&url)
                .list(&params)
                .map_err(|e| Stop::Unreachable(e.to_string()))?;
            if metadata_only {
                request.headers_mut().insert(
                    axum::http::header::ACCEPT,
                    METADATA_LIST
                        .parse()
                        .map_err(|_| Stop::Unreachable("accept header".into()))?,
                );
            }
            let page: ObjectList<Value> = match self.send(request).await? {
                Ok(page) => page,
                Err(outcome) => return Ok(outcome),
            };
            items.extend(
                page.items
                    .into_iter()
                    .map(|item| typed(item, kind, metadata_only)),
            );
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(token) => params = params.continue_token(&token),
                None => return Ok(Outcome::Items(items)),
            }
        }
    }

    async fn get(&self, kind: &Kind, namespace: &str, name: &str) -> Result<Outcome, Stop> {
        self.get_in(kind, Some(namespace), name).await
    }

    /// A get in a namespace, or of a cluster-scoped object (None).
    async fn get_in(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Outcome, Stop> {
        // Names come from references in objects, which anyone may write: `<sink-name>` is a
        // name no object has, not a reason to stop. Each path segment is %-encoded.
        let namespace = namespace.map(encode_segment);
        let request = kube::core::Request::new(kind.url(namespace.as_deref()))
            .get(&encode_segment(name), &GetParams::default())
            .map_err(|e| Stop::Unreachable(e.to_string()))?;
        Ok(match self.send::<Value>(request).await? {
            Ok(object) => Outcome::Items(vec![object]),
            Err(outcome) => outcome,
        })
    }

    /// Lists a kind in the scope: cluster-wide, or in each listed namespace.
    async fn list_in_scope(
        &self,
        kind: &Kind,
        scope: &Scope,
        labels: Option<&str>,
    ) -> Result<Scoped, Stop> {
        let labels = labels.or(scope.label_selector.as_deref());
        match &scope.namespaces {
            None => Ok(vec![(None, self.list(kind, None, labels).await?)]),
            Some(namespaces) => {
                let outcomes: Vec<Result<(Option<String>, Outcome), Stop>> = bounded(
                    namespaces
                        .iter()
                        .map(|ns| async move {
                            Ok((Some(ns.clone()), self.list(kind, Some(ns), labels).await?))
                        })
                        .collect(),
                )
                .await;
                outcomes.into_iter().collect()
            }
        }
    }

    /// Fetches everything the mesh needs.
    pub async fn fetch(&self, scope: &Scope) -> Result<Snapshot, FetchError> {
        Ok(self.fetch_listed(scope).await?.0)
    }

    /// Fetches everything, and says which lists succeeded (what live updates watch).
    pub async fn fetch_listed(&self, scope: &Scope) -> Result<(Snapshot, Vec<Listed>), FetchError> {
        let (base, listed) = self.fetch_base(scope).await?;
        Ok((base.into_snapshot(), listed))
    }

    /// Fetches everything and keeps what was read, for watch events to update in place.
    pub async fn fetch_base(&self, scope: &Scope) -> Result<(Base, Vec<Listed>), FetchError> {
        self.fetch_inner(scope)
            .await
            .map_err(|stop| self.stop(stop))
    }

    /// One cheap request first: a rejected token or an unreachable (or stalled) server is told
    /// apart from everything else before dozens of requests fail the same way.
    pub async fn probe(&self) -> Result<(), FetchError> {
        self.check_reachable().await.map_err(|stop| self.stop(stop))
    }

    fn count_request(&self) {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// POSTs a JSON body (an access or rules review) the way every request here is sent:
    /// retried on 5xx, waited out on 429, scrubbed. Ok(Err(why)) is an answer that is not one.
    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<Result<Value, String>, FetchError> {
        self.post(path, body).await.map_err(|stop| self.stop(stop))
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Result<Value, String>, Stop> {
        let request = axum::http::Request::post(path)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap_or_default())
            .map_err(|e| Stop::Unreachable(e.to_string()))?;
        Ok(self
            .send::<Value>(request)
            .await?
            .map_err(|outcome| match outcome {
                Outcome::Forbidden(message) => format!("403 Forbidden: {message}"),
                Outcome::NotFound => "404 Not Found".into(),
                Outcome::Failed(message) => message,
                Outcome::Items(_) => String::new(),
            }))
    }

    /// Requests this fetcher has made (watches aside).
    pub fn requests_made(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn check_reachable(&self) -> Result<(), Stop> {
        self.count_request();
        let version = self
            .timed(self.client.apiserver_version())
            .await
            .map_err(Stop::Unreachable)?;
        match version {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 401 => Err(Stop::Rejected),
            Err(kube::Error::Api(status))
                if status.code == 403 && status.message.contains("cannot impersonate") =>
            {
                Err(Stop::ImpersonationRefused(status.message.clone()))
            }
            Err(kube::Error::Api(_)) => Ok(()),
            Err(other) => Err(Stop::Unreachable(with_causes(&other))),
        }
    }

    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// For each namespace `-n` named that nothing was found in, what asking for it by name
    /// gave: not found (it does not exist), or forbidden or failed, which leaves it unknown
    /// and is marked as such, so an empty answer never looks whole. One that exists is no
    /// marker. (With -n the namespaces are not listed, so they are asked for by name.)
    async fn unseen_namespaces(
        &self,
        scope: &Scope,
        objects: &[Value],
    ) -> Result<Vec<AccessMarker>, Stop> {
        let Some(named) = &scope.namespaces else {
            return Ok(Vec::new());
        };
        let unseen = named.iter().filter(|namespace| {
            !objects
                .iter()
                .any(|o| text(o, "/metadata/namespace") == namespace.as_str())
        });
        let kind = Kind {
            group: String::new(),
            version: "v1".into(),
            plural: "namespaces".into(),
            kind: "Namespace".into(),
        };
        let mut markers = Vec::new();
        for namespace in unseen {
            let outcome = self.get_in(&kind, None, namespace).await?;
            if !matches!(outcome, Outcome::Items(_)) {
                let request = ApiRequest::get_cluster_scoped("", "namespaces", namespace);
                markers.push(marker(request, &outcome));
            }
        }
        Ok(markers)
    }

    /// The phases in order, each asking what the answers before it say to ask: the CRDs name
    /// the kinds to list, and the lists name the namespaces a forbidden list is retried in.
    async fn fetch_inner(&self, scope: &Scope) -> Result<(Base, Vec<Listed>), Stop> {
        // RBAC may have changed since the last fetch (the reason to press r): rules are asked
        // again, and the throttling note tells of this fetch only.
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.throttle.begin();
        self.check_reachable().await?;
        let discovered = self.discover(scope).await?;
        let catalog = phases::catalog_crds(discovered.subscribable_crds, discovered.source_crds);
        let mut per_kind = discovered.per_kind;
        let mut kinds = phases::listable_kinds(&catalog.crds);
        if !scope.eventmesh_only {
            kinds.extend(phases::component_kinds());
        }
        let mut listed_kinds = self.list_kinds(&kinds, scope).await?;
        phases::drop_uninstalled_components(&mut listed_kinds);
        per_kind.extend(listed_kinds);
        let namespace_list = discovered.namespaces?;
        let known = phases::known_namespaces(scope, namespace_list.as_ref(), &per_kind);
        // Lists denied at the cluster scope are retried per namespace, where the namespace's
        // RBAC rules allow them: one review per namespace instead of one list per kind.
        let retries = phases::forbidden_retries(&per_kind, &known);
        let asked: std::collections::BTreeSet<String> =
            retries.iter().map(|(_, ns)| ns.clone()).collect();
        let answers = self.rules_answers(asked).await?;
        let rules = answers.into_iter().map(|(ns, a)| (ns, a.rules())).collect();
        let (retries, mut denied) = rules::screen(retries, &rules);
        denied.extend(self.list_per_namespace(retries, scope).await?);
        phases::merge_retries(&mut per_kind, denied);

        let mut markers = catalog.markers;
        let mut objects = catalog.objects;
        // The eventmesh backend reads no feature flags: serving its answer asks no more.
        if !scope.eventmesh_only {
            let (kind, request) = phases::features_request();
            use crate::mesh::snapshot::{FEATURES_NAME, FEATURES_NAMESPACE};
            let outcome = self.get(&kind, FEATURES_NAMESPACE, FEATURES_NAME).await?;
            markers.push(marker(request, &outcome));
            objects.extend(
                outcome
                    .items()
                    .iter()
                    .map(|o| typed(o.clone(), &kind, false)),
            );
        }
        if let Some(outcome) = &namespace_list {
            objects.extend(outcome.items().iter().cloned());
            markers.push(phases::namespace_marker(outcome));
        }
        let whole_components = phases::whole_components(&per_kind, scope);
        let lists = phases::record_lists(per_kind, scope.label_selector.as_deref());
        markers.extend(lists.markers);
        objects.extend(lists.objects);

        // Phase 3: the objects subscribers, replies and sinks point at, for their labels.
        let deep = !scope.eventmesh_only;
        let (subscribers, subscriber_markers, subscriber_lists) = self
            .subscribers(&objects, &catalog.crds, &whole_components, deep)
            .await?;
        objects.extend(subscribers);
        markers.extend(subscriber_markers);
        let mut listed = lists.listed;
        listed.extend(subscriber_lists);
        let mut notes = catalog.notes;
        for unseen in self.unseen_namespaces(scope, &objects).await? {
            if let (Access::NotFound, Some(name)) = (&unseen.access, &unseen.request.name) {
                notes.push(phases::missing_namespace_note(name));
            }
            markers.push(unseen);
        }
        notes.extend(self.throttle.note());
        let base = Base::new(objects, markers, known, notes, catalog.crds)
            .with_whole_kinds(whole_components, deep);
        Ok((base, listed))
    }
}
