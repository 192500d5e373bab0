//! What the detail pane and the YAML popup show for the selected node.

use super::lines::{conditions, field, heading, labels_and_annotations, link};
use super::state::App;
use crate::mesh::filter::{self, Outcome};
use crate::mesh::model::{Mesh, Resolution};
use crate::mesh::objects::ObjectKey;
use crate::mesh::snapshot::{Access, ApiRequest};
use crate::mesh::trace::Mark;
use crate::mesh::views::Target;
use ratatui::text::Line;

/// The rule a Role (or ClusterRole, at the cluster scope) needs to allow a request, and the
/// binding that gives it to the user, as YAML from a serializer: the request's names came from
/// the server and the manifests. `kubectl apply -f` takes it as it is.
pub fn rbac_snippet(request: &ApiRequest, username: Option<&str>) -> String {
    let kind = if request.namespace().is_some() {
        "Role"
    } else {
        "ClusterRole"
    };
    let name = format!("kn-mesh-{}-{}", request.verb, request.resource.plural);
    let mut metadata = serde_json::json!({ "name": name });
    if let Some(namespace) = request.namespace() {
        metadata["namespace"] = serde_json::json!(namespace);
    }
    let mut rule = serde_json::json!({
        "apiGroups": [request.resource.group],
        "resources": [request.resource.plural],
        "verbs": [request.verb.as_str()],
    });
    if let Some(name) = &request.name {
        rule["resourceNames"] = serde_json::json!([name]);
    }
    let role = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": metadata,
        "rules": [rule],
    });
    let mut text = format!(
        "# grants: {}\n{}",
        crate::text::escape(&request.to_string()),
        serde_saphyr::to_string(&role).unwrap_or_default()
    );
    match username.map(subject) {
        Some(subject) => {
            let binding = serde_json::json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": format!("{kind}Binding"),
                "metadata": metadata,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
                "subjects": [subject],
            });
            text.push_str("---\n");
            text.push_str(&serde_saphyr::to_string(&binding).unwrap_or_default());
        }
        None => text.push_str(&format!(
            "# bind it to the token's user with a {kind}Binding\n"
        )),
    }
    text
}

/// The RBAC subject for a username: a ServiceAccount's, or a User.
fn subject(username: &str) -> serde_json::Value {
    let service_account = username
        .strip_prefix("system:serviceaccount:")
        .and_then(|rest| rest.split_once(':'));
    match service_account {
        Some((namespace, name)) => {
            serde_json::json!({"kind": "ServiceAccount", "name": name, "namespace": namespace})
        }
        None => serde_json::json!({
            "kind": "User",
            "apiGroup": "rbac.authorization.k8s.io",
            "name": username,
        }),
    }
}

fn username(app: &App) -> Option<&str> {
    app.source.identity.as_ref().map(|i| i.username.as_str())
}

/// The detail pane's lines for the selected row.
/// The detail pane's lines, every span escaped: its names, URLs, facts and messages came from
/// outside, and escaping here, once, covers every section (escaping twice changes nothing).
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = unescaped_lines(app);
    for span in lines.iter_mut().flat_map(|line| line.spans.iter_mut()) {
        if span.content.chars().any(crate::text::needs_escape) {
            span.content = crate::text::escape(&span.content).into();
        }
    }
    lines
}

fn unescaped_lines(app: &App) -> Vec<Line<'static>> {
    let mesh = &app.mesh;
    let Some(target) = app.selected_target() else {
        return group_lines(app);
    };
    let mut lines = match target {
        Target::Broker(key) => broker_lines(mesh, key),
        Target::Trigger(key) => trigger_lines(mesh, key),
        Target::EventType(key) => event_type_lines(mesh, key),
        Target::Channel(key) => channel_lines(mesh, key),
        Target::Subscription(key) => subscription_lines(mesh, key),
        Target::Source(index) => source_lines(mesh, *index),
        Target::Component(index) => super::relations::component_lines(mesh, *index),
        Target::Access(index) => access_lines(app, *index),
    };
    if let Some((mark, reason)) = app.trace.as_ref().and_then(|t| t.mark(Some(target))) {
        let verdict = match mark {
            Mark::Passes => "passes the event",
            Mark::Maybe => "may pass the event",
            Mark::Fails => "rejects the event",
        };
        let text = match reason.as_str() {
            "" => verdict.to_string(),
            reason => format!("{verdict}: {reason}"),
        };
        lines.insert(lines.len().min(1), field("Trace", text));
    }
    super::relations::pointed_at_by_lines(mesh, target, &mut lines);
    lines.extend(super::events::lines(app, target));
    lines
}

/// A namespace or a group: what is in it.
fn group_lines(app: &App) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(node) = app.current().selected_node() {
        out.push(heading(&node.text));
        for child in node.children.iter().take(40) {
            out.push(Line::from(format!(
                "  {}{}",
                child.status.glyph(),
                child.text
            )));
        }
        if node.children.len() > 40 {
            out.push(Line::from(format!(
                "  … and {} more",
                node.children.len() - 40
            )));
        }
    }
    out
}

