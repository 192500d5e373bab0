//! Tokens the simulated cluster accepts: static tokens (kube-apiserver's `--token-auth-file`
//! CSV), legacy Secret-based ServiceAccount tokens, and bound tokens from TokenRequest.
//!
//! The sim signs its JWTs with HMAC-SHA256 under a key made at start-up. A real cluster signs
//! with RS256 and publishes the key; clients never verify the signature, they only read the
//! claims, so what a client can see is the same.

use super::rbac::UserInfo;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub const API_AUDIENCE: &str = "https://kubernetes.default.svc.cluster.local";
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
pub const LEGACY_ISSUER: &str = "kubernetes/serviceaccount";

pub struct TokenAuthority {
    key: Vec<u8>,
}

/// Why a token was not accepted. Never shown to the client (it gets a plain 401), but kept for
/// the sim's own log and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a JWT")]
    Malformed,
    #[error("bad signature")]
    BadSignature,
    #[error("expired")]
    Expired,
    #[error("not yet valid")]
    NotYetValid,
    #[error("audience does not include the API server")]
    WrongAudience,
}

/// What a valid JWT says about its bearer; the server still checks that the ServiceAccount
/// (and for a legacy token, its Secret) exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceAccountToken {
    Legacy {
        namespace: String,
        name: String,
        secret: String,
    },
    Bound {
        namespace: String,
        name: String,
        uid: String,
        jti: String,
    },
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

impl TokenAuthority {
    pub fn new() -> Self {
        Self {
            key: uuid::Uuid::new_v4().as_bytes().to_vec(),
        }
    }

    /// The authority of an earlier run (`--state-dir`): its tokens stay valid.
    pub fn with_key(key: Vec<u8>) -> Self {
        Self { key }
    }

