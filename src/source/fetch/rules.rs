//! The readable scope from RBAC rules: one SelfSubjectRulesReview per namespace tells which kinds
//! may be listed there, instead of one list per kind per namespace (as Lens does since
//! lensapp/lens#6614). The rules only screen: a list they allow is still made, and its answer
//! is the truth for the data.

use super::{Fetcher, Kind, Outcome, Stop, bounded};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

/// One resource rule of a review's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Rule {
    verbs: Vec<String>,
    api_groups: Vec<String>,
    resources: Vec<String>,
    resource_names: Vec<String>,
}

/// What a namespace's review told: its rules, when they are the whole story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Rules {
    Complete(Vec<Rule>),
    /// The server said `incomplete` (a webhook authorizer may grant more), or the review
    /// failed: the lists themselves must be tried.
    Unknown,
}

fn strings(value: &Value, key: &str) -> Vec<String> {
    let list = value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    list.filter_map(Value::as_str).map(str::to_string).collect()
}

/// Reads a SelfSubjectRulesReview's answer.
pub(super) fn parse(answer: &Value) -> Rules {
    let incomplete = answer
        .pointer("/status/incomplete")
        .and_then(Value::as_bool);
    if incomplete != Some(false) {
        return Rules::Unknown;
    }
    let rules = answer
        .pointer("/status/resourceRules")
        .and_then(Value::as_array);
    let rules = rules.into_iter().flatten().map(|rule| Rule {
        verbs: strings(rule, "verbs"),
        api_groups: strings(rule, "apiGroups"),
        resources: strings(rule, "resources"),
        resource_names: strings(rule, "resourceNames"),
    });
    Rules::Complete(rules.collect())
}

fn has(list: &[String], wanted: &str) -> bool {
    list.iter().any(|item| item == "*" || item == wanted)
}

/// Whether the rules let the caller list a kind: a rule with resource names never grants a list.
pub(super) fn allows_list(rules: &[Rule], kind: &Kind) -> bool {
    rules.iter().any(|rule| {
        has(&rule.verbs, "list")
            && has(&rule.api_groups, &kind.group)
            && has(&rule.resources, &kind.plural)
            && rule.resource_names.is_empty()
    })
}

/// A list to make: a kind in a namespace.
type Retry = (Kind, String);
/// A list's outcome in a namespace.
type Retried = (Kind, String, Outcome);

/// Splits the per-namespace retries into the lists worth making and the ones the rules deny,
/// each denied one with the outcome it stands for (no request made).
pub(super) fn screen(
    retries: Vec<Retry>,
    rules: &HashMap<String, Rules>,
) -> (Vec<Retry>, Vec<Retried>) {
    let mut kept = Vec::new();
    let mut denied = Vec::new();
    for (kind, namespace) in retries {
        match rules.get(&namespace) {
            Some(Rules::Complete(granted)) if !allows_list(granted, &kind) => {
                let message = format!(
                    "no RBAC rule grants list on {} in {namespace} (SelfSubjectRulesReview)",
                    kind.group_resource()
                );
                denied.push((kind, namespace, Outcome::Forbidden(message)));
            }
            _ => kept.push((kind, namespace)),
        }
    }
    (kept, denied)
}

impl Fetcher {
    /// The rules in each namespace, one review each, a few at a time.
    pub(super) async fn rules_in(
        &self,
        namespaces: BTreeSet<String>,
    ) -> Result<HashMap<String, Rules>, Stop> {
        let reviews = bounded(
            namespaces
                .into_iter()
                .map(|namespace| async move {
                    let body = json!({"apiVersion": "authorization.k8s.io/v1",
                                      "kind": "SelfSubjectRulesReview",
                                      "spec": {"namespace": namespace}});
                    let request = axum::http::Request::post(
                        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                    )
                    .header("content-type", "application/json")
                    .body(serde_json::to_vec(&body).unwrap_or_default())
                    .map_err(|e| Stop::Unreachable(e.to_string()))?;
                    let rules = match self.send::<Value>(request).await? {
                        Ok(answer) => parse(&answer),
                        Err(_) => Rules::Unknown,
                    };
                    Ok((namespace, rules))
                })
                .collect(),
        )
        .await;
        reviews.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brokers() -> Kind {
        Kind::new("eventing.knative.dev", "v1", "brokers", "Broker")
    }

    #[test]
    fn only_a_complete_answer_screens_and_names_never_grant_a_list() {
        let answer = json!({"status": {"incomplete": false, "resourceRules": [
            {"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"]},
            {"verbs": ["list"], "apiGroups": ["eventing.knative.dev"], "resources": ["brokers"], "resourceNames": ["one"]}
        ]}});
        let rules = HashMap::from([
            ("denied".to_string(), parse(&answer)),
            (
                "webhook".to_string(),
                parse(&json!({"status": {"incomplete": true}})),
            ),
        ]);
        let retries = vec![
            (brokers(), "denied".into()),
            (brokers(), "webhook".into()),
            (brokers(), "unasked".into()),
        ];
        let (kept, denied) = screen(retries, &rules);
        let kept: Vec<&str> = kept.iter().map(|(_, ns)| ns.as_str()).collect();
        assert_eq!(kept, ["webhook", "unasked"]);
        assert_eq!(denied.len(), 1);
        assert!(
            matches!(&denied[0].2, Outcome::Forbidden(m) if m.contains("brokers.eventing.knative.dev in denied"))
        );
    }

    #[test]
    fn wildcards_grant() {
        let answer = json!({"status": {"incomplete": false, "resourceRules": [
            {"verbs": ["get", "list", "watch"], "apiGroups": ["eventing.knative.dev"], "resources": ["*"]}
        ]}});
        let Rules::Complete(rules) = parse(&answer) else {
            panic!("complete")
        };
        assert!(allows_list(&rules, &brokers()));
        assert!(!allows_list(
            &rules,
            &Kind::new("", "v1", "services", "Service")
        ));
    }
}
