//! The Knative eventmesh backend as a source: `GET {baseUrl}/v1/getEventMesh` with the bearer
//! token, parsed into a reduced Mesh (no triggers; consumers known only by Backstage id).
//!
//! The HTTP client is kube-rs's, so TLS options and the token work exactly as on the direct path.

use super::connect::{ConnectOptions, redact};
use crate::mesh::Mesh;
use crate::mesh::eventmesh::{self, EventMesh};
use crate::text::scrub;
use http_body_util::BodyExt;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(
        "the eventmesh backend at {url} answered 401 Unauthorized ({token}): {detail}. It wants a Kubernetes ServiceAccount token in the Authorization header; check it with `kn-mesh auth --server <api-server> --token-file <file>`"
    )]
    Unauthorized {
        url: String,
        token: String,
        detail: String,
    },
    #[error(
        "the eventmesh backend at {url} answered {status} ({token}). The Knative eventmesh backend answers 500 when any list it makes with your token is forbidden (brokers, event types, triggers, subscriptions, CRDs, sources): run `kn-mesh auth` against the API server to see which. It said: {body}"
    )]
    ServerError {
        url: String,
        token: String,
        status: u16,
        body: String,
    },
    #[error("the eventmesh backend at {url} answered {status} ({token}): {body}")]
    Status {
        url: String,
        token: String,
        status: u16,
        body: String,
    },
    #[error(
        "{url} ({token}) did not answer with JSON but with {content_type}: {snippet:?}. Is this the eventmesh backend's base URL?"
    )]
    NotJson {
        url: String,
        token: String,
        content_type: String,
        snippet: String,
    },
    #[error("{url} ({token}) sent JSON that is cut short or not an event mesh: {error}")]
    BadJson {
        url: String,
        token: String,
        error: String,
    },
    #[error("{url} ({token}) sent a body larger than {limit} bytes (raise it with --max-body)")]
    TooLarge {
        url: String,
        token: String,
        limit: usize,
    },
    #[error("{url} ({token}) did not answer within {seconds}s")]
    Timeout {
        url: String,
        token: String,
        seconds: u64,
    },
    #[error("cannot reach the eventmesh backend at {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("{0:?} is not a URL (expected http(s)://host:port)")]
    BadUrl(String),
}

impl BackendError {
    pub fn is_rejected(&self) -> bool {
        matches!(self, BackendError::Unauthorized { .. })
    }
}

/// How to reach a backend.
#[derive(Clone)]
pub struct Backend {
    /// The base URL as Backstage holds it, without a trailing slash.
    pub base_url: String,
    pub token: Option<String>,
    pub timeout: Duration,
    /// The largest body read; a larger one is an error, not a memory spike.
    pub max_body: usize,
    client: kube::Client,
}

/// The default cap on a backend's body: far above any real mesh.
pub const DEFAULT_MAX_BODY: usize = 64 << 20;

/// `{base}/v1/getEventMesh`, from a base URL with or without a trailing slash.
pub fn endpoint_url(base_url: &str) -> String {
    format!("{}/v1/getEventMesh", base_url.trim_end_matches('/'))
}

impl Backend {
    pub fn new(
        base_url: &str,
        token: Option<String>,
        tls: &ConnectOptions,
        timeout: Duration,
    ) -> Result<Self, BackendError> {
        let base_url = base_url.trim_end_matches('/').to_string();
        let uri: axum::http::Uri = base_url
            .parse()
            .ok()
            .filter(|u: &axum::http::Uri| u.scheme().is_some() && u.host().is_some())
            .ok_or_else(|| BackendError::BadUrl(base_url.clone()))?;
        let mut config = kube::Config::new(uri);
        config.root_cert_file = tls.certificate_authority.clone();
        config.accept_invalid_certs = tls.insecure_skip_tls_verify;
        config.connect_timeout = Some(timeout);
        if let Some(token) = &token {
            config.auth_info = kube::config::AuthInfo {
                token: Some(token.clone().into()),
                ..Default::default()
            };
        }
        let client = kube::Client::try_from(config).map_err(|e| BackendError::Unreachable {
            url: base_url.clone(),
            message: e.to_string(),
        })?;
        Ok(Self {
            base_url,
            token,
            timeout,
            max_body: DEFAULT_MAX_BODY,
            client,
        })
    }

