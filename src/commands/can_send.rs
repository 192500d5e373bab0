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
    let (subject, note) = match identity::parse_sender(mesh, &args.from) {
        Ok(sender) => (sender.subject, sender.note),
        Err(identity::NoSubject::NotFound(why)) => return Err(UsageError(why).into()),
        // A sender that could not be read leaves the answer unknown, never made up.
        Err(identity::NoSubject::Unknown(why)) => {
            let verdict = Verdict::unknown(why);
            print(args, &Answer::new(&verdict, &args.from, None), &args.to)?;
            return Ok(exit::DEPENDS);
        }
    };
    let Some((receiver, rule)) = policies::find_receiver(mesh, kind, namespace, name) else {
        return unreadable_receiver(mesh, args, &subject, [kind, namespace, name]);
    };
    let event = event.as_ref().map(|e| e as &dyn Attributes);
    let verdict = authorization::can_send(mesh, &subject, &receiver, rule, event);
    let target = format!("{} {namespace}/{name}", receiver.kind);
    print(args, &Answer::new(&verdict, &subject, note), &target)?;
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
    print(args, &Answer::new(&verdict, subject, None), &target)?;
    Ok(exit::DEPENDS)
}

/// What can-send prints: the verdict, as whom it was asked, and how that identity was found.
#[derive(serde::Serialize)]
struct Answer<'v> {
    #[serde(flatten)]
    verdict: &'v Verdict,
    subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl<'v> Answer<'v> {
    fn new(verdict: &'v Verdict, subject: &str, note: Option<String>) -> Self {
        Self {
            verdict,
            subject: subject.to_string(),
            note,
        }
    }
}

fn print(args: &CanSendArgs, answer: &Answer, target: &str) -> color_eyre::Result<()> {
    match args.output {
        CesqlOutput::Json => write_stdout(&crate::output::json(answer)?),
        CesqlOutput::Text => {
            let mut out = text(answer.verdict, &answer.subject, target);
            if let Some(note) = &answer.note {
                out.push_str(&format!("  note: {}\n", crate::output::escape(note)));
            }
            write_stdout(&out)
        }
    }
}

/// The verdict in words: what, as whom, what decided, what else was looked at.
fn text(verdict: &Verdict, subject: &str, target: &str) -> String {
    // Every piece came from objects or flags: escaped on its own, so none can start a line.
    let escape = crate::text::escape;
    let (subject, target) = (escape(subject), escape(target));
    let mut out = match verdict.allowed {
        Some(true) => format!("allowed: {subject} may deliver to {target}\n"),
        Some(false) => format!("denied: {subject} gets 403 at the ingress of {target}\n"),
        None => match &verdict.depends_on {
            Some(what) => format!(
                "depends on the event: {subject} to {target}: {}\n",
                escape(what)
            ),
            None => format!("unknown: {subject} to {target}\n"),
        },
    };
    let rule = match verdict.rule {
        Some(Rule::Core) => " (core's rule: the first policy by name that lists the sender)",
        Some(Rule::Kafka) => " (Kafka's rule: any policy that lists the sender and passes)",
        Some(Rule::AuthProxy) => {
            " (the auth-proxy's rule: the first policy by name; selectors and readiness unseen)"
        }
        Some(Rule::Unverified) | None => "",
    };
    let decided = match &verdict.decided_by {
        DecidedBy::Policy(policy) => format!("EventPolicy {}{rule}", escape(policy)),
        DecidedBy::DefaultMode(mode) if verdict.consulted.is_empty() => {
            format!("default-authorization-mode {mode}: no EventPolicy applies")
        }
        // Policies that apply but are not Ready were left out: the mode decides anyway.
        DecidedBy::DefaultMode(mode) => {
            format!("default-authorization-mode {mode}: no Ready EventPolicy applies")
        }
        DecidedBy::OidcDisabled(_) => {
            "not enforced: OIDC authentication is off (authentication-oidc in \
             knative-eventing/config-features)"
                .to_string()
        }
        DecidedBy::NotEnforced(why) => format!("not enforced: {}", escape(why)),
        DecidedBy::Unknown(why) => format!("cannot tell: {}", escape(why)),
    };
    out.push_str(&format!("  decided by {decided}\n"));
    if !verdict.consulted.is_empty() {
        out.push_str("  consulted:\n");
        for consulted in &verdict.consulted {
            out.push_str(&format!(
                "    {}: {}\n",
                escape(&consulted.policy),
                escape(&consulted.outcome)
            ));
        }
    }
    for disagreement in &verdict.disagreements {
        out.push_str(&format!("  ⚑ {}\n", escape(disagreement)));
    }
    out
}
