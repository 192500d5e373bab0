//! A CloudEvent's attributes as CESQL sees them, read in structured-mode JSON with the
//! CloudEvents SDK, which checks the spec version and the required attributes.

use super::{Attributes, Lookup, Value};
use cloudevents::event::AttributeValue;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventAttributes {
    attributes: BTreeMap<String, Value>,
    /// Given attribute by attribute: a required attribute not given is present with a value
    /// not known, never missing.
    partial: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("not a CloudEvent in structured mode: {0}")]
    NotAnEvent(String),
}

impl EventAttributes {
    pub fn from_json(text: &str) -> Result<Self, EventError> {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| EventError::Json(e.to_string()))?;
        Self::from_value(json)
    }

    pub fn from_value(json: serde_json::Value) -> Result<Self, EventError> {
        let event: cloudevents::Event = serde_json::from_value(json.clone())
            .map_err(|e| EventError::NotAnEvent(e.to_string()))?;
        let mut attributes = BTreeMap::new();
        let context: Vec<&str> = event.iter_attributes().map(|(name, _)| name).collect();
        for (name, value) in event.iter() {
            let value = match value {
                AttributeValue::Boolean(b) => Value::Bool(*b),
                // An extension integer outside 32 bits is kept as its text.
                AttributeValue::Integer(i) => match i32::try_from(*i) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::Str(i.to_string()),
                },
                // The time as sent, not as the SDK normalises it to UTC: the Go SDK that
                // Knative runs keeps the sender's offset.
                AttributeValue::Time(_) => match json.get(name).and_then(|t| t.as_str()) {
                    Some(text) => Value::Str(text.to_string()),
                    None => Value::Str(value.to_string()),
                },
                other => Value::Str(other.to_string()),
            };
            // The Go SDK treats a blank context attribute as missing, and keeps a blank
            // extension.
            let blank = value == Value::Str(String::new());
            if !(blank && context.contains(&name)) {
                attributes.insert(name.to_string(), value);
            }
        }
        Ok(Self {
            attributes,
            partial: false,
        })
    }

    /// Attributes given one by one (`trace --type … --ext k=v`), as strings.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let attributes = pairs
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), Value::Str(v.to_string())))
            .collect();
        Self {
            attributes,
            partial: true,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attributes.get(name)
    }
}

impl Attributes for EventAttributes {
    fn lookup(&self, name: &str) -> Lookup {
        match self.attributes.get(name) {
            Some(value) => Lookup::Value(value.clone()),
            None if name == "specversion" && self.partial => {
                Lookup::Value(Value::Str("1.0".into()))
            }
            None if self.partial && matches!(name, "id" | "source" | "type") => Lookup::Present,
            None => Lookup::Missing,
        }
    }
}
