//! The shape ARCHITECTURE.md promises, checked: no import cycle between files, and no import
//! from a lower layer to a higher one. Imports are read from each file's `use` paths, inline
//! `crate::`/`super::` paths and paths into its child modules, and resolved to the file of the
//! longest module that exists. A child module's use of its parent's items is containment, not
//! an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers, bottom up: a module may use its own layer's modules and those below.
const LAYERS: &[&[&str]] = &[
    &["text", "net", "cesql", "version"],
    &["k8s"],
    &["mesh"],
    &["sim"],
    &["source"],
    &["access", "output", "serve", "completion"],
    &["tui"],
    &["cli"],
    &["exit", "commands"],
    &["", "main"],
];

fn layer_of(module: &str) -> usize {
    let top = module.split("::").next().unwrap_or("");
    LAYERS
        .iter()
        .position(|layer| layer.contains(&top))
        .unwrap_or_else(|| {
            panic!("module {top:?} is in no layer: add it to LAYERS and ARCHITECTURE.md")
        })
}

/// Every source file by its module path ("" is the crate root).
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            found.insert(parts.join("::"), text);
        }
    }
    found
}

/// `a::{b, c::{d}}` → `a::b`, `a::c::d`.
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.to_string()];
    };
    let (prefix, body) = (&path[..open], &path[open + 1..path.len() - 1]);
    let (mut items, mut depth, mut current) = (Vec::new(), 0, String::new());
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
        .iter()
        .filter(|item| !item.is_empty())
        .flat_map(|item| expand(&format!("{prefix}{item}")))
        .collect()
}

/// The child modules a file declares (`mod x;`), which its relative paths start with.
fn children_of(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim().strip_prefix("pub ").unwrap_or(line.trim());
            let name = line.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.to_string())
        })
        .collect()
}

/// The paths a file names: its `use` items, inline `crate::` and `super::` paths, and paths
/// into its own child modules (as `self::child::…`), outside its unit tests.
fn paths_in(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    // Comments are prose: "the one in use marked…" is no `use` statement.
    let code: String = code
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let code = code.as_str();
    let children = children_of(code);
    let relative = |path: String| match path.split("::").next() {
        Some(first) if children.iter().any(|c| c == first) => format!("self::{path}"),
        _ => path,
    };
    let mut paths = Vec::new();
    for statement in code.split("use ").skip(1) {
        let Some(end) = statement.find(';') else {
            continue;
        };
        let compact: String = statement[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let compact = compact.split(" as ").next().unwrap_or("").to_string();
        paths.extend(expand(&compact).into_iter().map(relative));
    }
    for child in &children {
        let start = format!("{child}::");
        for (at, _) in code.match_indices(&start) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(format!("self::{path}"));
        }
    }
    for start in ["crate::", "super::"] {
        for (at, _) in code.match_indices(start) {
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(path);
        }
    }
    paths
}

/// The module a path names, resolved from the file it is in.
fn resolve(path: &str, from: &str, modules: &BTreeMap<String, String>) -> Option<String> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    // A file's module is its path, whether it is `a/b.rs` or `a/b/mod.rs`.
    let mut base: Vec<&str> = from.split("::").filter(|s| !s.is_empty()).collect();
    match segments.first() {
        Some(&"crate") => {
            base.clear();
            segments.remove(0);
        }
        Some(&"super") => {
            while segments.first() == Some(&"super") {
                segments.remove(0);
                base.pop();
            }
        }
        Some(&"self") => {
            segments.remove(0);
        }
        _ => return None,
    }
    base.extend(segments);
    while !base.is_empty() {
        let candidate = base.join("::");
        if modules.contains_key(&candidate) {
            return Some(candidate);
        }
        base.pop();
    }
    None
}

fn is_ancestor(ancestor: &str, module: &str) -> bool {
    ancestor.is_empty() || module.starts_with(&format!("{ancestor}::"))
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    let mut edges = BTreeMap::new();
    for (module, text) in &modules {
        let targets: BTreeSet<String> = paths_in(text)
            .iter()
            .filter_map(|path| resolve(path, module, &modules))
            // A child using its own module's items is containment, as in any Rust crate: the
            // child is part of its parent. Every other edge counts.
            .filter(|target| target != module && !is_ancestor(target, module))
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    let edges = graph();
    assert!(
        edges.len() > 50,
        "the source files were found: {}",
        edges.len()
    );
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            return Some(path[at..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut cycles = Vec::new();
    for node in edges.keys() {
        // Each start gets its own search, so every file on a cycle is reported.
        if let Some(cycle) = visit(node, &edges, &mut Vec::new(), &mut BTreeSet::new()) {
            let mut sorted = cycle.clone();
            sorted.sort();
            if !cycles.iter().any(|(c, _)| *c == sorted) {
                cycles.push((sorted, cycle));
            }
        }
    }
    let cycles: Vec<_> = cycles
        .into_iter()
        .map(|(_, cycle)| cycle.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn no_module_imports_from_a_higher_layer() {
    let mut violations = Vec::new();
    for (module, targets) in graph() {
        for target in targets {
            if layer_of(&target) > layer_of(&module) {
                violations.push(format!("{module} uses {target}"));
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}
