//! The report's pure passes. Given the kinds in use and the server's answers to the questions
//! asked, they compute the questions to ask next, the permission matrix, the fit for purpose
//! and the findings. No I/O: `check_token` asks, these decide, and tests feed them a map.

use super::kinds::Kinds;
use super::least_privilege::Purpose;
use super::reviews::{Answers, Question};
use super::{Finding, Fit, Identity, MatrixRow, Severity};
use crate::k8s::Scope;
use crate::mesh::components::ComponentKind;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub(super) const VERBS: [&str; 3] = ["get", "list", "watch"];
const WRITES: [&str; 4] = ["create", "update", "patch", "delete"];

/// A resource of the matrix; `namespaced` ones get a row per namespace where they differ.
pub(super) struct MatrixResource {
    group: String,
    plural: String,
    namespaced: bool,
}

impl MatrixResource {
    fn question(&self, verb: &str, namespace: Option<&str>) -> Question {
        Question::new(verb, &self.group, &self.plural, namespace)
    }
}

/// The mesh's kinds, CRDs, namespaces and the subscriber kinds in use.
pub(super) fn matrix_resources(kinds: &Kinds) -> Vec<MatrixResource> {
    let resource = |(group, plural): &(String, String), namespaced| MatrixResource {
        group: group.clone(),
        plural: plural.clone(),
        namespaced,
    };
    let mut resources: Vec<MatrixResource> = kinds.mesh.iter().map(|k| resource(k, true)).collect();
    // Of the component kinds, the matrix shows EventPolicy: it says who may deliver where.
    let policies = kinds.components.iter().filter(|(group, plural)| {
        ComponentKind::of_resource(group, plural) == Some(ComponentKind::EventPolicy)
    });
    resources.extend(policies.map(|k| resource(k, true)));
    let crds = (
        "apiextensions.k8s.io".into(),
        "customresourcedefinitions".into(),
    );
    resources.push(resource(&crds, false));
    resources.push(resource(&(String::new(), "namespaces".into()), false));
    resources.extend(kinds.subscribers.keys().map(|k| resource(k, true)));
    resources
}

/// First, every verb at the cluster scope.
pub(super) fn cluster_questions(resources: &[MatrixResource]) -> BTreeSet<Question> {
    resources
        .iter()
        .flat_map(|r| VERBS.iter().map(move |verb| r.question(verb, None)))
        .collect()
}

/// Then, per namespace, only the verbs the cluster scope denied: an allowed one holds
/// everywhere.
pub(super) fn namespace_questions(
    resources: &[MatrixResource],
    namespaces: &[String],
    answers: &impl Answers,
) -> BTreeSet<Question> {
    let mut questions = BTreeSet::new();
    for resource in resources.iter().filter(|r| r.namespaced) {
        let denied = VERBS
            .iter()
            .filter(|verb| !answers.allowed(&resource.question(verb, None)));
        for verb in denied {
            for namespace in namespaces {
                questions.insert(resource.question(verb, Some(namespace)));
            }
        }
    }
    questions
}

/// A row at the cluster scope per resource, and one per namespace where the answer differs.
pub(super) fn matrix(
    resources: &[MatrixResource],
    namespaces: &[String],
    answers: &impl Answers,
) -> Vec<MatrixRow> {
    let mut matrix = Vec::new();
    for resource in resources {
        // Allowed at the cluster scope holds everywhere. Else a namespace's own review decides:
        // it weighs cluster bindings too, so its answer stands even when the cluster one failed.
        let allowed = |verb: &str, namespace: Option<&str>| {
            let cluster = answers.known(&resource.question(verb, None));
            match (cluster, namespace) {
                (Some(true), _) | (_, None) => cluster,
                (_, Some(_)) => answers.known(&resource.question(verb, namespace)),
            }
        };
        let row = |namespace: Option<&str>| MatrixRow {
            resource: crate::k8s::GroupResource::new(&resource.group, &resource.plural).to_string(),
            namespace: namespace.map(str::to_string),
            get: allowed("get", namespace),
            list: allowed("list", namespace),
            watch: allowed("watch", namespace),
        };
        let cluster = row(None);
        let verdicts = |r: &MatrixRow| (r.get, r.list, r.watch);
        let everywhere = verdicts(&cluster) == (Some(true), Some(true), Some(true));
        let differing: Vec<MatrixRow> = if resource.namespaced && !everywhere {
            let rows = namespaces.iter().map(|n| row(Some(n)));
            rows.filter(|r| verdicts(r) != verdicts(&cluster)).collect()
        } else {
            Vec::new()
        };
        matrix.push(cluster);
        matrix.extend(differing);
    }
    matrix
}

