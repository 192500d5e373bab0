//! What the sim's HTTP layers share: its state (store, policy, tokens, knobs, request log), the
//! parsed resource path, and how a JSON answer and a request body are made and read. Routing
//! (`server`) and the handlers (`api`, `reviews`) both use it; neither uses the other's
//! internals.
#![deny(clippy::indexing_slicing)]

use super::auth::TokenAuthority;
use super::rbac::{Policy, UserInfo};
use super::request_log::{RequestLog, RequestRecord};
use super::status::{self, ApiError};
use super::store::Store;
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// kube-apiserver's default limit on a request body is 3 MiB.
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// Knobs for tests and benchmarks; they may be turned while the sim runs.
#[derive(Debug, Clone, Default)]
pub struct Knobs {
    /// Added to every request.
    pub latency: Duration,
    /// The share of requests answered 500 or 503.
    pub fail_rate: f64,
    /// Only requests whose path starts with this fail (None: any request may).
    pub fail_path: Option<String>,
    /// Past this many requests in flight, answer 429 with Retry-After, as API Priority and
    /// Fairness does (None: no limit).
    pub max_inflight: Option<usize>,
}

/// What `--state-dir` keeps beside the objects.
pub struct Persisted {
    pub dir: std::path::PathBuf,
    pub ca: super::tls::SavedCa,
    pub admin_token: String,
    /// The resourceVersion last written (None: nothing yet); held while a save runs.
    pub last_saved: Mutex<Option<u64>>,
}

pub struct SimState {
    pub store: RwLock<Store>,
    pub policy: RwLock<Arc<Policy>>,
    pub authority: TokenAuthority,
    pub static_tokens: HashMap<String, UserInfo>,
    pub knobs: RwLock<Knobs>,
    pub address: String,
    /// The CA that signed the server's certificate, PEM: what token Secrets carry as ca.crt.
    pub ca_pem: String,
    pub requests: Mutex<RequestLog>,
    random: AtomicU64,
    /// `--state-dir`: where the cluster is saved after every write.
    pub persisted: Option<Persisted>,
    /// API requests being answered now, for `max_inflight`.
    pub inflight: std::sync::atomic::AtomicUsize,
}

impl SimState {
    pub fn new(
        store: Store,
        authority: TokenAuthority,
        static_tokens: HashMap<String, UserInfo>,
        knobs: Knobs,
        (address, ca_pem): (String, String),
    ) -> Self {
        let policy = Arc::new(policy_of(&store));
        Self {
            store: RwLock::new(store),
            policy: RwLock::new(policy),
            authority,
            static_tokens,
            knobs: RwLock::new(knobs),
            address,
            ca_pem,
            persisted: None,
            requests: Mutex::new(RequestLog::default()),
            random: AtomicU64::new(0x9E37_79B9_7F4A_7C15),
            inflight: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Rebuilds the RBAC policy after an RBAC object changed.
    pub fn refresh_policy(&self) {
        let policy = policy_of(&self.store.read().unwrap_or_else(|e| e.into_inner()));
        *self.policy.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(policy);
    }

    pub fn policy(&self) -> Arc<Policy> {
        self.policy
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A deterministic pseudo-random number in [0, 1) for `--fail-rate` (xorshift).
    pub(super) fn next_random(&self) -> f64 {
        let mut x = self.random.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn log(&self, record: RequestRecord) {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }
}

impl SimState {
    /// Saves the whole cluster when it is kept across restarts (`--state-dir`); a no-op
    /// otherwise.
    pub fn save(&self) -> Result<(), super::persist::PersistError> {
        let Some(persisted) = &self.persisted else {
            return Ok(());
        };
        use base64::Engine;
        // One save at a time, and never an older cluster over a newer one: writes finish in
        // any order, the file only moves forward.
        let mut last_saved = persisted
            .last_saved
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let store = self.store.read().unwrap_or_else(|e| e.into_inner());
        if last_saved.is_some_and(|saved| saved >= store.resource_version()) {
            return Ok(());
        }
        let state = super::persist::SavedState {
            version: super::persist::VERSION,
            address: self.address.clone(),
            ca: persisted.ca.clone(),
            signing_key: base64::engine::general_purpose::STANDARD.encode(self.authority.key()),
            admin_token: persisted.admin_token.clone(),
            resource_version: store.resource_version(),
            objects: store.everything(),
        };
        drop(store);
        super::persist::save(&persisted.dir, &state)?;
        *last_saved = Some(state.resource_version);
        Ok(())
    }
}

fn policy_of(store: &Store) -> Policy {
    let plurals = [
        "roles",
        "clusterroles",
        "rolebindings",
        "clusterrolebindings",
    ];
    Policy::from_objects(
        plurals
            .iter()
            .flat_map(|p| store.all("rbac.authorization.k8s.io", p)),
    )
}

pub fn json_response(code: u16, body: &Value) -> Response {
    let mut bytes = serde_json::to_vec(body).unwrap_or_default();
    bytes.push(b'\n');
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        bytes,
    )
        .into_response()
}

/// A request path, parsed as kube-apiserver lays out its API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub resource: String,
    pub name: Option<String>,
    pub subresource: String,
}

/// Reads a request body, refusing one larger than the limit.
pub async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| status::too_large(MAX_BODY))
}

/// A JSON body, or 400 as kube-apiserver answers a body it cannot decode.
pub fn parse_body(bytes: Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(&bytes).map_err(|e| status::bad_request(format!("the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/json-patch+json ({e})")))
}
