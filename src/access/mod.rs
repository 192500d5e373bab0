//! Token troubleshooting: who the token is, what kind of token it is, what it may read, whether
//! that is enough for the eventmesh backend and for kn-mesh, and whether it may do too much.
//!
//! The server's answers are the truth: every permission in the report is a
//! SelfSubjectAccessReview. SelfSubjectRulesReview only explains (wildcard rules, extra rights).

mod kinds;
pub mod least_privilege;
pub mod outline;
pub mod render;
mod report;
mod reviews;
pub mod token;

use kinds::{Kinds, kinds};
use reviews::{PostError, Question, Reviews};

use crate::mesh::snapshot::Snapshot;
use crate::source::fetch::{FetchError, Fetcher, Scope};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;

const VERBS: [&str; 3] = ["get", "list", "watch"];

pub use report::{AccessReport, Finding, Fit, Identity, MatrixRow, RulesReview, Severity, Verdict};

fn qualified(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// Builds the whole report for the token the fetcher's client carries. A rejected token is
/// explained from its own claims (expired, a Backstage token, ...).
pub async fn check(
    fetcher: &Fetcher,
    scope: &Scope,
    token: Option<&str>,
) -> Result<AccessReport, FetchError> {
    check_with(fetcher, scope, token, None).await
}

/// The same, with the mesh already fetched (the TUI has one in hand): only the reviews are asked.
pub async fn check_with(
    fetcher: &Fetcher,
    scope: &Scope,
    token: Option<&str>,
    snapshot: Option<Snapshot>,
) -> Result<AccessReport, FetchError> {
    check_token(fetcher, scope, token, snapshot)
        .await
        // The server's answers may echo the token (a proxy, a webhook authorizer's reason).
        .map(|report| report.map_text(|text| crate::text::scrub(text, token)))
        .map_err(|error| match error {
            FetchError::Unreachable { server, message } => FetchError::Unreachable {
                server,
                message: crate::text::scrub(&message, token),
            },
            other => explain_rejection(other, token),
        })
}

/// Adds what the token says about itself to a 401, so "rejected" comes with a reason.
pub fn explain_rejection(error: FetchError, token: Option<&str>) -> FetchError {
    let FetchError::TokenRejected { endpoint, .. } = error else {
        return error;
    };
    let now = jiff::Timestamp::now().as_second();
    let hint = match token.map(token::inspect) {
        Some(Ok(info)) => {
            let mut reasons = token::warnings(&info, now);
            // The lesser warnings (never expires, static) do not explain a rejection.
            reasons.retain(|w| !w.contains("never expires") && !w.contains("cannot rotate"));
            if reasons.is_empty() {
                format!(
                    "It is a {}; {}",
                    info.kind.map(|k| k.describe()).unwrap_or("token"),
                    crate::source::fetch::REJECTED_HINT.to_lowercase()
                )
            } else {
                format!(
                    "The token is a {}: {}.",
                    info.kind.map(|k| k.describe()).unwrap_or("token"),
                    reasons.join("; ")
                )
            }
        }
        Some(Err(problem)) => format!("The token is malformed: {problem}."),
        None => crate::source::fetch::REJECTED_HINT.into(),
    };
    FetchError::TokenRejected { endpoint, hint }
}

// Long: I/O phases interleaved with the matrix, fit and findings; to become named passes over an answers map (issue 11).
#[allow(clippy::too_many_lines)]
async fn check_token(
    fetcher: &Fetcher,
    scope: &Scope,
    token: Option<&str>,
    snapshot: Option<Snapshot>,
) -> Result<AccessReport, FetchError> {
    let server = fetcher.endpoint().server.clone();
    fetcher.probe().await?;
    let reviews = Reviews {
        client: fetcher.client(),
        answers: Mutex::new(HashMap::new()),
        asked: AtomicUsize::new(0),
        failing: AtomicUsize::new(0),
    };
    let now = jiff::Timestamp::now().as_second();

    // The token itself.
    let (token_info, token_error, mut warnings) = match token.map(token::inspect) {
        Some(Ok(info)) => {
            let warnings = token::warnings(&info, now);
            (Some(info), None, warnings)
        }
        Some(Err(error)) => (None, Some(error.to_string()), Vec::new()),
        None => (None, None, Vec::new()),
    };

    // Who the server says we are.
    let mut identity_note = None;
    let mut identity = None;
    let mut identity_failure = None;
    for version in ["v1", "v1beta1"] {
        let body = json!({"apiVersion": format!("authentication.k8s.io/{version}"), "kind": "SelfSubjectReview"});
        let answer = match reviews
            .post(
                &format!("/apis/authentication.k8s.io/{version}/selfsubjectreviews"),
                body,
            )
            .await
        {
            Ok(answer) => answer,
            Err(PostError::Rejected(e)) => {
                return Err(with_server(e, &fetcher.endpoint().to_string()));
            }
            Err(PostError::Failed(why)) => {
                identity_failure = Some(why);
                continue;
            }
        };
        if let Some(user) = answer.pointer("/status/userInfo") {
            identity = Some(Identity {
                username: user
                    .get("username")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                uid: user
                    .get("uid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                groups: serde_json::from_value(user.get("groups").cloned().unwrap_or_default())
                    .unwrap_or_default(),
                extra: serde_json::from_value(user.get("extra").cloned().unwrap_or_default())
                    .unwrap_or_default(),
            });
            break;
        }
    }
    if let (None, Some(why)) = (&identity, &identity_failure) {
        warnings.push(format!("SelfSubjectReview failed: {why}"));
    }
    if identity.is_none() {
        identity_note = Some(match &token_info {
            Some(info) if info.subject.is_some() => format!("SelfSubjectReview is not available; the token says it is {}", info.subject.clone().unwrap_or_default()),
            _ => "SelfSubjectReview is not available on this server, and the token does not say who it is".into(),
        });
    }

    // What the mesh is made of, as far as this token can see.
    let snapshot = match snapshot {
        Some(snapshot) => snapshot,
        None => fetcher.fetch(scope).await?,
    };
    let mesh_failures = snapshot.completeness().failed;
    let kinds = kinds(&snapshot);
    let namespaces: Vec<String> = match &scope.namespaces {
        Some(namespaces) => namespaces.clone(),
        None => snapshot.namespaces.clone(),
    };
    let cluster_wide = scope.namespaces.is_none();

    // The matrix: every needed resource and verb at the cluster scope, and per namespace where
    // the cluster scope is not allowed.
    let mut matrix_resources: Vec<(String, String, bool)> = kinds
        .mesh
        .iter()
        .map(|(g, r)| (g.clone(), r.clone(), true))
        .collect();
    matrix_resources.push((
        "apiextensions.k8s.io".into(),
        "customresourcedefinitions".into(),
        false,
    ));
    matrix_resources.push((String::new(), "namespaces".into(), false));
    matrix_resources.extend(
        kinds
            .subscribers
            .keys()
            .map(|(g, r)| (g.clone(), r.clone(), true)),
    );
    let mut questions = BTreeSet::new();
    for (group, resource, _) in &matrix_resources {
        for verb in VERBS {
            questions.insert(Question::new(verb, group, resource, None));
        }
    }
    reviews
        .ask_all(&questions)
        .await
        .map_err(|e| with_server(e, &server))?;
    let mut questions = BTreeSet::new();
    for (group, resource, namespaced) in &matrix_resources {
        // Per namespace, only the verbs the cluster scope denied: an allowed one holds everywhere.
        let denied: Vec<&str> = VERBS
            .iter()
            .copied()
            .filter(|v| !reviews.allowed(&Question::new(*v, group, resource, None)))
            .collect();
        if *namespaced {
            for namespace in &namespaces {
                for verb in &denied {
                    questions.insert(Question::new(*verb, group, resource, Some(namespace)));
                }
            }
        }
    }
    reviews
        .ask_all(&questions)
        .await
        .map_err(|e| with_server(e, &server))?;
    let mut matrix = Vec::new();
    for (group, resource, namespaced) in &matrix_resources {
        // Allowed cluster-wide holds everywhere. Else a namespace's own review decides: it
        // weighs cluster bindings too, so its answer stands even when the cluster one failed.
        let allowed = |verb: &str, namespace: Option<&str>| {
            let cluster = reviews.known(&Question::new(verb, group, resource, None));
            match (cluster, namespace) {
                (Some(true), _) | (_, None) => cluster,
                (_, Some(_)) => reviews.known(&Question::new(verb, group, resource, namespace)),
            }
        };
        let row = |namespace: Option<&str>| MatrixRow {
            resource: qualified(group, resource),
            namespace: namespace.map(str::to_string),
            get: allowed("get", namespace),
            list: allowed("list", namespace),
            watch: allowed("watch", namespace),
        };
        let cluster = row(None);
        let everywhere = [cluster.get, cluster.list, cluster.watch]
            .iter()
            .all(|v| *v == Some(true));
        let same =
            |r: &MatrixRow| (r.get, r.list, r.watch) == (cluster.get, cluster.list, cluster.watch);
        // Only namespaces where the answer differs from the cluster-wide one are worth a row.
        let differing: Vec<MatrixRow> = if *namespaced && !everywhere {
            namespaces
                .iter()
                .map(|n| row(Some(n)))
                .filter(|r| !same(r))
                .collect()
        } else {
            Vec::new()
        };
        matrix.push(cluster);
        matrix.extend(differing);
    }

    // Fit for purpose: the backend lists cluster-wide and gets subscribers one by one; kn-mesh
    // lists and watches in its scope and reads subscribers per namespace.
    let mut backend_needs: Vec<Question> = kinds
        .mesh
        .iter()
        .map(|(g, r)| Question::new("list", g, r, None))
        .collect();
    backend_needs.push(Question::new(
        "list",
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        None,
    ));
    let mut kn_mesh_needs = Vec::new();
    let scopes: Vec<Option<&str>> = if cluster_wide {
        vec![None]
    } else {
        namespaces.iter().map(|n| Some(n.as_str())).collect()
    };
    for (group, resource) in &kinds.mesh {
        for scope in &scopes {
            kn_mesh_needs.push(Question::new("list", group, resource, *scope));
            kn_mesh_needs.push(Question::new("watch", group, resource, *scope));
        }
    }
    kn_mesh_needs.push(Question::new(
        "list",
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        None,
    ));
    for ((group, resource), used_in) in &kinds.subscribers {
        for namespace in used_in {
            backend_needs.push(Question::new("get", group, resource, Some(namespace)));
            kn_mesh_needs.push(Question::new("get", group, resource, Some(namespace)));
        }
    }
    let all: BTreeSet<Question> = backend_needs
        .iter()
        .chain(&kn_mesh_needs)
        .cloned()
        .collect();
    reviews
        .ask_all(&all)
        .await
        .map_err(|e| with_server(e, &server))?;
    let with = |needs: &[Question], verdict: Option<bool>| -> Vec<String> {
        let mut found: Vec<String> = needs
            .iter()
            .filter(|q| reviews.known(q) == verdict)
            .map(Question::to_string)
            .collect();
        found.dedup();
        found
    };
    let fit = vec![
        Fit {
            purpose: "the Knative eventmesh backend".into(),
            missing: with(&backend_needs, Some(false)),
            unknown: with(&backend_needs, None),
        },
        Fit {
            purpose: "kn-mesh (direct mode)".into(),
            missing: with(&kn_mesh_needs, Some(false)),
            unknown: with(&kn_mesh_needs, None),
        },
    ];

    // Over-privilege: cluster-wide first; a namespace is asked only where the cluster-wide
    // answer was no, since a yes there already holds everywhere.
    let writes = ["create", "update", "patch", "delete"];
    let mut cluster_questions = BTreeSet::new();
    for verb in VERBS {
        cluster_questions.insert(Question::new(verb, "", "secrets", None));
    }
    for (group, resource) in kinds.mesh.iter().take(4) {
        for verb in writes {
            cluster_questions.insert(Question::new(verb, group, resource, None));
        }
    }
    for resource in ["users", "groups", "serviceaccounts"] {
        cluster_questions.insert(Question::new("impersonate", "", resource, None));
    }
    for verb in ["escalate", "bind"] {
        for resource in ["roles", "clusterroles"] {
            cluster_questions.insert(Question::new(
                verb,
                "rbac.authorization.k8s.io",
                resource,
                None,
            ));
        }
    }
    cluster_questions.insert(Question::new("*", "*", "*", None));
    reviews
        .ask_all(&cluster_questions)
        .await
        .map_err(|e| with_server(e, &server))?;
    let mut findings_questions = cluster_questions.clone();
    let namespaced: BTreeSet<Question> = cluster_questions
        .iter()
        .filter(|q| {
            (q.resource.plural == "secrets" || writes.contains(&q.verb.as_str()))
                && !reviews.allowed(q)
        })
        .flat_map(|q| {
            namespaces.iter().map(move |n| Question {
                scope: crate::k8s::Scope::Namespace(n.clone()),
                ..q.clone()
            })
        })
        .collect();
    reviews
        .ask_all(&namespaced)
        .await
        .map_err(|e| with_server(e, &server))?;
    findings_questions.extend(namespaced);
    let evidence = |filter: &dyn Fn(&Question) -> bool| -> Vec<String> {
        findings_questions
            .iter()
            .filter(|q| filter(q) && reviews.allowed(q))
            .map(|q| {
                let reason = reviews.reason(q);
                if reason.is_empty() {
                    format!("allowed: {q}")
                } else {
                    format!("allowed: {q} ({reason})")
                }
            })
            .collect()
    };
    let mut findings = Vec::new();
    if reviews.allowed(&Question::new("*", "*", "*", None)) {
        findings.push(Finding {
            severity: Severity::High,
            title: "cluster-admin-like: may do anything to anything".into(),
            evidence: evidence(&|q| q.verb.as_str() == "*"),
        });
    }
    let secrets = evidence(&|q| q.resource.plural == "secrets");
    if !secrets.is_empty() {
        findings.push(Finding {
            severity: Severity::High,
            title: "can read Secrets".into(),
            evidence: secrets,
        });
    }
    let escalation = evidence(&|q| matches!(q.verb.as_str(), "impersonate" | "escalate" | "bind"));
    if !escalation.is_empty() {
        findings.push(Finding {
            severity: Severity::High,
            title: "can impersonate, escalate or bind: a way to more rights".into(),
            evidence: escalation,
        });
    }
    let write = evidence(&|q| writes.contains(&q.verb.as_str()));
    if !write.is_empty() {
        findings.push(Finding {
            severity: Severity::Medium,
            title: "can change mesh resources (create, update, patch or delete)".into(),
            evidence: write,
        });
    }

    // The rules behind it all, per namespace of interest, for the why and the wildcards.
    let mut rules = Vec::new();
    let mut wildcards = Vec::new();
    let rule_namespaces: Vec<String> = if namespaces.is_empty() {
        vec!["default".into()]
    } else {
        namespaces.clone()
    };
    for namespace in &rule_namespaces {
        let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": namespace}});
        let answer = match reviews
            .post(
                "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                body,
            )
            .await
        {
            Ok(answer) => answer,
            Err(PostError::Rejected(e)) => return Err(with_server(e, &server)),
            Err(PostError::Failed(why)) => {
                // Rules only explain; the matrix comes from access reviews.
                warnings.push(format!("the rules review for {namespace} failed: {why}"));
                rules.push(RulesReview {
                    namespace: namespace.clone(),
                    rules: Vec::new(),
                    incomplete: true,
                });
                continue;
            }
        };
        let mut texts = Vec::new();
        for rule in answer
            .pointer("/status/resourceRules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let list = |key: &str| -> Vec<String> {
                serde_json::from_value(rule.get(key).cloned().unwrap_or_default())
                    .unwrap_or_default()
            };
            let (verbs, groups, resources) = (list("verbs"), list("apiGroups"), list("resources"));
            let text = format!(
                "verbs [{}] on [{}] in groups [{}]",
                verbs.join(", "),
                resources.join(", "),
                groups
                    .iter()
                    .map(|g| format!("{g:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if verbs.iter().chain(&resources).any(|v| v == "*") {
                let evidence = format!("in {namespace}: {text}");
                if !wildcards.contains(&evidence) {
                    wildcards.push(evidence);
                }
            }
            texts.push(text);
        }
        let incomplete = answer
            .pointer("/status/incomplete")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if incomplete {
            warnings.push(format!("the rules review for {namespace} is incomplete: the server could not list every rule (the matrix, from access reviews, stays accurate)"));
        }
        rules.push(RulesReview {
            namespace: namespace.clone(),
            rules: texts,
            incomplete,
        });
    }
    if !wildcards.is_empty() {
        findings.push(Finding {
            severity: Severity::Medium,
            title: "wildcard verbs or resources".into(),
            evidence: wildcards,
        });
    }
    findings.sort_by(|a, b| a.severity.cmp(&b.severity));
    let mut unknown = reviews.unknown();
    if !mesh_failures.is_empty() {
        unknown.push(format!(
            "the mesh could not be read whole, so the kinds in use may be incomplete: {}",
            mesh_failures.join("; ")
        ));
    }

    Ok(AccessReport {
        server,
        identity,
        identity_note,
        token: token_info,
        token_error,
        warnings,
        matrix,
        fit,
        findings,
        rules,
        reviews: reviews.count(),
        unknown,
    })
}

/// Fills in the endpoint on errors raised before it was known.
fn with_server(error: FetchError, endpoint: &str) -> FetchError {
    match error {
        FetchError::TokenRejected { endpoint: e, hint } if e.is_empty() => {
            FetchError::TokenRejected {
                endpoint: endpoint.to_string(),
                hint,
            }
        }
        FetchError::Unreachable { server, message } if server.is_empty() => {
            FetchError::Unreachable {
                server: endpoint.to_string(),
                message,
            }
        }
        other => other,
    }
}
