//! The terminal UI rendered with ratatui's TestBackend: every view on the demo mesh at two
//! sizes, the overlays, the style of a forbidden node, and key sequences driving the state.

use crate::common;
use crate::tui_support::*;
use common::{demo_dir, demo_sim};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kn_mesh::mesh::{self, Mesh};
use kn_mesh::source::fetch::Scope;
use kn_mesh::source::spec::Control;
use kn_mesh::tui::keys;
use kn_mesh::tui::msg::Cmd;
use kn_mesh::tui::state::App;
use kn_mesh::tui::view;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use std::sync::Arc;

#[tokio::test]
async fn every_view_at_two_sizes() {
    let mesh = payments_only_mesh().await;
    for (width, height) in [(120, 40), (80, 24)] {
        for (tab, view) in kn_mesh::tui::state::TABS.iter().enumerate() {
            let mut app = app(mesh.clone());
            app.select_tab(tab);
            app.show_detail = width >= 100;
            let screen = text(&render(&mut app, width, height));
            // Named by the view, so that a new tab does not shift every snapshot after it.
            let name: String = view
                .title()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("_");
            insta::assert_snapshot!(format!("view_{name}_{width}x{height}"), screen);
        }
    }
}

#[tokio::test]
async fn a_forbidden_node_is_red_and_shows_its_rule_in_the_detail_pane() {
    let mut app = app(payments_only_mesh().await);
    // The first row is the cluster-scope group; open it and select a denial.
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Down);
    assert!(
        selected_text(&app).starts_with("brokers at the cluster scope: forbidden"),
        "{}",
        selected_text(&app)
    );
    let buffer = render(&mut app, 120, 40);
    let screen = text(&buffer);
    insta::assert_snapshot!("forbidden_node_selected", screen);
    assert!(screen.contains("The rule that would grant it"));
    assert!(screen.contains("kind: ClusterRole"));
    // The lock and the text of an unselected forbidden row are drawn red and bold.
    let lines: Vec<&str> = screen.lines().collect();
    let row = lines
        .iter()
        .position(|l| l.contains("🔒 triggers at the cluster scope"))
        .unwrap() as u16;
    let x = (0..buffer.area.width)
        .find(|&x| buffer[(x, row)].symbol() == "t")
        .unwrap();
    let cell = &buffer[(x, row)];
    assert_eq!(cell.fg, Color::Red);
    assert!(cell.modifier.contains(ratatui::style::Modifier::BOLD));
    // Without colour, the state still shows through its glyph, bold and underline; reverse
    // video is kept for the selection, so a denied row never looks selected.
    app.no_color = true;
    let plain = render(&mut app, 120, 40);
    let cell = &plain[(x, row)];
    assert_eq!(cell.fg, Color::Reset);
    use ratatui::style::Modifier;
    assert!(
        cell.modifier
            .contains(Modifier::UNDERLINED | Modifier::BOLD)
    );
    assert!(!cell.modifier.contains(Modifier::REVERSED));
    let selected = lines
        .iter()
        .position(|l| l.contains("🔒 brokers at the cluster scope"))
        .unwrap() as u16;
    assert!(plain[(x, selected)].modifier.contains(Modifier::REVERSED));
}

fn text_of_row(buffer: &Buffer, y: u16) -> String {
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol())
        .collect()
}

#[test]
fn the_help_overlay_lists_the_key_map() {
    let mut app = app(offline_mesh());
    press(&mut app, KeyCode::Char('?'));
    let screen = text(&render(&mut app, 120, 40));
    for (keys, help) in keys::help_lines(false) {
        assert!(screen.contains(help), "help misses {help:?}");
        assert!(screen.contains(keys), "help misses the keys {keys:?}");
    }
    assert!(
        screen.contains("from a denied node to its row"),
        "p is in the help"
    );
    insta::assert_snapshot!("help_overlay", screen);
    press(&mut app, KeyCode::Esc);
    assert!(app.popup.is_none());
}

