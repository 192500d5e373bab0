//! The TUI's update loop, headless: `update` driven with message sequences (navigation, a source
//! failure, a provider choice, refresh, a stale report), and the runner itself on the demo
//! source, drawing into a TestBackend whose frames the test reads as they are drawn.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kn_mesh::mesh::{self, Mesh};
use kn_mesh::source::connect::Endpoint;
use kn_mesh::source::fetch::{Fetcher, Scope};
use kn_mesh::source::spec::{
    ClusterAccess, Connection, Control, Freshness, Origin, OriginLabel, Reading, SourceError,
    SourceSpec, Update,
};
use kn_mesh::tui::msg::{Cmd, Msg};
use kn_mesh::tui::state::{App, SourceInfo, TokenCheck};
use kn_mesh::tui::{update, view};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn new_app() -> App {
    let mut app = App::new(Arc::new(Mesh::default()), SourceInfo::default());
    app.time_zone = jiff::tz::TimeZone::UTC;
    update(
        &mut app,
        Msg::Resize {
            width: 100,
            height: 30,
        },
    );
    app
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    terminal.draw(|frame| view::draw(frame, app)).unwrap();
    buffer_text(terminal.backend().buffer())
}

fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let area = buffer.area;
    let mut text = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

fn connection(origin: OriginLabel, generation: u64) -> Connection {
    Connection {
        generation,
        origin,
        identity: None,
        cluster: None,
        identities: Vec::new(),
        providers: Vec::new(),
        contexts: Vec::new(),
        context: None,
    }
}

fn reading(mesh: Mesh, snapshot: Option<Arc<mesh::Snapshot>>) -> Reading {
    Reading {
        mesh: Arc::new(mesh),
        snapshot,
        freshness: Freshness::Watched {
            at: "2026-01-01T12:00:00Z".parse().unwrap(),
        },
        problems: Vec::new(),
        unreadable_file: false,
        warnings: Vec::new(),
    }
}

fn demo_mesh() -> Mesh {
    let read = kn_mesh::source::manifests::read_snapshot(&[crate::common::demo_dir()], None);
    mesh::build(read.unwrap().snapshot)
}

/// A cluster access that is never dialled: `update` only passes it on.
fn unused_cluster() -> ClusterAccess {
    let config = kube::Config::new("https://127.0.0.1:1".parse().unwrap());
    let endpoint = Endpoint {
        server: "https://127.0.0.1:1".into(),
        context: None,
        token: None,
        acting_as: None,
    };
    ClusterAccess {
        fetcher: Arc::new(Fetcher::new(
            kube::Client::try_from(config).unwrap(),
            endpoint,
        )),
        scope: Scope::default(),
        token: None,
    }
}

#[test]
fn navigation_through_update_moves_expands_and_switches_tabs() {
    let mut app = new_app();
    let files = OriginLabel::Files(vec!["demo".into()]);
    update(
        &mut app,
        Msg::Source(Update::Connected(Box::new(connection(files, 0)))),
    );
    assert!(app.source.loading);
    let cmds = update(
        &mut app,
        Msg::Source(Update::Read(reading(demo_mesh(), None))),
    );
    assert!(cmds.is_empty(), "files have no token to check: {cmds:?}");
    assert!(!app.source.loading);
    let roots = app.current().rows.len();
    update(&mut app, key(KeyCode::Char('E')));
    assert!(app.current().rows.len() > roots, "E expands every node");
    update(&mut app, key(KeyCode::Char('G')));
    assert_eq!(app.current().selected, app.current().rows.len() - 1);
    update(&mut app, key(KeyCode::Char('C')));
    assert!(app.current().rows.iter().all(|row| row.depth == 0));
    assert!(app.current().rows.len() < roots, "C collapses every node");
    update(&mut app, key(KeyCode::Tab));
    assert_eq!(app.tab, 1);
    assert!(screen(&app).contains("files: demo"), "{}", screen(&app));
    let quit = update(&mut app, key(KeyCode::Char('q')));
    assert!(matches!(quit.as_slice(), [Cmd::Quit]), "{quit:?}");
}

#[test]
fn a_source_failure_is_shown_and_ends_loading() {
    let mut app = new_app();
    let cluster = OriginLabel::Cluster {
        endpoint: "https://example.test".into(),
    };
    update(
        &mut app,
        Msg::Source(Update::Connected(Box::new(connection(cluster, 0)))),
    );
    let lost = SourceError::Live(Arc::new("the connection to the API server was lost".into()));
    update(&mut app, Msg::Source(Update::Failed(lost)));
    assert!(!app.source.loading);
    let text = screen(&app);
    assert!(
        text.contains("⚠ the connection to the API server was lost"),
        "{text}"
    );
    // The next reading clears the problem.
    update(
        &mut app,
        Msg::Source(Update::Read(reading(demo_mesh(), None))),
    );
    assert_eq!(app.source.problem, None);
    assert!(screen(&app).contains("updated 12:00:00 (watch)"));
}

