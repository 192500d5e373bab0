//! The Events about one object (events.k8s.io/v1, selected by the object they regard), as
//! `kubectl describe` shows them: the first step of "why is my trigger not ready".

use super::{Fetcher, Kind, Outcome, Stop, text};
use serde_json::Value;

/// One Event, as `kubectl describe` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    /// "Normal" or "Warning".
    pub event_type: String,
    pub reason: String,
    /// When it last happened (RFC 3339), for its age.
    pub last_seen: Option<String>,
    /// The controller that reported it.
    pub from: String,
    pub message: String,
    pub count: i64,
}

/// What asking for the Events gave: like any list, allowed, forbidden or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Events {
    Listed(Vec<EventLine>),
    Forbidden(String),
    Failed(String),
}

impl Fetcher {
    /// The Events regarding an object, oldest first, as kubectl describe orders them.
    pub async fn events_about(&self, kind: &str, namespace: &str, name: &str) -> Events {
        let events = Kind {
            group: "events.k8s.io".into(),
            version: "v1".into(),
            plural: "events".into(),
            kind: "Event".into(),
        };
        // Selector values are plain: a name with a comma or `=` would change the selector.
        if [kind, name].iter().any(|v| v.contains([',', '=', '!'])) {
            return Events::Failed(format!("{name:?} cannot be put in a field selector"));
        }
        let params = kube::api::ListParams::default()
            .fields(&format!("regarding.kind={kind},regarding.name={name}"))
            .limit(100);
        let request = match kube::core::Request::new(events.url(Some(namespace))).list(&params) {
            Ok(request) => request,
            Err(error) => return Events::Failed(error.to_string()),
        };
        match self.send::<kube::core::ObjectList<Value>>(request).await {
            Ok(Ok(list)) => {
                let mut lines: Vec<EventLine> = list.items.iter().map(line).collect();
                lines.sort_by(|a, b| a.last_seen.cmp(&b.last_seen));
                Events::Listed(lines)
            }
            Ok(Err(Outcome::Forbidden(message))) => Events::Forbidden(message),
            Ok(Err(Outcome::NotFound)) => {
                Events::Failed("this server does not serve events.k8s.io/v1".into())
            }
            Ok(Err(Outcome::Failed(message))) => Events::Failed(message),
            Ok(Err(Outcome::Items(_))) => Events::Failed("an answer that is not a list".into()),
            Err(Stop::Rejected) => Events::Failed("the token was rejected".into()),
            Err(Stop::Unreachable(message)) | Err(Stop::ImpersonationRefused(message)) => {
                Events::Failed(message)
            }
        }
    }
}

fn line(event: &Value) -> EventLine {
    let first = |pointers: &[&str]| {
        pointers
            .iter()
            .map(|p| text(event, p))
            .find(|t| !t.is_empty())
            .map(str::to_string)
    };
    EventLine {
        event_type: text(event, "/type").to_string(),
        reason: text(event, "/reason").to_string(),
        last_seen: first(&[
            "/series/lastObservedTime",
            "/deprecatedLastTimestamp",
            "/eventTime",
            "/metadata/creationTimestamp",
        ]),
        from: first(&["/reportingController", "/deprecatedSource/component"]).unwrap_or_default(),
        message: text(event, "/note").to_string(),
        count: event
            .pointer("/series/count")
            .or_else(|| event.pointer("/deprecatedCount"))
            .and_then(Value::as_i64)
            .unwrap_or(1),
    }
}