/// At 80×24 and at the smallest size, with the demo's identity key, every help line can be
/// read whole: long lines wrap under their text, and j scrolls what does not fit.
#[test]
fn every_help_line_is_whole_on_small_terminals() {
    for (width, height) in [(80, 24), (view::MIN_WIDTH, view::MIN_HEIGHT)] {
        let mut app = app(offline_mesh());
        app.source.can_switch_identity = true;
        press(&mut app, KeyCode::Char('?'));
        let mut seen = String::new();
        for _ in 0..30 {
            // Each screen's lines, joined where a help text wrapped onto the next line.
            let screen = text(&render(&mut app, width, height));
            seen.push_str(&screen);
            // Inside the popup's borders only: the view around it has text of its own.
            for line in screen.lines() {
                let inside = match (line.find('│'), line.rfind('│')) {
                    (Some(first), Some(last)) if last > first => {
                        &line[first + '│'.len_utf8()..last]
                    }
                    _ => line,
                };
                seen.push_str(inside.trim());
                seen.push(' ');
            }
            press(&mut app, KeyCode::Char('j'));
        }
        let seen = seen.split_whitespace().collect::<Vec<_>>().join(" ");
        for (keys, help) in keys::help_lines(true) {
            assert!(
                seen.contains(keys),
                "{width}x{height}: the keys {keys:?} are cut"
            );
            let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                seen.contains(&words),
                "{width}x{height}: {help:?} is cut: {seen}"
            );
        }
        assert!(seen.contains("demo: switch identity"), "the i line");
    }
}

#[test]
fn the_detail_pane_of_a_trigger_at_80x24() {
    let mut app = app(offline_mesh());
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "trigger fraud");
    press(&mut app, KeyCode::Enter);
    while !selected_text(&app).starts_with("trigger fraud-check") {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('d'));
    assert!(!app.show_detail);
    press(&mut app, KeyCode::Char('d'));
    let screen = text(&render(&mut app, 80, 24));
    insta::assert_snapshot!("detail_trigger_80x24", screen);
    assert!(screen.contains("any(type = \"com.example.payment.authorized\""));
}

#[test]
fn the_yaml_popup_shows_the_object() {
    let mut app = app(offline_mesh());
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "broker alerts");
    press(&mut app, KeyCode::Enter);
    while !selected_text(&app).starts_with("broker alerts") {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('y'));
    let screen = text(&render(&mut app, 120, 40));
    insta::assert_snapshot!("yaml_popup", screen);
    assert!(screen.contains("eventing.knative.dev/broker.class: Kafka"));
    // End, a search with n, and a copy; any other key keeps it open.
    app.screen = ratatui::layout::Rect::new(0, 0, 120, 40);
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Char('x'));
    assert!(app.popup.is_some(), "only Esc or q close it");
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "class");
    let screen = text(&render(&mut app, 120, 40));
    assert!(screen.contains("/class▏ Enter finds"), "{screen}");
    press(&mut app, KeyCode::Enter);
    let Some(kn_mesh::tui::state::Popup::Yaml(view)) = &app.popup else {
        panic!("the popup closed")
    };
    let found = view.found.unwrap();
    assert!(
        view.text
            .lines()
            .nth(found)
            .unwrap()
            .contains("broker.class")
    );
    let copied = press(&mut app, KeyCode::Char('c'));
    assert!(
        matches!(&copied, Some(Cmd::Copy(text)) if text.contains("kind: Broker")),
        "{copied:?}"
    );
    assert!(text(&render(&mut app, 120, 40)).contains("copied"));
    press(&mut app, KeyCode::Esc);
    assert!(app.popup.is_none());
}

/// The rule for a denial comes with its binding to the identity, valid YAML when copied from
/// the YAML popup; the detail pane wraps long lines under themselves and scrolls with J/K.
#[tokio::test]
async fn the_rbac_snippet_binds_the_role_and_the_detail_pane_scrolls() {
    let mut app = app(payments_only_mesh().await);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Down);
    assert!(
        selected_text(&app).contains("forbidden"),
        "{}",
        selected_text(&app)
    );
    press(&mut app, KeyCode::Char('y'));
    let Some(kn_mesh::tui::state::Popup::Yaml(view)) = &app.popup else {
        panic!("no YAML for a denial")
    };
    let documents: Vec<serde_json::Value> = serde_saphyr::from_multiple(&view.text).unwrap();
    assert_eq!(documents.len(), 2, "{}", view.text);
    assert_eq!(documents[0]["kind"], "ClusterRole");
    assert_eq!(documents[1]["kind"], "ClusterRoleBinding");
    assert_eq!(
        documents[1]["roleRef"]["name"],
        documents[0]["metadata"]["name"]
    );
    assert_eq!(
        documents[1]["subjects"][0],
        serde_json::json!({"kind": "ServiceAccount", "name": "payments-only", "namespace": "backstage"})
    );
    press(&mut app, KeyCode::Esc);
    // At 80×24 the pane is short: J scrolls it, and another row starts at the top.
    app.screen = ratatui::layout::Rect::new(0, 0, 80, 24);
    let before = text(&render(&mut app, 80, 24));
    assert!(before.contains("J/K scroll"), "{before}");
    press(&mut app, KeyCode::Char('J'));
    let after = text(&render(&mut app, 80, 24));
    assert_ne!(before, after);
    for _ in 0..10 {
        press(&mut app, KeyCode::Char('J'));
    }
    let end = text(&render(&mut app, 80, 24));
    assert!(
        end.contains("kind: ServiceAccount") && end.contains("subjects:"),
        "{end}"
    );
    press(&mut app, KeyCode::Down);
    assert_eq!(app.detail_offset(), 0);
}