#[test]
fn several_providers_ask_first_and_the_pick_goes_to_the_source() {
    let mut app = new_app();
    let mut unchosen = connection(OriginLabel::Unchosen, 0);
    unchosen.providers = ["dev", "prod"]
        .map(|id| kn_mesh::source::spec::ProviderLabel {
            id: id.into(),
            base_url: format!("http://{id}:8080"),
        })
        .to_vec();
    update(&mut app, Msg::Source(Update::Connected(Box::new(unchosen))));
    assert!(!app.source.loading, "nothing is read before a pick");
    assert!(screen(&app).contains("Knative event mesh providers"));
    update(&mut app, key(KeyCode::Down));
    let cmds = update(&mut app, key(KeyCode::Enter));
    assert!(
        matches!(cmds.as_slice(), [Cmd::Source(Control::PickProvider(id))] if id == "prod"),
        "{cmds:?}"
    );
    assert!(app.popup.is_none() && app.source.loading);
    // The source connects to the pick and says so.
    let backend = OriginLabel::Backend {
        url: "http://backend.test/v1/getEventMesh".into(),
        provider: Some("prod".into()),
    };
    update(
        &mut app,
        Msg::Source(Update::Connected(Box::new(connection(backend, 1)))),
    );
    let text = screen(&app);
    assert!(
        text.contains("backend http://backend.test/v1/getEventMesh (provider prod)"),
        "{text}"
    );
}

#[tokio::test]
async fn refresh_reads_again_and_a_report_for_an_older_identity_is_dropped() {
    let mut app = new_app();
    let mut demo = connection(
        OriginLabel::Demo {
            url: "https://demo.test".into(),
        },
        0,
    );
    demo.cluster = Some(unused_cluster());
    demo.identities = vec!["payments-only".into(), "mesh-viewer".into()];
    update(
        &mut app,
        Msg::Source(Update::Connected(Box::new(demo.clone()))),
    );
    assert_eq!(app.token_check, TokenCheck::AwaitingData);
    // The first reading starts the token check, with the reading's Snapshot.
    let snapshot = Arc::new(mesh::Snapshot::default());
    let cmds = update(
        &mut app,
        Msg::Source(Update::Read(reading(demo_mesh(), Some(snapshot)))),
    );
    assert!(
        matches!(
            cmds.as_slice(),
            [Cmd::CheckToken {
                generation: 0,
                snapshot: Some(_),
                ..
            }]
        ),
        "{cmds:?}"
    );
    // r: the source reads again, and the check waits for that reading.
    let cmds = update(&mut app, key(KeyCode::Char('r')));
    assert!(matches!(cmds.as_slice(), [Cmd::Source(Control::Refresh)]));
    assert!(app.source.loading);
    assert_eq!(app.token_check, TokenCheck::AwaitingData);
    let cmds = update(
        &mut app,
        Msg::Source(Update::Read(reading(demo_mesh(), None))),
    );
    assert!(matches!(
        cmds.as_slice(),
        [Cmd::CheckToken { generation: 0, .. }]
    ));
    // i: another identity; the report still running for the first one is stale when it lands.
    let cmds = update(&mut app, key(KeyCode::Char('i')));
    assert!(matches!(
        cmds.as_slice(),
        [Cmd::Source(Control::SwitchIdentity)]
    ));
    demo.generation = 1;
    update(&mut app, Msg::Source(Update::Connected(Box::new(demo))));
    let stale = Msg::Report {
        generation: 0,
        result: Err("from the first identity".into()),
    };
    update(&mut app, stale);
    assert!(
        app.report_status
            .as_deref()
            .is_some_and(|s| s.starts_with("checking the token")),
        "{:?}",
        app.report_status
    );
}

/// A TestBackend that publishes each frame as text when it is flushed, so a test can wait for
/// what the runner draws.
struct Watched {
    inner: TestBackend,
    frames: watch::Sender<String>,
}

impl Backend for Watched {
    type Error = <TestBackend as Backend>::Error;
    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        let _ = self.frames.send(buffer_text(self.inner.buffer()));
        Ok(())
    }
}

