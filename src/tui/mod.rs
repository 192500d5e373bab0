//! The terminal UI. The event loop selects over terminal events, data from the source task,
//! and a tick; the state is a plain struct; drawing reads it and never does I/O. Data arrives
//! on a channel, so a slow or failing source never freezes the screen.

pub mod detail;
mod jobs;
pub mod keys;
mod report_tree;
pub mod state;
pub mod tree;
pub mod view;

use crate::mesh::Mesh;
use crate::sim::RunningSim;
use crate::source::connect::Endpoint;
use crate::source::fetch::{Fetcher, Scope};
use crate::source::live;
use crossterm::event::{self, Event, EventStream, KeyEventKind, MouseEventKind};
use futures_util::StreamExt;
use jobs::{
    Data, spawn_backend_poller, spawn_file_read, spawn_pipeline, spawn_report, termination_signal,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use state::{App, SourceInfo};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The demo's identities, in the order `i` cycles through them.
pub const DEMO_IDENTITIES: [&str; 4] = ["payments-only", "mesh-viewer", "docs-reader", "admin"];

pub struct Options {
    pub mouse: bool,
    pub no_color: bool,
    pub refresh: Duration,
}

/// Where the TUI's data comes from.
pub enum Feed {
    /// Manifests: one mesh, never updated.
    /// Manifests, read again on `r`.
    Files {
        paths: Vec<std::path::PathBuf>,
        namespace: Option<String>,
    },
    /// A live cluster. The token, when there is one, is inspected for the Permissions view.
    Live {
        fetcher: Arc<Fetcher>,
        scope: Scope,
        label: String,
        token: Option<String>,
    },
    /// A Knative eventmesh backend, polled every refresh interval.
    Backend {
        backend: crate::source::backend::Backend,
    },
    /// Backstage app-configs with several providers: the user picks one first.
    PickProvider { choice: ProviderChoice },
    /// The embedded simulated cluster, as one of its identities.
    Demo { sim: RunningSim, identity: usize },
}

/// What it takes to connect to whichever app-config provider the user picks.
pub struct ProviderChoice {
    pub paths: Vec<std::path::PathBuf>,
    pub ids: Vec<String>,
    pub tls: crate::source::connect::ConnectOptions,
    /// A token given on the command line, which wins over the app-config's.
    pub token: Option<String>,
    pub timeout: Duration,
    pub max_body: usize,
    /// --refresh, which wins over the provider's schedule.
    pub refresh: Option<Duration>,
}

/// Connects to the picked provider.
fn pick_provider(
    choice: &ProviderChoice,
    id: &str,
) -> Result<(crate::source::backend::Backend, Duration), String> {
    let env = |name: &str| std::env::var(name).ok();
    let provider = crate::source::backstage::provider(&choice.paths, Some(id), &env)
        .map_err(|e| e.to_string())?;
    let token = choice.token.clone().or(provider.token);
    let backend = crate::source::backend::Backend::new(
        &provider.base_url,
        token,
        &choice.tls,
        choice.timeout,
    )
    .map_err(|e| e.to_string())?
    .with_max_body(choice.max_body);
    Ok((
        backend,
        choice
            .refresh
            .or(provider.frequency)
            .unwrap_or(Duration::from_secs(60)),
    ))
}

/// The running report task, and what it needs to run again.
type ReportJob = (
    tokio::task::JoinHandle<()>,
    Arc<Fetcher>,
    Scope,
    Option<String>,
    LiveEvents,
);
/// What the live source has fetched, for the report to reuse instead of fetching again.
type LiveEvents = tokio::sync::watch::Receiver<Option<live::Event>>;
/// The running live source: its handle, and the task that builds meshes from it.
type LiveJob = (live::Live, tokio::task::JoinHandle<()>);

/// Follows a live source: the mesh pipeline and the token report, both started now.
fn follow(
    app: &mut App,
    fetcher: Arc<Fetcher>,
    scope: Scope,
    token: Option<String>,
    refresh: Duration,
    sender: &mpsc::UnboundedSender<Data>,
) -> (LiveJob, ReportJob) {
    app.set_report(None, Some(CHECKING.into()));
    let following = spawn_pipeline(fetcher.clone(), scope.clone(), refresh, sender.clone());
    let events = following.0.events.clone();
    let task = spawn_report(
        fetcher.clone(),
        scope.clone(),
        token.clone(),
        events.clone(),
        sender.clone(),
    );
    (following, (task, fetcher, scope, token, events))
}

/// A backend gives no token to inspect against the API server.
const NO_REPORT: &str = "the token report needs the API server: run kn-mesh auth --server …";

const CHECKING: &str = "checking the token… (the report appears here in a moment)";

async fn demo_fetcher(sim: &RunningSim, identity: &str) -> color_eyre::Result<Arc<Fetcher>> {
    let config = sim.client_config(identity).await?;
    let client = kube::Client::try_from(config)?;
    let endpoint = Endpoint {
        server: sim.url.clone(),
        context: Some(identity.to_string()),
        token: None,
    };
    Ok(Arc::new(Fetcher::new(client, endpoint)))
}

fn demo_identity_label(sim: &RunningSim, identity: &str) -> String {
    match sim.identity(identity) {
        Some(found) => format!(
            "{identity} ({}, {} token)",
            found.user.username, found.token_kind
        ),
        None => identity.to_string(),
    }
}

/// Puts the terminal back as it was. Safe to call twice.
pub fn restore_terminal() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        std::io::stdout(),
        event::DisableMouseCapture,
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped: on return, on error, and while unwinding.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

pub async fn run(feed: Feed, options: Options) -> color_eyre::Result<()> {
    // A panic restores the terminal first, then reports through the hook already installed.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
    crossterm::terminal::enable_raw_mode()?;
    let _guard = TerminalGuard;
    crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    if options.mouse {
        crossterm::execute!(std::io::stdout(), event::EnableMouseCapture)?;
    }
    // Cleared directly: ratatui's clear() asks the terminal where the cursor is, and a
    // terminal that does not answer (a bare pty) would stall start-up.
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    run_loop(&mut terminal, feed, options).await
}

// Long: the event loop; to become an update function and a runner (issue 11).
#[allow(clippy::too_many_lines)]
async fn run_loop(
    terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
    feed: Feed,
    options: Options,
) -> color_eyre::Result<()> {
    let (sender, mut data) = mpsc::unbounded_channel::<Data>();
    let mut app;
    // The running live source; replaced when the demo switches identity.
    let mut live: Option<(live::Live, tokio::task::JoinHandle<()>)> = None;
    let mut demo: Option<(RunningSim, usize)> = None;
    let mut report: Option<ReportJob> = None;
    // A backend is polled: the poller's task, and its "poll now" signal.
    let mut poller: Option<(tokio::task::JoinHandle<()>, mpsc::UnboundedSender<()>)> = None;
    let mut providers: Option<ProviderChoice> = None;
    // Manifests: what to read again on `r`.
    let mut files: Option<(Vec<std::path::PathBuf>, Option<String>)> = None;
    match feed {
        Feed::Files { paths, namespace } => {
            let label = format!(
                "files: {}",
                paths
                    .iter()
                    .map(|p| crate::text::escape(&p.display().to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            app = App::new(Arc::new(Mesh::default()), SourceInfo::loading(label));
            spawn_file_read(paths.clone(), namespace.clone(), sender.clone());
            files = Some((paths, namespace));
        }
        Feed::Live {
            fetcher,
            scope,
            label,
            token,
        } => {
            app = App::new(Arc::new(Mesh::default()), SourceInfo::loading(label));
            let (following, job) =
                follow(&mut app, fetcher, scope, token, options.refresh, &sender);
            report = Some(job);
            live = Some(following);
        }
        Feed::Backend { backend } => {
            let label = format!(
                "backend {} (reduced: no triggers)",
                crate::source::backend::endpoint_url(&backend.base_url)
            );
            app = App::new(Arc::new(Mesh::default()), SourceInfo::loading(label));
            app.set_report(None, Some(NO_REPORT.into()));
            poller = Some(spawn_backend_poller(
                backend,
                options.refresh,
                sender.clone(),
            ));
        }
        Feed::PickProvider { choice } => {
            let source = SourceInfo {
                label: "Backstage app-config: pick a provider".into(),
                ..Default::default()
            };
            app = App::new(Arc::new(Mesh::default()), source);
            app.popup = Some(state::Popup::Providers {
                ids: choice.ids.clone(),
                cursor: 0,
            });
            providers = Some(choice);
        }
        Feed::Demo { sim, identity } => {
            let name = DEMO_IDENTITIES[identity];
            let label = format!("demo: simulated cluster {}", sim.url);
            let source = SourceInfo {
                label,
                identity: Some(demo_identity_label(&sim, name)),
                loading: true,
                ..Default::default()
            };
            app = App::new(Arc::new(Mesh::default()), source);
            app.can_switch_identity = true;
            let fetcher = demo_fetcher(&sim, name).await?;
            let token = sim.token(name).map(str::to_string);
            let (following, job) = follow(
                &mut app,
                fetcher,
                Scope::default(),
                token,
                options.refresh,
                &sender,
            );
            report = Some(job);
            live = Some(following);
            demo = Some((sim, identity));
        }
    }
    app.no_color = options.no_color;
    let mut terminated = termination_signal();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(120));
    let mut dirty = true;
    // A benchmarking hook (README, Benchmarks): leave after the first frame ("any") or after
    // the first frame with data ("data"), to time start-up from outside.
    let exit_after_first_frame = std::env::var("KN_MESH_EXIT_AFTER_FIRST_FRAME").ok();
    loop {
        if dirty {
            let size = terminal.size()?;
            let areas = view::areas(
                &app,
                ratatui::layout::Rect::new(0, 0, size.width, size.height),
            );
            app.page = areas.tree.height as usize;
            let page = app.page;
            app.current_mut().scroll_into_view(page);
            terminal.draw(|frame| view::draw(frame, &app))?;
            dirty = false;
            match exit_after_first_frame.as_deref() {
                Some("any") => break,
                Some("data") if !app.source.loading => break,
                _ => {}
            }
        }
        if app.quit {
            break;
        }
        tokio::select! {
            // SIGTERM, SIGHUP or SIGINT: leave the loop, so the guard restores the terminal.
            _ = &mut terminated => break,
            event = events.next() => {
                let Some(Ok(event)) = event else { break };
                dirty = true;
                match event {
                    Event::Key(key) if key.kind != KeyEventKind::Release => {
                        match keys::handle(&mut app, key) {
                            keys::Effect::None => {}
                            keys::Effect::Refresh => {
                                if let Some((live, _)) = &live {
                                    live.refresh();
                                    app.source.loading = true;
                                }
                                if let Some((paths, namespace)) = &files {
                                    spawn_file_read(paths.clone(), namespace.clone(), sender.clone());
                                    app.source.loading = true;
                                }
                                if let Some((_, poll_now)) = &poller {
                                    let _ = poll_now.send(());
                                    app.source.loading = true;
                                }
                                if let Some((task, fetcher, scope, token, events)) = report.take() {
                                    task.abort();
                                    app.set_report(None, Some(CHECKING.into()));
                                    let task = spawn_report(fetcher.clone(), scope.clone(), token.clone(), events.clone(), sender.clone());
                                    report = Some((task, fetcher, scope, token, events));
                                }
                            }
                            keys::Effect::SwitchIdentity => {
                                if let Some((sim, identity)) = &mut demo {
                                    *identity = (*identity + 1) % DEMO_IDENTITIES.len();
                                    let name = DEMO_IDENTITIES[*identity];
                                    if let Some((_, task)) = live.take() {
                                        task.abort();
                                    }
                                    app.source.identity = Some(demo_identity_label(sim, name));
                                    app.source.loading = true;
                                    let fetcher = demo_fetcher(sim, name).await?;
                                    let token = sim.token(name).map(str::to_string);
                                    if let Some((task, ..)) = report.take() {
                                        task.abort();
                                    }
                                    let (following, job) = follow(&mut app, fetcher, Scope::default(), token, options.refresh, &sender);
            report = Some(job);
            live = Some(following);
                                }
                            }
                        }
                    }
                    Event::Mouse(mouse) => handle_mouse(&mut app, mouse, terminal.size()?),
                    _ => {}
                }
            }
            _ = std::future::ready(()), if app.chosen_provider.is_some() => {
                let id = app.chosen_provider.take().unwrap_or_default();
                if let Some(choice) = &providers {
                    match pick_provider(choice, &id) {
                        Ok((backend, every)) => {
                            app.source.label = format!("backend {} (provider {id}; reduced: no triggers)", crate::source::backend::endpoint_url(&backend.base_url));
                            app.source.loading = true;
                            app.set_report(None, Some(NO_REPORT.into()));
                            if let Some((task, _)) = poller.take() {
                                task.abort();
                            }
                            poller = Some(spawn_backend_poller(backend, every, sender.clone()));
                        }
                        Err(message) => app.source.problem = Some(message),
                    }
                }
                dirty = true;
            }
            Some(update) = data.recv() => {
                dirty = true;
                if !matches!(update, Data::Report(_)) {
                    app.source.loading = false;
                }
                match update {
                    Data::Mesh { mesh, updated } => {
                        app.source.problem = None;
                        app.source.updated = Some(updated);
                        app.set_mesh(mesh);
                    }
                    Data::Failed(message) => app.source.problem = Some(message),
                    Data::Report(Ok(result)) => app.set_report(Some(result), None),
                    Data::Report(Err(message)) => app.set_report(None, Some(format!("the token check failed: {message}"))),
                }
            }
            _ = tick.tick() => {
                if app.source.loading {
                    app.tick += 1;
                    dirty = true;
                }
            }
        }
    }
    drop(live);
    if let Some((task, _)) = poller {
        task.abort();
    }
    Ok(())
}

fn handle_mouse(app: &mut App, mouse: event::MouseEvent, size: ratatui::layout::Size) {
    let areas = view::areas(
        app,
        ratatui::layout::Rect::new(0, 0, size.width, size.height),
    );
    let tree = areas.tree;
    match mouse.kind {
        MouseEventKind::ScrollDown => app.current_mut().move_by(3),
        MouseEventKind::ScrollUp => app.current_mut().move_by(-3),
        MouseEventKind::Down(event::MouseButton::Left) => {
            if mouse.row >= tree.y
                && mouse.row < tree.y + tree.height
                && mouse.column < tree.x + tree.width
            {
                let offset = app.current().offset;
                let index = offset + (mouse.row - tree.y) as usize;
                if index < app.current().rows.len() {
                    if app.current().selected == index {
                        if app.current_mut().toggle() {
                            app.reflow();
                        }
                    } else {
                        app.current_mut().selected = index;
                    }
                }
            } else if mouse.row == areas.tabs.y {
                // Each tab label is " N Title " plus a space.
                let mut x = 0u16;
                for (index, tab) in state::TABS.iter().enumerate() {
                    let width = tab.title().len() as u16 + 5;
                    if mouse.column >= x && mouse.column < x + width {
                        app.select_tab(index);
                        break;
                    }
                    x += width;
                }
            }
        }
        _ => {}
    }
}
