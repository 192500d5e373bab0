//! `kn-mesh serve`: a drop-in Knative eventmesh backend. `GET /v1/getEventMesh` takes the
//! caller's bearer token and uses only that token against the API server (the server's own
//! credentials are stripped, as the Go backend does), builds the mesh with the direct path and
//! answers the eventmesh JSON.
//!
//! Compatible by default: when any list is forbidden it answers 500, since Backstage replaces its
//! whole catalog with what it gets, and a partial mesh would delete entities. `--partial` opts in
//! to 200 with the partial mesh and a `denied` list.

use crate::mesh::snapshot::Access;
use crate::mesh::{self, eventmesh};
use crate::source::connect::{Endpoint, redact};
use crate::source::fetch::{FetchError, Fetcher, Scope};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct ServeState {
    /// The API server connection with no credentials of its own.
    pub base: kube::Config,
    pub partial: bool,
    pub request_timeout: Duration,
}

fn error(code: StatusCode, message: impl Into<String>) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": message.into()}).to_string(),
    )
        .into_response()
}

pub fn router(state: Arc<ServeState>) -> axum::Router {
    axum::Router::new()
        .route("/v1/getEventMesh", axum::routing::get(get_event_mesh))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
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
        return error(
            StatusCode::UNAUTHORIZED,
            "no token: send the caller's Kubernetes token as Authorization: Bearer <token>",
        );
    };
    let shown = redact(&token);
    let response = match tokio::time::timeout(state.request_timeout, build(&state, &token)).await {
        Ok(response) => response,
        Err(_) => error(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "the API server did not answer within {}s",
                state.request_timeout.as_secs()
            ),
        ),
    };
    log(
        "GET /v1/getEventMesh",
        response.status().as_u16(),
        &shown,
        started,
    );
    response
}

/// One line per request; the token appears only as its redacted prefix.
fn log(what: &str, status: u16, token: &str, started: Instant) {
    eprintln!(
        "{what} {status} ({token}) {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
}

async fn build(state: &ServeState, token: &str) -> Response {
    let mut config = state.base.clone();
    config.auth_info = kube::config::AuthInfo {
        token: Some(token.to_string().into()),
        ..Default::default()
    };
    let endpoint = Endpoint {
        server: config.cluster_url.to_string(),
        context: None,
        token: Some(redact(token)),
    };
    let client = match kube::Client::try_from(config) {
        Ok(client) => client,
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot create a client: {e}"),
            );
        }
    };
    let snapshot = match Fetcher::new(client, endpoint)
        .fetch(&Scope::default())
        .await
    {
        Ok(snapshot) => snapshot,
        Err(FetchError::TokenRejected { .. }) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "the API server rejected the token",
            );
        }
        Err(other) => return error(StatusCode::BAD_GATEWAY, other.to_string()),
    };
    // The Go backend lists cluster-wide and fails on the first forbidden list; the lists that
    // matter are those, not the per-namespace retries or single subscriber lookups.
    let denied: Vec<String> = snapshot
        .access
        .iter()
        .filter(|m| {
            m.request.namespace.is_none()
                && m.request.name.is_none()
                && matches!(m.access, Access::Forbidden { .. })
        })
        .map(|m| m.request.describe())
        .collect();
    if !denied.is_empty() && !state.partial {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "forbidden: {} (the caller's token may not read the whole mesh; kn-mesh auth shows what it lacks)",
                denied.join(", ")
            ),
        );
    }
    let mesh = mesh::build(snapshot);
    let mut body = match serde_json::to_value(eventmesh::project(&mesh)) {
        Ok(body) => body,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    if state.partial {
        body["denied"] = json!(denied);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
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
    axum::serve(listener, router(Arc::new(state)))
        .with_graceful_shutdown(shutdown)
        .await
}
