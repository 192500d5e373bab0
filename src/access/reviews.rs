//! Asking the server: SelfSubject reviews, concurrently, once per question.

use crate::source::fetch::FetchError;
use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const CONCURRENCY: usize = 16;

/// A permission question: a request on a resource, as a review asks it.
pub(super) type Question = crate::k8s::ResourceRequest;

/// The server's answer to one question. `Unknown` is a review that failed even after retries:
/// it is never taken for a "no" (DESIGN.md §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    Allowed(String),
    Denied(String),
    Unknown(String),
}

impl Verdict {
    /// Some(allowed), or None when unknown.
    pub fn known(&self) -> Option<bool> {
        match self {
            Verdict::Allowed(_) => Some(true),
            Verdict::Denied(_) => Some(false),
            Verdict::Unknown(_) => None,
        }
    }
}

/// What the server answered so far.
pub(super) trait Answers {
    /// Some(allowed), or None when the review failed (or was never asked).
    fn known(&self, question: &Question) -> Option<bool>;
    fn reason(&self, question: &Question) -> String;
    /// Known to be allowed.
    fn allowed(&self, question: &Question) -> bool {
        self.known(question) == Some(true)
    }
}

impl Answers for HashMap<Question, Verdict> {
    fn known(&self, question: &Question) -> Option<bool> {
        self.get(question).and_then(Verdict::known)
    }
    fn reason(&self, question: &Question) -> String {
        match self.get(question) {
            Some(Verdict::Allowed(r) | Verdict::Denied(r) | Verdict::Unknown(r)) => r.clone(),
            None => String::new(),
        }
    }
}

/// After this many reviews in a row failed (each after its retries), the server is not asked
/// the rest: they are unknown at once, instead of hundreds more failing requests.
const GIVE_UP_AFTER: usize = 16;

/// Asks the server, concurrently, once per question.
pub(super) struct Reviews<'a> {
    pub fetcher: &'a crate::source::fetch::Fetcher,
    pub answers: Mutex<HashMap<Question, Verdict>>,
    pub asked: AtomicUsize,
    /// Reviews that failed in a row; any answer resets it.
    pub failing: AtomicUsize,
    /// Each namespace's RBAC rules, where its SelfSubjectRulesReview was complete: a question
    /// in such a namespace is answered from them, with no request (lensapp/lens#6614).
    pub rules: HashMap<String, crate::source::fetch::Rules>,
    /// Questions the rules answered, to confirm with the server where a finding turns on them.
    pub ruled: Mutex<BTreeSet<Question>>,
}

impl<'a> Reviews<'a> {
    pub fn new(fetcher: &'a crate::source::fetch::Fetcher) -> Self {
        Self {
            fetcher,
            answers: Mutex::new(HashMap::new()),
            asked: AtomicUsize::new(0),
            failing: AtomicUsize::new(0),
            rules: HashMap::new(),
            ruled: Mutex::new(BTreeSet::new()),
        }
    }

    /// The rules' answer to a question in a namespace, when they are the whole story.
    fn rules_answer(&self, question: &Question) -> Option<Verdict> {
        // One object by name (the feature flags) is asked of the server, whose answer names
        // what grants it, as the per-cell reviews do.
        if question.name.is_some() {
            return None;
        }
        let namespace = question.namespace()?;
        let allowed = self.rules.get(namespace)?.allow(question)?;
        let reason = format!("by the RBAC rules in {namespace} (SelfSubjectRulesReview)");
        Some(if allowed {
            Verdict::Allowed(reason)
        } else {
            Verdict::Denied(reason)
        })
    }

    /// Asks the server about each question the rules allowed: a finding cites the server's own
    /// answer, which names the binding.
    pub async fn confirm(&self, questions: &BTreeSet<Question>) -> Result<(), FetchError> {
        let to_confirm: BTreeSet<Question> = {
            let mut ruled = self.ruled.lock().unwrap_or_else(|e| e.into_inner());
            let allowed: BTreeSet<Question> = questions
                .iter()
                .filter(|q| ruled.contains(*q) && self.allowed(q))
                .cloned()
                .collect();
            ruled.retain(|q| !allowed.contains(q));
            allowed
        };
        {
            let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
            answers.retain(|q, _| !to_confirm.contains(q));
        }
        let futures: Vec<_> = to_confirm.iter().map(|q| self.ask_server(q)).collect();
        let results: Vec<Result<Verdict, FetchError>> = stream::iter(futures)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results.into_iter().try_for_each(|r| r.map(|_| ()))
    }
}

