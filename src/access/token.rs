//! What a bearer token says about itself. JWT claims are decoded without verifying the
//! signature (only the API server can, and it is the judge); the token itself is never kept in
//! the report, printed or logged.

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::Serialize;
use serde_json::Value;

/// Tokens longer than this are refused before decoding (the API server's own limit on a header
/// is far below it).
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// The API server audience that bound tokens carry by default.
pub const API_AUDIENCE: &str = "https://kubernetes.default.svc.cluster.local";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenKind {
    /// From TokenRequest (`kubectl create token`, projected volumes): expires.
    Bound,
    /// From a `kubernetes.io/service-account-token` Secret: never expires.
    Legacy,
    /// Not a JWT: a static token file entry, or a token the server maps by lookup.
    Opaque,
    /// An OIDC ID token: the API server accepts it only if it trusts the issuer.
    OidcIdToken,
    /// A Backstage user identity token (`aud: backstage`, an `ent` claim).
    BackstageUser,
    /// A Backstage plugin or service token (`typ` vnd.backstage.*).
    BackstageService,
}

impl TokenKind {
    pub fn describe(&self) -> &'static str {
        match self {
            TokenKind::Bound => "bound ServiceAccount token (TokenRequest)",
            TokenKind::Legacy => "legacy ServiceAccount token (from a Secret)",
            TokenKind::Opaque => {
                "opaque token (not a JWT: a static token or one the server looks up)"
            }
            TokenKind::OidcIdToken => "OIDC ID token",
            TokenKind::BackstageUser => "Backstage user identity token",
            TokenKind::BackstageService => "Backstage plugin or service token",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub kind: Option<TokenKind>,
    /// A short prefix and the length, never the token.
    pub redacted: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn_after: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// The object a bound token is tied to ("Pod x", "Secret y"), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is empty")]
    Empty,
    #[error("the token is {0} bytes long, more than any API server accepts")]
    TooLong(usize),
    #[error("the token looks like a JWT but has {0} parts instead of 3 (header.claims.signature)")]
    WrongParts(usize),
    #[error("the token's {part} is not base64url")]
    BadBase64 { part: &'static str },
    #[error("the token's {part} is not a JSON object")]
    NotJson { part: &'static str },
}

fn decode_part(text: &str, part: &'static str) -> Result<Value, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(text))
        .map_err(|_| TokenError::BadBase64 { part })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(TokenError::NotJson { part }),
    }
}

/// A short prefix and the length: enough to tell tokens apart, never enough to use one.
pub fn redact(token: &str) -> String {
    crate::source::connect::redact(token)
}

/// Reads a token's claims and kind. A token that is not a JWT at all is opaque, which is fine;
/// one that tries to be a JWT and is broken is an error.
pub fn inspect(token: &str) -> Result<TokenInfo, TokenError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(TokenError::Empty);
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::TooLong(token.len()));
    }
    let mut info = TokenInfo {
        redacted: redact(token),
        ..TokenInfo::default()
    };
    let parts: Vec<&str> = token.split('.').collect();
    // JWTs start with a base64url JSON header: "eyJ" is `{"`.
    if !token.starts_with("eyJ") {
        info.kind = Some(TokenKind::Opaque);
        return Ok(info);
    }
    if parts.len() != 3 {
        return Err(TokenError::WrongParts(parts.len()));
    }
    let header = decode_part(parts[0], "header")?;
    let claims = decode_part(parts[1], "claims")?;
    let text =
        |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    let number = |key: &str| claims.get(key).and_then(Value::as_i64);
    info.issuer = text(&claims, "iss");
    info.subject = text(&claims, "sub");
    info.audiences = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    info.issued_at = number("iat");
    info.not_before = number("nbf");
    info.expires_at = number("exp");
    let typ = text(&header, "typ").unwrap_or_default();
    let nested = claims.get("kubernetes.io");
    // A ServiceAccount token says so in its claims, whatever audience it was minted for:
    // `kubectl create token --audience backstage` is a Kubernetes token for another audience.
    let kubernetes =
        nested.is_some() || info.issuer.as_deref() == Some("kubernetes/serviceaccount");
    info.kind = Some(if typ.starts_with("vnd.backstage.") {
        TokenKind::BackstageService
    } else if !kubernetes
        && (info.audiences.iter().any(|a| a == "backstage") || claims.get("ent").is_some())
    {
        TokenKind::BackstageUser
    } else if info.issuer.as_deref() == Some("kubernetes/serviceaccount") {
        info.namespace = text(&claims, "kubernetes.io/serviceaccount/namespace");
        info.service_account = text(&claims, "kubernetes.io/serviceaccount/service-account.name");
        info.bound_to = text(&claims, "kubernetes.io/serviceaccount/secret.name")
            .map(|s| format!("Secret {s}"));
        TokenKind::Legacy
    } else if let Some(nested) = nested {
        info.namespace = nested
            .get("namespace")
            .and_then(Value::as_str)
            .map(str::to_string);
        info.service_account = nested
            .pointer("/serviceaccount/name")
            .and_then(Value::as_str)
            .map(str::to_string);
        info.warn_after = nested.get("warnafter").and_then(Value::as_i64);
        info.bound_to = ["pod", "secret", "node"].iter().find_map(|kind| {
            nested
                .pointer(&format!("/{kind}/name"))
                .and_then(Value::as_str)
                .map(|name| {
                    let mut title = kind.to_string();
                    title[..1].make_ascii_uppercase();
                    format!("{title} {name}")
                })
        });
        TokenKind::Bound
    } else {
        TokenKind::OidcIdToken
    });
    Ok(info)
}

