//! The terminal UI, as an explicit update loop: `Msg`s (keys, mouse, source updates, report
//! results, ticks) go through the pure `update`, which changes the plain `App` state and returns
//! `Cmd`s; the runner here owns the terminal, the source and the background jobs, carries out
//! the commands, and draws with `view`, which never does I/O.

pub mod columns;
pub mod contexts;
pub mod detail;
pub mod events;
mod jobs;
pub mod jump;
pub mod keys;
pub mod labels;
mod lines;
pub mod msg;
pub mod picker;
mod popup_keys;
mod popups;
pub mod query;
mod relations;
pub mod state;
mod theme;
pub mod trace;
pub mod tree;
pub mod update;
pub mod view;
pub mod wrap;
pub mod yaml_view;

use crate::mesh::Mesh;
use crate::source::Following;
use crossterm::event::{self, Event, EventStream};
use futures_util::StreamExt;
use jobs::{spawn_report, termination_signal};
use msg::{Cmd, Msg};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use state::{App, SourceInfo};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
pub use update::update;

pub struct Options {
    pub mouse: bool,
    pub no_color: bool,
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

/// Runs the TUI on the terminal, following the source until the user quits.
pub async fn run(source: Following, options: Options) -> color_eyre::Result<()> {
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
    let mut app = App::new(Arc::new(Mesh::default()), SourceInfo::default());
    app.no_color = options.no_color;
    app.source.loading = true;
    run_with(&mut terminal, app, source, terminal_events()).await
}

/// The runner: turns terminal events, source updates, report results and ticks into `Msg`s,
/// runs `update`, carries out its `Cmd`s and draws. Generic over the backend and the event
/// stream, so tests run it headless with a `TestBackend` and scripted events.
pub async fn run_with<B, E>(
    terminal: &mut Terminal<B>,
    mut app: App,
    mut source: Following,
    mut events: E,
) -> color_eyre::Result<()>
where
    B: ratatui::backend::Backend,
    B::Error: Send + Sync + 'static,
    E: futures_util::Stream<Item = Msg> + Unpin,
{
    let (report_sender, mut reports) = mpsc::unbounded_channel::<Msg>();
    let mut report_job: Option<tokio::task::JoinHandle<()>> = None;
    let mut events_job: Option<tokio::task::JoinHandle<()>> = None;
    let mut terminated = termination_signal();
    let mut tick = tokio::time::interval(Duration::from_millis(120));
    // A benchmarking hook (README, Benchmarks): leave after the first frame ("any") or after
    // the first frame with data ("data"), to time start-up from outside.
    let exit_after_first_frame = std::env::var("KN_MESH_EXIT_AFTER_FIRST_FRAME").ok();
    let size = terminal.size()?;
    update(
        &mut app,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    let mut dirty = true;
    loop {
        if dirty {
            app.now = Some(jiff::Timestamp::now());
            terminal.draw(|frame| view::draw(frame, &app))?;
            dirty = false;
            match exit_after_first_frame.as_deref() {
                Some("any") => break,
                Some("data") if !app.source.loading && app.source.freshness.is_some() => break,
                _ => {}
            }
        }
        let msg = tokio::select! {
            // SIGTERM, SIGHUP or SIGINT: leave the loop, so the guard restores the terminal.
            _ = &mut terminated => break,
            event = events.next() => match event {
                Some(msg) => msg,
                None => break,
            },
            Some(update) = source.next() => Msg::Source(update),
            Some(report) = reports.recv() => report,
            _ = tick.tick() => {
                // Idle ticks change nothing: no redraw.
                if !app.source.loading {
                    continue;
                }
                Msg::Tick
            }
        };
        dirty = true;
        for cmd in update(&mut app, msg) {
            match cmd {
                Cmd::Quit => {
                    if let Some(job) = report_job.take() {
                        job.abort();
                    }
                    return Ok(());
                }
                Cmd::Source(control) => source.control(control),
                Cmd::Copy(text) => copy_to_clipboard(&text),
                Cmd::FetchEvents {
                    cluster,
                    about,
                    kind,
                    namespace,
                    name,
                } => {
                    if let Some(job) = events_job.take() {
                        job.abort();
                    }
                    let sender = report_sender.clone();
                    events_job = Some(tokio::spawn(async move {
                        let events = cluster.fetcher.events_about(&kind, &namespace, &name).await;
                        let _ = sender.send(Msg::Events { about, events });
                    }));
                }
                Cmd::CheckToken {
                    cluster,
                    snapshot,
                    generation,
                } => {
                    if let Some(job) = report_job.take() {
                        job.abort();
                    }
                    report_job = Some(spawn_report(
                        cluster,
                        snapshot,
                        generation,
                        report_sender.clone(),
                    ));
                }
            }
        }
    }
    if let Some(job) = report_job.take() {
        job.abort();
    }
    Ok(())
}

/// The terminal's events as messages.
/// OSC 52: the terminal (and tmux with `set-clipboard on`) puts the text on the clipboard,
/// over SSH too. A terminal that does not support it ignores the sequence.
fn copy_to_clipboard(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout();
    // Nothing to do if the terminal is gone: the popup's note already said what was asked.
    let _ = stdout
        .write_all(yaml_view::osc52(text).as_bytes())
        .and_then(|()| stdout.flush());
}

fn terminal_events() -> impl futures_util::Stream<Item = Msg> + Unpin {
    EventStream::new().filter_map(|event| {
        std::future::ready(match event {
            Ok(Event::Key(key)) => Some(Msg::Key(key)),
            Ok(Event::Mouse(mouse)) => Some(Msg::Mouse(mouse)),
            Ok(Event::Resize(width, height)) => Some(Msg::Resize { width, height }),
            Ok(_) => None,
            // A terminal that cannot be read any more: end as if it closed.
            Err(_) => None,
        })
    })
}