#[test]
fn a_filter_in_progress_keeps_the_way_to_each_match_and_highlights_it() {
    let mut app = app(offline_mesh());
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "heartbe");
    assert!(app.filtering);
    let buffer = render(&mut app, 120, 40);
    let screen = text(&buffer);
    insta::assert_snapshot!("filter_in_progress", screen);
    // Ancestors of the match stay: the namespace and the broker.
    let rows = row_texts(&app);
    assert_eq!(rows[0], "ops");
    assert!(rows[1].starts_with("broker alerts"));
    // The heartbeat source's identity is listed by the policies: their way stays too.
    assert!(
        rows.iter()
            .all(|r| ["ops", "payments"].contains(&r.as_str())
                || r.starts_with("broker ")
                || r.starts_with("who may send")
                || r.to_lowercase().contains("heartbe"))
    );
    // The matching text is highlighted.
    let row = (0..buffer.area.height)
        .find(|&y| text_of_row(&buffer, y).contains("(heartbeat)"))
        .unwrap();
    let line = text_of_row(&buffer, row);
    let x = line
        .find("heartbe")
        .map(|byte| line[..byte].chars().count() as u16)
        .unwrap();
    assert_eq!(buffer[(x, row)].bg, Color::Yellow);
    press(&mut app, KeyCode::Esc);
    assert!(app.filter.is_empty() && !app.filtering);
}

/// Labels, annotations and kinds match too, the count is shown, and clearing keeps the
/// selection on its node.
#[test]
fn a_filter_matches_labels_annotations_and_kinds() {
    let mut app = app(offline_mesh());
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "app.kubernetes.io/part-of=payments");
    let rows = row_texts(&app);
    assert!(
        rows.iter().any(|r| r.starts_with("broker default")),
        "the payments broker carries the label: {rows:?}"
    );
    let hits: Vec<_> = hit_texts(&app);
    assert!(
        hits.iter()
            .all(|h| h.starts_with("broker default") || h.starts_with("event type ")),
        "only the payments broker and event type carry it: {hits:?}"
    );
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains(&format!("{} matching", hits.len())),
        "{screen}"
    );
    // A label key alone.
    app.filter = "eventing.knative.dev/broker".into();
    app.reflow();
    let triggers = hit_texts(&app);
    assert!(
        triggers
            .iter()
            .filter(|t| t.starts_with("trigger "))
            .count()
            == 7
            && !triggers.iter().any(|t| t.starts_with("broker ")),
        "{triggers:?}"
    );
    // A kind, with or without `kind:`.
    for query in ["kind:EventType", "eventtype"] {
        app.filter = query.into();
        app.reflow();
        let hits = hit_texts(&app);
        assert!(
            !hits.is_empty()
                && hits
                    .iter()
                    .all(|t| t.starts_with("event type ") || t.starts_with("type ")),
            "{query}: {hits:?}"
        );
    }
    // No annotation in the demo starts with this prefix.
    app.filter = "a:example.com/".into();
    app.reflow();
    assert!(hit_texts(&app).is_empty());
    // Select a trigger deep in the tree, then clear: it stays selected.
    app.filter = "order-created".into();
    app.reflow();
    let row = (0..app.current().rows.len())
        .find(|&i| {
            app.current()
                .node_of(i)
                .unwrap()
                .text
                .starts_with("trigger order-created")
        })
        .unwrap();
    app.current_mut().selected = row;
    app.current_mut().collapse_all();
    press(&mut app, KeyCode::Esc);
    assert!(app.filter.is_empty());
    assert!(
        selected_text(&app).starts_with("trigger order-created"),
        "{}",
        selected_text(&app)
    );
}