/// What each reader needs: the backend lists at the cluster scope and gets subscribers one by
/// one; kn-mesh lists and watches in its scope and reads subscribers per namespace.
pub(super) struct Needs {
    pub backend: Vec<Question>,
    pub kn_mesh: Vec<Question>,
}

pub(super) fn needs(kinds: &Kinds, namespaces: &[String], cluster_wide: bool) -> Needs {
    let crds = crd_list();
    let mut backend: Vec<Question> = kinds
        .mesh
        .iter()
        .map(|(group, plural)| Question::new("list", group, plural, None))
        .collect();
    backend.push(crds.clone());
    let scopes: Vec<Option<&str>> = if cluster_wide {
        vec![None]
    } else {
        namespaces.iter().map(|n| Some(n.as_str())).collect()
    };
    let mut kn_mesh = Vec::new();
    for (group, plural) in kinds.mesh.iter().chain(&kinds.components) {
        for scope in &scopes {
            kn_mesh.push(Question::new("list", group, plural, *scope));
            kn_mesh.push(Question::new("watch", group, plural, *scope));
        }
    }
    kn_mesh.push(crds);
    // Who may deliver where depends on Knative's flags: without them it cannot be told.
    let (flags_namespace, flags) = (
        crate::mesh::snapshot::FEATURES_NAMESPACE,
        crate::mesh::snapshot::FEATURES_NAME,
    );
    kn_mesh.push(Question::get("", "configmaps", flags_namespace, flags));
    for ((group, plural), used_in) in &kinds.subscribers {
        for namespace in used_in {
            backend.push(Question::new("get", group, plural, Some(namespace)));
            kn_mesh.push(Question::new("get", group, plural, Some(namespace)));
        }
    }
    Needs { backend, kn_mesh }
}

pub(super) fn fit(needs: &Needs, answers: &impl Answers) -> Vec<Fit> {
    let with = |needs: &[Question], verdict: Option<bool>| -> Vec<String> {
        let mut found: Vec<String> = needs
            .iter()
            .filter(|q| answers.known(q) == verdict)
            .map(Question::to_string)
            .collect();
        found.dedup();
        found
    };
    let fit = |purpose: &str, target, needs: &[Question]| Fit {
        purpose: purpose.into(),
        target,
        missing: with(needs, Some(false)),
        unknown: with(needs, None),
        notes: Vec::new(),
    };
    let mut kn_mesh = fit("kn-mesh (direct mode)", Purpose::KnMesh, &needs.kn_mesh);
    // Without the CRD list, kn-mesh reads the built-in Knative kinds: a note, not a lack.
    // The Go backend has no such fallback, so for it the list stays a need.
    let crds = crd_list();
    if answers.known(&crds) == Some(false) {
        kn_mesh.missing.retain(|m| *m != crds.to_string());
        kn_mesh.notes.push(format!(
            "{crds} is denied: kn-mesh reads the built-in Knative channel and source kinds \
             instead, and custom kinds are missed"
        ));
    }
    vec![
        fit(
            "the Knative eventmesh backend",
            Purpose::Backend,
            &needs.backend,
        ),
        kn_mesh,
    ]
}

fn crd_list() -> Question {
    Question::new(
        "list",
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        None,
    )
}

/// The writes by which a token could let any sender deliver (DESIGN.md §6): a policy written,
/// or the only one deleted (the default mode decides again).
const POLICY_WRITES: [&str; 4] = ["create", "update", "patch", "delete"];

/// Rights beyond reading the mesh, asked at the cluster scope first.
pub(super) fn privilege_questions(kinds: &Kinds) -> BTreeSet<Question> {
    let mut questions = BTreeSet::new();
    for verb in VERBS {
        questions.insert(Question::new(verb, "", "secrets", None));
    }
    for (group, plural) in kinds.mesh.iter().take(4) {
        for verb in WRITES {
            questions.insert(Question::new(verb, group, plural, None));
        }
    }
    // Who may deliver events where is itself a right: an EventPolicy opens a receiver to anyone.
    for verb in POLICY_WRITES {
        questions.insert(Question::new(
            verb,
            "eventing.knative.dev",
            "eventpolicies",
            None,
        ));
    }
    // Turning OIDC off, or the default mode to allow-all, opens every receiver.
    let (flags_namespace, flags) = (
        crate::mesh::snapshot::FEATURES_NAMESPACE,
        crate::mesh::snapshot::FEATURES_NAME,
    );
    for verb in ["update", "patch"] {
        let mut question = Question::get("", "configmaps", flags_namespace, flags);
        question.verb = verb.into();
        questions.insert(question);
    }
    for resource in ["users", "groups", "serviceaccounts"] {
        questions.insert(Question::new("impersonate", "", resource, None));
    }
    for verb in ["escalate", "bind"] {
        for resource in ["roles", "clusterroles"] {
            questions.insert(Question::new(
                verb,
                "rbac.authorization.k8s.io",
                resource,
                None,
            ));
        }
    }
    questions.insert(Question::new("*", "*", "*", None));
    questions
}

