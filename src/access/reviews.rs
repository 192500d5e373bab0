//! Asking the server: SelfSubject reviews, concurrently, once per question.

use crate::source::fetch::FetchError;
use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const CONCURRENCY: usize = 16;

/// A permission question.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Question {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub namespace: Option<String>,
}

impl Question {
    pub fn new(verb: &str, group: &str, resource: &str, namespace: Option<&str>) -> Self {
        Self {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            namespace: namespace.map(str::to_string),
        }
    }

    pub fn describe(&self) -> String {
        crate::mesh::snapshot::ApiRequest {
            verb: self.verb.clone(),
            group: self.group.clone(),
            resource: self.resource.clone(),
            namespace: self.namespace.clone(),
            name: None,
        }
        .describe()
    }
}

/// Asks the server, concurrently, once per question.
pub(super) struct Reviews<'a> {
    pub client: &'a kube::Client,
    pub answers: Mutex<HashMap<Question, (bool, String)>>,
    pub asked: AtomicUsize,
}

impl Reviews<'_> {
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, FetchError> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        let request = axum::http::Request::post(path)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap_or_default())
            .map_err(|e| FetchError::Unreachable {
                server: String::new(),
                message: e.to_string(),
            })?;
        match self.client.request::<Value>(request).await {
            Ok(value) => Ok(value),
            Err(kube::Error::Api(status)) if status.code == 401 => Err(FetchError::TokenRejected {
                endpoint: String::new(),
                hint: String::new(),
            }),
            Err(kube::Error::Api(status)) => {
                Ok(json!({"error": {"code": status.code, "message": status.message}}))
            }
            Err(other) => Err(FetchError::Unreachable {
                server: String::new(),
                message: other.to_string(),
            }),
        }
    }

    pub async fn ask(&self, question: &Question) -> Result<(bool, String), FetchError> {
        if let Some(answer) = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(question)
        {
            return Ok(answer.clone());
        }
        let mut attributes =
            json!({"verb": question.verb, "group": question.group, "resource": question.resource});
        if let Some(namespace) = &question.namespace {
            attributes["namespace"] = json!(namespace);
        }
        let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": attributes}});
        let answer = self
            .post(
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                body,
            )
            .await?;
        let allowed = answer
            .pointer("/status/allowed")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let reason = answer
            .pointer("/status/reason")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(question.clone(), (allowed, reason.clone()));
        Ok((allowed, reason))
    }

    pub async fn ask_all(&self, questions: &BTreeSet<Question>) -> Result<(), FetchError> {
        // Made up front: futures built lazily inside the stream would borrow in a way that
        // `tokio::spawn` (the TUI runs the report in a task) rejects.
        let futures: Vec<_> = questions.iter().map(|q| self.ask(q)).collect();
        let results: Vec<Result<(bool, String), FetchError>> = stream::iter(futures)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results.into_iter().try_for_each(|r| r.map(|_| ()))
    }

    pub fn allowed(&self, question: &Question) -> bool {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(question)
            .is_some_and(|(allowed, _)| *allowed)
    }

    pub fn reason(&self, question: &Question) -> String {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(question)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    }
}

impl Reviews<'_> {
    pub fn count(&self) -> usize {
        self.asked.load(Ordering::Relaxed)
    }
}
