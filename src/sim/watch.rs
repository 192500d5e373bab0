//! Watches: the current objects as ADDED events, or the changes since a resourceVersion, then
//! live events, as a chunked stream of JSON lines.
#![deny(clippy::indexing_slicing)]

use super::resources::ResourceDef;
use super::state::{ResourcePath, SimState};
use super::status::{self, ApiError};
use super::store::{self, Event, Selectors, Store};
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;

/// `?watch=1`: newline-delimited events. From a resourceVersion, the remembered changes after
/// it, then live ones; without one, the current objects as ADDED first. A version older than
/// the remembered history gets an ERROR event with a 410 Status, as kube-apiserver sends it.
pub(super) fn watch(
    state: &SimState,
    def: &ResourceDef,
    path: &ResourcePath,
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let filter = WatchFilter {
        group: def.group.clone(),
        plural: def.plural.clone(),
        namespace: path.namespace.clone(),
        selectors: Selectors::from_query(query)?,
    };
    let timeout = watch_timeout(query);
    // Subscribing under the same read lock as the first events are taken means no change
    // falls between the two.
    let (receiver, start) = {
        let store = state.store.read().unwrap_or_else(|e| e.into_inner());
        let receiver = store.subscribe();
        (receiver, watch_start(&store, def, path, query, &filter)?)
    };
    let deadline = Instant::now() + timeout;
    let initial = stream::iter(start.events.into_iter().map(line));
    let live = live_events(
        receiver,
        start.live_after,
        deadline,
        filter,
        def.clone(),
        path.version.clone(),
    );
    let body = Body::from_stream(initial.chain(live).map(Ok::<_, std::convert::Infallible>));
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// `timeoutSeconds`, at most an hour; half an hour when absent or unreadable.
fn watch_timeout(query: &HashMap<String, String>) -> Duration {
    let seconds = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(1800)
        .min(3600);
    Duration::from_secs(seconds)
}

/// The store events a watch passes on.
#[derive(Clone)]
struct WatchFilter {
    group: String,
    plural: String,
    /// None: every namespace.
    namespace: Option<String>,
    selectors: Selectors,
}

impl WatchFilter {
    fn matches(&self, event: &Event) -> bool {
        event.group == self.group
            && event.plural == self.plural
            && self
                .namespace
                .as_ref()
                .is_none_or(|n| *n == event.namespace)
            && self.selectors.matches(&event.object)
    }
}

/// How a watch begins: the events sent first, and the resourceVersion after which live events
/// follow (None: the stream ends after the first events, as it does after a 410).
struct WatchStart {
    events: Vec<Value>,
    live_after: Option<u64>,
}

fn watch_start(
    store: &Store,
    def: &ResourceDef,
    path: &ResourcePath,
    query: &HashMap<String, String>,
    filter: &WatchFilter,
) -> Result<WatchStart, ApiError> {
    let requested = query
        .get("resourceVersion")
        .filter(|v| !v.is_empty() && *v != "0");
    let Some(version) = requested else {
        return current_as_added(store, def, path, filter);
    };
    let since: u64 = version
        .parse()
        .map_err(|_| status::bad_request(format!("invalid resourceVersion {version:?}")))?;
    Ok(changes_since(store, def, &path.version, since, filter))
}

/// Without a resourceVersion: every object the watch passes, as ADDED.
fn current_as_added(
    store: &Store,
    def: &ResourceDef,
    path: &ResourcePath,
    filter: &WatchFilter,
) -> Result<WatchStart, ApiError> {
    let page = store.list(
        &def.group,
        &def.plural,
        filter.namespace.as_deref(),
        &filter.selectors,
        None,
        None,
    )?;
    let events = page
        .items
        .into_iter()
        .map(|object| watch_event("ADDED", store::convert(def, object, &path.version)))
        .collect();
    Ok(WatchStart {
        events,
        live_after: Some(store.resource_version()),
    })
}

/// From a resourceVersion: the remembered changes after it, or a 410 when it is older than
/// what the store remembers.
fn changes_since(
    store: &Store,
    def: &ResourceDef,
    version: &str,
    since: u64,
    filter: &WatchFilter,
) -> WatchStart {
    let Some(history) = store.history_since(since) else {
        let gone = status::expired(format!(
            "too old resource version: {since} ({})",
            store.oldest_resource_version()
        ));
        return WatchStart {
            events: vec![watch_event("ERROR", gone.body)],
            live_after: None,
        };
    };
    let events = history
        .iter()
        .filter(|event| filter.matches(event))
        .map(|event| {
            watch_event(
                event.kind,
                store::convert(def, event.object.clone(), version),
            )
        })
        .collect();
    WatchStart {
        events,
        live_after: Some(store.resource_version()),
    }
}

/// The changes after `live_after` as they happen, until the deadline.
fn live_events(
    receiver: Receiver<Arc<Event>>,
    live_after: Option<u64>,
    deadline: Instant,
    filter: WatchFilter,
    def: ResourceDef,
    version: String,
) -> impl Stream<Item = Bytes> + Send + 'static {
    let position = live_after.map(|last_sent| (receiver, last_sent));
    stream::unfold(position, move |position| {
        let filter = filter.clone();
        let def = def.clone();
        let version = version.clone();
        async move {
            let (mut receiver, last_sent) = position?;
            let event = next_event(&mut receiver, last_sent, deadline, &filter).await?;
            let object = store::convert(&def, event.object.clone(), &version);
            let item = line(watch_event(event.kind, object));
            Some((item, Some((receiver, event.resource_version))))
        }
    })
}

/// The next event the filter passes that is newer than `last_sent`. None ends the stream:
/// the deadline passed, the store went away, or this watcher fell too far behind; the client
/// then watches again.
async fn next_event(
    receiver: &mut Receiver<Arc<Event>>,
    last_sent: u64,
    deadline: Instant,
    filter: &WatchFilter,
) -> Option<Arc<Event>> {
    loop {
        let Ok(Ok(event)) = tokio::time::timeout_at(deadline, receiver.recv()).await else {
            return None;
        };
        if event.resource_version > last_sent && filter.matches(&event) {
            return Some(event);
        }
    }
}

fn watch_event(kind: &str, object: Value) -> Value {
    json!({"type": kind, "object": object})
}

fn line(value: Value) -> Bytes {
    let mut bytes = serde_json::to_vec(&value).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}
