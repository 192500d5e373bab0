//! Reads Kubernetes objects from files, directories and stdin: multi-document YAML, JSON
//! (one object or a stream of them), and `kind: List` / `*List` wrappers.
//!
//! Errors name the file and the line: the line of a syntax error, and for a field of the wrong
//! type (`spec.broker: 5`) the line of that field, found by re-reading the document with
//! positions only when such an error occurs, so the common path stays fast.

mod locate;
mod parse;
mod saved;

use crate::mesh::catalog;
use crate::mesh::snapshot::{Access, AccessMarker, ApiRequest, Snapshot};
use locate::locate;
use parse::{json_values, parse_json, parse_yaml};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Limits on what one file may hold, each named in the error past it. They are far above real
/// manifests (`helm template` of a large chart is a few thousand documents) and keep a hostile
/// file from taking the machine's memory.
pub const MAX_FILE_BYTES: usize = 64 << 20;
pub const MAX_DOCUMENTS: usize = 200_000;
/// Values (YAML nodes, JSON values) one file may hold: 50 MB of real manifests is about 5
/// million; a file of bare `[1,1,1,…]` would otherwise cost tens of bytes of memory per byte.
pub const MAX_VALUES: usize = 12_000_000;
/// All inputs together.
pub const MAX_TOTAL_BYTES: usize = 256 << 20;
pub(super) const MAX_YAML_DEPTH: usize = 128;

/// An I/O error in words, without the errno Rust appends ("(os error 2)").
pub fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "cannot read: permission denied".into(),
        _ => {
            let text = error.to_string();
            let text = text
                .split(" (os error ")
                .next()
                .unwrap_or(&text)
                .to_string();
            format!("cannot read: {text}")
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: {}", io_reason(source))]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a text file (it holds binary data); expected YAML or JSON manifests")]
    Binary { path: String },
    #[error(
        "{path}: {size} bytes is more than the {limit} bytes kn-mesh reads (one file, or all inputs together)"
    )]
    TooLarge {
        path: String,
        size: usize,
        limit: usize,
    },
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
    #[error("{} problem(s) in the manifests:\n  {}", .0.len(), lines(.0))]
    Several(Vec<ManifestError>),
}

impl ManifestError {
    /// The file the problem is in, as shown.
    pub fn path(&self) -> String {
        let location = match self {
            ManifestError::Unreadable { path, .. }
            | ManifestError::Binary { path }
            | ManifestError::TooLarge { path, .. }
            | ManifestError::EmptyDirectory { path } => return path.clone(),
            ManifestError::Syntax { location, .. }
            | ManifestError::WrongType { location, .. }
            | ManifestError::NotAnObject { location, .. } => location,
            ManifestError::NoObjects { inputs, .. } => return inputs.clone(),
            ManifestError::Several(_) => return String::new(),
        };
        // "path:line": the path is everything before the last colon.
        match location.rsplit_once(':') {
            Some((path, line)) if line.bytes().all(|b| b.is_ascii_digit()) => path.to_string(),
            _ => location.clone(),
        }
    }

    /// A file that could not be read at all, or an object that is not one: bad input. (An
    /// object of the wrong type is read, and marked undecodable.)
    pub fn is_unreadable(&self) -> bool {
        !matches!(self, ManifestError::WrongType { .. })
    }
}

