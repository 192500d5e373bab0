//! The TUI's state: a plain struct that keys change and the renderer reads.

use super::query::{Facts, Query};
use super::tree::TreeState;
use crate::access::AccessReport;
use crate::mesh::Mesh;
use crate::mesh::views::{self, NodeKind, NodeStatus, Target, TreeNode, View};
use crate::source::spec::{ClusterAccess, Freshness, Identity, OriginLabel};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The tabs, in order; 1–7 select them.
pub const TABS: [Tab; 7] = [
    Tab::Mesh(View::Brokers),
    Tab::Mesh(View::EventTypes),
    Tab::Mesh(View::Sources),
    Tab::Mesh(View::Channels),
    Tab::Mesh(View::Flows),
    Tab::Mesh(View::Policies),
    Tab::Permissions,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Mesh(View),
    Permissions,
}

impl Tab {
    pub fn title(self) -> &'static str {
        match self {
            Tab::Mesh(view) => view.title(),
            Tab::Permissions => "Permissions",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// The keys, scrolled down this many lines (a short terminal cannot hold them all).
    Help {
        scroll: u16,
    },
    Yaml(super::yaml_view::YamlView),
    Namespaces(super::picker::NamespacePicker),
    /// The objects related to the selected one (`o`): Enter jumps to one.
    Jump {
        items: Vec<super::jump::Related>,
        cursor: usize,
    },
    /// The kubeconfig's contexts (`c`): Enter switches to one. After them, on a cluster,
    /// "impersonate a ServiceAccount…" (and "stop impersonating" while it does).
    Contexts {
        names: Vec<String>,
        cursor: usize,
    },
    /// The ServiceAccounts the caller may read: Enter acts as one.
    ServiceAccounts {
        names: Vec<String>,
        cursor: usize,
    },
    /// Several Knative event mesh providers in the app-config: which one to show.
    Providers {
        ids: Vec<crate::source::spec::ProviderLabel>,
        cursor: usize,
    },
}

/// Which object the Events in the detail pane are for, and what came of asking (None: on its
/// way).
pub type EventsFor = (Target, Option<crate::source::fetch::Events>);

/// Where the data comes from and how fresh it is, for the header and status bar. Data, not
/// text: `view` words it.
#[derive(Debug, Clone, Default)]
pub struct SourceInfo {
    /// None until the source has connected.
    pub origin: Option<OriginLabel>,
    pub identity: Option<Identity>,
    pub freshness: Option<Freshness>,
    /// Shown while the first data is on its way, or when the last read failed.
    pub problem: Option<String>,
    pub loading: bool,
    /// The demo can switch identities; other sources cannot.
    pub can_switch_identity: bool,
    /// The kubeconfig's contexts (the demo's identities) `c` switches between.
    pub contexts: Vec<String>,
    /// The context in use.
    pub context: Option<String>,
    /// The API server behind the data, for the token report.
    pub cluster: Option<ClusterAccess>,
    /// The connection's generation: a token report for an older one is stale.
    pub generation: u64,
}

impl SourceInfo {
    /// A source whose first data is on its way.
    pub fn loading(origin: OriginLabel) -> Self {
        Self {
            origin: Some(origin),
            loading: true,
            ..Self::default()
        }
    }
}

/// Where the token report is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenCheck {
    /// Nothing to check, or the report is in.
    #[default]
    Idle,
    /// The check starts with the next reading, so it reuses that reading's Snapshot.
    AwaitingData,
    /// Running for the connection of this generation.
    Running { generation: u64 },
}