fn hit_texts(app: &App) -> Vec<String> {
    let tree = app.current();
    (0..tree.rows.len())
        .filter(|&i| tree.rows[i].hit.is_some())
        .map(|i| tree.node_of(i).unwrap().text.clone())
        .collect()
}

#[test]
fn navigation_expand_and_collapse() {
    let mut app = app(offline_mesh());
    assert_eq!(selected_text(&app), "ops");
    press(&mut app, KeyCode::Char('j'));
    assert!(selected_text(&app).starts_with("broker alerts"));
    let rows_open = app.current().rows.len();
    press(&mut app, KeyCode::Left);
    assert!(
        app.current().rows.len() < rows_open,
        "collapsing hides the triggers"
    );
    press(&mut app, KeyCode::Left);
    assert_eq!(
        selected_text(&app),
        "ops",
        "h on a closed node goes to the parent"
    );
    press(&mut app, KeyCode::Enter);
    let tree = app.current();
    let ops = tree.path(tree.selected)[0];
    assert!(
        !(0..tree.rows.len()).any(|i| tree.rows[i].depth > 0 && tree.path(i)[0] == ops),
        "ops is closed"
    );
    press(&mut app, KeyCode::Char('E'));
    let all = app.current().rows.len();
    assert!(all > rows_open);
    press(&mut app, KeyCode::Char('C'));
    assert_eq!(
        app.current().rows.len(),
        app.current().rows.iter().filter(|r| r.depth == 0).count()
    );
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.current().selected, app.current().rows.len() - 1);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.current().selected, 0);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, 1);
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.tab, kn_mesh::tui::state::TABS.len() - 1);
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.tab, 2);
    assert!(matches!(
        press(&mut app, KeyCode::Char('r')),
        Some(Cmd::Source(Control::Refresh))
    ));
    assert!(matches!(
        press(&mut app, KeyCode::Char('q')),
        Some(Cmd::Quit)
    ));
}

#[test]
fn picking_namespaces_hides_the_others() {
    let mut app = app(offline_mesh());
    press(&mut app, KeyCode::Char('n'));
    // Namespaces: backstage, ops, payments, shipping; type to find ops and shipping.
    type_text(&mut app, "ops");
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Esc);
    type_text(&mut app, "ship");
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    let screen = text(&render(&mut app, 80, 24));
    assert!(
        screen.contains("[x]   ops")
            && screen.contains("[x]   shipping")
            && screen.contains("[ ]   payments")
            && screen.contains("2 of 4 chosen"),
        "{screen}"
    );
    press(&mut app, KeyCode::Enter);
    let roots = root_texts(&app);
    assert_eq!(roots, ["ops"], "the brokers view has no shipping broker");
    press(&mut app, KeyCode::Char('4'));
    let roots = root_texts(&app);
    assert_eq!(roots, ["shipping"]);
    // Opened again, the picker marks what is shown now.
    press(&mut app, KeyCode::Char('n'));
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("[x] • ops"), "{screen}");
    // Esc leaves the choice as it was.
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Esc);
    assert!(app.popup.is_none());
    assert_eq!(root_texts(&app), ["shipping"]);
}

/// 40 namespaces: the picker scrolls with its cursor, and its title and keys stay whole.
#[test]
fn the_namespace_picker_scrolls_through_forty_namespaces() {
    let mesh = Mesh {
        namespaces: (0..40).map(|i| format!("team-{i:02}")).collect(),
        ..Mesh::default()
    };
    let mut app = app(mesh);
    app.screen = ratatui::layout::Rect::new(0, 0, 80, 24);
    press(&mut app, KeyCode::Char('n'));
    for _ in 0..30 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char(' '));
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("[x]   team-30"), "{screen}");
    assert!(
        !screen.contains("team-00"),
        "scrolled past the top: {screen}"
    );
    assert!(screen.contains("1 of 40 chosen"), "{screen}");
    assert!(
        screen.contains(kn_mesh::tui::picker::PICKER_HINT),
        "{screen}"
    );
    insta::assert_snapshot!("namespace_picker_scrolled", screen);
    press(&mut app, KeyCode::End);
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("team-39"), "{screen}");
}

