//! The access report as one outline, a tree of sections: `kn-mesh auth` prints it as text
//! (`render`) and the TUI's Permissions view shows it as a tree, so both say the same things in
//! the same words. Every string that came from the token, the server or the cluster is escaped
//! here, so a claim or a reason holding terminal controls reaches neither face raw.

use super::token::{TokenInfo, TokenKind, absolute, relative};
use super::{AccessReport, Severity, Verdict};
use crate::mesh::views::{NodeKind, NodeStatus, TreeNode};

/// Evidence lines shown per finding, and unknown requests in all; the rest are counted.
const EVIDENCE_SHOWN: usize = 8;
const UNKNOWN_SHOWN: usize = 20;

/// The report's sections, in the order `auth` prints them.
pub fn outline(report: &AccessReport, now: i64) -> Vec<TreeNode> {
    let report = &report.map_text(crate::text::escape);
    let mut sections = vec![
        line(format!("Server  {}", report.server), NodeStatus::Normal).key("server"),
        identity(report),
        token(report, now),
        matrix(report),
        fit(report),
    ];
    if !report.unknown.is_empty() {
        sections.push(unknown(report));
    }
    sections.push(findings(report));
    sections.push(verdict(report));
    sections
}

fn line(text: String, status: NodeStatus) -> TreeNode {
    TreeNode::leaf(NodeKind::Note, text, status)
}

fn section(key: &str, title: String, status: NodeStatus, lines: Vec<TreeNode>) -> TreeNode {
    TreeNode::new(NodeKind::Note, title)
        .status(status)
        .key(key)
        .children(lines)
}

fn identity(report: &AccessReport) -> TreeNode {
    let mut lines = Vec::new();
    match (&report.identity, &report.identity_note) {
        (Some(identity), _) => {
            lines.push(line(
                format!("user    {}", identity.username),
                NodeStatus::Normal,
            ));
            if !identity.uid.is_empty() {
                lines.push(line(
                    format!("uid     {}", identity.uid),
                    NodeStatus::Normal,
                ));
            }
            let groups = identity.groups.join(", ");
            lines.push(line(format!("groups  {groups}"), NodeStatus::Normal));
            for (key, values) in &identity.extra {
                let values = values.join(", ");
                lines.push(line(format!("extra   {key}: {values}"), NodeStatus::Normal));
            }
        }
        (None, Some(note)) => lines.push(line(note.clone(), NodeStatus::Failed)),
        (None, None) => {}
    }
    if report.acting_as.is_some() {
        lines.push(line(
            "(impersonated: the server answered every review as this user)".into(),
            NodeStatus::Normal,
        ));
    }
    section("identity", "Identity".into(), NodeStatus::Normal, lines)
}

fn token(report: &AccessReport, now: i64) -> TreeNode {
    let mut lines = match (&report.token, &report.token_error) {
        (Some(token), _) => token_lines(token, now),
        (None, Some(error)) => vec![line(
            format!("cannot read the token: {error}"),
            NodeStatus::Failed,
        )],
        (None, None) => match &report.acting_as {
            Some(user) => vec![line(
                format!(
                    "(acting as {user} by impersonation: the token in use is the caller's, and {user} has none to inspect)"
                ),
                NodeStatus::Normal,
            )],
            None => vec![line(
                "(credentials from the kubeconfig are not a bearer token: nothing to inspect)"
                    .into(),
                NodeStatus::Normal,
            )],
        },
    };
    lines.extend(
        report
            .warnings
            .iter()
            .map(|warning| line(format!("⚠ {warning}"), NodeStatus::Failed)),
    );
    let status = if report.warnings.is_empty() {
        NodeStatus::Normal
    } else {
        NodeStatus::Failed
    };
    section("token", "Token".into(), status, lines)
}

fn token_lines(token: &TokenInfo, now: i64) -> Vec<TreeNode> {
    let mut fields: Vec<(&str, String)> = Vec::new();
    if let Some(kind) = &token.kind {
        fields.push(("kind", kind.describe().to_string()));
    }
    fields.push(("token", token.redacted.clone()));
    if let Some(issuer) = &token.issuer {
        fields.push(("issuer", issuer.clone()));
    }
    if !token.audiences.is_empty() {
        fields.push(("audiences", token.audiences.join(", ")));
    }
    if let (Some(namespace), Some(account)) = (&token.namespace, &token.service_account) {
        fields.push(("account", format!("{namespace}/{account}")));
    }
    if let Some(bound) = &token.bound_to {
        fields.push(("bound to", bound.clone()));
    }
    let when = |at: i64| format!("{} ({})", absolute(at), relative(at.saturating_sub(now)));
    for (label, value) in [
        ("issued", token.issued_at),
        ("not before", token.not_before),
        ("warn after", token.warn_after),
        ("expires", token.expires_at),
    ] {
        if let Some(value) = value {
            fields.push((label, when(value)));
        }
    }
    let never_expires = matches!(token.kind, Some(TokenKind::Legacy | TokenKind::Opaque));
    if token.expires_at.is_none() && never_expires {
        fields.push(("expires", "never".into()));
    }
    fields
        .into_iter()
        .map(|(label, value)| line(format!("{label:<11} {value}"), NodeStatus::Normal))
        .collect()
}

