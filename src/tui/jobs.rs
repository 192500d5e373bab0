//! The UI's background jobs: the live pipeline, the token report, the backend poller, reading
//! files, and the signal that ends the loop. Each reports back on the data channel.

use super::LiveEvents;
use crate::mesh::{self, Mesh};
use crate::source::fetch::{Fetcher, Scope};
use crate::source::live::{self, Freshness};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the data tasks tell the UI.
pub(super) enum Data {
    Mesh { mesh: Arc<Mesh>, updated: String },
    Failed(String),
    Report(Result<Arc<crate::access::AccessReport>, String>),
}

/// Runs the token report in the background; it takes a few hundred access reviews.
pub(super) fn spawn_report(
    fetcher: Arc<Fetcher>,
    scope: Scope,
    token: Option<String>,
    mut events: LiveEvents,
    sender: mpsc::UnboundedSender<Data>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The live source's latest snapshot, so the mesh is not fetched a second time.
        let snapshot = loop {
            let latest = events.borrow_and_update().clone();
            if let Some(live::Event::Updated(update)) = latest {
                break Some((*update.snapshot).clone());
            }
            if events.changed().await.is_err() {
                break None;
            }
        };
        let result = crate::access::check_with(&fetcher, &scope, token.as_deref(), snapshot)
            .await
            .map(Arc::new)
            .map_err(|e| e.to_string());
        let _ = sender.send(Data::Report(result));
    })
}

/// Reads manifests off the UI task. Problems with some files or objects are shown as the
/// source's problem, beside the mesh of everything else.
pub(super) fn spawn_file_read(
    paths: Vec<std::path::PathBuf>,
    namespace: Option<String>,
    sender: mpsc::UnboundedSender<Data>,
) {
    tokio::task::spawn_blocking(move || {
        let data = match crate::source::manifests::read_snapshot(&paths, namespace.as_deref()) {
            Ok(read) => {
                let problems: Vec<String> = read.problems.iter().map(|p| p.to_string()).collect();
                let mesh = Arc::new(mesh::build(read.snapshot));
                let updated = format!("read {}", jiff::Zoned::now().strftime("%H:%M:%S"));
                let _ = sender.send(Data::Mesh { mesh, updated });
                if problems.is_empty() {
                    return;
                }
                Data::Failed(format!(
                    "{} problem(s) in the files: {}",
                    problems.len(),
                    problems.join("; ")
                ))
            }
            Err(error) => Data::Failed(error.to_string()),
        };
        let _ = sender.send(data);
    });
}

/// Polls a backend: now, then every refresh interval or when asked.
pub(super) fn spawn_backend_poller(
    backend: crate::source::backend::Backend,
    every: Duration,
    sender: mpsc::UnboundedSender<Data>,
) -> (tokio::task::JoinHandle<()>, mpsc::UnboundedSender<()>) {
    let (poll_now, mut requests) = mpsc::unbounded_channel::<()>();
    let task = tokio::spawn(async move {
        loop {
            let data = match backend.mesh().await {
                Ok(mesh) => Data::Mesh {
                    mesh: Arc::new(mesh),
                    updated: format!(
                        "{} (polled every {}s)",
                        jiff::Timestamp::now().strftime("%H:%M:%S"),
                        every.as_secs()
                    ),
                },
                Err(error) => Data::Failed(error.to_string()),
            };
            if sender.send(data).is_err() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                request = requests.recv() => if request.is_none() { return },
            }
        }
    });
    (task, poll_now)
}

/// Follows a live source, building each mesh off the UI task.
pub(super) fn spawn_pipeline(
    fetcher: Arc<Fetcher>,
    scope: Scope,
    refresh: Duration,
    sender: mpsc::UnboundedSender<Data>,
) -> (live::Live, tokio::task::JoinHandle<()>) {
    let live = live::start(fetcher, scope, refresh);
    let mut events = live.events.clone();
    let task = tokio::spawn(async move {
        while events.changed().await.is_ok() {
            let event = events.borrow_and_update().clone();
            let data = match event {
                Some(live::Event::Updated(update)) => {
                    let snapshot = (*update.snapshot).clone();
                    let Ok(mesh) = tokio::task::spawn_blocking(move || mesh::build(snapshot)).await
                    else {
                        continue;
                    };
                    let time = update.at.strftime("%H:%M:%S").to_string();
                    let updated = match update.freshness {
                        Freshness::Live => format!("{time} (watch)"),
                        Freshness::Polled { every, reason } => {
                            format!("{time} (polled every {}s: {reason})", every.as_secs())
                        }
                    };
                    Data::Mesh {
                        mesh: Arc::new(mesh),
                        updated,
                    }
                }
                Some(live::Event::Failed(message)) => Data::Failed(message.to_string()),
                None => continue,
            };
            if sender.send(data).is_err() {
                return;
            }
        }
    });
    (live, task)
}

/// Completes on SIGTERM, SIGHUP or SIGINT (a `kill`, a closed terminal, or Ctrl-C sent as a
/// signal from outside, since raw mode turns the key into an event).
pub(super) fn termination_signal() -> tokio::sync::oneshot::Receiver<()> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = hup.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        let _ = sender.send(());
    });
    receiver
}
