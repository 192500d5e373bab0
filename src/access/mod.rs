//! Token troubleshooting: who the token is, what kind of token it is, what it may read, whether
//! that is enough for the eventmesh backend and for kn-mesh, and whether it may do too much.
//!
//! The server's answers are the truth: every permission in the report is a
//! SelfSubjectAccessReview. SelfSubjectRulesReview only explains (wildcard rules, extra rights).

mod kinds;
pub mod least_privilege;
pub mod outline;
mod passes;
pub mod render;
mod report;
mod reviews;
pub mod token;

use kinds::{Kinds, kinds};
use reviews::{PostError, Reviews};

use crate::mesh::snapshot::Snapshot;
use crate::source::fetch::{FetchError, Fetcher, RulesAnswer, Scope};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

pub use report::{AccessReport, Finding, Fit, Identity, MatrixRow, RulesReview, Severity, Verdict};

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
    check_with_strategy(fetcher, scope, token, snapshot, Strategy::Rules).await
}

/// How the per-namespace cells are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// From each namespace's SelfSubjectRulesReview where it is complete, with an access review
    /// only where it is not, and to confirm what a finding cites. Requests grow with
    /// namespaces, not namespaces × kinds × verbs.
    Rules,
    /// A SelfSubjectAccessReview for every cell: the slow way, kept to check the fast one.
    AccessReviewsOnly,
}

pub async fn check_with_strategy(
    fetcher: &Fetcher,
    scope: &Scope,
    token: Option<&str>,
    snapshot: Option<Snapshot>,
    strategy: Strategy,
) -> Result<AccessReport, FetchError> {
    // Impersonating (--as), the token is the caller's: its kind and expiry are not the user's.
    let inspected = token.filter(|_| fetcher.endpoint().acting_as.is_none());
    check_token(fetcher, scope, inspected, snapshot, strategy)
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
            let kind = info.kind.map(|k| k.describe()).unwrap_or("token");
            let kind = crate::text::with_article(kind);
            if reasons.is_empty() {
                format!(
                    "It is {kind}; {}",
                    crate::source::fetch::REJECTED_HINT.to_lowercase()
                )
            } else {
                format!("The token is {kind}: {}.", reasons.join("; "))
            }
        }
        Some(Err(problem)) => format!("The token is malformed: {problem}."),
        None => format!(
            "No token was given: kn-mesh looked for --token-file, --token, ${} and a token in the kubeconfig's user, and found none.",
            crate::source::connect::TOKEN_ENV
        ),
    };
    FetchError::TokenRejected { endpoint, hint }
}

