//! The token controller: a Secret of type `kubernetes.io/service-account-token` that names an
//! existing ServiceAccount gets a legacy token, the namespace and the cluster's CA, whenever it
//! or its ServiceAccount appears, as kube-controller-manager fills it.

use super::auth::TokenAuthority;
use super::json::text;
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

fn token_secrets(store: &Store) -> impl Iterator<Item = &Value> {
    store
        .all("", "secrets")
        .filter(|s| text(s, "/type") == "kubernetes.io/service-account-token")
}

/// The Secret's namespace, its ServiceAccount's name and that account's uid, when the account
/// exists.
fn owner(store: &Store, secret: &Value) -> Option<(String, String, String)> {
    let namespace = text(secret, "/metadata/namespace").to_string();
    let account = text(
        secret,
        "/metadata/annotations/kubernetes.io~1service-account.name",
    )
    .to_string();
    let account_object = store.get("", "serviceaccounts", &namespace, &account)?;
    let uid = text(account_object, "/metadata/uid").to_string();
    Some((namespace, account, uid))
}

/// Fills every token Secret that has no token yet and whose ServiceAccount exists;
/// kube-controller-manager waits for the ServiceAccount, and so does this.
pub fn fill_token_secrets(store: &mut Store, authority: &TokenAuthority, ca_pem: &str) {
    let waiting: Vec<Value> = token_secrets(store)
        .filter(|s| text(s, "/data/token").is_empty())
        .cloned()
        .collect();
    for mut secret in waiting {
        let Some((namespace, account, uid)) = owner(store, &secret) else {
            continue;
        };
        let name = text(&secret, "/metadata/name").to_string();
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
        // The Secret was just read, so the update cannot miss it.
        let _ = store.update("", "secrets", &namespace, &name, secret);
    }
}

/// Whose the legacy token a Secret holds is, as the server authenticates it: the Secret's
/// ServiceAccount, which must exist and be the one the Secret was filled for (not one made
/// since under the same name); with the token the Secret holds. `None` when it is nobody's.
pub fn legacy_holder(store: &Store, secret: &Value) -> Option<MintedToken> {
    let (namespace, account, uid) = owner(store, secret)?;
    let filled_for = text(
        secret,
        "/metadata/annotations/kubernetes.io~1service-account.uid",
    );
    if !filled_for.is_empty() && filled_for != uid {
        return None;
    }
    let token = STANDARD.decode(text(secret, "/data/token")).ok()?;
    let token = String::from_utf8(token).ok().filter(|t| !t.is_empty())?;
    Some(MintedToken {
        namespace,
        account,
        uid,
        token,
    })
}

/// The tokens the controller has written, now or in an earlier run (`--state-dir`), that still
/// authenticate.
pub fn written_tokens(store: &Store) -> Vec<MintedToken> {
    token_secrets(store)
        .filter_map(|secret| legacy_holder(store, secret))
        .collect()
}
