//! `t`: trace an event in the TUI. The prompt is prefilled from the selected object's event
//! type; once traced, the trees mark each trigger the path met (passes, fails, maybe) until Esc.
//! The marks come from the same walk as `kn-mesh trace`, so the TUI and the CLI never disagree.

use crate::cesql::EventAttributes;
use crate::mesh::Mesh;
use crate::mesh::objects::{EventType, ObjectKey};
use crate::mesh::trace::{self, Entry, Mark, Verdict};
use crate::mesh::views::Target;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// The prompt being typed: the event's attributes as `key=value` words, and where it enters.
#[derive(Debug, Clone, PartialEq)]
pub struct TracePrompt {
    pub text: String,
    pub entry: Entry,
    /// Why the last Enter was refused, shown until the text changes.
    pub error: Option<String>,
}

/// A trace on screen: what was traced, and what became of each trigger on its path.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceOverlay {
    pub text: String,
    pub entry: Entry,
    pub triggers: BTreeMap<ObjectKey, (Mark, String)>,
    pub delivered: usize,
    pub maybe: usize,
    /// Lists or objects on the path that could not be read: the event may also go there.
    pub unread: usize,
}

impl TraceOverlay {
    /// The mark of a row's trigger, if the trace met it.
    pub fn mark(&self, target: Option<&Target>) -> Option<&(Mark, String)> {
        match target {
            Some(Target::Trigger(key)) => self.triggers.get(key),
            _ => None,
        }
    }

    /// What the trace found, and what was traced: the counts first, because a long event is
    /// what a narrow screen cuts.
    pub fn summary(&self) -> (String, String) {
        let count = |mark| self.triggers.values().filter(|(m, _)| *m == mark).count();
        let unread = match self.unread {
            0 => String::new(),
            n => format!(", {n} unread on the way"),
        };
        let counts = format!(
            "trace: triggers {} pass, {} maybe, {} fail; {} delivered, {} maybe{unread}",
            count(Mark::Passes),
            count(Mark::Maybe),
            count(Mark::Fails),
            self.delivered,
            self.maybe,
        );
        let event = format!(
            "{} into {}",
            crate::text::escape(&self.text),
            entry_label(&self.entry)
        );
        (counts, event)
    }
}

/// Where an event enters, in words.
pub fn entry_label(entry: &Entry) -> String {
    let label = match entry {
        Entry::Broker(key) => format!("broker {key}"),
        Entry::Channel(key) => format!("channel {key}"),
        Entry::Source { kind, key } => format!("{kind} {key}"),
        Entry::Brokers => "every broker".to_string(),
    };
    crate::text::escape(&label)
}

/// The prompt for the selected object: where its events enter, and the attributes of its
/// first event type. None for objects events do not enter.
pub fn prompt_for(mesh: &Mesh, target: &Target) -> Option<TracePrompt> {
    let (entry, event_type) = match target {
        Target::Broker(key) => {
            let broker = mesh.broker(key)?;
            let first = broker.event_types.first().map(|link| &link.key);
            (Entry::Broker(key.clone()), first)
        }
        Target::Channel(key) => {
            let channel = mesh.channel(key)?;
            (Entry::Channel(key.clone()), channel.event_types.first())
        }
        Target::Source(index) => {
            let source = mesh.sources.get(*index)?;
            let entry = Entry::Source {
                kind: source.object.kind.clone(),
                key: source.object.key(),
            };
            (entry, source.event_types.first())
        }
        Target::EventType(key) => (entry_of_event_type(mesh, key), Some(key)),
        _ => return None,
    };
    let text = event_type
        .and_then(|key| mesh.event_type(key))
        .map(|node| prefill(&node.object))
        .unwrap_or_else(|| "type=".to_string());
    Some(TracePrompt {
        text,
        entry,
        error: None,
    })
}

