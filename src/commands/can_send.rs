//! `kn-mesh can-send`: may a sender deliver events to a receiver, and what decided it.

use super::write_stdout;
use crate::cesql::Attributes;
use crate::cli::{CanSendArgs, CesqlOutput, UsageError};
use crate::exit;
use crate::mesh::authorization::{self, DecidedBy, Rule, Verdict, identity, policies};
use crate::source::{self, spec::SourceSpec};

pub async fn run(spec: SourceSpec, args: &CanSendArgs) -> color_eyre::Result<u8> {
    let event = if args.event.is_given() {
        Some(super::trace::event(&args.event)?)
    } else {
        None
    };
    let [kind, namespace, name] = identity::split_object(&args.to).map_err(UsageError)?;
    if !args.from.starts_with("sub:") {
        identity::split_object(&args.from).map_err(UsageError)?;
    }
    let reading = super::mesh::read_once(source::open(spec, false).await?).await?;
    super::mesh::report_problems(&reading);
    let mesh = &reading.mesh;
    if mesh.reduced {
        return Err(UsageError(
            "an eventmesh backend sends no EventPolicies: read the cluster or the manifests".into(),
        )
        .into());
    }
    let sender = identity::parse_sender(mesh, &args.from).map_err(UsageError)?;
    if let Some(note) = &sender.note {
        say!("kn-mesh: {}", crate::output::escape(note));
    }
    let subject = sender.subject;
    let Some((receiver, rule)) = policies::find_receiver(mesh, kind, namespace, name) else {
        return unreadable_receiver(mesh, args, &subject, [kind, namespace, name]);
    };
    let event = event.as_ref().map(|e| e as &dyn Attributes);
    let verdict = authorization::can_send(mesh, &subject, &receiver, rule, event);
    let target = format!("{} {namespace}/{name}", receiver.kind);
    match args.output {
        CesqlOutput::Json => write_stdout(&crate::output::json(&verdict)?)?,
        CesqlOutput::Text => write_stdout(&text(&verdict, &subject, &target))?,
    }
    Ok(match verdict.allowed {
        Some(true) => exit::OK,
        Some(false) => exit::FAILURE,
        None => exit::DEPENDS,
    })
}

/// A receiver not in the mesh: unknown when its kind could not be read there, else not there.
fn unreadable_receiver(
    mesh: &crate::mesh::Mesh,
    args: &CanSendArgs,
    subject: &str,
    [kind, namespace, name]: [&str; 3],
) -> color_eyre::Result<u8> {
    use crate::mesh::snapshot::Role;
    let unread = [Role::Broker, Role::Channel, Role::Component]
        .into_iter()
        .flat_map(|role| crate::mesh::views::unread(mesh, role, namespace))
        .next();
    let Some(marker) = unread else {
        return Err(UsageError(format!(
            "no receiver {} {}/{} in the mesh (a broker, channel, sink, flow or transform)",
            crate::text::escape(kind),
            crate::text::escape(namespace),
            crate::text::escape(name)
        ))
        .into());
    };
    let verdict = Verdict::unknown(format!(
        "{kind} {namespace}/{name} could not be read: {}",
        marker.text
    ));
    let target = format!("{kind} {namespace}/{name}");
    match args.output {
        CesqlOutput::Json => write_stdout(&crate::output::json(&verdict)?)?,
        CesqlOutput::Text => write_stdout(&text(&verdict, subject, &target))?,
    }
    Ok(exit::DEPENDS)
}

/// The verdict in words: what, as whom, what decided, what else was looked at.
fn text(verdict: &Verdict, subject: &str, target: &str) -> String {
    let mut out = match verdict.allowed {
        Some(true) => format!("allowed: {subject} may deliver to {target}\n"),
        Some(false) => format!("denied: {subject} gets 403 at the ingress of {target}\n"),
        None => match &verdict.depends_on {
            Some(what) => format!("depends on the event: {subject} to {target}: {what}\n"),
            None => format!("unknown: {subject} to {target}\n"),
        },
    };
    let rule = match verdict.rule {
        Some(Rule::Core) => " (core's rule: the first policy by name that lists the sender)",
        Some(Rule::Kafka) => " (Kafka's rule: any policy that lists the sender and passes)",
        Some(Rule::AuthProxy) => {
            " (the auth-proxy's rule: the first policy by name; selectors and readiness unseen)"
        }
        None => "",
    };
    let decided = match &verdict.decided_by {
        DecidedBy::Policy(policy) => format!("EventPolicy {policy}{rule}"),
        DecidedBy::DefaultMode(mode) => {
            format!("default-authorization-mode {mode}: no EventPolicy applies")
        }
        DecidedBy::OidcDisabled(_) => {
            "not enforced: OIDC authentication is off (authentication-oidc in \
             knative-eventing/config-features)"
                .to_string()
        }
        DecidedBy::NotEnforced(why) => format!("not enforced: {why}"),
        DecidedBy::Unknown(why) => format!("cannot tell: {why}"),
    };
    out.push_str(&format!("  decided by {decided}\n"));
    if !verdict.consulted.is_empty() {
        out.push_str("  consulted:\n");
        for consulted in &verdict.consulted {
            out.push_str(&format!(
                "    {}: {}\n",
                consulted.policy, consulted.outcome
            ));
        }
    }
    for disagreement in &verdict.disagreements {
        out.push_str(&format!("  ⚑ {disagreement}\n"));
    }
    // Names, subjects and messages came from the objects: escaped, line by line.
    crate::output::escape_lines(&out)
}
