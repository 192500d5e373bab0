//! The access report's shape: identity, token, the permission matrix, fit for purpose,
//! findings, and what could not be found out.

use super::token::TokenInfo;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub severity: Severity,
    pub title: String,
    /// The server's answers (or rules) that show it.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub username: String,
    pub uid: String,
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
}

/// One row of the permission matrix: a resource at one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixRow {
    pub resource: String,
    /// None: the cluster scope.
    pub namespace: Option<String>,
    /// Each verb: true, false, or null when the review failed (unknown, never a guess).
    pub get: Option<bool>,
    pub list: Option<bool>,
    pub watch: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fit {
    /// Whose needs, in words.
    pub purpose: String,
    /// Whose needs, as `auth --for` names them.
    #[serde(rename = "for")]
    pub target: super::least_privilege::Purpose,
    pub missing: Vec<String>,
    /// Needs whose review failed: neither missing nor there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// Denied needs that are worked around, so not missing (kn-mesh without the CRD list).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesReview {
    pub namespace: String,
    pub rules: Vec<String>,
    pub incomplete: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReport {
    pub server: String,
    /// `--as`: the user every review acted as. The token in use is then the caller's own, and
    /// says nothing about that user's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acting_as: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_error: Option<String>,
    pub warnings: Vec<String>,
    pub matrix: Vec<MatrixRow>,
    pub fit: Vec<Fit>,
    pub findings: Vec<Finding>,
    pub rules: Vec<RulesReview>,
    /// SelfSubject reviews this report asked (the mesh fetch that found the kinds comes on top).
    pub reviews: usize,
    /// What could not be found out: reviews that failed after retries, a mesh that could not be
    /// read whole. Any of it makes the verdict unknown (exit 4), never "missing".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
}

/// What the report concludes, most serious first. The CLI maps it to an exit code
/// (`exit::for_verdict`); the domain knows nothing of exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// Some answer is missing: nothing can be concluded.
    Unknown,
    /// A high finding.
    OverPrivileged,
    /// Something the backend or kn-mesh needs is missing.
    Missing,
    /// Fit for purpose, nothing over-privileged.
    Fit,
}

impl AccessReport {
    /// Keeps the fit for these purposes only (`auth --for`): the verdict then answers for them.
    pub fn only_for(mut self, purposes: &[super::least_privilege::Purpose]) -> Self {
        self.fit.retain(|fit| purposes.contains(&fit.target));
        self
    }

    pub fn verdict(&self) -> Verdict {
        if !self.unknown.is_empty() {
            Verdict::Unknown
        } else if self.findings.iter().any(|f| f.severity == Severity::High) {
            Verdict::OverPrivileged
        } else if self.fit.iter().any(|f| !f.missing.is_empty()) {
            Verdict::Missing
        } else {
            Verdict::Fit
        }
    }
}

impl AccessReport {
    /// The report with `f` applied to every string that came from outside (the token's
    /// claims, the server's answers, names): to escape them for a terminal, or to scrub the
    /// token out of them.
    pub fn map_text(&self, f: impl Fn(&str) -> String) -> AccessReport {
        let all = |items: &[String]| items.iter().map(|i| f(i)).collect::<Vec<_>>();
        let opt = |item: &Option<String>| item.as_deref().map(&f);
        let mut report = self.clone();
        report.server = f(&report.server);
        report.acting_as = opt(&report.acting_as);
        if let Some(identity) = &mut report.identity {
            identity.username = f(&identity.username);
            identity.uid = f(&identity.uid);
            identity.groups = all(&identity.groups);
            identity.extra = identity.extra.iter().map(|(k, v)| (f(k), all(v))).collect();
        }
        report.identity_note = opt(&report.identity_note);
        if let Some(token) = &mut report.token {
            token.issuer = opt(&token.issuer);
            token.subject = opt(&token.subject);
            token.audiences = all(&token.audiences);
            token.namespace = opt(&token.namespace);
            token.service_account = opt(&token.service_account);
            token.bound_to = opt(&token.bound_to);
        }
        report.token_error = opt(&report.token_error);
        report.warnings = all(&report.warnings);
        for row in &mut report.matrix {
            row.resource = f(&row.resource);
            row.namespace = opt(&row.namespace);
        }
        for fit in &mut report.fit {
            fit.missing = all(&fit.missing);
            fit.unknown = all(&fit.unknown);
        }
        for finding in &mut report.findings {
            finding.evidence = all(&finding.evidence);
        }
        for rules in &mut report.rules {
            rules.namespace = f(&rules.namespace);
            rules.rules = all(&rules.rules);
        }
        report.unknown = all(&report.unknown);
        report
    }
}
