//! Live updates: the mesh follows the cluster. A full fetch reads it once; then a watch per kind
//! that could be listed feeds its events into what was read, in place: changes arriving
//! together are coalesced into one update, and only references new to the mesh are looked up.
//! Requests in steady state grow with changes, not with the mesh. A full fetch happens again
//! only on `r`, after a lost connection or a watch's re-list (410 Gone), and at the refresh
//! interval where a watch is forbidden and polling takes over (the update says so).

use super::fetch::{Base, Change, FetchError, Fetcher, Listed, Scope};
use crate::mesh::snapshot::Snapshot;
use futures_util::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::watcher;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Changes that arrive within this window make one refresh.
const COALESCE: Duration = Duration::from_millis(250);

#[derive(Debug, Clone)]
pub enum Freshness {
    /// Watches keep the data current.
    Live,
    /// Polled every so often; the reason says why (a forbidden watch, for example).
    Polled { every: Duration, reason: String },
}

#[derive(Debug, Clone)]
pub struct Update {
    pub snapshot: Arc<Snapshot>,
    pub at: jiff::Timestamp,
    pub freshness: Freshness,
}

/// What the live source sends: a new snapshot, or why the last fetch failed.
#[derive(Debug, Clone)]
pub enum Event {
    Updated(Update),
    Failed(Arc<String>),
}

