//! Finding the line of a field of the wrong type, by re-reading its file with positions only
//! when such an error occurs, so the common path stays fast.

use super::parse::{as_kubectl_reads, yaml_options};
use super::{ManifestError, Origin};
use crate::mesh::catalog::ConvertError;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;
use std::fmt;

/// Each object that could not be decoded, at the line of its bad field. A file is re-read with
/// positions once, however many of its objects are bad.
pub(super) fn locate(errors: Vec<ConvertError>, origins: &[Origin]) -> Vec<ManifestError> {
    let mut positioned: std::collections::HashMap<String, Option<Vec<Spanned<Positioned>>>> =
        std::collections::HashMap::new();
    errors
        .into_iter()
        .map(|error| {
            let documents = origins.get(error.index).and_then(|origin| {
                positioned
                    .entry(origin.path.clone())
                    .or_insert_with(|| {
                        let text = as_kubectl_reads(&origin.text);
                        serde_saphyr::from_multiple_with_options(&text, yaml_options()).ok()
                    })
                    .as_deref()
            });
            wrong_type(error, origins, documents)
        })
        .collect()
}

fn wrong_type(
    error: ConvertError,
    origins: &[Origin],
    documents: Option<&[Spanned<Positioned>]>,
) -> ManifestError {
    let Some(origin) = origins.get(error.index) else {
        return ManifestError::WrongType {
            location: "?".into(),
            object: crate::text::escape(&error.object()),
            field: error.path,
            message: error.message,
        };
    };
    let line = documents
        .and_then(|documents| field_line(documents, origin, &error.path))
        .unwrap_or(origin.line);
    ManifestError::WrongType {
        location: format!("{}:{line}", origin.path),
        object: crate::text::escape(&error.object()),
        field: crate::text::escape(&error.path),
        message: crate::text::escape(&error.message),
    }
}

/// The line of a field, by re-reading the object's document with positions.
fn field_line(documents: &[Spanned<Positioned>], origin: &Origin, path: &str) -> Option<u64> {
    let mut node = documents
        .iter()
        .filter(|d| !matches!(d.value, Positioned::Null))
        .nth(origin.document)?;
    let item_path;
    let mut segments: Vec<&str> = Vec::new();
    if let Some(item) = origin.item {
        item_path = item.to_string();
        segments.push("items");
        segments.push(&item_path);
    }
    segments.extend(path.split('.').filter(|s| !s.is_empty() && *s != "?"));
    let mut line = node.referenced.line();
    for segment in segments {
        let next = match &node.value {
            Positioned::Map(entries) => entries.iter().find(|(k, _)| k == segment).map(|(_, v)| v),
            Positioned::Seq(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(child) => {
                node = child;
                line = child.referenced.line();
            }
            None => break,
        }
    }
    Some(line)
}

/// A YAML tree that remembers where each node is; used only to locate errors.
enum Positioned {
    Map(Vec<(String, Spanned<Positioned>)>),
    Seq(Vec<Spanned<Positioned>>),
    Scalar,
    Null,
}

impl<'de> de::Deserialize<'de> for Positioned {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PositionedVisitor;
        impl<'de> Visitor<'de> for PositionedVisitor {
            type Value = Positioned;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Positioned, E> {
                Ok(Positioned::Scalar)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Positioned, E> {
                Ok(Positioned::Scalar)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Positioned, E> {
                Ok(Positioned::Scalar)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Positioned, E> {
                Ok(Positioned::Scalar)
            }
            fn visit_str<E>(self, _: &str) -> Result<Positioned, E> {
                Ok(Positioned::Scalar)
            }
            fn visit_unit<E>(self) -> Result<Positioned, E> {
                Ok(Positioned::Null)
            }
            fn visit_none<E>(self) -> Result<Positioned, E> {
                Ok(Positioned::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Positioned, D::Error> {
                de::Deserialize::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Positioned, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Positioned::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Positioned, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Value>()? {
                    let key = match key {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    entries.push((key, map.next_value()?));
                }
                Ok(Positioned::Map(entries))
            }
        }
        deserializer.deserialize_any(PositionedVisitor)
    }
}
