//! `kn-mesh trace`: every place an event goes, from the mesh any source reads.

use super::write_stdout;
use crate::cesql::EventAttributes;
use crate::cli::{EventArgs, TraceArgs, TraceOutput, UsageError};
use crate::exit;
use crate::mesh::objects::ObjectKey;
use crate::mesh::trace::{self, Entry, Verdict};
use crate::source::{self, spec::SourceSpec};

pub async fn run(
    spec: SourceSpec,
    args: &TraceArgs,
    namespaces: &[String],
) -> color_eyre::Result<u8> {
    let event = event(&args.event)?;
    let entry = entry(args, namespaces)?;
    let reading = super::mesh::read_once(source::open(spec, false).await?).await?;
    super::mesh::report_problems(&reading);
    if reading.unreadable_file && reading.mesh.is_empty() {
        return Ok(exit::BAD_INPUT);
    }
    let mesh = &reading.mesh;
    let traced = trace::trace(mesh, &event, &entry).map_err(|e| UsageError(e.0))?;
    // A file that could not be read, like a list the path met and could not read, may hide
    // where the event goes.
    let whole = traced.unread.is_empty() && reading.problems.is_empty();
    match args.output {
        TraceOutput::Json => {
            write_stdout(&crate::output::json(&traced)?)?;
        }
        TraceOutput::Tree => write_stdout(&crate::output::tree::render_roots(&traced.tree))?,
    }
    if !whole {
        say!(
            "kn-mesh: some of the mesh on the event's way could not be read; it may also go \
             where kn-mesh cannot see"
        );
    }
    let certain = traced
        .deliveries
        .iter()
        .any(|d| d.verdict == Verdict::Delivered);
    Ok(match (certain, traced.deliveries.is_empty(), whole) {
        (true, _, _) => exit::OK,
        (false, true, true) => exit::FAILURE,
        _ => exit::DEPENDS,
    })
}

/// The event the flags give. `trace` needs one: a file, or at least a type.
pub fn event(args: &EventArgs) -> color_eyre::Result<EventAttributes> {
    if let Some(path) = &args.event {
        return super::cesql::read_event_file(path);
    }
    if args.event_type.is_none() {
        return Err(UsageError("name the event: --event FILE, or at least --type".into()).into());
    }
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for (name, value) in [
        ("type", &args.event_type),
        ("source", &args.event_source),
        ("subject", &args.subject),
    ] {
        if let Some(value) = value {
            pairs.push((name, value));
        }
    }
    for ext in &args.ext {
        let Some((key, value)) = ext.split_once('=') else {
            return Err(UsageError(format!("--ext {ext:?}: want KEY=VALUE")).into());
        };
        pairs.push((key, value));
    }
    Ok(EventAttributes::from_pairs(pairs))
}

/// `namespaces`: the -n in effect, given before `trace` or after it.
fn entry(args: &TraceArgs, namespaces: &[String]) -> Result<Entry, UsageError> {
    let Some(to) = &args.to else {
        return Ok(Entry::Brokers);
    };
    let namespace = match namespaces {
        [] => "default",
        [one] => one.as_str(),
        _ => return Err(UsageError("--to takes one namespace: give one -n".into())),
    };
    let parts: Vec<&str> = to.split('/').collect();
    match parts.as_slice() {
        ["broker", name] => Ok(Entry::Broker(ObjectKey::new(namespace, name))),
        ["channel", name] => Ok(Entry::Channel(ObjectKey::new(namespace, name))),
        ["source", kind, name] => Ok(Entry::Source {
            kind: (*kind).to_string(),
            key: ObjectKey::new(namespace, name),
        }),
        _ => Err(UsageError(format!(
            "--to {to:?}: want broker/NAME, channel/NAME or source/KIND/NAME"
        ))),
    }
}
