//! The readable scope from RBAC rules: one SelfSubjectRulesReview per namespace tells which kinds
//! may be listed there, instead of one list per kind per namespace (as Lens does since
//! lensapp/lens#6614). The rules only screen: a list they allow is still made, and its answer
//! is the truth for the data.

use super::{FetchError, Fetcher, Kind, Outcome, Stop, bounded};
use crate::k8s::ResourceRequest;
use crate::k8s::rbac::{PolicyRule, Request};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

/// A namespace's SelfSubjectRulesReview, as the server answered it.
#[derive(Debug, Clone)]
pub enum RulesAnswer {
    Answered(Value),
    /// The review failed (after retries), with why.
    Failed(String),
}

/// What a namespace's review told: its rules, when they are the whole story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rules {
    Complete(Vec<PolicyRule>),
    /// The server said `incomplete` (a webhook authorizer may grant more), or the review
    /// failed: the requests themselves must be tried.
    Unknown,
}

impl RulesAnswer {
    pub fn rules(&self) -> Rules {
        match self {
            RulesAnswer::Answered(answer) => parse(answer),
            RulesAnswer::Failed(_) => Rules::Unknown,
        }
    }
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
        .cloned()
        .unwrap_or_default();
    match serde_json::from_value::<Vec<PolicyRule>>(rules) {
        Ok(rules) => Rules::Complete(rules),
        Err(_) => Rules::Unknown,
    }
}

impl Rules {
    /// Some(allowed) when the rules are the whole story, None when only the server can say.
    pub fn allow(&self, request: &ResourceRequest) -> Option<bool> {
        let Rules::Complete(rules) = self else {
            return None;
        };
        let request = Request::Resource {
            request: request.clone(),
            subresource: String::new(),
        };
        Some(rules.iter().any(|rule| rule.matches(&request)))
    }
}

/// Whether the rules let the caller list a kind in a namespace.
fn allows_list(rules: &Rules, kind: &Kind, namespace: &str) -> Option<bool> {
    let list = ResourceRequest::list(&kind.group, &kind.plural, Some(namespace));
    rules.allow(&list)
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
        let allowed = rules
            .get(&namespace)
            .and_then(|r| allows_list(r, &kind, &namespace));
        match allowed {
            Some(false) => {
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
    /// Each namespace's SelfSubjectRulesReview, a few at a time. Answers are kept for the
    /// fetcher's life, so `auth` after a fetch asks no namespace twice.
    pub async fn rules_in(
        &self,
        namespaces: BTreeSet<String>,
    ) -> Result<HashMap<String, RulesAnswer>, FetchError> {
        self.rules_answers(namespaces)
            .await
            .map_err(|stop| self.stop(stop))
    }

    pub(super) async fn rules_answers(
        &self,
        namespaces: BTreeSet<String>,
    ) -> Result<HashMap<String, RulesAnswer>, Stop> {
        let known = self.rules.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (mut answers, missing): (HashMap<String, RulesAnswer>, Vec<String>) = {
            let mut missing = Vec::new();
            let mut answers = HashMap::new();
            for namespace in namespaces {
                match known.get(&namespace) {
                    Some(answer) => {
                        answers.insert(namespace, answer.clone());
                    }
                    None => missing.push(namespace),
                }
            }
            (answers, missing)
        };
        let asked = bounded(
            missing
                .into_iter()
                .map(|ns| self.review_rules(ns))
                .collect(),
        )
        .await;
        let mut cache = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        for result in asked {
            let (namespace, answer) = result?;
            cache.insert(namespace.clone(), answer.clone());
            answers.insert(namespace, answer);
        }
        Ok(answers)
    }

    async fn review_rules(&self, namespace: String) -> Result<(String, RulesAnswer), Stop> {
        let body = json!({"apiVersion": "authorization.k8s.io/v1",
                          "kind": "SelfSubjectRulesReview",
                          "spec": {"namespace": namespace}});
        let path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";
        let answer = match self.post(path, &body).await? {
            Ok(answer) => RulesAnswer::Answered(answer),
            Err(why) => RulesAnswer::Failed(why),
        };
        Ok((namespace, answer))
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
        let rules = parse(&answer);
        assert_eq!(allows_list(&rules, &brokers(), "a"), Some(true));
        let services = Kind::new("", "v1", "services", "Service");
        assert_eq!(allows_list(&rules, &services, "a"), Some(false));
        assert_eq!(allows_list(&Rules::Unknown, &services, "a"), None);
    }
}