    pub fn key(&self) -> &[u8] {
        &self.key
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    pub fn sign(&self, claims: &Value) -> String {
        let header = encode(&json!({"alg": "HS256", "kid": "kn-mesh-sim", "typ": "JWT"}));
        let payload = encode(claims);
        let mut mac = self.mac();
        mac.update(format!("{header}.{payload}").as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{header}.{payload}.{signature}")
    }

    /// Checks the signature and returns the claims.
    fn claims(&self, token: &str) -> Result<Value, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(format!("{header}.{payload}").as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)
    }

    /// A legacy token, as the token controller writes into a
    /// `kubernetes.io/service-account-token` Secret: flat claims, no expiry.
    pub fn mint_legacy(&self, namespace: &str, name: &str, uid: &str, secret: &str) -> String {
        self.sign(&json!({
            "iss": LEGACY_ISSUER,
            "kubernetes.io/serviceaccount/namespace": namespace,
            "kubernetes.io/serviceaccount/secret.name": secret,
            "kubernetes.io/serviceaccount/service-account.name": name,
            "kubernetes.io/serviceaccount/service-account.uid": uid,
            "sub": format!("system:serviceaccount:{namespace}:{name}"),
        }))
    }

    /// A bound token, as TokenRequest returns it. Returns the token and its expiry (Unix time).
    pub fn mint_bound(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        audiences: &[String],
        lifetime_seconds: i64,
        now: i64,
    ) -> (String, i64) {
        let exp = now.saturating_add(lifetime_seconds);
        let audiences = if audiences.is_empty() {
            vec![API_AUDIENCE.to_string()]
        } else {
            audiences.to_vec()
        };
        let token = self.sign(&json!({
            "aud": audiences,
            "exp": exp,
            "iat": now,
            "iss": ISSUER,
            "jti": uuid::Uuid::new_v4().to_string(),
            "kubernetes.io": {
                "namespace": namespace,
                "serviceaccount": {"name": name, "uid": uid},
            },
            "nbf": now,
            "sub": format!("system:serviceaccount:{namespace}:{name}"),
        }));
        (token, exp)
    }

    pub fn verify(&self, token: &str, now: i64) -> Result<ServiceAccountToken, TokenError> {
        let claims = self.claims(token)?;
        let text = |pointer: &str| {
            claims
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        if claims.get("iss").and_then(Value::as_str) == Some(LEGACY_ISSUER) {
            return Ok(ServiceAccountToken::Legacy {
                namespace: text("/kubernetes.io~1serviceaccount~1namespace"),
                name: text("/kubernetes.io~1serviceaccount~1service-account.name"),
                secret: text("/kubernetes.io~1serviceaccount~1secret.name"),
            });
        }
        let number = |key: &str| claims.get(key).and_then(Value::as_i64);
        if number("exp").is_some_and(|exp| now >= exp) {
            return Err(TokenError::Expired);
        }
        if number("nbf").is_some_and(|nbf| now < nbf) {
            return Err(TokenError::NotYetValid);
        }
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences.contains(&API_AUDIENCE) {
            return Err(TokenError::WrongAudience);
        }
        Ok(ServiceAccountToken::Bound {
            namespace: text("/kubernetes.io/namespace"),
            name: text("/kubernetes.io/serviceaccount/name"),
            uid: text("/kubernetes.io/serviceaccount/uid"),
            jti: text("/jti"),
        })
    }
}

impl Default for TokenAuthority {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads kube-apiserver's static token file: `token,user,uid,"group1,group2"` per line.
pub fn parse_token_file(text: &str) -> Result<Vec<(String, UserInfo)>, String> {
    let mut tokens = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.splitn(4, ',');
        let (Some(token), Some(user), Some(uid)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!(
                "line {}: expected token,user,uid[,\"groups\"]",
                index + 1
            ));
        };
        if token.is_empty() || user.is_empty() {
            return Err(format!(
                "line {}: the token and user must not be empty",
                index + 1
            ));
        }
        let groups = fields
            .next()
            .map(|g| g.trim().trim_matches('"'))
            .filter(|g| !g.is_empty())
            .map(|g| g.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default();
        let mut info = UserInfo {
            username: user.to_string(),
            uid: uid.to_string(),
            groups,
            extra: Default::default(),
        };
        if !info.groups.iter().any(|g| g == "system:authenticated") {
            info.groups.push("system:authenticated".into());
        }
        tokens.push((token.to_string(), info));
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_tokens_expire_and_need_the_api_audience() {
        let authority = TokenAuthority::new();
        let (token, exp) = authority.mint_bound("ns", "sa", "u1", &[], 3600, 1000);
        assert_eq!(exp, 4600);
        assert!(matches!(
            authority.verify(&token, 2000),
            Ok(ServiceAccountToken::Bound { .. })
        ));
        assert_eq!(authority.verify(&token, 4600), Err(TokenError::Expired));
        assert_eq!(authority.verify(&token, 999), Err(TokenError::NotYetValid));
        let (other, _) = authority.mint_bound("ns", "sa", "u1", &["vault".into()], 3600, 1000);
        assert_eq!(
            authority.verify(&other, 2000),
            Err(TokenError::WrongAudience)
        );
    }

    #[test]
    fn legacy_tokens_never_expire_and_a_foreign_signature_is_rejected() {
        let authority = TokenAuthority::new();
        let token = authority.mint_legacy("ns", "sa", "u1", "sa-token");
        assert_eq!(
            authority.verify(&token, i64::MAX),
            Ok(ServiceAccountToken::Legacy {
                namespace: "ns".into(),
                name: "sa".into(),
                secret: "sa-token".into()
            })
        );
        let stranger = TokenAuthority::new().mint_legacy("ns", "sa", "u1", "sa-token");
        assert_eq!(
            authority.verify(&stranger, 0),
            Err(TokenError::BadSignature)
        );
        assert_eq!(authority.verify("garbage", 0), Err(TokenError::Malformed));
        assert_eq!(authority.verify("a.b.c", 0), Err(TokenError::Malformed));
    }

    #[test]
    fn the_token_file_reads_quoted_groups() {
        let tokens =
            parse_token_file("# admins\nabc123,jane,42,\"ops,devs\"\nxyz,bob,43\n").unwrap();
        assert_eq!(tokens[0].0, "abc123");
        assert_eq!(tokens[0].1.groups, ["ops", "devs", "system:authenticated"]);
        assert_eq!(tokens[1].1.username, "bob");
        assert!(parse_token_file("only-token\n").is_err());
    }
}