#[test]
fn the_selection_stays_on_its_node_when_an_update_inserts_rows_above_it() {
    let offline = offline_mesh();
    let mut app = app(offline.clone());
    while !selected_text(&app).starts_with("trigger order-created") {
        press(&mut app, KeyCode::Down);
    }
    let before = app.current().selected;
    // The same mesh plus a namespace that sorts first, with a broker and trigger in it.
    let mut snapshot = kn_mesh::source::manifests::read_snapshot(&[demo_dir()], None)
        .unwrap()
        .snapshot;
    let extra: Vec<serde_json::Value> = serde_saphyr::from_multiple(
        "
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: first, namespace: aaa}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: early, namespace: aaa}
spec: {broker: first, subscriber: {uri: 'http://x'}}
",
    )
    .unwrap();
    let added = kn_mesh::mesh::catalog::snapshot_from_objects(extra);
    snapshot.brokers.extend(added.brokers);
    snapshot.triggers.extend(added.triggers);
    app.set_mesh(Arc::new(mesh::build(snapshot)));
    assert!(app.current().selected > before, "rows were inserted above");
    assert!(selected_text(&app).starts_with("trigger order-created"));
}

#[test]
fn a_terminal_too_small_says_so() {
    let mut app = app(offline_mesh());
    let screen = text(&render(&mut app, 50, 12));
    assert!(screen.contains("kn-mesh needs at least 60×15"), "{screen}");
    // At the smallest supported size the tree and status bar still draw.
    let screen = text(&render(&mut app, 60, 15));
    assert!(
        screen.contains("broker alerts") && screen.contains("? help"),
        "{screen}"
    );
}

#[tokio::test]
async fn the_permissions_view_shows_the_token_report_and_denied_nodes_link_to_it() {
    let sim = demo_sim().await;
    let fetcher = common::fetcher(&sim, "payments-only").await;
    let snapshot = fetcher.fetch(&Scope::default()).await.unwrap();
    let report = kn_mesh::access::check(&fetcher, &Scope::default(), sim.token("payments-only"))
        .await
        .unwrap();
    let mut app = app(mesh::build(snapshot));
    app.set_report(Some(Arc::new(report)), None);
    press(&mut app, KeyCode::Char('7'));
    let rows = row_texts(&app);
    // The same outline `kn-mesh auth` prints, as a tree.
    assert!(
        rows.iter()
            .any(|r| r == "user    system:serviceaccount:backstage:payments-only"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r == "✗ the Knative eventmesh backend: missing 14"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r == "✓ none: the token cannot do more than reading the mesh"),
        "{rows:?}"
    );
    // From a denied node in the Brokers view, `p` selects its row in the Permissions view.
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Down);
    let denied = selected_text(&app);
    assert!(
        denied.starts_with("brokers at the cluster scope: forbidden"),
        "{denied}"
    );
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.tab, kn_mesh::tui::state::TABS.len() - 1);
    assert_eq!(
        selected_text(&app),
        "list brokers.eventing.knative.dev at the cluster scope"
    );
}

#[test]
fn with_several_app_config_providers_the_user_picks_one() {
    let mut app = app(Mesh::default());
    app.popup = Some(kn_mesh::tui::state::Popup::Providers {
        ids: ["dev", "prod"]
            .map(|id| kn_mesh::source::spec::ProviderLabel {
                id: id.into(),
                base_url: format!("https://{id}.example.com:8080"),
            })
            .to_vec(),
        cursor: 0,
    });
    let screen = text(&render(&mut app, 80, 24));
    assert!(
        screen.contains("Knative event mesh providers")
            && screen.contains(" dev   https://dev.example.com:8080")
            && screen.contains(" prod  https://prod.example.com:8080"),
        "{screen}"
    );
    press(&mut app, KeyCode::Char('j'));
    let picked = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(&picked, Some(Cmd::Source(Control::PickProvider(id))) if id == "prod"),
        "{picked:?}"
    );
    assert!(app.popup.is_none());
}

#[test]
fn ctrl_c_quits_from_every_mode() {
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    // Typing a filter.
    let mut filtering = app(offline_mesh());
    press(&mut filtering, KeyCode::Char('/'));
    assert!(filtering.filtering);
    let cmd = keys::handle(&mut filtering, ctrl_c);
    assert!(matches!(cmd, Some(Cmd::Quit)), "Ctrl-C in the filter line");
    // With the help overlay, and with the namespace picker open.
    for opener in [KeyCode::Char('?'), KeyCode::Char('n')] {
        let mut with_popup = app(offline_mesh());
        press(&mut with_popup, opener);
        assert!(with_popup.popup.is_some(), "{opener:?} opens a popup");
        let cmd = keys::handle(&mut with_popup, ctrl_c);
        assert!(
            matches!(cmd, Some(Cmd::Quit)),
            "Ctrl-C with a popup from {opener:?}"
        );
    }
}