pub struct App {
    pub tab: usize,
    pub trees: Vec<TreeState>,
    pub mesh: Arc<Mesh>,
    pub source: SourceInfo,
    pub filter: String,
    pub filtering: bool,
    /// None: every namespace.
    pub namespaces: Option<BTreeSet<String>>,
    pub popup: Option<Popup>,
    pub show_detail: bool,
    /// Lines the detail pane is scrolled, for the row it was scrolled on (another row's detail
    /// starts at the top).
    pub detail_scroll: (Option<u64>, u16),
    pub no_color: bool,
    /// The clock the AGE column reads: the runner sets it before each frame; None shows "-".
    pub now: Option<jiff::Timestamp>,
    /// `s`: rows sorted newest first instead of by name.
    pub sort_by_age: bool,
    /// Columns the tree is scrolled to the right (`<` and `>`), to read long rows.
    pub shift: usize,
    /// Times are shown in this zone: the system's, or UTC in tests.
    pub time_zone: jiff::tz::TimeZone,
    /// Lines the tree area had at the last draw, for paging and scrolling.
    pub page: usize,
    /// A spinner frame, advanced by the tick while loading.
    pub tick: usize,
    /// The token troubleshooting report, once it has run for the current identity.
    pub report: Option<Arc<AccessReport>>,
    /// Why there is no report yet ("checking the token…", or what went wrong).
    pub report_status: Option<String>,
    pub token_check: TokenCheck,
    /// Where jumps came from, to go back to (`[` or Esc): the tab and the object selected.
    pub history: Vec<(usize, Target)>,
    /// The selected object's Events, once asked for.
    pub events: Option<EventsFor>,
    /// What the last key did, when it is worth a word in the status bar; the next key clears it.
    pub notice: Option<String>,
    /// The terminal's size at the last resize, for mouse hits.
    pub screen: ratatui::layout::Rect,
    /// `t`'s prompt, while it is typed.
    pub trace_prompt: Option<super::trace::TracePrompt>,
    /// The trace the trees mark, until Esc.
    pub trace: Option<super::trace::TraceOverlay>,
}

impl App {
    pub fn new(mesh: Arc<Mesh>, source: SourceInfo) -> Self {
        let trees = TABS
            .iter()
            .map(|tab| TreeState::new(tree_of(&mesh, None, None, *tab)))
            .collect();
        let mut app = Self {
            tab: 0,
            trees,
            mesh,
            source,
            filter: String::new(),
            filtering: false,
            namespaces: None,
            popup: None,
            show_detail: true,
            detail_scroll: (None, 0),
            no_color: false,
            shift: 0,
            now: None,
            sort_by_age: false,
            time_zone: jiff::tz::TimeZone::system(),
            page: 20,
            tick: 0,
            report: None,
            report_status: None,
            token_check: TokenCheck::Idle,
            screen: ratatui::layout::Rect::new(0, 0, 80, 24),
            history: Vec::new(),
            events: None,
            notice: None,
            trace_prompt: None,
            trace: None,
        };
        app.reflow_all();
        app
    }

    pub fn current(&self) -> &TreeState {
        &self.trees[self.tab]
    }

    pub fn current_mut(&mut self) -> &mut TreeState {
        &mut self.trees[self.tab]
    }

    /// Recomputes the visible rows of the current view.
    pub fn reflow(&mut self) {
        let (mut query, mesh) = (Query::parse(&self.filter), Arc::clone(&self.mesh));
        query.prepare(&mesh);
        let facts = |node: &TreeNode| facts(&mesh, node);
        self.trees[self.tab].flatten(&query, self.namespaces.as_ref(), &facts);
    }

    fn reflow_all(&mut self) {
        let (mut query, mesh) = (Query::parse(&self.filter), Arc::clone(&self.mesh));
        query.prepare(&mesh);
        let facts = |node: &TreeNode| facts(&mesh, node);
        for tree in &mut self.trees {
            tree.flatten(&query, self.namespaces.as_ref(), &facts);
        }
    }

    /// Clears the filter; the selected node stays selected, and visible.
    pub fn clear_filter(&mut self) {
        self.filtering = false;
        if !self.filter.is_empty() {
            self.current_mut().open_to_selection();
            self.filter.clear();
            self.reflow_all();
        }
    }

