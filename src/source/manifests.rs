//! Reads Kubernetes objects from files, directories and stdin: multi-document YAML, JSON
//! (one object or a stream of them), and `kind: List` / `*List` wrappers.
//!
//! Errors name the file and the line: the line of a syntax error, and for a field of the wrong
//! type (`spec.broker: 5`) the line of that field, found by re-reading the document with
//! positions only when such an error occurs, so the common path stays fast.

use crate::mesh::catalog::{self, ConvertError};
use crate::mesh::snapshot::Snapshot;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: cannot read: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a text file (it holds binary data); expected YAML or JSON manifests")]
    Binary { path: String },
    #[error("{location}: {message}")]
    Syntax { location: String, message: String },
    #[error("{location}: {object}: field {field}: {message}")]
    WrongType {
        location: String,
        object: String,
        field: String,
        message: String,
    },
    #[error("{location}: not a Kubernetes object: {reason}")]
    NotAnObject { location: String, reason: String },
    #[error("{path}: no *.yaml, *.yml or *.json files in this directory")]
    EmptyDirectory { path: String },
    #[error("no Kubernetes objects found in {inputs}{hint}")]
    NoObjects { inputs: String, hint: String },
}

/// One object as read, with where it came from.
struct Located {
    value: Value,
    origin: Origin,
}

#[derive(Clone)]
struct Origin {
    path: String,
    /// 1-based line where the document (or the list item) starts.
    line: u64,
    /// The whole text of the file, kept to find a field's line if the object turns out bad.
    text: std::sync::Arc<str>,
    /// Which document of the file, and which item of a List in it.
    document: usize,
    item: Option<usize>,
}

impl Origin {
    fn location(&self) -> String {
        format!("{}:{}", self.path, self.line)
    }
}

/// Reads every path (`-` is stdin) and sorts the objects into a Snapshot.
pub fn read_snapshot(paths: &[PathBuf]) -> Result<Snapshot, ManifestError> {
    let (values, origins) = read_located(paths)?;
    catalog::snapshot_from_objects(values).map_err(|error| wrong_type(error, &origins))
}

/// Reads every object as it is, RBAC and Secrets included (the simulated cluster loads them
/// all), after checking the mesh kinds the same way `read_snapshot` does.
pub fn read_objects(paths: &[PathBuf]) -> Result<Vec<Value>, ManifestError> {
    let (values, origins) = read_located(paths)?;
    catalog::snapshot_from_objects(values.clone()).map_err(|error| wrong_type(error, &origins))?;
    Ok(values)
}

fn read_located(paths: &[PathBuf]) -> Result<(Vec<Value>, Vec<Origin>), ManifestError> {
    let mut objects = Vec::new();
    let mut empty_files = Vec::new();
    for path in paths {
        for file in expand(path)? {
            let before = objects.len();
            read_file(&file, &mut objects)?;
            if objects.len() == before {
                empty_files.push(display(&file));
            }
        }
    }
    if objects.is_empty() {
        let inputs = paths
            .iter()
            .map(|p| display(p))
            .collect::<Vec<_>>()
            .join(", ");
        let hint = if empty_files.is_empty() {
            String::new()
        } else {
            format!(" ({} empty or holds only comments)", empty_files.join(", "))
        };
        return Err(ManifestError::NoObjects { inputs, hint });
    }
    Ok(objects.into_iter().map(|o| (o.value, o.origin)).unzip())
}

fn display(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}

/// A directory becomes its *.yaml, *.yml and *.json files, sorted by name.
fn expand(path: &Path) -> Result<Vec<PathBuf>, ManifestError> {
    if path.as_os_str() == "-" || !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let unreadable = |source| ManifestError::Unreadable {
        path: display(path),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let file = entry.path();
        let is_manifest = file
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        if is_manifest && file.is_file() {
            files.push(file);
        }
    }
    if files.is_empty() {
        return Err(ManifestError::EmptyDirectory {
            path: display(path),
        });
    }
    files.sort();
    Ok(files)
}

fn read_file(path: &Path, out: &mut Vec<Located>) -> Result<(), ManifestError> {
    let name = display(path);
    let unreadable = |source| ManifestError::Unreadable {
        path: name.clone(),
        source,
    };
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
    } else {
        bytes = std::fs::read(path).map_err(unreadable)?;
    }
    if bytes.contains(&0) {
        return Err(ManifestError::Binary { path: name });
    }
    let text =
        String::from_utf8(bytes).map_err(|_| ManifestError::Binary { path: name.clone() })?;
    read_text(&name, text.into(), out)
}