fn broker_lines(mesh: &Mesh, key: &ObjectKey) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(node) = mesh.broker(key) else {
        return Vec::new();
    };
    let broker = &node.object;
    out.push(heading(&format!("Broker {}/{}", key.namespace, key.name)));
    out.push(field("Class", broker.class()));
    if let Some(url) = broker.status.address.as_ref().and_then(|a| a.url.clone()) {
        out.push(field("Address", url));
    }
    if let Some(config) = &broker.spec.config {
        out.push(field(
            "Config",
            format!(
                "{} {}",
                config.kind,
                ObjectKey::new(config.namespace_or(broker.namespace()), &config.name)
            ),
        ));
    }
    super::relations::delivery_lines(node.delivery.as_ref(), &mut out);
    super::relations::applied_policies_lines(&broker.status, &mut out);
    out.push(field("Triggers", node.triggers.len().to_string()));
    out.push(field("Event types", node.event_types.len().to_string()));
    conditions(&broker.status, &mut out);
    labels_and_annotations(&broker.metadata, &mut out);
    out
}

fn trigger_lines(mesh: &Mesh, key: &ObjectKey) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(node) = mesh.trigger(key) else {
        return Vec::new();
    };
    let trigger = &node.object;
    out.push(heading(&format!("Trigger {}/{}", key.namespace, key.name)));
    out.push(field(
        "Broker",
        format!(
            "{}{}",
            crate::mesh::views::broker_name(trigger, &trigger.broker_key()),
            if node.broker_found {
                ""
            } else {
                " (not found)"
            }
        ),
    ));
    out.push(heading("Filter"));
    for line in filter::describe(&trigger.spec) {
        out.push(Line::from(format!("  {line}")));
    }
    link("Subscriber", &node.subscriber, &mut out);
    if let Some(uri) = &trigger.status.subscriber_uri {
        out.push(field("Subscriber URI", uri.clone()));
    }
    super::relations::delivery_lines(node.delivery.as_ref(), &mut out);
    if let Resolution::Found {
        backstage_id: Some(id),
    } = &node.subscriber.resolution
    {
        out.push(field("Backstage id", id.clone()));
    }
    if !node.event_types.is_empty() {
        out.push(heading("Event types it receives"));
        for matched in &node.event_types {
            let verdict = match matched.outcome.outcome {
                Outcome::Match => "match".to_string(),
                _ => format!("unknown: {}", matched.outcome.reason),
            };
            out.push(Line::from(format!("  {}  [{verdict}]", matched.key.name)));
        }
    }
    conditions(&trigger.status, &mut out);
    labels_and_annotations(&trigger.metadata, &mut out);
    out
}

fn event_type_lines(mesh: &Mesh, key: &ObjectKey) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(node) = mesh.event_type(key) else {
        return Vec::new();
    };
    let et = &node.object;
    out.push(heading(&format!(
        "EventType {}/{}  ({})",
        key.namespace, key.name, et.api_version
    )));
    out.push(field("Type", et.cloud_event_type()));
    if let Some(source) = et.pinned_attribute("source") {
        out.push(field("Source", source));
    }
    if let Some(schema) = &et.spec.schema {
        out.push(field("Schema URL", schema.clone()));
    }
    if let Some(description) = &et.spec.description {
        out.push(field("Description", description.clone()));
    }
    for attribute in &et.spec.attributes {
        out.push(Line::from(format!(
            "  attribute {}{} = {}",
            attribute.name,
            if attribute.required {
                " (required)"
            } else {
                ""
            },
            attribute.value.clone().unwrap_or_else(|| "(open)".into())
        )));
    }
    for producer in &node.producers {
        out.push(field(
            "Produced by",
            format!("{} {}", producer.kind, producer.key),
        ));
    }
    out.push(field("Consumers", node.consumers.len().to_string()));
    if !node.backstage_consumers.is_empty() {
        out.push(field(
            "Backstage consumedBy",
            node.backstage_consumers.join(", "),
        ));
    }
    labels_and_annotations(&et.metadata, &mut out);
    out
}

fn channel_lines(mesh: &Mesh, key: &ObjectKey) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(node) = mesh.channel(key) else {
        return Vec::new();
    };
    out.push(heading(&format!(
        "{} {}/{}",
        node.object.kind, key.namespace, key.name
    )));
    if let Some(url) = node
        .object
        .status
        .address
        .as_ref()
        .and_then(|a| a.url.clone())
    {
        out.push(field("Address", url));
    }
    if let Some(owner) = &node.owner {
        out.push(field(
            "Owned by",
            format!("{} {} (internal)", owner.kind, owner.key.name),
        ));
    }
    out.push(field("Subscriptions", node.subscriptions.len().to_string()));
    super::relations::delivery_lines(node.delivery.as_ref(), &mut out);
    super::relations::applied_policies_lines(&node.object.status, &mut out);
    conditions(&node.object.status, &mut out);
    labels_and_annotations(&node.object.metadata, &mut out);
    out
}