/// Waits until a drawn frame holds every text, or fails with the last frame.
async fn until(frames: &mut watch::Receiver<String>, texts: &[&str]) -> String {
    let wanted = |frame: &String| texts.iter().all(|t| frame.contains(t));
    let waited = tokio::time::timeout(Duration::from_secs(30), frames.wait_for(wanted))
        .await
        .map(|frame| frame.map(|f| f.clone()));
    match waited {
        Ok(Ok(frame)) => frame,
        _ => panic!("no frame with {texts:?}; the last:\n{}", *frames.borrow()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_follows_the_demo_switches_identity_and_shows_the_token_report() {
    let spec = SourceSpec {
        origin: Origin::Demo {
            identity: "payments-only".into(),
        },
        namespaces: Vec::new(),
        refresh: None,
        request_timeout: None,
        label_selector: None,
        eventmesh_only: false,
    };
    let following = kn_mesh::source::open(spec, true).await.unwrap().follow();
    let (frames_sender, mut frames) = watch::channel(String::new());
    let (keys, key_stream) = mpsc::unbounded_channel::<Msg>();
    let runner = tokio::spawn(async move {
        let backend = Watched {
            inner: TestBackend::new(140, 40),
            frames: frames_sender,
        };
        let mut terminal = Terminal::new(backend).unwrap();
        let app = App::new(Arc::new(Mesh::default()), SourceInfo::default());
        let events = Box::pin(futures_util::stream::unfold(key_stream, |mut keys| async {
            keys.recv().await.map(|msg| (msg, keys))
        }));
        kn_mesh::tui::run_with(&mut terminal, app, following, events).await
    });
    until(&mut frames, &["as payments-only", "payments", "(watch)"]).await;
    // The token report runs in the background and lands in the Permissions view.
    keys.send(key(KeyCode::Char('7'))).unwrap();
    // Wherever the selection left the view, one of the report's sections shows once it is in;
    // then g goes to its top.
    let report_in = |frame: &String| {
        [
            "Permissions (get list watch)",
            "Fit for purpose",
            "SelfSubject reviews)",
        ]
        .iter()
        .any(|section| frame.contains(section))
    };
    let waited = tokio::time::timeout(Duration::from_secs(30), frames.wait_for(report_in))
        .await
        .is_ok_and(|frame| frame.is_ok());
    assert!(waited, "no report; the last:\n{}", *frames.borrow());
    keys.send(key(KeyCode::Char('g'))).unwrap();
    until(
        &mut frames,
        &["Server  https://", "Identity", "user    system:"],
    )
    .await;
    keys.send(key(KeyCode::Char('1'))).unwrap();
    keys.send(key(KeyCode::Char('i'))).unwrap();
    let frame = until(&mut frames, &["as mesh-viewer", "(watch)"]).await;
    // The identity's own reading, not the last one's: ops was locked to payments-only.
    assert!(
        frame.contains("broker alerts") && !frame.contains("🔒"),
        "mesh-viewer reads ops too:\n{frame}"
    );
    keys.send(key(KeyCode::Char('q'))).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), runner).await;
    assert!(matches!(ended, Ok(Ok(Ok(())))), "the runner ends on q");
}

fn denied_mesh(namespaces: &[&str]) -> Mesh {
    use kn_mesh::mesh::snapshot::{Access, AccessMarker, ApiRequest};
    let mut snapshot = mesh::Snapshot::default();
    for namespace in namespaces {
        let request = ApiRequest::list("eventing.knative.dev", "triggers", Some(namespace));
        let forbidden = Access::Forbidden {
            message: "m".into(),
        };
        snapshot.access.push(AccessMarker::new(request, forbidden));
    }
    mesh::build(snapshot)
}

#[test]
fn an_opened_node_stays_open_when_its_count_changes() {
    let mut app = new_app();
    let files = OriginLabel::Files(vec!["x".into()]);
    update(
        &mut app,
        Msg::Source(Update::Connected(Box::new(connection(files, 0)))),
    );
    update(
        &mut app,
        Msg::Source(Update::Read(reading(denied_mesh(&["a"]), None))),
    );
    update(&mut app, key(KeyCode::Char('7')));
    let row_of = |app: &App, prefix: &str| {
        (0..app.current().rows.len()).find(|&i| {
            app.current()
                .node_of(i)
                .is_some_and(|n| n.text.starts_with(prefix))
        })
    };
    // A denied group starts closed (its lock says enough); the user opens it.
    let denied = row_of(&app, "Denied (1)").expect("the Denied group");
    assert!(!app.current().rows[denied].expanded);
    app.current_mut().selected = denied;
    update(&mut app, key(KeyCode::Right));
    assert!(app.current().rows[denied].expanded);
    // Another denial: the group's text says (2) now, and it is the same node, still open.
    update(
        &mut app,
        Msg::Source(Update::Read(reading(denied_mesh(&["a", "b"]), None))),
    );
    let denied = row_of(&app, "Denied (2)").expect("the Denied group");
    assert!(
        app.current().rows[denied].expanded,
        "{:?}",
        app.current().rows
    );
    assert!(row_of(&app, "list triggers.eventing.knative.dev in b").is_some());
}

#[test]
fn a_report_warning_shows_its_glyph_once() {
    let report = kn_mesh::access::AccessReport {
        server: "https://example.test".into(),
        acting_as: None,
        identity: None,
        identity_note: None,
        token: None,
        token_error: None,
        warnings: vec!["expires soon".into()],
        matrix: Vec::new(),
        fit: Vec::new(),
        findings: Vec::new(),
        rules: Vec::new(),
        reviews: 0,
        unknown: Vec::new(),
    };
    let mut app = new_app();
    app.set_report(Some(Arc::new(report)), None);
    update(&mut app, key(KeyCode::Char('7')));
    let text = screen(&app);
    assert!(text.contains("⚠ expires soon"), "{text}");
    assert!(!text.contains("⚠ ⚠"), "{text}");
}

#[test]
fn a_backends_mesh_says_where_it_came_from_and_reduced_once() {
    let mut app = new_app();
    let backend = OriginLabel::Backend {
        url: "http://backend.test/v1/getEventMesh".into(),
        provider: None,
    };
    update(
        &mut app,
        Msg::Source(Update::Connected(Box::new(connection(backend, 0)))),
    );
    let reduced = Mesh {
        reduced: true,
        ..Mesh::default()
    };
    update(&mut app, Msg::Source(Update::Read(reading(reduced, None))));
    let header = screen(&app);
    assert_eq!(header.matches("reduced").count(), 1, "{header}");
    update(&mut app, key(KeyCode::Char('7')));
    let permissions = screen(&app);
    assert!(
        permissions.contains("came from an eventmesh backend"),
        "{permissions}"
    );
    assert!(!permissions.contains("came from files"), "{permissions}");
}

/// Describe: selecting an object of a cluster asks once for its Events; they show at the end
/// of the detail pane, and denied Events are marked in place.
#[tokio::test]
async fn selecting_an_object_asks_for_its_events_once_and_shows_them() {
    use kn_mesh::source::fetch::{EventLine, Events};
    let mut app = new_app();
    update(
        &mut app,
        Msg::Source(Update::Read(reading(demo_mesh(), None))),
    );
    app.source.cluster = Some(unused_cluster());
    app.now = Some("2026-01-01T12:00:00Z".parse().unwrap());
    app.show_detail = true;
    let mut asked = Vec::new();
    while !app
        .current()
        .selected_node()
        .is_some_and(|n| n.text.starts_with("trigger order-created"))
    {
        for cmd in update(&mut app, key(KeyCode::Down)) {
            if let Cmd::FetchEvents { kind, name, .. } = cmd {
                asked.push((kind, name));
            }
        }
    }
    assert_eq!(
        asked.last().unwrap(),
        &("Trigger".to_string(), "order-created".to_string())
    );
    // Once per object: moving away and back asks again only for the new selection.
    let about = app.selected_target().unwrap().clone();
    let line = EventLine {
        event_type: "Warning".into(),
        reason: "SubscriberNotReady".into(),
        last_seen: Some("2026-01-01T11:58:00Z".into()),
        from: "trigger-controller".into(),
        message: "the subscriber has no address".into(),
        count: 3,
    };
    update(
        &mut app,
        Msg::Events {
            about: about.clone(),
            events: Events::Listed(vec![line]),
        },
    );
    // The detail pane holds the trigger first; the Events are at its end.
    for _ in 0..20 {
        update(&mut app, key(KeyCode::Char('J')));
    }
    let shown = screen(&app);
    assert!(shown.contains("Events"), "{shown}");
    assert!(shown.contains("SubscriberNotReady"), "{shown}");
    assert!(shown.contains("2m"), "its age: {shown}");
    update(
        &mut app,
        Msg::Events {
            about,
            events: Events::Forbidden("events is forbidden".into()),
        },
    );
    let denied = screen(&app);
    assert!(
        denied.contains("forbidden: events is forbidden"),
        "{denied}"
    );
}