/// Asks, then decides: each I/O phase fills the answers, and the pure passes (`passes`) turn
/// them into the report's parts.
async fn check_token(
    fetcher: &Fetcher,
    scope: &Scope,
    token: Option<&str>,
    snapshot: Option<Snapshot>,
    strategy: Strategy,
) -> Result<AccessReport, FetchError> {
    let server = fetcher.endpoint().server.clone();
    fetcher.probe().await?;
    let mut reviews = Reviews::new(fetcher);
    let now = jiff::Timestamp::now().as_second();
    let (token_info, token_error, mut warnings) = token_facts(token, now);
    let (identity, identity_failure) = who_am_i(&reviews, fetcher).await?;
    if let (None, Some(why)) = (&identity, &identity_failure) {
        warnings.push(format!("SelfSubjectReview failed: {why}"));
    }
    let identity_note = identity
        .is_none()
        .then(|| identity_note(token_info.as_ref()));

    // What the mesh is made of, as far as this token can see.
    let snapshot = match snapshot {
        Some(snapshot) => snapshot,
        None => fetcher.fetch(scope).await?,
    };
    let mesh_failures = snapshot.completeness().failed;
    let kinds = kinds(&snapshot);
    let namespaces = scope
        .namespaces
        .clone()
        .unwrap_or_else(|| snapshot.namespaces.clone());

    let rule_answers = namespace_rules(fetcher, &namespaces).await?;
    if strategy == Strategy::Rules {
        reviews.rules = rule_answers
            .iter()
            .map(|(namespace, answer)| (namespace.clone(), answer.rules()))
            .collect();
    }
    let ask = |questions: BTreeSet<reviews::Question>| {
        let reviews = &reviews;
        let server = &server;
        async move {
            reviews
                .ask_all(&questions)
                .await
                .map_err(|e| with_server(e, server))
        }
    };

    let resources = passes::matrix_resources(&kinds);
    ask(passes::cluster_questions(&resources)).await?;
    ask(passes::namespace_questions(
        &resources,
        &namespaces,
        &reviews,
    ))
    .await?;
    let matrix = passes::matrix(&resources, &namespaces, &reviews);

    let needs = passes::needs(&kinds, &namespaces, scope.namespaces.is_none());
    ask(needs
        .backend
        .iter()
        .chain(&needs.kn_mesh)
        .cloned()
        .collect())
    .await?;
    let fit = passes::fit(&needs, &reviews);

    let mut privileges = passes::privilege_questions(&kinds);
    ask(privileges.clone()).await?;
    let namespaced = passes::namespaced_privilege_questions(&privileges, &namespaces, &reviews);
    ask(namespaced.clone()).await?;
    // A finding cites the server's answer, which names the binding: allowed cells the rules
    // answered are asked again.
    reviews
        .confirm(&namespaced)
        .await
        .map_err(|e| with_server(e, &server))?;
    privileges.extend(namespaced);
    let mut findings = passes::findings(&privileges, &reviews);

    let (rules, wildcards) = rules_section(&rule_answers, &mut warnings);
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
        acting_as: fetcher.endpoint().acting_as.clone(),
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

/// Each namespace's rules, one review per namespace (shared with the fetch that ran before):
/// they answer the per-namespace questions, and explain the rest.
async fn namespace_rules(
    fetcher: &Fetcher,
    namespaces: &[String],
) -> Result<HashMap<String, RulesAnswer>, FetchError> {
    let asked = if namespaces.is_empty() {
        BTreeSet::from(["default".to_string()])
    } else {
        namespaces.iter().cloned().collect()
    };
    fetcher.rules_in(asked).await
}

/// The token itself: its claims, why they could not be read, and its warnings.
fn token_facts(
    token: Option<&str>,
    now: i64,
) -> (Option<token::TokenInfo>, Option<String>, Vec<String>) {
    match token.map(token::inspect) {
        Some(Ok(info)) => {
            let warnings = token::warnings(&info, now);
            (Some(info), None, warnings)
        }
        Some(Err(error)) => (None, Some(error.to_string()), Vec::new()),
        None => (None, None, Vec::new()),
    }
}

/// Who the server says we are: SelfSubjectReview at v1, else v1beta1. A review that failed is
/// said (the second value), never fatal; a rejected token is.
async fn who_am_i(
    reviews: &Reviews<'_>,
    fetcher: &Fetcher,
) -> Result<(Option<Identity>, Option<String>), FetchError> {
    let mut failure = None;
    for version in ["v1", "v1beta1"] {
        let body = json!({"apiVersion": format!("authentication.k8s.io/{version}"), "kind": "SelfSubjectReview"});
        let path = format!("/apis/authentication.k8s.io/{version}/selfsubjectreviews");
        match reviews.post(&path, body).await {
            Ok(answer) => {
                if let Some(identity) = passes::identity_of(&answer) {
                    return Ok((Some(identity), None));
                }
            }
            Err(PostError::Rejected(e)) => {
                return Err(with_server(e, &fetcher.endpoint().to_string()));
            }
            Err(PostError::Failed(why)) => failure = Some(why),
        }
    }
    Ok((None, failure))
}

fn identity_note(token: Option<&token::TokenInfo>) -> String {
    match token.and_then(|info| info.subject.as_ref()) {
        Some(subject) => {
            format!("SelfSubjectReview is not available; the token says it is {subject}")
        }
        None => "SelfSubjectReview is not available on this server, and the token does not say who it is".into(),
    }
}

/// The rules behind it all, per namespace of interest, for the why and the wildcards. Rules only
/// explain: a failed or incomplete review is a warning, and the matrix stays accurate.
fn rules_section(
    answers: &HashMap<String, RulesAnswer>,
    warnings: &mut Vec<String>,
) -> (Vec<RulesReview>, Vec<String>) {
    let (mut rules, mut wildcards) = (Vec::new(), std::collections::BTreeMap::new());
    let sorted: std::collections::BTreeMap<&String, &RulesAnswer> = answers.iter().collect();
    for (namespace, answer) in sorted {
        let answer = match answer {
            RulesAnswer::Answered(answer) => answer,
            RulesAnswer::Failed(why) => {
                warnings.push(format!("the rules review for {namespace} failed: {why}"));
                rules.push(RulesReview {
                    namespace: namespace.clone(),
                    rules: Vec::new(),
                    incomplete: true,
                });
                continue;
            }
        };
        let found = passes::rules_of(answer);
        if found.incomplete {
            warnings.push(format!("the rules review for {namespace} is incomplete: the server could not list every rule (the matrix, from access reviews, stays accurate)"));
        }
        for rule in found.wildcards {
            wildcards
                .entry(rule)
                .or_insert_with(Vec::new)
                .push(namespace.clone());
        }
        rules.push(RulesReview {
            namespace: namespace.clone(),
            rules: found.texts,
            incomplete: found.incomplete,
        });
    }
    let evidence = passes::wildcard_evidence(&wildcards, rules.len());
    (rules, evidence)
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
