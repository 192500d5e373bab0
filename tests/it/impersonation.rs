//! `--as`: kn-mesh acts as another user through kube-apiserver's impersonation, as kubectl
//! does. What it sees as X from an admin context is what X's own token sees.

use crate::common::demo_sim;
use std::process::{Command, Output};

async fn kn_mesh(kubeconfig: &std::path::Path, args: &[&str]) -> Output {
    let mut all: Vec<String> = vec!["--kubeconfig".into(), kubeconfig.display().to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_kn-mesh"))
            .args(&all)
            .env_remove("RUST_BACKTRACE")
            .env_remove("KNATIVE_EVENT_MESH_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn as_a_service_account_sees_what_its_own_token_sees() {
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    for identity in ["mesh-viewer", "payments-only"] {
        let user = format!("system:serviceaccount:backstage:{identity}");
        let own = kn_mesh(&kubeconfig, &["--context", identity, "-o", "eventmesh"]).await;
        let impersonated = kn_mesh(
            &kubeconfig,
            &["--context", "admin", "--as", &user, "-o", "eventmesh"],
        )
        .await;
        assert_eq!(own.status.code(), impersonated.status.code(), "{identity}");
        assert_eq!(own.stdout, impersonated.stdout, "{identity}");

        // auth: the same verdict and exit code, for the impersonated identity.
        let own = kn_mesh(&kubeconfig, &["auth", "--context", identity]).await;
        let impersonated =
            kn_mesh(&kubeconfig, &["auth", "--context", "admin", "--as", &user]).await;
        assert_eq!(own.status.code(), impersonated.status.code(), "{identity}");
        let text = String::from_utf8_lossy(&impersonated.stdout);
        assert!(text.contains(&user), "auth reports whom it acts as: {text}");
        let verdict = |out: &Output| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.contains("fit for purpose") || l.contains("missing"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(verdict(&own), verdict(&impersonated), "{identity}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn impersonation_needs_the_right_and_a_user() {
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    // mesh-viewer may not impersonate: the 403 names the right it lacks.
    let out = kn_mesh(
        &kubeconfig,
        &[
            "--context",
            "mesh-viewer",
            "--as",
            "system:serviceaccount:backstage:docs-reader",
            "-o",
            "tree",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing printed as if it were the mesh"
    );
    assert!(
        stderr.contains("cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"backstage\"")
            && stderr.contains("verbs [impersonate]"),
        "{stderr}"
    );
    // Groups without a user, or --as anywhere but a cluster, are bad input.
    let out = kn_mesh(&kubeconfig, &["--as-group", "team-a", "-o", "tree"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --as USER too"));
    let out = crate::common::kn_mesh(&["--demo", "--as", "alice", "-o", "tree"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--as acts on a cluster connection"));
    let out = crate::common::kn_mesh(&["auth", "--demo-identity", "docs-reader", "--as", "bob"]);
    assert_eq!(out.status.code(), Some(2), "--as is never ignored");
    // `--as ''` is no impersonation, as kubectl reads it: the admin's own view.
    let own = kn_mesh(&kubeconfig, &["--context", "admin", "-o", "eventmesh"]).await;
    let empty = kn_mesh(
        &kubeconfig,
        &["--context", "admin", "--as", "", "-o", "eventmesh"],
    )
    .await;
    assert_eq!(empty.status.code(), Some(0));
    assert_eq!(own.stdout, empty.stdout);
}

/// A followed cluster source through one context of the sim's kubeconfig.
async fn follow_context(
    sim: &kn_mesh::sim::RunningSim,
    dir: &std::path::Path,
    context: &str,
) -> kn_mesh::source::follow::Following {
    use kn_mesh::source::spec::{Origin, SourceSpec};
    let kubeconfig = dir.join("config");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    let spec = SourceSpec {
        origin: Origin::Cluster(kn_mesh::source::connect::ConnectOptions {
            kubeconfig: Some(kubeconfig),
            context: Some(context.into()),
            ..Default::default()
        }),
        namespaces: Vec::new(),
        refresh: None,
        request_timeout: None,
        label_selector: None,
        eventmesh_only: false,
    };
    kn_mesh::source::open(spec, true).await.unwrap().follow()
}

async fn next_update(
    following: &mut kn_mesh::source::follow::Following,
) -> kn_mesh::source::spec::Update {
    tokio::time::timeout(std::time::Duration::from_secs(20), following.next())
        .await
        .expect("an update in time")
        .expect("the source runs")
}

mod tui {
    use super::{follow_context, next_update};
    use crate::common::demo_sim;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use kn_mesh::source::follow::Following;
    use kn_mesh::source::spec::Update;
    use kn_mesh::tui::msg::{Cmd, Msg};
    use kn_mesh::tui::state::{App, Popup, SourceInfo};
    use kn_mesh::tui::{update, view};

    fn screen(app: &App) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(140, 40)).unwrap();
        terminal.draw(|frame| view::draw(frame, app)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        (0..40)
            .map(|y| {
                (0..140)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Feeds the source's updates to the TUI until `done` says the state is there.
    async fn until(following: &mut Following, app: &mut App, done: impl Fn(&App) -> bool) {
        while !done(app) {
            let next = next_update(following).await;
            if let Update::Failed(error) = &next {
                panic!("{error}");
            }
            update(app, Msg::Source(next));
        }
    }

    /// Presses `Down` `downs` times then Enter, and passes what the TUI asks of the source on.
    fn pick(app: &mut App, following: &Following, downs: usize) {
        let press = |app: &mut App, code: KeyCode| {
            update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
        };
        for _ in 0..downs {
            press(app, KeyCode::Down);
        }
        for cmd in press(app, KeyCode::Enter) {
            if let Cmd::Source(control) = cmd {
                following.control(control);
            }
        }
    }

    fn only_in(app: &App, namespace: &str) -> bool {
        !app.mesh.brokers.is_empty()
            && app
                .mesh
                .brokers
                .iter()
                .all(|b| b.object.namespace() == namespace)
    }

    /// `c` in the TUI offers "impersonate a ServiceAccount…": the source lists the
    /// ServiceAccounts the caller may read, Enter on one connects as it (the header says whom,
    /// and by whom), and "stop impersonating" goes back. Driven end to end: the real source
    /// against the sim, its updates through the TUI's own `update`, and the commands back.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_tui_impersonates_a_service_account_picked_in_c() {
        let sim = demo_sim().await;
        let dir = tempfile::tempdir().unwrap();
        let mut following = follow_context(&sim, dir.path(), "admin").await;
        let mut app = App::new(Default::default(), SourceInfo::default());
        update(
            &mut app,
            Msg::Resize {
                width: 140,
                height: 40,
            },
        );
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        until(&mut following, &mut app, |a| !a.mesh.brokers.is_empty()).await;
        assert!(!only_in(&app, "payments"), "admin reads every namespace");

        // c: the contexts, then the impersonation entry; Enter on it asks for the accounts.
        update(&mut app, Msg::Key(c));
        assert!(
            screen(&app).contains("→ impersonate a ServiceAccount…"),
            "{}",
            screen(&app)
        );
        let contexts = app.source.contexts.len();
        pick(&mut app, &following, contexts);
        until(&mut following, &mut app, |a| a.popup.is_some()).await;
        let Some(Popup::ServiceAccounts { names, .. }) = app.popup.clone() else {
            panic!("the ServiceAccounts list: {}", screen(&app))
        };
        let user = "system:serviceaccount:backstage:payments-only";
        let at = names
            .iter()
            .position(|n| n == user)
            .expect("payments-only is listed");
        pick(&mut app, &following, at);
        until(&mut following, &mut app, |a| {
            a.acting_as().is_some() && !a.source.loading && !a.mesh.brokers.is_empty()
        })
        .await;
        assert!(
            only_in(&app, "payments"),
            "payments-only sees payments only"
        );
        let shown = screen(&app);
        assert!(
            shown.contains(&format!("as {user} (impersonated by context admin)")),
            "{shown}"
        );

        // And back: c, "stop impersonating" (the last entry).
        update(&mut app, Msg::Key(c));
        assert!(screen(&app).contains("→ stop impersonating"));
        pick(&mut app, &following, contexts + 1);
        until(&mut following, &mut app, |a| {
            a.acting_as().is_none() && !a.source.loading && !a.mesh.brokers.is_empty()
        })
        .await;
        assert!(!only_in(&app, "payments"), "admin again");
    }
}

/// Asked to impersonate without the right to, the source says why and keeps the connection
/// that works.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_impersonation_keeps_the_connection_that_works() {
    use kn_mesh::source::spec::{Control, Update};
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let mut following = follow_context(&sim, dir.path(), "payments-only").await;
    while !matches!(next_update(&mut following).await, Update::Read(_)) {}
    following.control(Control::Impersonate(Some(
        "system:serviceaccount:backstage:mesh-viewer".into(),
    )));
    let failure = loop {
        match next_update(&mut following).await {
            Update::Failed(error) => break error.to_string(),
            Update::Connected(_) => panic!("connected although impersonation is refused"),
            _ => {}
        }
    };
    assert!(failure.contains("impersonate"), "{failure}");
    following.control(Control::Refresh);
    let reading = loop {
        if let Update::Read(reading) = next_update(&mut following).await {
            break reading;
        }
    };
    assert!(
        reading
            .mesh
            .brokers
            .iter()
            .all(|b| b.object.namespace() == "payments")
    );
}
