//! What the TUI's update function takes (`Msg`) and what it asks the runner to do (`Cmd`).

use crate::access::AccessReport;
use crate::mesh::Snapshot;
use crate::source::spec::{ClusterAccess, Control, Update};
use crossterm::event::{KeyEvent, MouseEvent};
use std::sync::Arc;

/// Everything that can happen to the TUI.
// A message is moved once, from its channel into `update`: its size costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// The source connected, read, or failed.
    Source(Update),
    /// A token report finished, for the connection of this generation.
    Report {
        generation: u64,
        result: Result<Arc<AccessReport>, String>,
    },
    /// The Events about an object arrived.
    Events {
        about: crate::mesh::views::Target,
        events: crate::source::fetch::Events,
    },
    /// The spinner's clock.
    Tick,
}

/// What only the runner can do: I/O and leaving.
#[derive(Debug)]
pub enum Cmd {
    Quit,
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// Ask the API server for the Events regarding an object, replacing any such ask running.
    FetchEvents {
        cluster: ClusterAccess,
        about: crate::mesh::views::Target,
        kind: String,
        namespace: String,
        name: String,
    },
    /// Tell the source: refresh, switch identity, pick a provider.
    Source(Control),
    /// Check the token in the background (a few hundred access reviews), replacing any check
    /// still running.
    CheckToken {
        cluster: ClusterAccess,
        snapshot: Option<Arc<Snapshot>>,
        generation: u64,
    },
}
