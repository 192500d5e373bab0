//! The token troubleshooting report as a navigable tree, for the Permissions view.

use crate::access::{AccessReport, Severity};
use crate::mesh::views::{NodeKind, NodeStatus, TreeNode};

/// A section. Its key stays when its counts change, so it stays open across reports.
fn group(key: &str, text: String, status: NodeStatus, children: Vec<TreeNode>) -> TreeNode {
    TreeNode::new(NodeKind::Note, text)
        .status(status)
        .key(key)
        .children(children)
}

// Long: one section of the report after another.
#[allow(clippy::too_many_lines)]
pub fn tree(report: &AccessReport) -> Vec<TreeNode> {
    let now = jiff::Timestamp::now().as_second();
    let mut roots = Vec::new();
    match &report.identity {
        Some(identity) => {
            let mut children = vec![TreeNode::leaf(
                NodeKind::Note,
                format!("groups: {}", identity.groups.join(", ")),
                NodeStatus::Normal,
            )];
            if !identity.uid.is_empty() {
                children.insert(
                    0,
                    TreeNode::leaf(
                        NodeKind::Note,
                        format!("uid: {}", identity.uid),
                        NodeStatus::Normal,
                    ),
                );
            }
            roots.push(group(
                "identity",
                format!("Identity: {}", identity.username),
                NodeStatus::Normal,
                children,
            ));
        }
        None => roots.push(TreeNode::leaf(
            NodeKind::Note,
            format!(
                "Identity: {}",
                report.identity_note.clone().unwrap_or_default()
            ),
            NodeStatus::Failed,
        )),
    }
    if let Some(token) = &report.token {
        let mut children: Vec<TreeNode> = Vec::new();
        if let Some(issuer) = &token.issuer {
            children.push(TreeNode::leaf(
                NodeKind::Note,
                format!("issuer: {issuer}"),
                NodeStatus::Normal,
            ));
        }
        if !token.audiences.is_empty() {
            children.push(TreeNode::leaf(
                NodeKind::Note,
                format!("audiences: {}", token.audiences.join(", ")),
                NodeStatus::Normal,
            ));
        }
        let expiry = match token.expires_at {
            Some(at) => format!(
                "expires {} ({})",
                crate::access::token::absolute(at),
                crate::access::token::relative(at.saturating_sub(now))
            ),
            None => "never expires".into(),
        };
        children.push(TreeNode::leaf(
            NodeKind::Note,
            expiry.clone(),
            NodeStatus::Normal,
        ));
        children.extend(
            report
                .warnings
                .iter()
                .map(|w| TreeNode::leaf(NodeKind::Note, w.clone(), NodeStatus::Failed)),
        );
        let kind = token.kind.as_ref().map(|k| k.describe()).unwrap_or("token");
        let status = if report.warnings.is_empty() {
            NodeStatus::Normal
        } else {
            NodeStatus::Failed
        };
        roots.push(group(
            "token",
            format!("Token: {kind}, {expiry}"),
            status,
            children,
        ));
    }
    for fit in &report.fit {
        if fit.missing.is_empty() {
            roots.push(TreeNode::leaf(
                NodeKind::Note,
                format!("✓ {}: everything it needs", fit.purpose),
                NodeStatus::Ready,
            ));
        } else {
            let children = fit
                .missing
                .iter()
                .map(|m| {
                    TreeNode::leaf(
                        NodeKind::Access,
                        format!("missing: {m}"),
                        NodeStatus::Forbidden,
                    )
                })
                .collect();
            roots.push(group(
                &format!("fit {}", fit.purpose),
                format!("{}: {} missing", fit.purpose, fit.missing.len()),
                NodeStatus::Forbidden,
                children,
            ));
        }
    }
    let high = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::High)
        .count();
    let findings: Vec<TreeNode> = report
        .findings
        .iter()
        .map(|finding| {
            let status = if finding.severity == Severity::High {
                NodeStatus::Forbidden
            } else {
                NodeStatus::Failed
            };
            let evidence = finding
                .evidence
                .iter()
                .map(|e| TreeNode::leaf(NodeKind::Note, e.clone(), NodeStatus::Normal))
                .collect();
            group(
                &finding.title,
                format!("{:?}: {}", finding.severity, finding.title),
                status,
                evidence,
            )
        })
        .collect();
    let title = if findings.is_empty() {
        "Findings: none, nothing over-privileged".to_string()
    } else {
        format!("Findings: {} ({high} high)", findings.len())
    };
    roots.push(group(
        "findings",
        title,
        if high > 0 {
            NodeStatus::Forbidden
        } else {
            NodeStatus::Normal
        },
        findings,
    ));
    let mark = |allowed: Option<bool>| match allowed {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "?",
    };
    let rows = report
        .matrix
        .iter()
        .map(|row| {
            let scope = crate::k8s::Scope::of(row.namespace.as_deref()).to_string();
            let verbs = [row.get, row.list, row.watch];
            let status = if verbs.iter().all(|v| *v == Some(true)) {
                NodeStatus::Normal
            } else if verbs.contains(&Some(false)) {
                NodeStatus::Forbidden
            } else {
                NodeStatus::Failed
            };
            TreeNode::leaf(
                NodeKind::Access,
                format!(
                    "{}  get {} list {} watch {}  {scope}",
                    row.resource,
                    mark(row.get),
                    mark(row.list),
                    mark(row.watch)
                ),
                status,
            )
        })
        .collect();
    roots.push(group(
        "matrix",
        format!("Permission matrix ({} SelfSubject reviews)", report.reviews),
        NodeStatus::Normal,
        rows,
    ));
    roots
}