    /// New data: every view is rebuilt, and keeps its expanded nodes and selection.
    pub fn set_mesh(&mut self, mesh: Arc<Mesh>) {
        self.mesh = mesh;
        // Sources and components are targeted by their place in the mesh, which a new mesh may
        // give to another object: their Events are asked for again, never shown for another.
        if self
            .events
            .as_ref()
            .is_some_and(|(t, _)| matches!(t, Target::Source(_) | Target::Component(_)))
        {
            self.events = None;
        }
        // The trace on screen is traced again: marks from the old mesh would be stale.
        if let Some(old) = self.trace.take() {
            match super::trace::run(&self.mesh, &old.text, &old.entry) {
                Ok(trace) => self.trace = Some(trace),
                Err(error) => self.notice = Some(format!("the trace ended: {error}")),
            }
        }
        self.rebuild_trees();
    }

    /// Opens `t`'s prompt for the selected object, with the last trace's event if it entered
    /// there.
    pub fn open_trace_prompt(&mut self) {
        if self.mesh.reduced {
            self.notice = Some("an eventmesh backend sends no triggers: nothing to trace".into());
            return;
        }
        let target = self.selected_target();
        let prompt = target.and_then(|target| super::trace::prompt_for(&self.mesh, target));
        let from_event_type = matches!(target, Some(Target::EventType(_)));
        let prompt = match (prompt, &self.trace) {
            // From where the trace on screen entered, it is edited; an event type always
            // brings its own attributes.
            (Some(mut prompt), Some(trace)) if trace.entry == prompt.entry && !from_event_type => {
                prompt.text = trace.text.clone();
                prompt
            }
            (Some(prompt), _) => prompt,
            // Where no event enters, `t` edits the trace on screen.
            (None, Some(trace)) => super::trace::TracePrompt {
                text: trace.text.clone(),
                entry: trace.entry.clone(),
                error: None,
            },
            (None, None) => {
                self.notice = Some("t traces from a broker, channel, source or event type".into());
                return;
            }
        };
        self.trace_prompt = Some(prompt);
    }

    /// Traces the prompt's event; a refusal stays in the prompt, to be mended.
    pub fn run_trace(&mut self, mut prompt: super::trace::TracePrompt) {
        match super::trace::run(&self.mesh, &prompt.text, &prompt.entry) {
            Ok(trace) => {
                // Triggers are marked where they stand, in the Brokers view, opened so the marks
                // can be seen.
                if !trace.triggers.is_empty() && self.tab != 0 {
                    // `[` comes back to where the trace was asked for.
                    if let Some(from) = self.selected_target().cloned() {
                        self.history.push((self.tab, from));
                    }
                    self.tab = 0;
                    // From an event type, the broker it enters is selected, so `t` again edits
                    // the same trace.
                    if let crate::mesh::trace::Entry::Broker(key) = &prompt.entry {
                        self.show_target(&Target::Broker(key.clone()));
                    }
                }
                let tree = &mut self.trees[self.tab];
                for key in trace.triggers.keys() {
                    tree.open_path_to(&Target::Trigger(key.clone()));
                }
                self.trace = Some(trace);
                self.reflow();
            }
            Err(error) => {
                prompt.error = Some(error);
                self.trace_prompt = Some(prompt);
            }
        }
    }

    /// The token report arrived (or went away with a change of identity).
    pub fn set_report(&mut self, report: Option<Arc<AccessReport>>, status: Option<String>) {
        self.report = report;
        self.report_status = status;
        self.rebuild_trees();
    }

    pub fn rebuild_trees(&mut self) {
        for (tree, tab) in self.trees.iter_mut().zip(TABS) {
            let mut roots = tree_of(
                &self.mesh,
                self.report.as_deref(),
                self.report_status.as_deref(),
                tab,
            );
            if self.sort_by_age && matches!(tab, Tab::Mesh(_)) {
                // Namespaces stay in name order; what is in them goes newest first.
                for root in &mut roots {
                    super::columns::sort_by_age(&self.mesh, &mut root.children);
                }
            }
            tree.set_roots(roots);
        }
        self.reflow_all();
    }