fn mark(allowed: Option<bool>) -> &'static str {
    match allowed {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "?",
    }
}

fn matrix(report: &AccessReport) -> TreeNode {
    let width = report
        .matrix
        .iter()
        .map(|row| row.resource.len())
        .max()
        .unwrap_or(10);
    let rows = report
        .matrix
        .iter()
        .map(|row| {
            let scope = crate::k8s::Scope::of(row.namespace.as_deref());
            let verbs = [row.get, row.list, row.watch];
            let status = if verbs.iter().all(|v| *v == Some(true)) {
                NodeStatus::Normal
            } else if verbs.contains(&Some(false)) {
                NodeStatus::Forbidden
            } else {
                NodeStatus::Failed
            };
            let text = format!(
                "{:<width$}  {}  {}  {}   {scope}",
                row.resource,
                mark(row.get),
                mark(row.list),
                mark(row.watch)
            );
            TreeNode::leaf(NodeKind::Access, text, status).key(format!("{} {scope}", row.resource))
        })
        .collect();
    let title = "Permissions (get list watch)".into();
    section("matrix", title, NodeStatus::Normal, rows)
}

fn fit(report: &AccessReport) -> TreeNode {
    let mut lines = Vec::new();
    let listed = |items: &[String], status| {
        let lines = items.iter().map(|item| line(item.clone(), status));
        lines.collect::<Vec<_>>()
    };
    for fit in &report.fit {
        let purpose = &fit.purpose;
        if fit.missing.is_empty() && fit.unknown.is_empty() {
            let text = format!("✓ {purpose}: everything it needs");
            lines.push(line(text, NodeStatus::Ready).key(format!("fit {purpose}")));
        } else if !fit.missing.is_empty() {
            let text = format!("✗ {purpose}: missing {}", fit.missing.len());
            let missing = listed(&fit.missing, NodeStatus::Forbidden);
            lines.push(section(
                &format!("fit {purpose}"),
                text,
                NodeStatus::Forbidden,
                missing,
            ));
        }
        if !fit.unknown.is_empty() {
            let text = format!(
                "? {purpose}: {} unknown (the reviews failed)",
                fit.unknown.len()
            );
            let unknown = listed(&fit.unknown, NodeStatus::Failed);
            let key = format!("unknown {purpose}");
            lines.push(section(&key, text, NodeStatus::Failed, unknown));
        }
        for note in &fit.notes {
            let text = format!("note: {note}");
            lines.push(line(text, NodeStatus::Normal).key(format!("note {purpose}")));
        }
    }
    section("fit", "Fit for purpose".into(), NodeStatus::Normal, lines)
}

/// The first few of many, and how many more.
fn first_of(items: &[String], shown: usize, prefix: &str, status: NodeStatus) -> Vec<TreeNode> {
    let mut lines: Vec<TreeNode> = items
        .iter()
        .take(shown)
        .map(|item| line(format!("{prefix}{item}"), status))
        .collect();
    if items.len() > shown {
        let more = format!("… and {} more", items.len() - shown);
        lines.push(line(more, NodeStatus::Normal));
    }
    lines
}

fn unknown(report: &AccessReport) -> TreeNode {
    let lines = first_of(&report.unknown, UNKNOWN_SHOWN, "? ", NodeStatus::Failed);
    section("unknown", "Unknown".into(), NodeStatus::Failed, lines)
}

fn findings(report: &AccessReport) -> TreeNode {
    if report.findings.is_empty() {
        let none = "✓ none: the token cannot do more than reading the mesh".into();
        let lines = vec![line(none, NodeStatus::Ready)];
        return section("findings", "Findings".into(), NodeStatus::Normal, lines);
    }
    let lines = report
        .findings
        .iter()
        .map(|finding| {
            let (severity, status) = match finding.severity {
                Severity::High | Severity::Medium => {
                    let label = if finding.severity == Severity::High {
                        "HIGH  "
                    } else {
                        "MEDIUM"
                    };
                    (label, NodeStatus::Finding)
                }
                Severity::Low => ("LOW   ", NodeStatus::Normal),
            };
            let evidence = first_of(&finding.evidence, EVIDENCE_SHOWN, "", NodeStatus::Normal);
            let text = format!("{severity} {}", finding.title);
            section(&finding.title, text, status, evidence)
        })
        .collect();
    // Findings are about what the token may do: their own mark, not a denial's lock.
    section("findings", "Findings".into(), NodeStatus::Finding, lines)
}

fn verdict(report: &AccessReport) -> TreeNode {
    let (text, status) = match report.verdict() {
        Verdict::Fit => (
            "✓ fit for purpose, nothing over-privileged".to_string(),
            NodeStatus::Ready,
        ),
        Verdict::OverPrivileged => (
            "✗ over-privileged (exit 3)".into(),
            NodeStatus::Forbidden,
        ),
        Verdict::Unknown => (
            "? unknown (exit 4): some reviews failed after retries; run again when the server is healthy".into(),
            NodeStatus::Failed,
        ),
        Verdict::Missing => (
            "✗ missing permissions (exit 1); `kn-mesh rbac` prints a least-privilege role".into(),
            NodeStatus::Forbidden,
        ),
    };
    let title = format!("Verdict  ({} SelfSubject reviews)", report.reviews);
    section("verdict", title, status, vec![line(text, status)])
}