/// Secrets and writes denied at the cluster scope are asked per namespace: a yes at the cluster
/// scope already holds everywhere.
pub(super) fn namespaced_privilege_questions(
    cluster: &BTreeSet<Question>,
    namespaces: &[String],
    answers: &impl Answers,
) -> BTreeSet<Question> {
    // A question about one namespace's object (the feature flags) is asked where it is only.
    let worth_asking = |q: &&Question| {
        (q.resource.plural == "secrets" || WRITES.contains(&q.verb.as_str()))
            && q.namespace().is_none()
            && !answers.allowed(q)
    };
    cluster
        .iter()
        .filter(worth_asking)
        .flat_map(|q| {
            namespaces.iter().map(move |n| Question {
                scope: Scope::Namespace(n.clone()),
                ..q.clone()
            })
        })
        .collect()
}

/// The wildcard rules as evidence: a rule every namespace's review holds (as a cluster-wide
/// binding gives) is one line, not one per namespace.
pub(super) fn wildcard_evidence(
    by_rule: &BTreeMap<String, Vec<String>>,
    reviewed: usize,
) -> Vec<String> {
    by_rule
        .iter()
        .map(|(rule, namespaces)| {
            if namespaces.len() == reviewed && reviewed > 1 {
                format!("in every namespace reviewed ({reviewed}): {rule}")
            } else {
                format!("in {}: {rule}", namespaces.join(", "))
            }
        })
        .collect()
}

/// What the token may do beyond reading, with the allowed questions as evidence.
pub(super) fn findings(asked: &BTreeSet<Question>, answers: &impl Answers) -> Vec<Finding> {
    let evidence = |filter: &dyn Fn(&Question) -> bool| -> Vec<String> {
        let allowed = asked.iter().filter(|q| filter(q) && answers.allowed(q));
        allowed
            .map(|q| match answers.reason(q) {
                reason if reason.is_empty() => format!("allowed: {q}"),
                reason => format!("allowed: {q} ({reason})"),
            })
            .collect()
    };
    let mut findings = Vec::new();
    let mut found = |severity, title: &str, evidence: Vec<String>| {
        if !evidence.is_empty() {
            let title = title.to_string();
            findings.push(Finding {
                severity,
                title,
                evidence,
            });
        }
    };
    if answers.allowed(&Question::new("*", "*", "*", None)) {
        let anything = evidence(&|q| q.verb.as_str() == "*");
        let title = "cluster-admin-like: may do anything to anything";
        found(Severity::High, title, anything);
    }
    let secrets = evidence(&|q| q.resource.plural == "secrets");
    found(Severity::High, "can read Secrets", secrets);
    let escalation = evidence(&|q| matches!(q.verb.as_str(), "impersonate" | "escalate" | "bind"));
    let title = "can impersonate, escalate or bind: a way to more rights";
    found(Severity::High, title, escalation);
    let is_policy = |q: &Question| q.resource.plural == "eventpolicies";
    let is_flags = |q: &Question| {
        q.resource.plural == "configmaps"
            && q.name.as_deref() == Some(crate::mesh::snapshot::FEATURES_NAME)
    };
    let policies = evidence(&|q| {
        (is_policy(q) && POLICY_WRITES.contains(&q.verb.as_str()))
            || (is_flags(q) && q.verb.as_str() != "get")
    });
    let title =
        "can write EventPolicies or Knative's feature flags: may open delivery to any sender";
    found(Severity::High, title, policies);
    let writes = evidence(&|q| !is_policy(q) && !is_flags(q) && WRITES.contains(&q.verb.as_str()));
    let title = "can change mesh resources (create, update, patch or delete)";
    found(Severity::Medium, title, writes);
    findings
}

