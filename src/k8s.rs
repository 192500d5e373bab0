//! Kubernetes naming rules, as the API server validates them, and the vocabulary of requests.

pub mod rbac;
pub mod vocabulary;
pub use vocabulary::{GroupResource, ResourceRequest, Scope, Verb};

/// An RFC 1123 label (namespaces, most resource plurals): at most 63 lower-case letters, digits
/// and `-`, starting and ending with a letter or digit.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// An RFC 1123 subdomain (most object names, API groups): lower-case letters, digits, `-` and
/// `.`, starting and ending with a letter or digit, at most 253 characters (kube-apiserver's
/// IsDNS1123Subdomain, which sets no limit per label).
pub fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// A name that the API server would refuse, said as kubectl says it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {} is not a valid name: {rule}", crate::text::escape(&format!("{name:?}")))]
pub struct InvalidName {
    pub what: String,
    pub name: String,
    pub rule: &'static str,
}

const LABEL_RULE: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', start and end with an alphanumeric character, and be at most 63 characters";
const SUBDOMAIN_RULE: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', must start and end with an alphanumeric character, and be at most 253 characters";

pub fn check_label(what: &str, name: &str) -> Result<(), InvalidName> {
    check(what, name, is_dns_label(name), LABEL_RULE)
}

pub fn check_subdomain(what: &str, name: &str) -> Result<(), InvalidName> {
    check(what, name, is_dns_subdomain(name), SUBDOMAIN_RULE)
}

/// A label value: empty, or at most 63 letters, digits, `-`, `_` and `.`, starting and ending
/// with a letter or digit (kube-apiserver's IsValidLabelValue).
fn is_label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && value
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && value
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric()))
}

/// A label key: an optional DNS subdomain prefix and `/`, then a name as a non-empty value is.
pub fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(is_dns_subdomain);
    if name.is_empty() || !is_label_value(name) || !prefix_ok {
        return Err(format!(
            "{} is not a label key (a name of letters, digits, '-', '_' or '.', at most 63, after an optional DNS prefix and '/')",
            crate::text::escape(&format!("{key:?}"))
        ));
    }
    Ok(())
}

pub fn check_label_value(value: &str) -> Result<(), String> {
    if is_label_value(value) {
        return Ok(());
    }
    Err(format!(
        "{} is not a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)",
        crate::text::escape(&format!("{value:?}"))
    ))
}

fn check(what: &str, name: &str, valid: bool, rule: &'static str) -> Result<(), InvalidName> {
    if valid {
        return Ok(());
    }
    Err(InvalidName {
        what: what.into(),
        name: name.into(),
        rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123() {
        assert!(is_dns_label("payments-eu"));
        assert!(!is_dns_label("Payments"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label("a\nb"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(
            is_dns_subdomain(&"a".repeat(64)),
            "no per-label limit in a subdomain"
        );
        assert!(is_dns_subdomain("eventing.knative.dev"));
        assert!(!is_dns_subdomain("x\"]\n- apiGroups: [\"*\"]"));
        assert!(!is_dns_subdomain("<sink-name>"));
        assert!(check_label("namespace", "a b").is_err());
    }
}
