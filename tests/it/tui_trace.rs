//! `t` in the TUI: the prompt prefilled from an event type, the trees marking the triggers the
//! event passes, may pass and fails, refusals kept in the prompt, and Esc ending it all.

use crate::common::mesh_of;
use crate::tui_support::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kn_mesh::mesh::objects::ObjectKey;
use kn_mesh::mesh::trace::{Entry, Mark};
use kn_mesh::tui::keys;
use kn_mesh::tui::state::{App, TABS};
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;
use std::sync::Arc;

/// Selects the first row of the current view whose text starts with `text`.
fn select(app: &mut App, text: &str) {
    press(app, KeyCode::Char('E'));
    let tree = app.current();
    let row = (0..tree.rows.len())
        .find(|&i| tree.node_of(i).unwrap().text.starts_with(text))
        .unwrap_or_else(|| panic!("no row {text:?} in {:?}", row_texts(app)));
    app.current_mut().selected = row;
}

fn clear_prompt(app: &mut App) {
    keys::handle(
        app,
        KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL),
    );
}

fn mark_of(app: &App, name: &str) -> Option<Mark> {
    let trace = app.trace.as_ref()?;
    let key = ObjectKey::new("payments", name);
    trace.triggers.get(&key).map(|(mark, _)| *mark)
}

/// The screen row showing a trigger, and that row's text.
fn trigger_row(buffer: &Buffer, name: &str) -> (u16, String) {
    let screen = text(buffer);
    let (y, line) = screen
        .lines()
        .enumerate()
        .find(|(_, line)| line.contains(&format!("trigger {name}")))
        .unwrap_or_else(|| panic!("no row for trigger {name} on\n{screen}"));
    (y as u16, line.to_string())
}

/// The modifiers on the first letter of a row's name.
fn modifiers_at(buffer: &Buffer, y: u16, line: &str, name: &str) -> Modifier {
    let before = &line[..line.find(name).unwrap()];
    let x = before.chars().count() as u16;
    buffer[(x, y)].modifier
}

#[test]
fn t_on_a_broker_traces_an_event_and_marks_every_trigger_it_meets() {
    let mut app = app(offline_mesh());
    select(&mut app, "broker default");
    press(&mut app, KeyCode::Char('t'));
    let prompt = app.trace_prompt.as_ref().expect("t opens the prompt");
    assert_eq!(
        prompt.entry,
        Entry::Broker(ObjectKey::new("payments", "default"))
    );
    // The broker's first event type, as the CloudEvent it describes.
    assert_eq!(
        prompt.text,
        "type=com.example.order.created source=https://shop.example.com/orders \
         dataschema=https://schemas.example.com/order-created.json"
    );
    clear_prompt(&mut app);
    type_text(&mut app, "type=com.example.payment.settled");
    press(&mut app, KeyCode::Enter);
    assert!(app.trace_prompt.is_none());
    assert_eq!(mark_of(&app, "audit-all"), Some(Mark::Passes));
    assert_eq!(mark_of(&app, "webhook-settled"), Some(Mark::Passes));
    assert_eq!(mark_of(&app, "fraud-check"), Some(Mark::Fails));
    assert_eq!(mark_of(&app, "large-orders"), Some(Mark::Fails));
    // No source was given: `source ends with "/eu"` cannot be decided.
    assert_eq!(mark_of(&app, "eu-settlements"), Some(Mark::Maybe));
    // Triggers of another broker are not on the path.
    assert_eq!(app.trace.as_ref().unwrap().triggers.len(), 9);

    let buffer = render(&mut app, 120, 60);
    let screen = text(&buffer);
    assert!(
        screen.contains(
            "trace: triggers 3 pass, 1 maybe, 5 fail; 3 delivered, 1 maybe (t edits, Esc ends) │ \
             type=com.example.payment.settled in…"
        ),
        "{screen}"
    );
    let (y, line) = trigger_row(&buffer, "fraud-check");
    assert!(line.contains("[fail] trigger fraud-check"), "{line}");
    let fails = modifiers_at(&buffer, y, &line, "fraud-check");
    assert!(fails.contains(Modifier::DIM), "a failing trigger is dimmed");
    let (y, line) = trigger_row(&buffer, "audit-all");
    assert!(line.contains("[pass] trigger audit-all"), "{line}");
    let passes = modifiers_at(&buffer, y, &line, "audit-all");
    assert!(passes.contains(Modifier::BOLD) && !passes.contains(Modifier::DIM));
    let (_, line) = trigger_row(&buffer, "eu-settlements");
    assert!(line.contains("[maybe] trigger eu-settlements"), "{line}");
    insta::assert_snapshot!("trace_marks_120x60", screen);

    // The detail pane of a marked trigger says why.
    select(&mut app, "trigger eu-settlements");
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("Trace: may pass the event: the value"),
        "{screen}"
    );
    let reason =
        &app.trace.as_ref().unwrap().triggers[&ObjectKey::new("payments", "eu-settlements")].1;
    assert_eq!(
        reason,
        "the value of source is not known (filter wants ends with \"/eu\")"
    );

    press(&mut app, KeyCode::Esc);
    assert!(app.trace.is_none(), "Esc ends the trace");
    let screen = text(&render(&mut app, 120, 40));
    assert!(!screen.contains("[fail]"), "{screen}");
    assert!(screen.contains("the trace ended"), "{screen}");
}