/// Who a SelfSubjectReview's answer says the caller is.
pub(super) fn identity_of(answer: &Value) -> Option<Identity> {
    let user = answer.pointer("/status/userInfo")?;
    let text = |key: &str| {
        user.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let parsed = |key: &str| user.get(key).cloned().unwrap_or_default();
    Some(Identity {
        username: text("username"),
        uid: text("uid"),
        groups: serde_json::from_value(parsed("groups")).unwrap_or_default(),
        extra: serde_json::from_value(parsed("extra")).unwrap_or_default(),
    })
}

/// A SelfSubjectRulesReview's answer: its rules as text, the wildcard ones among them, and
/// whether the server said the list is incomplete.
pub(super) struct Rules {
    pub texts: Vec<String>,
    pub wildcards: Vec<String>,
    pub incomplete: bool,
}

pub(super) fn rules_of(answer: &Value) -> Rules {
    let mut rules = Rules {
        texts: Vec::new(),
        wildcards: Vec::new(),
        incomplete: answer
            .pointer("/status/incomplete")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let resource_rules = answer
        .pointer("/status/resourceRules")
        .and_then(Value::as_array);
    for rule in resource_rules.into_iter().flatten() {
        let list = |key: &str| -> Vec<String> {
            serde_json::from_value(rule.get(key).cloned().unwrap_or_default()).unwrap_or_default()
        };
        let (verbs, groups, resources) = (list("verbs"), list("apiGroups"), list("resources"));
        let groups: Vec<String> = groups.iter().map(|g| format!("{g:?}")).collect();
        let text = format!(
            "verbs [{}] on [{}] in groups [{}]",
            verbs.join(", "),
            resources.join(", "),
            groups.join(", ")
        );
        if verbs.iter().chain(&resources).any(|v| v == "*") && !rules.wildcards.contains(&text) {
            rules.wildcards.push(text.clone());
        }
        rules.texts.push(text);
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::reviews::Verdict;
    use std::collections::{BTreeMap, HashMap};

    fn kinds() -> Kinds {
        Kinds {
            mesh: vec![("eventing.knative.dev".into(), "brokers".into())],
            subscribers: BTreeMap::new(),
            components: vec![("eventing.knative.dev".into(), "eventpolicies".into())],
        }
    }

    #[test]
    fn a_namespace_row_appears_only_where_the_answer_differs() {
        let resources = matrix_resources(&kinds());
        let namespaces = vec!["payments".to_string(), "ops".to_string()];
        let mut answers: HashMap<Question, Verdict> = HashMap::new();
        let brokers = |verb: &str, ns: Option<&str>| {
            Question::new(verb, "eventing.knative.dev", "brokers", ns)
        };
        for verb in VERBS {
            answers.insert(brokers(verb, None), Verdict::Denied(String::new()));
            let payments = brokers(verb, Some("payments"));
            answers.insert(payments, Verdict::Allowed(String::new()));
            answers.insert(brokers(verb, Some("ops")), Verdict::Denied(String::new()));
            // EventPolicies, in the matrix too, are readable everywhere here.
            let policies = Question::new(verb, "eventing.knative.dev", "eventpolicies", None);
            answers.insert(policies, Verdict::Allowed(String::new()));
        }
        let asked = namespace_questions(&resources, &namespaces, &answers);
        assert_eq!(asked.len(), 6, "the three denied verbs in two namespaces");
        let rows = matrix(&resources, &namespaces, &answers);
        let brokers_rows: Vec<_> = rows
            .iter()
            .filter(|r| r.resource == "brokers.eventing.knative.dev")
            .collect();
        assert_eq!(brokers_rows.len(), 2, "{brokers_rows:?}");
        assert_eq!(brokers_rows[1].namespace.as_deref(), Some("payments"));
        assert_eq!(brokers_rows[1].list, Some(true));
    }

    #[test]
    fn a_failed_review_is_unknown_never_missing() {
        let needs = needs(&kinds(), &[], true);
        let mut answers: HashMap<Question, Verdict> = HashMap::new();
        for question in needs.backend.iter().chain(&needs.kn_mesh) {
            answers.insert(question.clone(), Verdict::Allowed(String::new()));
        }
        let list = Question::new("list", "eventing.knative.dev", "brokers", None);
        answers.insert(list, Verdict::Unknown("503".into()));
        let fit = fit(&needs, &answers);
        assert!(fit[0].missing.is_empty());
        assert_eq!(
            fit[0].unknown,
            vec!["list brokers.eventing.knative.dev at the cluster scope"]
        );
    }

    #[test]
    fn findings_cite_only_what_was_allowed() {
        let asked = privilege_questions(&kinds());
        let mut answers: HashMap<Question, Verdict> = HashMap::new();
        let secrets = Question::new("get", "", "secrets", None);
        answers.insert(secrets, Verdict::Allowed("RBAC: bound".into()));
        let findings = findings(&asked, &answers);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].title, "can read Secrets");
        assert_eq!(
            findings[0].evidence,
            vec!["allowed: get secrets at the cluster scope (RBAC: bound)"]
        );
    }
}