/// "in 3h 12m", "2d 4h ago".
pub fn relative(seconds: i64) -> String {
    let magnitude = seconds.unsigned_abs();
    let text = match magnitude {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    };
    match seconds {
        0 => "just now".into(),
        s if s > 0 => format!("in {text}"),
        _ => format!("{text} ago"),
    }
}

pub fn absolute(timestamp: i64) -> String {
    jiff::Timestamp::from_second(timestamp)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| timestamp.to_string())
}

/// What the report should warn about this token, at time `now`.
/// Under an hour left, or under a tenth of the token's lifetime: a token made with the
/// `--duration=24h` kn-mesh recommends is not warned about for its first 21 hours.
fn expires_soon(issued_at: Option<i64>, expires: i64, now: i64) -> bool {
    let left = expires.saturating_sub(now);
    let tenth = issued_at.map(|issued| expires.saturating_sub(issued) / 10);
    left < 3600 || tenth.is_some_and(|tenth| left < tenth)
}

pub fn warnings(info: &TokenInfo, now: i64) -> Vec<String> {
    let mut warnings = Vec::new();
    match info.kind {
        Some(TokenKind::OidcIdToken) => warnings.push(
            "the API server accepts an OIDC ID token only if it is configured to trust its issuer. For the eventmesh backend, use a ServiceAccount token (kubectl create token <sa>).".into(),
        ),
        Some(TokenKind::BackstageUser) => warnings.push(
            "it comes from Backstage's auth refresh endpoint and is not a Kubernetes token: the API server will reject it. The eventmesh backend needs a ServiceAccount token in KNATIVE_EVENT_MESH_TOKEN (kubectl create token <sa>).".into(),
        ),
        Some(TokenKind::BackstageService) => warnings.push(
            "it is meant for Backstage's own backends, not for Kubernetes: the API server will reject it. Use a ServiceAccount token (kubectl create token <sa>).".into(),
        ),
        Some(TokenKind::Opaque) => warnings.push(
            "an opaque (static) token: Kubernetes cannot rotate it or make it expire. Prefer a bound ServiceAccount token.".into(),
        ),
        Some(TokenKind::Legacy) => warnings.push(format!(
            "a legacy Secret-based token never expires; prefer a bound token: kubectl create token {} -n {} --duration=24h",
            info.service_account.as_deref().unwrap_or("<sa>"),
            info.namespace.as_deref().unwrap_or("<namespace>")
        )),
        _ => {}
    }
    if let Some(expires) = info.expires_at {
        if expires <= now {
            warnings.push(format!(
                "expired at {} ({})",
                absolute(expires),
                relative(expires.saturating_sub(now))
            ));
        } else if expires_soon(info.issued_at, expires, now) {
            warnings.push(format!(
                "expires soon: at {} ({})",
                absolute(expires),
                relative(expires.saturating_sub(now))
            ));
        }
    }
    if let Some(nbf) = info.not_before
        && nbf > now
    {
        warnings.push(format!(
            "not valid yet: from {} ({})",
            absolute(nbf),
            relative(nbf.saturating_sub(now))
        ));
    }
    let kubernetes_kind = matches!(info.kind, Some(TokenKind::Bound));
    if kubernetes_kind
        && !info.audiences.is_empty()
        && !info
            .audiences
            .iter()
            .any(|a| a == API_AUDIENCE || a.contains("kubernetes"))
    {
        warnings.push(format!(
            "a ServiceAccount token for another audience ({}): the API server accepts only its own ({API_AUDIENCE}) unless its --api-audiences name this one. Mint it without --audience: kubectl create token {} -n {} --duration=24h",
            info.audiences.join(", "),
            info.service_account.as_deref().unwrap_or("<sa>"),
            info.namespace.as_deref().unwrap_or("<namespace>")
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwt(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    #[test]
    fn a_service_account_token_for_the_backstage_audience_is_a_kubernetes_token() {
        let token = jwt(
            json!({"alg": "RS256"}),
            json!({"iss": "https://kubernetes.default.svc", "aud": ["backstage"], "sub": "system:serviceaccount:backstage:reader",
                "iat": 1000, "exp": 1000 + 86_400,
                "kubernetes.io": {"namespace": "backstage", "serviceaccount": {"name": "reader", "uid": "u"}}}),
        );
        let info = inspect(&token).unwrap();
        assert_eq!(info.kind, Some(TokenKind::Bound));
        let warnings = warnings(&info, 2000);
        assert_eq!(warnings.len(), 1, "one message, said once: {warnings:?}");
        assert!(
            warnings[0].starts_with("a ServiceAccount token for another audience (backstage)")
                && warnings[0].contains("kubectl create token reader -n backstage")
                && !warnings[0].contains("Backstage user"),
            "{warnings:?}"
        );
    }

    #[test]
    fn bound_legacy_and_opaque_tokens_are_told_apart() {
        let bound = jwt(
            json!({"alg": "RS256"}),
            json!({"iss": "https://kubernetes.default.svc.cluster.local", "aud": [API_AUDIENCE], "exp": 2000, "iat": 1000, "nbf": 1000,
            "kubernetes.io": {"namespace": "ns", "serviceaccount": {"name": "sa", "uid": "u"}, "pod": {"name": "p", "uid": "x"}, "warnafter": 1500}}),
        );
        let info = inspect(&bound).unwrap();
        assert_eq!(info.kind, Some(TokenKind::Bound));
        assert_eq!(
            (
                info.namespace.as_deref(),
                info.service_account.as_deref(),
                info.bound_to.as_deref()
            ),
            (Some("ns"), Some("sa"), Some("Pod p"))
        );
        assert_eq!((info.expires_at, info.warn_after), (Some(2000), Some(1500)));
        let legacy = jwt(
            json!({"alg": "RS256"}),
            json!({"iss": "kubernetes/serviceaccount", "kubernetes.io/serviceaccount/namespace": "ns", "kubernetes.io/serviceaccount/service-account.name": "sa", "kubernetes.io/serviceaccount/secret.name": "sa-token"}),
        );
        let info = inspect(&legacy).unwrap();
        assert_eq!(info.kind, Some(TokenKind::Legacy));
        assert_eq!(info.expires_at, None);
        assert!(
            warnings(&info, 0)
                .iter()
                .any(|w| w.contains("never expires"))
        );
        assert_eq!(
            inspect("abc123static").unwrap().kind,
            Some(TokenKind::Opaque)
        );
    }

    #[test]
    fn tokens_not_meant_for_kubernetes_are_recognised() {
        let backstage_user = jwt(
            json!({"alg": "ES256", "typ": "JWT"}),
            json!({"iss": "http://localhost:7007/api/auth", "aud": "backstage", "sub": "user:default/jane", "ent": ["user:default/jane"], "exp": 2000}),
        );
        assert_eq!(
            inspect(&backstage_user).unwrap().kind,
            Some(TokenKind::BackstageUser)
        );
        let backstage_service = jwt(
            json!({"alg": "ES256", "typ": "vnd.backstage.plugin"}),
            json!({"sub": "plugin:catalog"}),
        );
        assert_eq!(
            inspect(&backstage_service).unwrap().kind,
            Some(TokenKind::BackstageService)
        );
        let oidc = jwt(
            json!({"alg": "RS256"}),
            json!({"iss": "https://accounts.example.com", "aud": "kubernetes", "sub": "jane", "email": "jane@example.com", "exp": 2000}),
        );
        let info = inspect(&oidc).unwrap();
        assert_eq!(info.kind, Some(TokenKind::OidcIdToken));
        assert!(warnings(&info, 0)[0].contains("OIDC"));
    }

    #[test]
    fn expiry_warnings() {
        let info = TokenInfo {
            kind: Some(TokenKind::Bound),
            expires_at: Some(1000),
            audiences: vec![API_AUDIENCE.into()],
            ..Default::default()
        };
        assert!(
            warnings(&info, 2000)[0].starts_with("expired at 1970-01-01 00:16:40 UTC (16m ago)")
        );
        assert!(
            warnings(&info, 0)[0].starts_with("expires soon"),
            "under an hour left"
        );
        assert!(warnings(&info, -100_000).is_empty());
        // A day-long token, as `kubectl create token --duration=24h` makes: quiet until under
        // a tenth of its life is left.
        let day = TokenInfo {
            issued_at: Some(0),
            expires_at: Some(86_400),
            ..info.clone()
        };
        assert!(warnings(&day, 60).is_empty(), "just made");
        assert!(warnings(&day, 77_000).is_empty(), "2.6h of 24h left");
        assert!(
            warnings(&day, 79_000)[0].starts_with("expires soon"),
            "2h of 24h left"
        );
        let foreign = TokenInfo {
            kind: Some(TokenKind::Bound),
            audiences: vec!["vault".into()],
            ..Default::default()
        };
        assert!(warnings(&foreign, 0)[0].contains("audience"));
    }

    #[test]
    fn malformed_tokens_get_a_clear_error_and_no_panic() {
        assert_eq!(
            inspect("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0"),
            Err(TokenError::WrongParts(2))
        );
        assert_eq!(
            inspect("eyJ!!!.eyJzdWIiOiJ4In0.sig"),
            Err(TokenError::BadBase64 { part: "header" })
        );
        let not_json = format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.sig",
            URL_SAFE_NO_PAD.encode("not json")
        );
        assert_eq!(
            inspect(&not_json),
            Err(TokenError::NotJson { part: "claims" })
        );
        let huge = format!("eyJ{}", "a".repeat(MAX_TOKEN_BYTES));
        assert!(matches!(inspect(&huge), Err(TokenError::TooLong(_))));
        assert_eq!(inspect("   "), Err(TokenError::Empty));
        // The error never holds the token.
        let secret = "eyJzZWNyZXQiOiJ4In0.only-two";
        assert!(
            !inspect(secret)
                .unwrap_err()
                .to_string()
                .contains("c2VjcmV0")
        );
    }
}