#[test]
fn the_readme_key_table_is_the_key_table() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let table = keys::markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's key table differs from the key map; it should read:\n{table}"
    );
}

/// At 60 columns the header keeps the identity and drops the server's URL; the status bar
/// counts in words; cut rows end in `…`, and `>` scrolls them to show the rest.
#[tokio::test]
async fn a_narrow_terminal_keeps_what_matters_and_marks_what_is_cut() {
    let mut app = app(payments_only_mesh().await);
    let screen = text(&render(&mut app, 60, 20));
    let header = screen.lines().next().unwrap();
    assert!(header.contains("as payments-only"), "{header}");
    assert!(!header.contains("https://"), "{header}");
    let status = screen.lines().last().unwrap();
    assert!(
        status.contains("objects") || status.contains("broker"),
        "counts in words: {status}"
    );
    assert!(
        !status.contains("5et") && !status.contains("ns+cl"),
        "{status}"
    );
    let cut: Vec<&str> = screen.lines().filter(|l| l.ends_with('…')).collect();
    assert!(!cut.is_empty(), "long rows end in …: {screen}");
    let long = row_texts(&app)
        .into_iter()
        .find(|r| r.contains("http://broker-ingress"))
        .unwrap();
    let tail = &long[long.len() - 12..];
    assert!(!screen.contains(tail), "the row's end is cut at first");
    let mut shifted = String::new();
    for _ in 0..5 {
        press(&mut app, KeyCode::Char('>'));
        shifted = text(&render(&mut app, 60, 20));
        if shifted.contains(tail) {
            break;
        }
    }
    assert!(shifted.contains(tail), "> shows the rest: {shifted}");
    assert!(
        shifted.lines().nth(2).unwrap().starts_with('…'),
        "{shifted}"
    );
    for _ in 0..5 {
        press(&mut app, KeyCode::Char('<'));
    }
    assert_eq!(app.shift, 0);
}

/// k9s habits: from a trigger to its broker and its event types, from an event type to its
/// consumers in another view, and back with `[` or Esc.
#[test]
fn jumping_along_relations_and_back() {
    let mut app = app(offline_mesh());
    app.screen = ratatui::layout::Rect::new(0, 0, 120, 40);
    while !selected_text(&app).starts_with("trigger order-created") {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('o'));
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("Jump to") && screen.contains("broker default"),
        "{screen}"
    );
    assert!(screen.contains("event type order-created"), "{screen}");
    // Down to the event type, and go: it is in this view, under the broker.
    let Some(kn_mesh::tui::state::Popup::Jump { items, .. }) = &app.popup else {
        panic!("no jump list")
    };
    let to_type = items
        .iter()
        .position(|(label, _)| label == "event type order-created")
        .unwrap();
    for _ in 0..to_type {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    assert!(
        selected_text(&app).starts_with("event type com.example.order.created"),
        "{}",
        selected_text(&app)
    );
    assert_eq!(app.tab, 0);
    // From the event type to a consumer, and back twice.
    press(&mut app, KeyCode::Char('2'));
    while !selected_text(&app).starts_with("event type com.example.order.created") {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('o'));
    let Some(kn_mesh::tui::state::Popup::Jump { items, .. }) = &app.popup else {
        panic!("no jump list")
    };
    assert!(
        items[0].0.starts_with("produced by Broker default"),
        "{items:?}"
    );
    let consumer = items
        .iter()
        .position(|(label, _)| label.starts_with("consumed by trigger"))
        .unwrap();
    for _ in 0..consumer {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    assert!(
        selected_text(&app).contains("trigger"),
        "{}",
        selected_text(&app)
    );
    press(&mut app, KeyCode::Char('['));
    assert_eq!(app.tab, 1);
    assert!(selected_text(&app).starts_with("event type com.example.order.created"));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.tab, 0);
    assert!(
        selected_text(&app).starts_with("trigger order-created"),
        "{}",
        selected_text(&app)
    );
    press(&mut app, KeyCode::Char('['));
    assert!(text(&render(&mut app, 120, 40)).contains("no jump to go back from"));
}