    pub fn with_max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    fn token_text(&self) -> String {
        match &self.token {
            Some(token) => format!("token {}", redact(token)),
            None => "no token".into(),
        }
    }

    /// One request: the body as the backend sends it.
    pub async fn event_mesh(&self) -> Result<EventMesh, BackendError> {
        let url = endpoint_url(&self.base_url);
        let token = self.token_text();
        let request = axum::http::Request::get("/v1/getEventMesh")
            .header("accept", "application/json")
            .body(kube::client::Body::empty())
            .map_err(|e| BackendError::Unreachable {
                url: url.clone(),
                message: e.to_string(),
            })?;
        let seconds = self.timeout.as_secs();
        let exchange = async {
            let response =
                self.client
                    .send(request)
                    .await
                    .map_err(|e| BackendError::Unreachable {
                        url: url.clone(),
                        message: crate::source::fetch::with_causes(&e),
                    })?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            if let Some(length) = response
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok())
                && length > self.max_body
            {
                return Err(BackendError::TooLarge {
                    url: url.clone(),
                    token: token.clone(),
                    limit: self.max_body,
                });
            }
            let body = http_body_util::Limited::new(response.into_body(), self.max_body)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        BackendError::TooLarge {
                            url: url.clone(),
                            token: token.clone(),
                            limit: self.max_body,
                        }
                    } else {
                        BackendError::Unreachable {
                            url: url.clone(),
                            message: e.to_string(),
                        }
                    }
                })?
                .to_bytes();
            Ok::<_, BackendError>((status, content_type, body))
        };
        let (status, content_type, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| BackendError::Timeout {
                url: url.clone(),
                token: token.clone(),
                seconds,
            })??;
        self.judge(url, token, status, &content_type, &body)
    }

    /// What the answer means: an event mesh, or an error that says what the backend said
    /// (scrubbed of the token).
    fn judge(
        &self,
        url: String,
        token: String,
        status: u16,
        content_type: &str,
        body: &[u8],
    ) -> Result<EventMesh, BackendError> {
        // What the server said is shown to the user: scrubbed of the token first, since a proxy
        // may echo the Authorization header.
        let secret = self.token.as_deref();
        // Scrubbed before it is cut short, so a token across the cut is still caught.
        let head = &body[..body.len().min(400 + secret.map_or(0, str::len))];
        let snippet: String = scrub(&String::from_utf8_lossy(head), secret)
            .trim()
            .chars()
            .take(200)
            .collect();
        if status != 200 {
            // The backend writes errors as {"error": "..."}; show just the message when it does.
            let detail = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .map(|d| scrub(&d, secret))
                .unwrap_or_else(|| snippet.clone());
            return Err(match status {
                401 => BackendError::Unauthorized { url, token, detail },
                500..=599 => BackendError::ServerError {
                    url,
                    token,
                    status,
                    body: detail,
                },
                _ => BackendError::Status {
                    url,
                    token,
                    status,
                    body: detail,
                },
            });
        }
        let starts_like_json = body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{');
        if !content_type.contains("json") && !starts_like_json {
            return Err(BackendError::NotJson {
                url,
                token,
                content_type: if content_type.is_empty() {
                    "no content type".into()
                } else {
                    content_type.to_string()
                },
                snippet,
            });
        }
        // Parsed once, straight into the typed body.
        serde_json::from_slice::<EventMesh>(body).map_err(|e| BackendError::BadJson {
            url,
            token,
            error: scrub(&e.to_string(), secret),
        })
    }

    /// The reduced Mesh the body describes.
    pub async fn mesh(&self) -> Result<Mesh, BackendError> {
        Ok(eventmesh::into_mesh(self.event_mesh().await?))
    }
}
