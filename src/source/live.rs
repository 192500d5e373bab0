//! Live updates: the mesh follows the cluster. A watch per kind that could be listed signals a
//! change; changes arriving together are coalesced, then one full fetch makes a consistent
//! Snapshot (markers and subscriber lookups included). Where a watch is forbidden, polling at
//! the refresh interval takes over, and the update says so.

use super::fetch::{FetchError, Fetcher, Listed, Scope};
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
    // A lost watch connection is told at once; the next change or refresh fetches again.
    let mut fetch = true;
    loop {
        if !fetch {
            fetch = true;
        } else {
            match fetcher.fetch_listed(&scope).await {
                Ok((snapshot, listed)) => {
                    // Start watches for lists that became readable; the existing ones keep going.
                    for item in listed {
                        if !watched.contains(&item) {
                            watchers.push(spawn_watch(&fetcher, item.clone(), changed.clone()));
                            watched.push(item);
                        }
                    }
                    let freshness = match &forbidden_watch {
                        None => Freshness::Live,
                        Some(reason) => Freshness::Polled {
                            every: refresh,
                            reason: reason.clone(),
                        },
                    };
                    let update = Update {
                        snapshot: Arc::new(snapshot),
                        at: jiff::Timestamp::now(),
                        freshness,
                    };
                    if sender.send(Some(Event::Updated(update))).is_err() {
                        break;
                    }
                }
                Err(error) => {
                    let stop = matches!(error, FetchError::TokenRejected { .. });
                    if sender
                        .send(Some(Event::Failed(Arc::new(error.to_string()))))
                        .is_err()
                        || stop
                    {
                        break;
                    }
                }
            }
        }
        // Wait for a change, a request, or the refresh interval.
        tokio::select! {
            signal = changes.recv() => {
                match signal {
                    Some(WatchSignal::Forbidden(reason)) => forbidden_watch = Some(reason),
                    Some(WatchSignal::Lost(reason)) => {
                        let message = format!("connection lost: {reason} (retrying)");
                        if sender.send(Some(Event::Failed(Arc::new(message)))).is_err() {
                            break;
                        }
                        // Not a change: wait for one, or for the watch to come back.
                        fetch = false;
                        continue;
                    }
                    _ => {}
                }
                // Let a burst of changes settle into one fetch.
                tokio::time::sleep(COALESCE).await;
                while let Ok(signal) = changes.try_recv() {
                    if let WatchSignal::Forbidden(reason) = signal {
                        forbidden_watch = Some(reason);
                    }
                }
            }
            request = requests.recv() => {
                if request.is_none() {
                    break;
                }
            }
            _ = tokio::time::sleep(refresh) => {}
        }
    }
    for watcher in watchers {
        watcher.abort();
    }
}

enum WatchSignal {
    Changed,
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
        let mut stream = watcher(api, watcher::Config::default()).boxed();
        while let Some(event) = stream.next().await {
            let signal = match event {
                Ok(watcher::Event::InitDone) if lost => {
                    // Back after a lost connection: fetch, since changes may have been missed.
                    lost = false;
                    WatchSignal::Changed
                }
                Ok(watcher::Event::InitDone) => {
                    initial_done = true;
                    continue;
                }
                // The initial listing (and any re-list after a 410) is not a change by itself.
                Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => continue,
                Ok(watcher::Event::Apply(_) | watcher::Event::Delete(_)) if initial_done => {
                    WatchSignal::Changed
                }
                Ok(_) => continue,
                // A forbidden watch shows up as the watch request refused (WatchStartFailed),
                // or on the stream; either way polling takes over, and says so.
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