fn read_text(
    name: &str,
    text: std::sync::Arc<str>,
    out: &mut Vec<Located>,
) -> Result<(), ManifestError> {
    let trimmed = text.trim_start();
    let documents = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        parse_json(name, &text)?
    } else {
        parse_yaml(name, &text)?
    };
    for (document, (line, value)) in documents.into_iter().enumerate() {
        let origin = Origin {
            path: name.to_string(),
            line,
            text: text.clone(),
            document,
            item: None,
        };
        push_object(value, origin, out)?;
    }
    Ok(())
}

/// Reads objects from texts already in memory (the demo's, compiled into the binary), each
/// named for its messages.
pub fn objects_from_texts(texts: &[(&str, &str)]) -> Result<Vec<Value>, ManifestError> {
    let mut objects = Vec::new();
    for (name, text) in texts {
        read_text(name, (*text).into(), &mut objects)?;
    }
    let (values, origins): (Vec<Value>, Vec<Origin>) =
        objects.into_iter().map(|o| (o.value, o.origin)).unzip();
    catalog::snapshot_from_objects(values.clone()).map_err(|error| wrong_type(error, &origins))?;
    Ok(values)
}

/// JSON: one value, or several concatenated, as `kubectl get -o json` and jq produce.
fn parse_json(name: &str, text: &str) -> Result<Vec<(u64, Value)>, ManifestError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut documents = Vec::new();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => return Ok(documents),
            Some(Ok(value)) => {
                let start = offset + text[offset..].len() - text[offset..].trim_start().len();
                documents.push((line_at(text, start), value));
            }
            Some(Err(error)) => {
                let message = if error.is_eof() {
                    format!("the JSON ends before it is complete ({error})")
                } else {
                    error.to_string()
                };
                return Err(ManifestError::Syntax {
                    location: format!("{name}:{}", error.line()),
                    message,
                });
            }
        }
    }
}

fn line_at(text: &str, byte_offset: usize) -> u64 {
    1 + text[..byte_offset.min(text.len())].matches('\n').count() as u64
}

fn parse_yaml(name: &str, text: &str) -> Result<Vec<(u64, Value)>, ManifestError> {
    let documents: Vec<Spanned<Value>> =
        serde_saphyr::from_multiple(text).map_err(|error| ManifestError::Syntax {
            location: match error.location() {
                Some(location) => format!("{name}:{}", location.line()),
                None => name.to_string(),
            },
            message: first_line(&error.to_string()),
        })?;
    Ok(documents
        .into_iter()
        .filter(|d| !d.value.is_null())
        .map(|d| (d.referenced.line(), d.value))
        .collect())
}

/// serde-saphyr renders a code snippet under its message; the message line is what we want.
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

fn push_object(value: Value, origin: Origin, out: &mut Vec<Located>) -> Result<(), ManifestError> {
    let Some(object) = value.as_object() else {
        return Err(ManifestError::NotAnObject {
            location: origin.location(),
            reason: format!(
                "expected a mapping with apiVersion and kind, found {}",
                kind_name(&value)
            ),
        });
    };
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind.is_empty() || object.get("apiVersion").and_then(Value::as_str).is_none() {
        return Err(ManifestError::NotAnObject {
            location: origin.location(),
            reason: "it has no apiVersion and kind".into(),
        });
    }
    if kind == "List" || (kind.ends_with("List") && object.contains_key("items")) {
        let Some(Value::Array(items)) = value.get("items").cloned() else {
            return Err(ManifestError::NotAnObject {
                location: origin.location(),
                reason: format!("{kind} without an items list"),
            });
        };
        for (index, item) in items.into_iter().enumerate() {
            let item_origin = Origin {
                item: Some(index),
                ..origin.clone()
            };
            push_object(item, item_origin, out)?;
        }
        return Ok(());
    }
    out.push(Located { value, origin });
    Ok(())
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn wrong_type(error: ConvertError, origins: &[Origin]) -> ManifestError {
    let origin = &origins[error.index];
    let line = field_line(origin, &error.path).unwrap_or(origin.line);
    ManifestError::WrongType {
        location: format!("{}:{line}", origin.path),
        object: error.object,
        field: error.path,
        message: error.message,
    }
}

/// The line of a field, by re-reading the object's document with positions.
fn field_line(origin: &Origin, path: &str) -> Option<u64> {
    let documents: Vec<Spanned<Positioned>> = serde_saphyr::from_multiple(&origin.text).ok()?;
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
