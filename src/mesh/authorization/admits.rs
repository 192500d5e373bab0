//! Who a receiver admits, for the trees: the policies that decide with their subjects, or the
//! default mode and whom it lets in, or why it cannot be told.

use super::{
    DecidedBy, Decision, DefaultMode, Receiver, Rule, TriggerSpec, decide, features_asked, filter,
    policies,
};
use crate::mesh::Mesh;

/// Who a receiver admits, as a tree shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admits {
    /// Nothing read says whether OIDC is on (manifests without the flags).
    NotKnown,
    /// Every sender: OIDC is off, or the receiver checks no one.
    Anyone(String),
    /// Whom cannot be told: the flags or the policies could not be read.
    Unknown(String),
    /// The policies that decide, each with the subjects it lists and its filters; then those
    /// left out, with why.
    Policies {
        counted: Vec<(String, Vec<String>, Vec<String>)>,
        left_out: Vec<(String, String)>,
    },
    /// No Ready policy applies: the default mode, whom it admits, and the policies that apply
    /// but were left out (not Ready), with why: the fallback is worth seeing.
    DefaultMode {
        mode: String,
        who: String,
        left_out: Vec<(String, String)>,
    },
}

/// Who may send to a receiver under its rule.
pub fn admits(mesh: &Mesh, receiver: &Receiver, rule: Result<Rule, String>) -> Admits {
    if !features_asked(mesh) {
        return Admits::NotKnown;
    }
    let applying = policies::applying(mesh, receiver);
    let (mode, rule, counted, left_out) = match decide(mesh, receiver, rule, &applying) {
        Decision::Unknown(why) => return Admits::Unknown(why),
        Decision::Anyone(DecidedBy::NotEnforced(why)) => return Admits::Anyone(why),
        Decision::Anyone(_) => return Admits::Anyone("OIDC authentication is off".into()),
        Decision::Policies {
            mode,
            rule,
            counted,
            left_out,
        } => (mode, rule, counted, left_out),
    };
    if counted.is_empty() {
        let who = match &mode {
            DefaultMode::AllowAll => "anyone".to_string(),
            DefaultMode::DenyAll => "no one".to_string(),
            DefaultMode::AllowSameNamespace => {
                format!(
                    "senders in {} (system:serviceaccount:{}:*)",
                    receiver.namespace, receiver.namespace
                )
            }
            DefaultMode::Unrecognised(_) if rule == Rule::Kafka => "no one".to_string(),
            DefaultMode::Unrecognised(_) => "anyone".to_string(),
        };
        return Admits::DefaultMode {
            mode: mode.name().to_string(),
            who,
            left_out: left_out
                .into_iter()
                .map(|(p, why)| (p.key.to_string(), why))
                .collect(),
        };
    }
    let describe =
        |filters: &Result<Vec<crate::mesh::objects::SubscriptionsApiFilter>, String>| match filters
        {
            Err(why) => vec![why.clone()],
            Ok(filters) if filters.is_empty() => Vec::new(),
            Ok(filters) => filter::describe(&TriggerSpec {
                filters: filters.clone(),
                ..TriggerSpec::default()
            }),
        };
    Admits::Policies {
        counted: counted
            .iter()
            .map(|p| (p.key.to_string(), p.subjects.clone(), describe(&p.filters)))
            .collect(),
        left_out: left_out
            .into_iter()
            .map(|(p, why)| (p.key.to_string(), why))
            .collect(),
    }
}
