//! The UI's background jobs: the token report, and the signal that ends the loop. Each reports
//! back as a message.

use super::msg::Msg;
use crate::mesh::Snapshot;
use crate::source::spec::ClusterAccess;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Runs the token report in the background; it takes a few hundred access reviews. With the
/// reading's Snapshot in hand, the mesh is not fetched a second time.
pub(super) fn spawn_report(
    cluster: ClusterAccess,
    snapshot: Option<Arc<Snapshot>>,
    generation: u64,
    sender: mpsc::UnboundedSender<Msg>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let snapshot = snapshot.map(|s| (*s).clone());
        let token = cluster.token.as_deref();
        let result = crate::access::check_with(&cluster.fetcher, &cluster.scope, token, snapshot)
            .await
            .map(Arc::new)
            .map_err(|e| e.to_string());
        let _ = sender.send(Msg::Report { generation, result });
    })
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