#[test]
fn t_on_an_event_type_enters_at_its_broker_with_its_attributes() {
    let mut app = app(offline_mesh());
    app.select_tab(1);
    assert_eq!(TABS[1].title(), "Event types");
    select(&mut app, "event type com.example.payment.settled");
    press(&mut app, KeyCode::Char('t'));
    let prompt = app.trace_prompt.clone().unwrap();
    assert_eq!(
        prompt.entry,
        Entry::Broker(ObjectKey::new("payments", "default"))
    );
    // A v1beta3 event type: its pinned attributes, specversion left out.
    assert_eq!(
        prompt.text,
        "type=com.example.payment.settled source=https://pay.example.com/eu"
    );
    press(&mut app, KeyCode::Enter);
    // With the source pinned, `source ends with "/eu"` passes.
    assert_eq!(mark_of(&app, "eu-settlements"), Some(Mark::Passes));
    // The marks stand on the triggers themselves, in the Brokers view; a row that names a
    // trigger (an event type's consumer) is not one.
    assert_eq!(app.tab, 0, "the trace shows in the Brokers view");
    let screen = text(&render(&mut app, 120, 40));
    assert!(screen.contains("[pass] trigger eu-settlements"), "{screen}");
    app.select_tab(1);
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("consumed by trigger eu-settlements"),
        "{screen}"
    );
    assert!(!screen.contains("[pass]"), "{screen}");
    app.select_tab(0);

    // t again on the same entry keeps the event to edit.
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(
        app.trace_prompt.as_ref().unwrap().text,
        "type=com.example.payment.settled source=https://pay.example.com/eu"
    );
}

#[test]
fn a_prompt_that_is_not_an_event_is_refused_in_place_and_esc_cancels_it() {
    let mut app = app(offline_mesh());
    select(&mut app, "broker default");
    press(&mut app, KeyCode::Char('t'));
    clear_prompt(&mut app);
    type_text(&mut app, "source=/x");
    press(&mut app, KeyCode::Enter);
    let prompt = app.trace_prompt.as_ref().expect("the prompt stays open");
    assert_eq!(
        prompt.error.as_deref(),
        Some("name the event's type: type=…")
    );
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("⚠ name the event's type: type=…"),
        "{screen}"
    );
    type_text(&mut app, " 'x");
    assert!(
        app.trace_prompt.as_ref().unwrap().error.is_none(),
        "typing clears the refusal"
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.trace_prompt.as_ref().unwrap().error.as_deref(),
        Some("a quote is not closed")
    );
    // A text longer than the line shows its end, where typing happens.
    clear_prompt(&mut app);
    type_text(&mut app, &format!("type=a source=/{}/end", "x".repeat(150)));
    let screen = text(&render(&mut app, 80, 24));
    let line = screen
        .lines()
        .find(|l| l.starts_with("trace from"))
        .unwrap();
    assert!(line.ends_with("xxx/end▏"), "{line}");
    assert!(line.contains(": …x"), "{line}");
    // Keys go to the prompt: q is typed, not quit.
    assert!(press(&mut app, KeyCode::Char('q')).is_none());
    press(&mut app, KeyCode::Esc);
    assert!(app.trace_prompt.is_none() && app.trace.is_none());
}

#[test]
fn t_where_no_event_enters_says_so() {
    let mut app = app(offline_mesh());
    select(&mut app, "trigger audit-all");
    press(&mut app, KeyCode::Char('t'));
    assert!(app.trace_prompt.is_none());
    assert_eq!(
        app.notice.as_deref(),
        Some("t traces from a broker, channel, source or event type")
    );
}

#[test]
fn a_backend_mesh_has_no_triggers_to_trace() {
    let mut mesh = offline_mesh();
    mesh.reduced = true;
    let mut app = app(mesh);
    select(&mut app, "broker default");
    press(&mut app, KeyCode::Char('t'));
    assert!(app.trace_prompt.is_none());
    assert!(app.notice.as_deref().unwrap().contains("sends no triggers"));
}

const TWO_TRIGGERS: &str = r#"
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: payments}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: orders, namespace: payments}
spec:
  broker: default
  filter: {attributes: {type: order.created}}
  subscriber: {uri: "http://orders.example"}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: big, namespace: payments}
spec:
  broker: default
  filters: [{cesql: "type = 'order.created' AND INT(amount) > 10"}]
  subscriber: {uri: "http://big.example"}
"#;

