//! The access report as readable sections, with ✓ and ✗ (coloured on a terminal).

use super::token::{absolute, relative};
use super::{AccessReport, Severity, Verdict};
use std::fmt::Write;

struct Paint {
    color: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn yes(&self) -> String {
        self.wrap("32", "✓")
    }
    fn no(&self) -> String {
        self.wrap("31", "✗")
    }
    fn unknown(&self) -> String {
        self.wrap("33", "?")
    }
    fn mark(&self, allowed: Option<bool>) -> String {
        match allowed {
            Some(true) => self.yes(),
            Some(false) => self.no(),
            None => self.unknown(),
        }
    }
    fn heading(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn warn(&self, text: &str) -> String {
        self.wrap("33", text)
    }
}

// Long: one section after another, in the order they print.
#[allow(clippy::too_many_lines)]
pub fn text(report: &AccessReport, color: bool, now: i64) -> String {
    // Every string that came from the token, the server or the cluster is escaped, so that a
    // claim or a reason holding terminal controls prints as text (DESIGN.md §1). The colours
    // this renderer adds are its own.
    let report = &report.map_text(crate::text::escape);
    let paint = Paint { color };
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", paint.heading("Server"), report.server);

    let _ = writeln!(out, "\n{}", paint.heading("Identity"));
    match (&report.identity, &report.identity_note) {
        (Some(identity), _) => {
            let _ = writeln!(out, "  user    {}", identity.username);
            if !identity.uid.is_empty() {
                let _ = writeln!(out, "  uid     {}", identity.uid);
            }
            let _ = writeln!(out, "  groups  {}", identity.groups.join(", "));
            for (key, values) in &identity.extra {
                let _ = writeln!(out, "  extra   {key}: {}", values.join(", "));
            }
        }
        (None, Some(note)) => {
            let _ = writeln!(out, "  {}", paint.warn(note));
        }
        (None, None) => {}
    }

    let _ = writeln!(out, "\n{}", paint.heading("Token"));
    match (&report.token, &report.token_error) {
        (Some(token), _) => {
            if let Some(kind) = &token.kind {
                let _ = writeln!(out, "  kind        {}", kind.describe());
            }
            let _ = writeln!(out, "  token       {}", token.redacted);
            if let Some(issuer) = &token.issuer {
                let _ = writeln!(out, "  issuer      {issuer}");
            }
            if !token.audiences.is_empty() {
                let _ = writeln!(out, "  audiences   {}", token.audiences.join(", "));
            }
            if let (Some(namespace), Some(account)) = (&token.namespace, &token.service_account) {
                let _ = writeln!(out, "  account     {namespace}/{account}");
            }
            if let Some(bound) = &token.bound_to {
                let _ = writeln!(out, "  bound to    {bound}");
            }
            for (label, value) in [
                ("issued", token.issued_at),
                ("not before", token.not_before),
                ("warn after", token.warn_after),
            ] {
                if let Some(value) = value {
                    let _ = writeln!(
                        out,
                        "  {label:<11} {} ({})",
                        absolute(value),
                        relative(value.saturating_sub(now))
                    );
                }
            }
            match token.expires_at {
                Some(expires) => {
                    let _ = writeln!(
                        out,
                        "  expires     {} ({})",
                        absolute(expires),
                        relative(expires.saturating_sub(now))
                    );
                }
                None if matches!(
                    token.kind,
                    Some(super::token::TokenKind::Legacy | super::token::TokenKind::Opaque)
                ) =>
                {
                    let _ = writeln!(out, "  expires     never");
                }
                None => {}
            }
        }
        (None, Some(error)) => {
            let _ = writeln!(
                out,
                "  {}",
                paint.warn(&format!("cannot read the token: {error}"))
            );
        }
        (None, None) => {
            let _ = writeln!(
                out,
                "  (credentials from the kubeconfig are not a bearer token: nothing to inspect)"
            );
        }
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "  {} {warning}", paint.warn("⚠"));
    }

    let _ = writeln!(out, "\n{}", paint.heading("Permissions (get list watch)"));
    let width = report
        .matrix
        .iter()
        .map(|r| r.resource.len())
        .max()
        .unwrap_or(10);
    for row in &report.matrix {
        let scope = crate::k8s::Scope::of(row.namespace.as_deref()).to_string();
        let _ = writeln!(
            out,
            "  {:<width$}  {}  {}  {}   {scope}",
            row.resource,
            paint.mark(row.get),
            paint.mark(row.list),
            paint.mark(row.watch)
        );
    }

    let _ = writeln!(out, "\n{}", paint.heading("Fit for purpose"));
    for fit in &report.fit {
        if fit.missing.is_empty() && fit.unknown.is_empty() {
            let _ = writeln!(
                out,
                "  {} {}: everything it needs",
                paint.yes(),
                fit.purpose
            );
        } else if !fit.missing.is_empty() {
            let _ = writeln!(
                out,
                "  {} {}: missing {}",
                paint.no(),
                fit.purpose,
                fit.missing.len()
            );
            for missing in &fit.missing {
                let _ = writeln!(out, "      {missing}");
            }
        }
        if !fit.unknown.is_empty() {
            let _ = writeln!(
                out,
                "  {} {}: {} unknown (the reviews failed)",
                paint.unknown(),
                fit.purpose,
                fit.unknown.len()
            );
            for unknown in &fit.unknown {
                let _ = writeln!(out, "      {unknown}");
            }
        }
    }

    if !report.unknown.is_empty() {
        let _ = writeln!(out, "\n{}", paint.heading("Unknown"));
        for unknown in report.unknown.iter().take(20) {
            let _ = writeln!(out, "  {} {unknown}", paint.unknown());
        }
        if report.unknown.len() > 20 {
            let _ = writeln!(out, "  … and {} more", report.unknown.len() - 20);
        }
    }

    let _ = writeln!(out, "\n{}", paint.heading("Findings"));
    if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "  {} none: the token cannot do more than reading the mesh",
            paint.yes()
        );
    }
    for finding in &report.findings {
        let severity = match finding.severity {
            Severity::High => paint.wrap("1;31", "HIGH  "),
            Severity::Medium => paint.wrap("33", "MEDIUM"),
            Severity::Low => "LOW   ".to_string(),
        };
        let _ = writeln!(out, "  {severity} {}", finding.title);
        for evidence in finding.evidence.iter().take(8) {
            let _ = writeln!(out, "         {evidence}");
        }
        if finding.evidence.len() > 8 {
            let _ = writeln!(out, "         … and {} more", finding.evidence.len() - 8);
        }
    }

    let _ = writeln!(
        out,
        "\n{}  ({} SelfSubject reviews)",
        paint.heading("Verdict"),
        report.reviews
    );
    let verdict = match report.verdict() {
        Verdict::Fit => format!("{} fit for purpose, nothing over-privileged", paint.yes()),
        Verdict::OverPrivileged => format!("{} over-privileged (exit 3)", paint.no()),
        Verdict::Unknown => format!(
            "{} unknown (exit 4): some reviews failed after retries; run again when the server is healthy",
            paint.unknown()
        ),
        Verdict::Missing => format!(
            "{} missing permissions (exit 1); `kn-mesh rbac` prints a least-privilege role",
            paint.no()
        ),
    };
    let _ = writeln!(out, "  {verdict}");
    out
}