    /// Shows an access marker's row in the Permissions view.
    pub fn jump_to_access(&mut self, index: usize) {
        let permissions = TABS.len() - 1;
        self.select_tab(permissions);
        let tree = &mut self.trees[permissions];
        tree.open_path_to(&Target::Access(index));
        self.reflow();
        let tree = &mut self.trees[permissions];
        if let Some(row) = (0..tree.rows.len()).find(|&i| {
            tree.node_of(i).and_then(|n| n.target.as_ref()) == Some(&Target::Access(index))
        }) {
            tree.selected = row;
        }
    }

    /// Selects the row of an object: in this view if it shows it, else in the first view that
    /// does, opening the way to it. False when no view shows it (a hidden namespace, a filter).
    pub fn show_target(&mut self, target: &Target) -> bool {
        let start = self.tab;
        let order = std::iter::once(self.tab).chain((0..TABS.len()).filter(|t| *t != self.tab));
        for tab in order.collect::<Vec<_>>() {
            self.tab = tab;
            self.trees[tab].open_path_to(target);
            self.reflow();
            let tree = &mut self.trees[tab];
            let row = (0..tree.rows.len())
                .find(|&i| tree.node_of(i).and_then(|n| n.target.as_ref()) == Some(target));
            if let Some(row) = row {
                tree.selected = row;
                return true;
            }
        }
        self.tab = start;
        self.reflow();
        false
    }

    /// Jumps to an object, remembering where from.
    pub fn jump(&mut self, target: &Target) {
        let (tab, from) = (self.tab, self.selected_target().cloned());
        if self.show_target(target) {
            if let Some(from) = from {
                self.history.push((tab, from));
            }
        } else {
            self.tab = tab;
            self.reflow();
            self.notice = Some("not shown here: a hidden namespace or the filter".into());
        }
    }

    /// Opens the list of objects related to the selected one (`o`).
    pub fn open_jump_list(&mut self) {
        let items = self
            .selected_target()
            .map(|t| super::jump::related(&self.mesh, t))
            .unwrap_or_default();
        if items.is_empty() {
            self.notice = Some("nothing to jump to from here".into());
        } else {
            self.popup = Some(Popup::Jump { items, cursor: 0 });
        }
    }

    /// Goes back to where the last jump came from. False when there is no jump to undo.
    pub fn back(&mut self) -> bool {
        let Some((tab, target)) = self.history.pop() else {
            return false;
        };
        let here = self.tab;
        self.tab = tab;
        if !self.show_target(&target) {
            self.tab = here;
            self.reflow();
            self.notice =
                Some("the place to go back to is not shown now (namespaces or filter)".into());
        }
        true
    }

    pub fn select_tab(&mut self, index: usize) {
        if index < TABS.len() {
            self.tab = index;
            self.reflow();
        }
    }

    /// How far the detail pane is scrolled for the selected row.
    pub fn detail_offset(&self) -> u16 {
        let selected = self.current().selected_row().map(|r| r.id);
        match self.detail_scroll {
            (anchor, lines) if anchor == selected => lines,
            _ => 0,
        }
    }

    /// Scrolls the detail pane by `delta` lines; the view clamps it to the text.
    pub fn scroll_detail(&mut self, delta: i32) {
        let selected = self.current().selected_row().map(|r| r.id);
        let lines = (i32::from(self.detail_offset()) + delta).clamp(0, i32::from(u16::MAX));
        self.detail_scroll = (selected, lines as u16);
    }

    pub fn selected_target(&self) -> Option<&Target> {
        self.current()
            .selected_node()
            .and_then(|n| n.target.as_ref())
    }
}