fn lines(problems: &[ManifestError]) -> String {
    problems
        .iter()
        .map(|p| crate::text::escape(&p.to_string()))
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// What reading manifests gave: the mesh of everything that could be read, the files or objects
/// that could not (each with its file and line), and warnings such as duplicates.
#[derive(Debug, Default)]
pub struct Manifests {
    pub snapshot: Snapshot,
    /// A mesh kn-mesh wrote (`-o json`, `-o yaml`, `-o eventmesh`), read back whole: shown as
    /// it is, instead of a mesh built from the snapshot.
    pub saved: Option<crate::mesh::Mesh>,
    /// How many objects were read (after duplicates were resolved), decoded or not.
    pub objects: usize,
    pub problems: Vec<ManifestError>,
    pub warnings: Vec<String>,
}

/// One object as read, with where it came from.
struct Located {
    value: Value,
    origin: Origin,
    /// One of kn-mesh's own outputs, not a Kubernetes object.
    saved: Option<saved::Shape>,
}

#[derive(Clone)]
pub(super) struct Origin {
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

/// Reads every path (`-` is stdin) and sorts the objects into a Snapshot, as kubectl reads
/// them: objects without a namespace go to `namespace` (`-n`, else `default`), a later object
/// with the same group, kind, namespace and name replaces an earlier one. A bad file or object
/// costs only itself: it is a problem in the answer, and the rest is read.
pub fn read_snapshot(
    paths: &[PathBuf],
    namespace: Option<&str>,
) -> Result<Manifests, ManifestError> {
    read_scoped(paths, namespace, &[])
}

/// Reads as `read_snapshot` does, keeping only the namespaces `-n` named (and cluster-scoped
/// objects); objects without a namespace go to the last one. A named namespace that nothing in
/// the files is in is a not-found marker and a warning, as a cluster's missing namespace is.
pub fn read_in_namespaces(
    paths: &[PathBuf],
    namespaces: &[String],
    selector: Option<&str>,
) -> Result<Manifests, ManifestError> {
    let mut read = read_scoped(paths, namespaces.last().map(String::as_str), namespaces)?;
    if let Some(selector) = selector {
        keep_selected(&mut read.snapshot, selector);
    }
    Ok(read)
}

/// `-l` on files: the mesh objects whose labels match, as the server would select them.
/// Subscribers and CRDs stay: they are what the mesh points at, not what it lists.
fn keep_selected(snapshot: &mut Snapshot, selector: &str) {
    let Ok(selector) = crate::sim::selectors::Selectors::parse(Some(selector), None) else {
        return;
    };
    let keep = |meta: &crate::mesh::objects::ObjectMeta| {
        selector.matches(&serde_json::json!({"metadata": {"labels": meta.labels}}))
    };
    snapshot.brokers.retain(|o| keep(&o.metadata));
    snapshot.triggers.retain(|o| keep(&o.metadata));
    snapshot.event_types.retain(|o| keep(&o.metadata));
    snapshot.channels.retain(|o| keep(&o.metadata));
    snapshot.subscriptions.retain(|o| keep(&o.metadata));
    snapshot.sources.retain(|o| keep(&o.metadata));
    snapshot.components.retain(|o| keep(&o.metadata));
}

fn read_scoped(
    paths: &[PathBuf],
    namespace: Option<&str>,
    only: &[String],
) -> Result<Manifests, ManifestError> {
    let (objects, mut problems) = read_located(paths)?;
    let (saved, objects): (Vec<Located>, Vec<Located>) =
        objects.into_iter().partition(|o| o.saved.is_some());
    if !saved.is_empty() {
        return read_saved(saved, objects, problems);
    }
    let (mut values, origins, warnings) = settle(objects, namespace.unwrap_or("default"));
    let missing = keep_namespaces(&mut values, only);
    let count = values.len();
    let (mut snapshot, errors) = catalog::sort_objects(std::mem::take(&mut values));
    // A file that could not be read is data that failed to arrive: a marker, like a failed list.
    snapshot
        .access
        .extend(problems.iter().map(|problem| AccessMarker {
            role: crate::mesh::snapshot::Role::File,
            request: ApiRequest::file(&problem.path()),
            access: Access::Failed {
                message: problem.to_string(),
            },
        }));
    problems.extend(locate(errors, &origins));
    snapshot.notes.extend(warnings.iter().cloned());
    snapshot.notes.extend(missing.iter().map(|n| {
        format!(
            "namespace {:?}: nothing in the files is in it (named with -n)",
            crate::text::escape(n)
        )
    }));
    snapshot.access.extend(missing.iter().map(|namespace| {
        AccessMarker::new(
            ApiRequest::get_cluster_scoped("", "namespaces", namespace),
            Access::NotFound,
        )
    }));
    Ok(Manifests {
        snapshot,
        saved: None,
        objects: count,
        problems,
        warnings,
    })
}

/// One saved output, read back as the mesh it holds. It is a whole mesh: mixed with manifests
/// or with another saved output it would be two answers in one, so that is refused.
fn read_saved(
    mut saved: Vec<Located>,
    others: Vec<Located>,
    problems: Vec<ManifestError>,
) -> Result<Manifests, ManifestError> {
    if saved.len() > 1 || !others.is_empty() {
        let second = saved.get(1).or(others.first()).unwrap_or(&saved[0]);
        return Err(ManifestError::NotAnObject {
            location: second.origin.location(),
            reason: format!(
                "{} is a saved kn-mesh output, which opens alone: not with manifests or another saved output",
                saved[0].origin.location()
            ),
        });
    }
    let first = saved.remove(0);
    let shape = first.saved.unwrap_or(saved::Shape::Mesh);
    let mesh = saved::read(first.value, shape, &first.origin)?;
    Ok(Manifests {
        objects: 1,
        saved: Some(mesh),
        problems,
        ..Manifests::default()
    })
}

/// Keeps the objects in these namespaces, cluster-scoped ones, and these Namespaces (all when
/// none are named); returns the named namespaces nothing is in.
fn keep_namespaces(values: &mut Vec<Value>, only: &[String]) -> Vec<String> {
    if only.is_empty() {
        return Vec::new();
    }
    let named = |value: &Value, pointer: &str| {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    };
    let is_namespace = |value: &Value| catalog::kind_of(value) == ("", "Namespace");
    values.retain(|value| {
        let in_scope = |n: &String| only.contains(n);
        // Knative's feature flags say how every namespace's receivers check senders.
        if catalog::is_features(value) {
            return true;
        }
        match named(value, "/metadata/namespace") {
            Some(namespace) => in_scope(&namespace),
            None if is_namespace(value) => {
                named(value, "/metadata/name").is_some_and(|n| in_scope(&n))
            }
            None => true,
        }
    });
    only.iter()
        .filter(|namespace| {
            !values.iter().any(|v| {
                named(v, "/metadata/namespace").as_ref() == Some(*namespace)
                    || (is_namespace(v) && named(v, "/metadata/name").as_ref() == Some(*namespace))
            })
        })
        .cloned()
        .collect()
}

/// Reads every object as it is, RBAC and Secrets included (the simulated cluster loads them
/// all), with a warning for each object given twice (the later one is kept). Here any problem
/// fails the whole read: a rehearsal on part of the manifests would answer for a cluster nobody
/// has.
pub fn read_objects(paths: &[PathBuf]) -> Result<(Vec<Value>, Vec<String>), ManifestError> {
    let (objects, mut problems) = read_located(paths)?;
    if let Some(saved) = objects.iter().find(|o| o.saved.is_some()) {
        return Err(ManifestError::NotAnObject {
            location: saved.origin.location(),
            reason: "a saved kn-mesh output holds no objects to serve: give the manifests".into(),
        });
    }
    let (values, origins, warnings) = settle(objects, "default");
    let (_, errors) = catalog::sort_objects(values.clone());
    problems.extend(locate(errors, &origins));
    strict(problems)?;
    Ok((values, warnings))
}

fn strict(mut problems: Vec<ManifestError>) -> Result<(), ManifestError> {
    match problems.len() {
        0 => Ok(()),
        1 => Err(problems.remove(0)),
        _ => Err(ManifestError::Several(problems)),
    }
}

/// Namespaces defaulted, then duplicates resolved: the later object wins, with a warning that
/// names both places.
fn settle(objects: Vec<Located>, namespace: &str) -> (Vec<Value>, Vec<Origin>, Vec<String>) {
    let (mut values, origins): (Vec<Value>, Vec<Origin>) =
        objects.into_iter().map(|o| (o.value, o.origin)).unzip();
    catalog::default_namespaces(&mut values, namespace);
    let mut last: std::collections::HashMap<catalog::ObjectIdentity, usize> =
        std::collections::HashMap::with_capacity(values.len());
    let mut replaced = vec![false; values.len()];
    let mut warnings = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let identity = catalog::ObjectIdentity::of(value);
        if identity.name.is_empty() {
            continue;
        }
        if let Some(earlier) = last.insert(identity.clone(), index) {
            replaced[earlier] = true;
            warnings.push(format!(
                "{} {}{} is defined twice: {} replaces {}",
                identity.kind,
                identity
                    .namespace
                    .as_deref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default(),
                identity.name,
                origins[index].location(),
                origins[earlier].location()
            ));
        }
    }
    let kept = values
        .into_iter()
        .zip(origins)
        .zip(replaced)
        .filter(|(_, replaced)| !replaced)
        .map(|(pair, _)| pair)
        .unzip();
    (kept.0, kept.1, warnings)
}

/// Every object of every path, and every file that could not be read (each reported, none
/// stopping the others). Fails only when nothing at all was found and nothing went wrong.
fn read_located(paths: &[PathBuf]) -> Result<(Vec<Located>, Vec<ManifestError>), ManifestError> {
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    let mut empty_files = Vec::new();
    let mut total = 0usize;
    for path in paths {
        let files = match expand(path) {
            Ok(files) => files,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        for file in files {
            // Stdin has no size up front; it is capped at one file's limit as it is read.
            let size = file_size(&file).unwrap_or(0) as usize;
            if total.saturating_add(size) > MAX_TOTAL_BYTES {
                problems.push(ManifestError::TooLarge {
                    path: display(&file),
                    size: total.saturating_add(size),
                    limit: MAX_TOTAL_BYTES,
                });
                continue;
            }
            total += size;
            let mut read = Vec::new();
            let before = problems.len();
            match read_file(&file, &mut read, &mut problems) {
                Ok(()) if read.is_empty() && problems.len() == before => {
                    empty_files.push(display(&file))
                }
                Ok(()) => objects.append(&mut read),
                Err(problem) => problems.push(problem),
            }
        }
    }
    if objects.is_empty() && problems.is_empty() {
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
    Ok((objects, problems))
}

fn file_size(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

fn display(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".into()
    } else {
        crate::text::escape(&path.display().to_string())
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
        // A broken link is listed too, so that reading it reports it, as kubectl does.
        if is_manifest && !file.is_dir() {
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

fn read_file(
    path: &Path,
    out: &mut Vec<Located>,
    problems: &mut Vec<ManifestError>,
) -> Result<(), ManifestError> {
    let name = display(path);
    let unreadable = |source| ManifestError::Unreadable {
        path: name.clone(),
        source,
    };
    let mut bytes = Vec::new();
    // One byte past the limit tells a file at the limit from one over it, without reading more.
    let cap = MAX_FILE_BYTES as u64 + 1;
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(cap)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
    } else {
        std::fs::File::open(path)
            .and_then(|file| file.take(cap).read_to_end(&mut bytes))
            .map_err(unreadable)?;
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ManifestError::TooLarge {
            path: name,
            size: bytes.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    if bytes.contains(&0) {
        return Err(ManifestError::Binary { path: name });
    }
    let mut text =
        String::from_utf8(bytes).map_err(|_| ManifestError::Binary { path: name.clone() })?;
    // A byte-order mark, as some Windows editors write it, is not content.
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    let json = path.extension().is_some_and(|e| e == "json");
    read_text(&name, text.into(), json, out, problems)
}

/// Text that opens like JSON, or a `.json` file, is tried as a JSON stream first (`kubectl get
/// -o json` piped in: several objects back to back, which is not YAML); if that fails it is
/// YAML after all, as kubectl reads it (flow-style YAML opens the same way, and YAML saved as
/// `.json` happens). When it is neither, the JSON error is shown.
fn read_text(
    name: &str,
    text: std::sync::Arc<str>,
    json: bool,
    out: &mut Vec<Located>,
    problems: &mut Vec<ManifestError>,
) -> Result<(), ManifestError> {
    let trimmed = text.trim_start();
    let looks_like_json = trimmed.starts_with('{') || trimmed.starts_with('[');
    let documents = if json || looks_like_json {
        // A limit is not a question of syntax: checked before either parser builds anything.
        let values = json_values(&text);
        if values > MAX_VALUES {
            return Err(ManifestError::Syntax {
                location: name.to_string(),
                message: format!(
                    "{values} JSON values is more than the {MAX_VALUES} one file may hold"
                ),
            });
        }
        match parse_json(name, &text) {
            Ok(documents) => documents,
            Err(json_error) => parse_yaml(name, &text).map_err(|_| json_error)?,
        }
    } else {
        parse_yaml(name, &text)?
    };
    if documents.len() > MAX_DOCUMENTS {
        return Err(ManifestError::Syntax {
            location: name.to_string(),
            message: format!(
                "{} documents is more than the {MAX_DOCUMENTS} one file may hold",
                documents.len()
            ),
        });
    }
    let mut local = Vec::new();
    for (document, (line, value)) in documents.into_iter().enumerate() {
        let origin = Origin {
            path: name.to_string(),
            line,
            text: text.clone(),
            document,
            item: None,
        };
        // A document that is not an object costs only itself.
        if let Err(problem) = push_object(value, origin, &mut local) {
            problems.push(problem);
        }
    }
    out.append(&mut local);
    Ok(())
}

/// Reads objects from texts already in memory (the demo's, compiled into the binary), each
/// named for its messages. Any problem fails: the demo's manifests are ours.
pub fn objects_from_texts(texts: &[(&str, &str)]) -> Result<Vec<Value>, ManifestError> {
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in texts {
        read_text(name, (*text).into(), false, &mut objects, &mut problems)?;
    }
    let (values, origins, _) = settle(objects, "default");
    let (_, errors) = catalog::sort_objects(values.clone());
    problems.extend(locate(errors, &origins));
    strict(problems)?;
    Ok(values)
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
    if let Some(shape) = saved::shape(&value) {
        out.push(Located {
            value,
            origin,
            saved: Some(shape),
        });
        return Ok(());
    }
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
                reason: format!("{} without an items list", crate::text::escape(kind)),
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
    let metadata = object.get("metadata");
    let named = metadata
        .and_then(|m| m.get("name"))
        .is_some_and(|name| name.as_str().is_none_or(|n| !n.is_empty()));
    if !named {
        let generated = metadata.and_then(|m| m.get("generateName")).is_some();
        return Err(ManifestError::NotAnObject {
            location: origin.location(),
            reason: if generated {
                "it has only metadata.generateName: a name is given by the server on create, and kn-mesh cannot show an object that has none".into()
            } else {
                "it has no metadata.name".into()
            },
        });
    }
    out.push(Located {
        value,
        origin,
        saved: None,
    });
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