/// `c` lists the contexts with the one in use marked, and Enter asks the source to switch;
/// a source without a kubeconfig says so.
#[test]
fn c_switches_the_kubeconfig_context() {
    let mut app = app(offline_mesh());
    press(&mut app, KeyCode::Char('c'));
    assert!(app.popup.is_none());
    assert!(text(&render(&mut app, 120, 40)).contains("no contexts here"));
    app.source.contexts = vec!["prod".into(), "staging".into()];
    app.source.context = Some("prod".into());
    press(&mut app, KeyCode::Char('c'));
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("• prod") && screen.contains("  staging"),
        "{screen}"
    );
    press(&mut app, KeyCode::Down);
    let cmd = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(&cmd, Some(Cmd::Source(Control::SwitchContext(name))) if name == "staging"),
        "{cmd:?}"
    );
}

/// kubectl's columns beside the tree (READY, REASON, AGE, aligned), and `s` sorting newest
/// first.
#[test]
fn rows_show_ready_reason_and_age_and_sort_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let broker = |name: &str, created: &str, ready: &str, reason: &str| {
        format!(
            "apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: {{name: {name}, namespace: a, creationTimestamp: \"{created}\"}}\nstatus: {{conditions: [{{type: Ready, status: \"{ready}\", reason: {reason}}}]}}\n---\n"
        )
    };
    let text_of = broker("alpha", "2025-12-01T12:00:00Z", "True", "Ready")
        + &broker("zed", "2026-01-01T11:00:00Z", "False", "NoIngress");
    std::fs::write(dir.path().join("b.yaml"), text_of).unwrap();
    let read =
        kn_mesh::source::manifests::read_snapshot(&[dir.path().to_path_buf()], None).unwrap();
    let mut app = app(mesh::build(read.snapshot));
    app.now = Some("2026-01-01T12:00:00Z".parse().unwrap());
    app.show_detail = false;
    let screen = text(&render(&mut app, 100, 20));
    assert!(screen.contains("READY REASON        AGE"), "{screen}");
    let row = |screen: &str, name: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!("broker {name}")))
            .unwrap()
            .to_string()
    };
    assert!(
        row(&screen, "alpha").ends_with("True  Ready         31d"),
        "{screen}"
    );
    assert!(
        row(&screen, "zed").ends_with("False NoIngress     60m"),
        "{screen}"
    );
    let position = |screen: &str, name: &str| screen.find(&format!("broker {name}")).unwrap();
    assert!(
        position(&screen, "zed") > position(&screen, "alpha"),
        "by name first"
    );
    press(&mut app, KeyCode::Char('s'));
    let sorted = text(&render(&mut app, 100, 20));
    assert!(sorted.contains("NAME (by age"), "{sorted}");
    assert!(
        position(&sorted, "zed") < position(&sorted, "alpha"),
        "newest first: {sorted}"
    );
}

/// Scrolling ends where the text does: after too many j, J or >, one k, K or < moves at once.
#[test]
fn scrolling_stops_at_the_end_so_the_way_back_answers_at_once() {
    // Through the update loop, which keeps the scroll positions in bounds after each key.
    let step = |app: &mut App, code: KeyCode| {
        kn_mesh::tui::update::update(
            app,
            kn_mesh::tui::msg::Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
    };
    let mut app = app(offline_mesh());
    kn_mesh::tui::update::update(
        &mut app,
        kn_mesh::tui::msg::Msg::Resize {
            width: 60,
            height: 15,
        },
    );
    step(&mut app, KeyCode::Char('?'));
    for _ in 0..60 {
        step(&mut app, KeyCode::Char('j'));
    }
    let bottom = text(&render(&mut app, 60, 15));
    step(&mut app, KeyCode::Char('k'));
    assert_ne!(text(&render(&mut app, 60, 15)), bottom, "k moves at once");
    step(&mut app, KeyCode::Esc);
    for _ in 0..60 {
        step(&mut app, KeyCode::Char('J'));
    }
    let end = app.detail_offset();
    step(&mut app, KeyCode::Char('K'));
    assert_eq!(app.detail_offset(), end.saturating_sub(3));
    for _ in 0..200 {
        step(&mut app, KeyCode::Char('>'));
    }
    assert!(
        app.shift < 200,
        "no further than the rows need: {}",
        app.shift
    );
}