/// Why a review got no answer.
pub(super) enum PostError {
    /// 401: fatal for the whole report.
    Rejected(FetchError),
    /// A network error, a 5xx after retries, or another error status: this answer is unknown.
    Failed(String),
}

impl Reviews<'_> {
    /// Posts a review, as the fetcher sends every request: retried on network errors and 5xx,
    /// waited out on 429 as `Retry-After` says.
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, PostError> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        match self.fetcher.post_json(path, &body).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(why)) => Err(PostError::Failed(why)),
            Err(error @ FetchError::TokenRejected { .. }) => Err(PostError::Rejected(error)),
            Err(other) => Err(PostError::Failed(other.to_string())),
        }
    }

    pub async fn ask(&self, question: &Question) -> Result<Verdict, FetchError> {
        if let Some(answer) = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(question)
        {
            return Ok(answer.clone());
        }
        if let Some(verdict) = self.rules_answer(question) {
            self.ruled
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(question.clone());
            self.remember(question, &verdict);
            return Ok(verdict);
        }
        self.ask_server(question).await
    }

    /// A SelfSubjectAccessReview for the question.
    async fn ask_server(&self, question: &Question) -> Result<Verdict, FetchError> {
        let mut attributes = json!({"verb": question.verb.as_str(), "group": question.resource.group, "resource": question.resource.plural});
        if let Some(namespace) = question.namespace() {
            attributes["namespace"] = json!(namespace);
        }
        // A rule may grant one object by name (resourceNames): the review must name it.
        if let Some(name) = &question.name {
            attributes["name"] = json!(name);
        }
        let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": attributes}});
        let failing = self.failing.load(Ordering::Relaxed);
        if failing >= GIVE_UP_AFTER {
            let verdict = Verdict::Unknown(format!(
                "not asked: the last {failing} access reviews failed"
            ));
            self.remember(question, &verdict);
            return Ok(verdict);
        }
        let verdict = match self
            .post(
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                body,
            )
            .await
        {
            Err(PostError::Rejected(error)) => return Err(error),
            Err(PostError::Failed(message)) => {
                self.failing.fetch_add(1, Ordering::Relaxed);
                Verdict::Unknown(message)
            }
            Ok(answer) => {
                self.failing.store(0, Ordering::Relaxed);
                let reason = answer
                    .pointer("/status/reason")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                match answer.pointer("/status/allowed").and_then(Value::as_bool) {
                    Some(true) => Verdict::Allowed(reason),
                    Some(false) => Verdict::Denied(reason),
                    None => Verdict::Unknown("the review's answer has no status.allowed".into()),
                }
            }
        };
        self.remember(question, &verdict);
        Ok(verdict)
    }

    fn remember(&self, question: &Question, verdict: &Verdict) {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(question.clone(), verdict.clone());
    }

    pub async fn ask_all(&self, questions: &BTreeSet<Question>) -> Result<(), FetchError> {
        // Made up front: futures built lazily inside the stream would borrow in a way that
        // `tokio::spawn` (the TUI runs the report in a task) rejects.
        let futures: Vec<_> = questions.iter().map(|q| self.ask(q)).collect();
        let results: Vec<Result<Verdict, FetchError>> = stream::iter(futures)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results.into_iter().try_for_each(|r| r.map(|_| ()))
    }

    fn verdict(&self, question: &Question) -> Option<Verdict> {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(question)
            .cloned()
    }

    /// Every question whose review failed, described with why.
    pub fn unknown(&self) -> Vec<String> {
        let answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        let mut unknown: Vec<String> = answers
            .iter()
            .filter_map(|(q, v)| match v {
                Verdict::Unknown(why) => Some(format!("{q}: {why}")),
                _ => None,
            })
            .collect();
        unknown.sort();
        unknown
    }
}

impl Answers for Reviews<'_> {
    fn known(&self, question: &Question) -> Option<bool> {
        self.verdict(question).and_then(|v| v.known())
    }

    fn reason(&self, question: &Question) -> String {
        match self.verdict(question) {
            Some(Verdict::Allowed(r) | Verdict::Denied(r) | Verdict::Unknown(r)) => r,
            None => String::new(),
        }
    }
}

impl Reviews<'_> {
    pub fn count(&self) -> usize {
        self.asked.load(Ordering::Relaxed)
    }
}
