//! `kn-mesh serve`: a drop-in Knative eventmesh backend. `GET /v1/getEventMesh` takes the
//! caller's bearer token and uses only that token against the API server (the server's own
//! credentials are stripped, as the Go backend does), builds the mesh with the direct path and
//! answers the eventmesh JSON.
//!
//! Fails closed (DESIGN.md §1): 200 only when the mesh is whole, since Backstage replaces its
//! whole catalog with every 200, and a partial mesh would delete entities. A forbidden list gets
//! 500 as from the Go backend; a failed request or an undecodable object gets 502. The body names
//! every cause, the reason phrase the first. `--partial` opts in to 200 with the partial mesh and
//! `denied` and `failed` lists.

mod cache;
mod metrics;

use crate::mesh::snapshot::{Completeness, Incomplete};
use crate::mesh::{self, eventmesh};
use crate::source::connect::{Endpoint, redact};
use crate::source::fetch::{FetchError, Fetcher, Scope};
use crate::text::scrub;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use cache::Cache;
pub use metrics::Metrics;

pub struct ServeState {
    /// The API server connection with no credentials of its own.
    pub base: kube::Config,
    pub partial: bool,
    /// How `consumedBy` is computed: the Go backend's rule unless `--consumers exact`.
    pub consumers: eventmesh::Consumers,
    /// `-n`: the namespaces every answer covers (default: the cluster).
    pub scope: Scope,
    pub request_timeout: Duration,
    /// Answers per token for a short time (`--cache-ttl`), and one fetch for callers at once.
    pub cache: Cache,
    pub metrics: Metrics,
}

impl ServeState {
    pub fn new(
        base: kube::Config,
        partial: bool,
        request_timeout: Duration,
        cache_ttl: Duration,
    ) -> Self {
        Self {
            base,
            partial,
            consumers: eventmesh::Consumers::Backend,
            // The backend's answer: a denied list of a kind it never reads must not fail it.
            scope: Scope {
                eventmesh_only: true,
                ..Scope::default()
            },
            request_timeout,
            cache: Cache::new(cache_ttl),
            metrics: Metrics::default(),
        }
    }
}

/// An answer, kept whole so the cache can give it again: status, JSON body, and the reason
/// phrase that names the first cause of a failure.
#[derive(Debug, Clone)]
pub struct Answer {
    code: StatusCode,
    body: String,
    phrase: Option<String>,
}