/// A running live source.
pub struct Live {
    pub events: watch::Receiver<Option<Event>>,
    refresh_now: mpsc::UnboundedSender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Live {
    /// Asks for a fetch now (the TUI's `r`).
    pub fn refresh(&self) {
        let _ = self.refresh_now.send(());
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts following the cluster. The first event is the initial fetch.
pub fn start(fetcher: Arc<Fetcher>, scope: Scope, refresh: Duration) -> Live {
    let (sender, events) = watch::channel(None);
    let (refresh_now, requests) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(fetcher, scope, refresh, sender, requests));
    Live {
        events,
        refresh_now,
        task,
    }
}

/// What the loop does next.
enum Next {
    Fetch,
    Wait,
    /// Apply these watch events and publish, with no fetch.
    Apply(Vec<Change>),
}

async fn run(
    fetcher: Arc<Fetcher>,
    scope: Scope,
    refresh: Duration,
    sender: watch::Sender<Option<Event>>,
    mut requests: mpsc::UnboundedReceiver<()>,
) {
    let (changed, mut changes) = mpsc::unbounded_channel::<WatchSignal>();
    let mut watchers: Vec<tokio::task::AbortHandle> = Vec::new();
    let mut watched: Vec<Listed> = Vec::new();
    let mut forbidden_watch: Option<String> = None;
    let mut base: Option<Base> = None;
    let mut next = Next::Fetch;
    loop {
        let event = match std::mem::replace(&mut next, Next::Wait) {
            Next::Wait => None,
            Next::Fetch => match fetcher.fetch_base(&scope).await {
                Ok((fetched, listed)) => {
                    // Watches for lists that became readable; the existing ones keep going.
                    for item in listed {
                        if !watched.contains(&item) {
                            watchers.push(spawn_watch(&fetcher, item.clone(), changed.clone()));
                            watched.push(item);
                        }
                    }
                    let snapshot = fetched.snapshot();
                    base = Some(fetched);
                    Some(updated(snapshot, &forbidden_watch, refresh))
                }
                Err(error) => {
                    // Watch events must not land on what a failed fetch should have replaced:
                    // the next step fetches, and the timer retries.
                    base = None;
                    Some(Err(error))
                }
            },
            Next::Apply(batch) => match base.as_mut() {
                Some(current) => {
                    let applied = current.apply(batch);
                    match fetcher.follow_references(current, &applied).await {
                        Ok(()) => Some(updated(current.snapshot(), &forbidden_watch, refresh)),
                        Err(error) => Some(Err(error)),
                    }
                }
                None => {
                    next = Next::Fetch;
                    continue;
                }
            },
        };
        let ended = match event {
            Some(Ok(update)) => sender.send(Some(Event::Updated(update))).is_err(),
            Some(Err(error)) => {
                let stop = matches!(error, FetchError::TokenRejected { .. });
                let failed = sender.send(Some(Event::Failed(Arc::new(error.to_string()))));
                failed.is_err() || stop
            }
            None => false,
        };
        if ended {
            break;
        }
        // Wait for a change, a request, or the refresh interval.
        tokio::select! {
            signal = changes.recv() => {
                let Some(signal) = signal else { break };
                next = match settle(signal, &mut changes, &mut forbidden_watch).await {
                    Settled::Lost(reason, batch, refetch) => {
                        let message = format!("connection lost: {reason} (retrying)");
                        if sender.send(Some(Event::Failed(Arc::new(message)))).is_err() {
                            break;
                        }
                        // Not a change: wait for one, or for the watch to come back; changes
                        // other watches sent before still count.
                        match (refetch, batch.is_empty()) {
                            (true, _) => Next::Fetch,
                            (false, true) => Next::Wait,
                            (false, false) => Next::Apply(batch),
                        }
                    }
                    Settled::Refetch => Next::Fetch,
                    Settled::Changes(batch) if batch.is_empty() => Next::Fetch,
                    Settled::Changes(batch) => Next::Apply(batch),
                };
            }
            request = requests.recv() => {
                if request.is_none() {
                    break;
                }
                next = Next::Fetch;
            }
            // The safety net: polling where a watch is forbidden, or after a failed fetch.
            _ = tokio::time::sleep(refresh), if forbidden_watch.is_some() || base.is_none() => {
                next = Next::Fetch;
            }
        }
    }
    for watcher in watchers {
        watcher.abort();
    }
}

fn updated(
    snapshot: Snapshot,
    forbidden_watch: &Option<String>,
    refresh: Duration,
) -> Result<Update, FetchError> {
    let freshness = match forbidden_watch {
        None => Freshness::Live,
        Some(reason) => Freshness::Polled {
            every: refresh,
            reason: reason.clone(),
        },
    };
    Ok(Update {
        snapshot: Arc::new(snapshot),
        at: jiff::Timestamp::now(),
        freshness,
    })
}

/// What a burst of signals comes to.
enum Settled {
    Changes(Vec<Change>),
    Refetch,
    /// A lost connection, the changes that came before it, and whether a re-list came too.
    Lost(String, Vec<Change>, bool),
}

/// Lets a burst of signals settle into one step: the changes in it, a full fetch when a watch
/// re-listed or became forbidden, or a lost connection to tell at once.
async fn settle(
    first: WatchSignal,
    changes: &mut mpsc::UnboundedReceiver<WatchSignal>,
    forbidden_watch: &mut Option<String>,
) -> Settled {
    let mut batch = Vec::new();
    let mut refetch = false;
    let mut take = |signal: WatchSignal, forbidden: &mut Option<String>| match signal {
        WatchSignal::Change(change) => {
            batch.push(change);
            None
        }
        WatchSignal::Relisted => {
            refetch = true;
            None
        }
        WatchSignal::Forbidden(reason) => {
            *forbidden = Some(reason);
            refetch = true;
            None
        }
        WatchSignal::Lost(reason) => Some(reason),
    };
    if let Some(reason) = take(first, forbidden_watch) {
        return Settled::Lost(reason, batch, refetch);
    }
    tokio::time::sleep(COALESCE).await;
    while let Ok(signal) = changes.try_recv() {
        if let Some(reason) = take(signal, forbidden_watch) {
            return Settled::Lost(reason, batch, refetch);
        }
    }
    if refetch {
        Settled::Refetch
    } else {
        Settled::Changes(batch)
    }
}

enum WatchSignal {
    /// An object was applied or deleted.
    Change(Change),
    /// The watch listed again (after a lost connection or a 410 Gone): changes may have been
    /// missed, so the next step is a full fetch.
    Relisted,
    Forbidden(String),
    /// The watch's connection failed; it retries by itself.
    Lost(String),
}

fn spawn_watch(
    fetcher: &Fetcher,
    listed: Listed,
    changed: mpsc::UnboundedSender<WatchSignal>,
) -> tokio::task::AbortHandle {
    let client = fetcher.client().clone();
    let resource = listed.kind.api_resource();
    let api: Api<DynamicObject> = match &listed.namespace {
        Some(namespace) => Api::namespaced_with(client, namespace, &resource),
        None => Api::all_with(client, &resource),
    };
    tokio::spawn(async move {
        let mut initial_done = false;
        let mut lost = false;
        let mut config = watcher::Config::default();
        if let Some(selector) = &listed.selector {
            config = config.labels(selector);
        }
        let mut stream = watcher(api, config).boxed();
        let typed = |object: DynamicObject| {
            let mut value = serde_json::to_value(object).unwrap_or_default();
            if let Some(fields) = value.as_object_mut() {
                let api_version = listed.kind.api_resource().api_version;
                fields.insert("apiVersion".into(), serde_json::Value::from(api_version));
                fields.insert(
                    "kind".into(),
                    serde_json::Value::from(listed.kind.kind.clone()),
                );
            }
            value
        };
        while let Some(event) = stream.next().await {
            let signal = match event {
                Ok(watcher::Event::InitDone) if lost || initial_done => {
                    // Listed again: after a lost connection, or after a 410 Gone.
                    lost = false;
                    WatchSignal::Relisted
                }
                Ok(watcher::Event::InitDone) => {
                    initial_done = true;
                    continue;
                }
                // The initial listing (and any re-list) is not a change by itself.
                Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => continue,
                Ok(watcher::Event::Apply(object)) if initial_done && listed.labels_only => {
                    WatchSignal::Change(Change::Relabelled(typed(object)))
                }
                Ok(watcher::Event::Apply(object)) if initial_done => {
                    WatchSignal::Change(Change::Applied(typed(object)))
                }
                Ok(watcher::Event::Delete(object)) if initial_done => {
                    WatchSignal::Change(Change::Deleted(typed(object)))
                }
                Ok(_) => continue,
                // A forbidden watch shows up as the watch request refused (WatchStartFailed),
                // or on the stream; either way polling takes over, and says so.
                Err(
                    watcher::Error::WatchFailed(kube::Error::Api(status))
                    | watcher::Error::WatchStartFailed(kube::Error::Api(status))
                    | watcher::Error::InitialListFailed(kube::Error::Api(status))
                    | watcher::Error::WatchError(status),
                ) if status.code == 403 && listed.labels_only => return,
                Err(
                    watcher::Error::WatchFailed(kube::Error::Api(status))
                    | watcher::Error::WatchStartFailed(kube::Error::Api(status))
                    | watcher::Error::InitialListFailed(kube::Error::Api(status))
                    | watcher::Error::WatchError(status),
                ) if status.code == 403 => {
                    let scope = crate::k8s::Scope::of(listed.namespace.as_deref());
                    let _ = changed.send(WatchSignal::Forbidden(format!(
                        "watching {} {scope} is forbidden",
                        listed.kind.plural
                    )));
                    return;
                }
                // Other errors: say so at once (a dead server must not look live), then the
                // watcher retries by itself after a pause. A watch that comes back re-lists,
                // and its first change fetches again.
                // An answer from the server (410 Gone on an old resourceVersion, say) is the
                // watcher's routine: it re-lists. Only a connection that fails is "lost".
                Err(
                    watcher::Error::WatchFailed(kube::Error::Api(_))
                    | watcher::Error::WatchError(_)
                    | watcher::Error::InitialListFailed(kube::Error::Api(_))
                    | watcher::Error::WatchStartFailed(kube::Error::Api(_)),
                ) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Err(error) => {
                    if !lost {
                        lost = true;
                        let _ = changed
                            .send(WatchSignal::Lost(crate::source::fetch::with_causes(&error)));
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if changed.send(signal).is_err() {
                return;
            }
        }
    })
    .abort_handle()
}