#[test]
fn new_data_traces_again_and_a_vanished_entry_ends_the_trace() {
    let mut app = app(mesh_of(TWO_TRIGGERS));
    select(&mut app, "broker default");
    press(&mut app, KeyCode::Char('t'));
    clear_prompt(&mut app);
    type_text(&mut app, "type=order.created amount=50");
    press(&mut app, KeyCode::Enter);
    assert_eq!(mark_of(&app, "big"), Some(Mark::Passes));

    // The filter changes under the trace: the marks follow the new data.
    let changed = TWO_TRIGGERS.replace("> 10", "> 100");
    app.set_mesh(Arc::new(mesh_of(&changed)));
    assert_eq!(mark_of(&app, "big"), Some(Mark::Fails));
    assert_eq!(mark_of(&app, "orders"), Some(Mark::Passes));

    let gone = changed.replace(
        "name: default, namespace: payments",
        "name: other, namespace: payments",
    );
    app.set_mesh(Arc::new(mesh_of(&gone)));
    assert!(app.trace.is_none());
    assert_eq!(
        app.notice.as_deref(),
        Some("the trace ended: no broker payments/default in the mesh")
    );
}

#[test]
fn t_edits_the_trace_on_screen_and_an_event_type_brings_its_own_attributes() {
    let mut app = app(offline_mesh());
    // From a source: the marks are in the Brokers view, and `[` comes back.
    app.select_tab(2);
    select(&mut app, "PingSource heartbeat");
    press(&mut app, KeyCode::Char('t'));
    assert!(matches!(
        app.trace_prompt.as_ref().unwrap().entry,
        Entry::Source { .. }
    ));
    clear_prompt(&mut app);
    type_text(&mut app, "type=dev.knative.sources.ping");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.tab, 0);
    // Wherever the selection is, t edits the trace on screen.
    app.current_mut().selected = 0;
    press(&mut app, KeyCode::Char('t'));
    let prompt = app.trace_prompt.clone().unwrap();
    assert_eq!(prompt.text, "type=dev.knative.sources.ping");
    assert!(matches!(prompt.entry, Entry::Source { .. }));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('['));
    assert_eq!(
        app.tab, 2,
        "[ goes back to the view the trace was asked from"
    );

    // An event type on the broker of the trace brings its own attributes, not the trace's.
    let mut app = app_with_trace_from_default();
    app.select_tab(1);
    select(&mut app, "event type com.example.payment.declined");
    press(&mut app, KeyCode::Char('t'));
    assert!(
        app.trace_prompt
            .as_ref()
            .unwrap()
            .text
            .starts_with("type=com.example.payment.declined"),
        "{:?}",
        app.trace_prompt
    );
}

fn app_with_trace_from_default() -> App {
    let mut app = app(offline_mesh());
    select(&mut app, "broker default");
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Enter);
    assert!(app.trace.is_some());
    app
}

#[test]
fn a_wide_prompt_keeps_its_end_in_view() {
    let mut app = app_with_trace_from_default();
    select(&mut app, "broker default");
    press(&mut app, KeyCode::Char('t'));
    clear_prompt(&mut app);
    type_text(&mut app, &format!("type={}END", "漢".repeat(80)));
    let screen = text(&render(&mut app, 80, 24));
    let line = screen
        .lines()
        .find(|l| l.starts_with("trace from"))
        .unwrap();
    assert!(line.ends_with("END▏"), "{line}");
}

/// Delivery authorization in the trees: who may send to a receiver, whether a sender may
/// deliver where it points (a refusal looks like an RBAC denial), and the Permissions view's
/// section with the flags and the policies read.
#[test]
fn the_trees_say_who_may_send_and_mark_a_refused_delivery_as_denied() {
    use kn_mesh::mesh::views::NodeStatus;
    let mut app = app(offline_mesh());
    app.select_tab(4);
    press(&mut app, KeyCode::Char('E'));
    let tree = app.current();
    let refused = (0..tree.rows.len())
        .filter_map(|i| tree.node_of(i))
        .find(|n| n.text.starts_with("may not deliver to Broker ops/alerts"))
        .expect("the transform's refused delivery is shown");
    assert_eq!(refused.status, NodeStatus::Forbidden);
    assert!(
        refused
            .text
            .ends_with("403, EventPolicy ops/alerts-senders")
    );
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("🔒 may not deliver to Broker ops/alerts"),
        "{screen}"
    );
    assert!(
        screen.contains("who may send: senders in ops (system:serviceaccount:ops:*)"),
        "{screen}"
    );

    // Triggers send as themselves: their subscriber, their replies, their dead letters.
    app.select_tab(0);
    press(&mut app, KeyCode::Char('E'));
    let rows = row_texts(&app);
    for line in [
        "may not reply to Broker ops/alerts: 403, EventPolicy ops/alerts-senders",
        "may reply to Broker payments/default: EventPolicy payments/payments-broker-senders",
        "may deliver to Sequence payments/decline-review: default mode allow-same-namespace",
        "may dead-letter to JobSink payments/decline-replayer: default mode allow-same-namespace",
    ] {
        assert!(rows.iter().any(|r| r == line), "{line}: {rows:#?}");
    }

    app.select_tab(6);
    press(&mut app, KeyCode::Char('E'));
    let screen = text(&render(&mut app, 120, 40));
    for line in [
        "Delivery authorization",
        "OIDC authentication: on",
        "default-authorization-mode: allow-same-namespace",
        "EventPolicies read (2)",
        "EventPolicy ops/alerts-senders",
    ] {
        assert!(screen.contains(line), "{line}: {screen}");
    }
}
