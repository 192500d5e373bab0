//! The token controller: a Secret of type `kubernetes.io/service-account-token` that names an
//! existing ServiceAccount gets a legacy token, the namespace and the cluster's CA, whenever it
//! or its ServiceAccount appears, as kube-controller-manager fills it.

use super::auth::TokenAuthority;
use super::store::Store;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// A token the controller wrote, and whose it is.
pub struct MintedToken {
    pub namespace: String,
    pub account: String,
    pub uid: String,
    pub token: String,
}

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Fills every token Secret that has no token yet and whose ServiceAccount exists.
pub fn fill_token_secrets(
    store: &mut Store,
    authority: &TokenAuthority,
    ca_pem: &str,
) -> Vec<MintedToken> {
    let waiting: Vec<Value> = store
        .all("", "secrets")
        .filter(|s| text(s, "/type") == "kubernetes.io/service-account-token")
        .filter(|s| text(s, "/data/token").is_empty())
        .cloned()
        .collect();
    let mut minted = Vec::new();
    for mut secret in waiting {
        let namespace = text(&secret, "/metadata/namespace").to_string();
        let name = text(&secret, "/metadata/name").to_string();
        let account = text(
            &secret,
            "/metadata/annotations/kubernetes.io~1service-account.name",
        )
        .to_string();
        let Some(uid) = store
            .get("", "serviceaccounts", &namespace, &account)
            .map(|a| text(a, "/metadata/uid").to_string())
        else {
            // kube-controller-manager waits for the ServiceAccount; so does this.
            continue;
        };
        let token = authority.mint_legacy(&namespace, &account, &uid, &name);
        secret["metadata"]["annotations"]["kubernetes.io/service-account.uid"] = json!(uid);
        secret["data"] = json!({
            "token": STANDARD.encode(&token),
            "namespace": STANDARD.encode(&namespace),
            "ca.crt": STANDARD.encode(ca_pem),
        });
        if let Some(metadata) = secret.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.remove("resourceVersion");
        }
        if store
            .update("", "secrets", &namespace, &name, secret)
            .is_ok()
        {
            minted.push(MintedToken {
                namespace,
                account,
                uid,
                token,
            });
        }
    }
    minted
}

/// The tokens the controller has written, now or in an earlier run (`--state-dir`): those of
/// the token Secrets that hold one and whose ServiceAccount exists.
pub fn written_tokens(store: &Store) -> Vec<MintedToken> {
    store
        .all("", "secrets")
        .filter(|s| text(s, "/type") == "kubernetes.io/service-account-token")
        .filter_map(|secret| {
            let namespace = text(secret, "/metadata/namespace").to_string();
            let account = text(
                secret,
                "/metadata/annotations/kubernetes.io~1service-account.name",
            )
            .to_string();
            let uid = text(
                store.get("", "serviceaccounts", &namespace, &account)?,
                "/metadata/uid",
            )
            .to_string();
            let token = STANDARD.decode(text(secret, "/data/token")).ok()?;
            let token = String::from_utf8(token).ok().filter(|t| !t.is_empty())?;
            Some(MintedToken {
                namespace,
                account,
                uid,
                token,
            })
        })
        .collect()
}