fn subscription_lines(mesh: &Mesh, key: &ObjectKey) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(node) = mesh.subscription(key) else {
        return Vec::new();
    };
    let channel = &node.object.spec.channel;
    out.push(heading(&format!(
        "Subscription {}/{}",
        key.namespace, key.name
    )));
    out.push(field(
        "Channel",
        format!("{} {}", channel.kind, channel.name),
    ));
    link("Subscriber", &node.subscriber, &mut out);
    if let Some(reply) = &node.reply {
        link("Reply", reply, &mut out);
    }
    super::relations::delivery_lines(node.delivery.as_ref(), &mut out);
    conditions(&node.object.status, &mut out);
    out
}

fn source_lines(mesh: &Mesh, index: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(node) = mesh.sources.get(index) else {
        return Vec::new();
    };
    let source = &node.object;
    out.push(heading(&format!(
        "{} {}/{}",
        source.kind,
        source.namespace(),
        source.name()
    )));
    link("Sink", &node.sink, &mut out);
    if let Some(uri) = &source.status.sink_uri {
        out.push(field("Sink URI", uri.clone()));
    }
    if !node.provided_types.is_empty() {
        out.push(field("Declares", node.provided_types.join(", ")));
    }
    for attributes in &source.status.ce_attributes {
        out.push(field(
            "Emits",
            attributes.event_type.clone().unwrap_or_default(),
        ));
    }
    conditions(&source.status, &mut out);
    labels_and_annotations(&source.metadata, &mut out);
    out
}

fn access_lines(app: &App, index: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(marker) = app.mesh.access.get(index) else {
        return Vec::new();
    };
    let request = &marker.request;
    let (verdict, message) = match &marker.access {
        Access::Allowed => ("allowed", None),
        Access::Forbidden { message } => ("forbidden", Some(message)),
        Access::NotFound => ("not found", None),
        Access::Failed { message } => ("failed", Some(message)),
        Access::Fallback { message } => ("fallback", Some(message)),
        Access::Undecodable { message, .. } => ("cannot be decoded", Some(message)),
    };
    out.push(heading(&format!("{} {}", request.resource.plural, verdict)));
    out.push(field("Verb", request.verb.to_string()));
    out.push(field("Resource", request.resource.to_string()));
    out.push(field("Scope", request.scope.to_string()));
    if let Some(name) = &request.name {
        out.push(field("Name", name.clone()));
    }
    if let Access::Undecodable {
        kind, field: path, ..
    } = &marker.access
    {
        out.push(field("Kind", kind.clone()));
        out.push(field("Field", path.clone()));
        out.push(field("Problem", message.cloned().unwrap_or_default()));
    } else if let Some(message) = message {
        out.push(field("Server said", message.clone()));
    }
    if matches!(marker.access, Access::Forbidden { .. }) {
        out.push(Line::from(""));
        out.push(heading("The rule that would grant it"));
        for line in rbac_snippet(request, username(app)).lines() {
            out.push(Line::from(crate::text::escape(line)));
        }
    }
    out
}

/// The selected object as YAML: its title and text.
pub fn yaml(app: &App) -> Option<(String, String)> {
    let mesh = &app.mesh;
    let (title, text) = match app.selected_target()? {
        Target::Broker(key) => (
            format!("Broker {key}"),
            serde_saphyr::to_string(&mesh.broker(key)?.object).ok()?,
        ),
        Target::Trigger(key) => (
            format!("Trigger {key}"),
            serde_saphyr::to_string(&mesh.trigger(key)?.object).ok()?,
        ),
        Target::EventType(key) => (
            format!("EventType {key}"),
            serde_saphyr::to_string(&mesh.event_type(key)?.object).ok()?,
        ),
        Target::Channel(key) => (
            format!("Channel {key}"),
            serde_saphyr::to_string(&mesh.channel(key)?.object).ok()?,
        ),
        Target::Subscription(key) => (
            format!("Subscription {key}"),
            serde_saphyr::to_string(&mesh.subscription(key)?.object).ok()?,
        ),
        Target::Source(index) => {
            let source = &mesh.sources.get(*index)?.object;
            (
                format!("{} {}", source.kind, source.key()),
                serde_saphyr::to_string(source).ok()?,
            )
        }
        Target::Component(index) => {
            let component = &mesh.components.get(*index)?.object;
            (
                format!("{} {}", component.kind, component.key()),
                serde_saphyr::to_string(component).ok()?,
            )
        }
        Target::Access(index) => {
            let marker = mesh.access.get(*index)?;
            (
                format!("RBAC for {}", marker.request),
                rbac_snippet(&marker.request, username(app)),
            )
        }
    };
    Some((title, text))
}