impl Answer {
    fn json(code: StatusCode, body: String) -> Self {
        Self {
            code,
            body,
            phrase: None,
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = (
            self.code,
            [(header::CONTENT_TYPE, "application/json")],
            self.body,
        )
            .into_response();
        if let Some(phrase) = self.phrase
            && let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(phrase.into_bytes())
        {
            response.extensions_mut().insert(phrase);
        }
        response
    }
}

fn error(code: StatusCode, message: impl Into<String>) -> Answer {
    Answer::json(code, json!({"error": message.into()}).to_string())
}

pub fn router(state: Arc<ServeState>) -> axum::Router {
    axum::Router::new()
        .route("/v1/getEventMesh", axum::routing::get(get_event_mesh))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route(
            "/metrics",
            axum::routing::get(|State(state): State<Arc<ServeState>>| async move {
                let content_type = "text/plain; version=0.0.4";
                ([(header::CONTENT_TYPE, content_type)], state.metrics.text())
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

async fn get_event_mesh(State(state): State<Arc<ServeState>>, headers: HeaderMap) -> Response {
    let started = Instant::now();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let Some(token) = token else {
        log("GET /v1/getEventMesh", 401, "no token", started);
        state.metrics.answered(401, started.elapsed());
        return error(
            StatusCode::UNAUTHORIZED,
            "no token: send the caller's Kubernetes token as Authorization: Bearer <token>",
        )
        .into_response();
    };
    let shown = redact(&token);
    let fetch = {
        let (state, token) = (state.clone(), token.clone());
        async move { build(&state, &token).await }.boxed()
    };
    let answered = tokio::time::timeout(state.request_timeout, state.cache.answer(&token, fetch));
    let answer = match answered.await {
        Ok((answer, source)) => {
            if source != cache::Source::Fetched {
                state.metrics.cache_hit();
            }
            answer
        }
        Err(_) => error(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "the API server did not answer within {:?}",
                state.request_timeout
            ),
        ),
    };
    log(
        "GET /v1/getEventMesh",
        answer.code.as_u16(),
        &shown,
        started,
    );
    state
        .metrics
        .answered(answer.code.as_u16(), started.elapsed());
    answer.into_response()
}

/// One line per request; the token appears only as its redacted prefix.
fn log(what: &str, status: u16, token: &str, started: Instant) {
    eprintln!(
        "{what} {status} ({token}) {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
}

async fn build(state: &ServeState, token: &str) -> Answer {
    let mut config = state.base.clone();
    config.auth_info = kube::config::AuthInfo {
        token: Some(token.to_string().into()),
        ..Default::default()
    };
    let endpoint = Endpoint {
        server: config.cluster_url.to_string(),
        context: None,
        token: Some(redact(token)),
        acting_as: None,
    };
    let client = match kube::Client::try_from(config) {
        Ok(client) => client,
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                scrub(&format!("cannot create a client: {e}"), Some(token)),
            );
        }
    };
    let fetcher = Fetcher::new(client, endpoint).with_secret(Some(token));
    let fetched = fetcher.fetch(&state.scope).await;
    let failed = match &fetched {
        Ok(snapshot) => !snapshot.completeness().failed.is_empty(),
        Err(_) => true,
    };
    state.metrics.upstream(fetcher.requests_made(), failed);
    let snapshot = match fetched {
        Ok(snapshot) => snapshot,
        Err(FetchError::TokenRejected { .. }) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "the API server rejected the token",
            );
        }
        Err(other) => {
            let message = scrub(&other.to_string(), Some(token));
            return failure(StatusCode::BAD_GATEWAY, &message, json!({"error": message}));
        }
    };
    let mesh = mesh::build(snapshot);
    match eventmesh::answer(&mesh, state.partial, state.consumers) {
        Ok(answer) => Answer::json(
            StatusCode::OK,
            serde_json::to_string(&answer).unwrap_or_default(),
        ),
        Err(Incomplete(completeness)) => incomplete(&completeness, token),
    }
}

/// The answer for a mesh that is not whole: 500 when only RBAC denied something (as the Go
/// backend answers), 502 when the API server failed or sent what cannot be decoded. The body
/// names every cause; the reason phrase names the first, since the Backstage provider logs only
/// the status text.
fn incomplete(completeness: &Completeness, token: &str) -> Answer {
    let failed: Vec<String> = completeness
        .failed
        .iter()
        .map(|cause| scrub(cause, Some(token)))
        .collect();
    let (code, error) = if failed.is_empty() {
        // As the Go backend words it, naming the cluster-wide lists first: the per-namespace
        // retries behind them are in `denied`.
        let mut denied: Vec<&String> = completeness
            .denied
            .iter()
            .filter(|d| d.ends_with("at the cluster scope"))
            .collect();
        if denied.is_empty() {
            denied = completeness.denied.iter().take(5).collect();
        }
        let more = completeness.denied.len() - denied.len();
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "forbidden: {}{} (the caller's token may not read the whole mesh; kn-mesh auth shows what it lacks)",
                denied
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
        )
    } else {
        let more = failed.len().saturating_sub(3);
        (
            StatusCode::BAD_GATEWAY,
            format!(
                "failed: {}{} (the API server did not give the whole mesh)",
                failed
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
        )
    };
    let first = scrub(&completeness.first_cause().unwrap_or_default(), Some(token));
    let body = json!({
        "error": error,
        "denied": completeness.denied,
        "failed": failed,
    });
    failure(code, &first, body)
}

/// An error answer whose HTTP/1 reason phrase carries the cause.
fn failure(code: StatusCode, cause: &str, body: serde_json::Value) -> Answer {
    Answer {
        code,
        body: body.to_string(),
        phrase: Some(reason_phrase(code, cause)),
    }
}

/// "Bad Gateway: failed: list triggers…", cut to a length proxies keep, printable ASCII only.
fn reason_phrase(code: StatusCode, cause: &str) -> String {
    const MAX: usize = 200;
    let canonical = code.canonical_reason().unwrap_or("Error");
    let mut phrase: String = format!("{canonical}: {cause}")
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if phrase.len() > MAX {
        phrase.truncate(MAX - 3);
        phrase.push_str("...");
    }
    phrase
}

/// Serves until the shutdown future completes, then finishes the requests in flight.
pub async fn serve(
    state: ServeState,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(listener, state, shutdown).await
}

pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: ServeState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Requests in flight finish before the process exits, each within its own timeout.
    let grace = state.request_timeout + Duration::from_secs(1);
    crate::net::serve(
        listener,
        crate::net::Plain,
        router(Arc::new(state)),
        crate::net::Limits::default(),
        shutdown,
        grace,
    )
    .await;
    Ok(())
}