/// Where an event type's events enter: the broker, channel or source it names.
fn entry_of_event_type(mesh: &Mesh, key: &ObjectKey) -> Entry {
    let producers = mesh.event_type(key).map(|n| n.producers.as_slice());
    for producer in producers.unwrap_or_default() {
        let key = producer.key.clone();
        if producer.kind == "Broker" && mesh.broker(&key).is_some() {
            return Entry::Broker(key);
        }
        if mesh
            .channel(&key)
            .is_some_and(|c| c.object.kind == producer.kind)
        {
            return Entry::Channel(key);
        }
        let source = mesh
            .sources
            .iter()
            .any(|s| s.object.kind == producer.kind && s.object.key() == key);
        if source {
            let kind = producer.kind.clone();
            return Entry::Source { kind, key };
        }
    }
    Entry::Brokers
}

/// The attributes an event type pins, as prompt words: type and source first. A template
/// (`{org}`) is not a value, so it is left for the user to fill.
fn prefill(event_type: &EventType) -> String {
    let mut names = vec!["type", "source", "dataschema"];
    for attribute in &event_type.spec.attributes {
        if !names.contains(&attribute.name.as_str()) {
            names.push(&attribute.name);
        }
    }
    names
        .into_iter()
        .filter(|name| !matches!(*name, "id" | "specversion"))
        .filter_map(|name| {
            let value = event_type.pinned_attribute(name)?;
            (!value.contains('{')).then(|| format!("{name}={}", shell_words::quote(value)))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The prompt's words as an event: `key=value`, quoted as a shell quotes, `type` required.
pub fn parse_event(text: &str) -> Result<EventAttributes, String> {
    let words = shell_words::split(text).map_err(|_| "a quote is not closed".to_string())?;
    let mut pairs = Vec::new();
    for word in &words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(format!(
                "\"{}\" is not key=value",
                crate::text::escape(word)
            ));
        };
        // CloudEvents attribute names are lower-case letters and digits.
        let name_ok = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !name_ok {
            return Err(format!(
                "\"{}\" is not an attribute name (a-z, 0-9)",
                crate::text::escape(key)
            ));
        }
        pairs.push((key, value));
    }
    if !pairs
        .iter()
        .any(|(key, value)| *key == "type" && !value.is_empty())
    {
        return Err("name the event's type: type=…".to_string());
    }
    Ok(EventAttributes::from_pairs(pairs))
}

/// Traces the prompt's event through the mesh.
pub fn run(mesh: &Mesh, text: &str, entry: &Entry) -> Result<TraceOverlay, String> {
    let event = parse_event(text)?;
    let traced = trace::trace(mesh, &event, entry).map_err(|e| e.0)?;
    let count = |verdict| {
        traced
            .deliveries
            .iter()
            .filter(|d| d.verdict == verdict)
            .count()
    };
    Ok(TraceOverlay {
        text: text.to_string(),
        entry: entry.clone(),
        delivered: count(Verdict::Delivered),
        maybe: count(Verdict::Maybe),
        unread: traced.unread.len(),
        triggers: traced.triggers,
    })
}

/// What a key did to the prompt.
pub enum PromptOutcome {
    Open(TracePrompt),
    Cancel,
    Trace(TracePrompt),
}

pub fn prompt_key(mut prompt: TracePrompt, key: KeyEvent) -> PromptOutcome {
    match key.code {
        KeyCode::Esc => return PromptOutcome::Cancel,
        KeyCode::Enter => return PromptOutcome::Trace(prompt),
        KeyCode::Backspace => {
            prompt.text.pop();
        }
        // Ctrl-U clears the line, as in a shell.
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => prompt.text.clear(),
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => prompt.text.push(c),
        _ => return PromptOutcome::Open(prompt),
    }
    prompt.error = None;
    PromptOutcome::Open(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_reads_key_value_words_and_wants_a_type() {
        let event = parse_event("type=order.created source='/a b' ext1=x").unwrap();
        assert_eq!(
            event.get("source"),
            Some(&crate::cesql::Value::Str("/a b".into()))
        );
        assert_eq!(
            parse_event("source=/a").unwrap_err(),
            "name the event's type: type=…"
        );
        assert!(
            parse_event("type=a nonsense")
                .unwrap_err()
                .contains("key=value")
        );
        assert!(
            parse_event("type=a Bad=x")
                .unwrap_err()
                .contains("attribute name")
        );
        assert_eq!(parse_event("type='a").unwrap_err(), "a quote is not closed");
    }
}