/// What a filter may match in a node beyond its text: its object's kind and metadata.
fn facts<'m>(mesh: &'m Mesh, node: &TreeNode) -> Facts<'m> {
    match node.target.as_ref().and_then(|t| views::object_of(mesh, t)) {
        Some((kind, meta)) => Facts {
            kind,
            meta: Some(meta),
        },
        None => Facts {
            kind: node.kind.name(),
            meta: None,
        },
    }
}

/// The tree a tab shows.
pub fn tree_of(
    mesh: &Mesh,
    report: Option<&AccessReport>,
    report_status: Option<&str>,
    tab: Tab,
) -> Vec<TreeNode> {
    match tab {
        Tab::Mesh(view) => views::tree(mesh, view),
        Tab::Permissions => {
            let mut roots = match report {
                Some(report) => {
                    crate::access::outline::outline(report, jiff::Timestamp::now().as_second())
                }
                None => report_status
                    .map(|status| {
                        vec![TreeNode::leaf(
                            NodeKind::Note,
                            status.to_string(),
                            NodeStatus::Loading,
                        )]
                    })
                    .unwrap_or_default(),
            };
            if !mesh.notes.is_empty() {
                let notes = mesh
                    .notes
                    .iter()
                    .map(|note| TreeNode::new(NodeKind::Note, crate::text::escape(note)))
                    .collect();
                let title = format!("Notes on the data ({})", mesh.notes.len());
                roots.push(
                    TreeNode::new(NodeKind::Note, title)
                        .key("notes")
                        .children(notes),
                );
            }
            roots.extend(crate::mesh::views::delivery::permissions_section(mesh));
            let markers = permissions_tree(mesh);
            let count = mesh.access.len();
            if count > 0 {
                let text = format!("Requests of the last fetch ({count})");
                let requests = TreeNode::new(NodeKind::Note, text).key("requests");
                roots.push(requests.children(markers));
            } else {
                roots.extend(markers);
            }
            roots
        }
    }
}

/// Until the token troubleshooting lands, the Permissions view lists what the last fetch was
/// and was not allowed to read, denied first.
fn permissions_tree(mesh: &Mesh) -> Vec<TreeNode> {
    use crate::mesh::snapshot::Access;
    let mut groups: Vec<(&str, NodeStatus, Vec<TreeNode>)> = vec![
        ("Denied", NodeStatus::Forbidden, Vec::new()),
        ("Not found", NodeStatus::NotFound, Vec::new()),
        (
            "Failed, undecodable or fallback",
            NodeStatus::Failed,
            Vec::new(),
        ),
        ("Allowed", NodeStatus::Normal, Vec::new()),
    ];
    for (index, marker) in mesh.access.iter().enumerate() {
        let group = match marker.access {
            Access::Forbidden { .. } => 0,
            Access::NotFound => 1,
            Access::Failed { .. } | Access::Fallback { .. } | Access::Undecodable { .. } => 2,
            Access::Allowed => 3,
        };
        let status = groups[group].1;
        let text = marker.request.to_string();
        groups[group].2.push(
            TreeNode::new(NodeKind::Access, text.clone())
                .status(status)
                .target(Target::Access(index))
                .key(text),
        );
    }
    let mut roots: Vec<TreeNode> = groups
        .into_iter()
        .filter(|(_, _, children)| !children.is_empty())
        .map(|(title, status, children)| {
            let status = if status == NodeStatus::Forbidden {
                NodeStatus::Forbidden
            } else {
                NodeStatus::Normal
            };
            TreeNode::new(NodeKind::Note, format!("{title} ({})", children.len()))
                .status(status)
                .key(title)
                .children(children)
        })
        .collect();
    if roots.is_empty() {
        // A backend makes its own requests, with the token it was given; files make none.
        let text = if mesh.reduced {
            "No API requests of kn-mesh's own: this data came from an eventmesh backend"
        } else {
            "No API requests: this data came from files"
        };
        roots.push(TreeNode::new(NodeKind::Note, text));
    }
    roots
}
