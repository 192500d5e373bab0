//! Answers cached per caller for a short time, and fetched once however many callers ask at
//! once (single-flight). N Backstage replicas polling with one token then cost one fetch per
//! time-to-live. The key is a hash of the token, never the token.

use super::Answer;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Key = [u8; 32];

#[derive(Default)]
pub struct Cache {
    ttl: Duration,
    entries: Arc<Mutex<Entries>>,
}

#[derive(Default)]
struct Entries {
    answered: HashMap<Key, (Instant, Answer)>,
    in_flight: HashMap<Key, Shared<BoxFuture<'static, Answer>>>,
}

/// Where an answer came from, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Fetched,
    Cached,
    /// Joined a fetch another caller with the same token started.
    Joined,
}

fn key(token: &str) -> Key {
    Sha256::digest(token.as_bytes()).into()
}

impl Cache {
    /// A cache keeping answers for `ttl`; zero keeps none and shares no fetch.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Arc::default(),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a fetch as its own task, which files its answer and leaves the in-flight table
    /// itself: a caller that times out or goes away cannot leave the fetch half-filed.
    fn spawn(
        &self,
        key: Key,
        fetch: BoxFuture<'static, Answer>,
    ) -> Shared<BoxFuture<'static, Answer>> {
        let entries = self.entries.clone();
        let task = tokio::spawn(async move {
            let answer = fetch.await;
            let mut entries = entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.in_flight.remove(&key);
            entries
                .answered
                .insert(key, (Instant::now(), answer.clone()));
            answer
        });
        async move {
            task.await.unwrap_or_else(|_| {
                super::error(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "the fetch for this caller stopped",
                )
            })
        }
        .boxed()
        .shared()
    }

    /// The answer for this token: cached if fresh, else shared with a fetch in flight, else
    /// fetched with `fetch`.
    pub async fn answer(&self, token: &str, fetch: BoxFuture<'static, Answer>) -> (Answer, Source) {
        if self.ttl.is_zero() {
            return (fetch.await, Source::Fetched);
        }
        let key = key(token);
        let (shared, source) = {
            let mut entries = self.entries();
            let now = Instant::now();
            entries
                .answered
                .retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
            if let Some((_, answer)) = entries.answered.get(&key) {
                return (answer.clone(), Source::Cached);
            }
            match entries.in_flight.get(&key) {
                Some(shared) => (shared.clone(), Source::Joined),
                None => {
                    let shared = self.spawn(key, fetch);
                    entries.in_flight.insert(key, shared.clone());
                    (shared, Source::Fetched)
                }
            }
        };
        (shared.await, source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counted(fetches: &Arc<AtomicUsize>) -> BoxFuture<'static, Answer> {
        let fetches = fetches.clone();
        async move {
            fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Answer::json(StatusCode::OK, "{}".into())
        }
        .boxed()
    }

    #[tokio::test]
    async fn callers_with_one_token_share_one_fetch_and_the_ttl_ends_it() {
        let cache = Cache::new(Duration::from_millis(300));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (a, b) = tokio::join!(
            cache.answer("t", counted(&fetches)),
            cache.answer("t", counted(&fetches))
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!((a.1, b.1), (Source::Fetched, Source::Joined));
        assert_eq!(cache.answer("t", counted(&fetches)).await.1, Source::Cached);
        assert_eq!(
            cache.answer("other", counted(&fetches)).await.1,
            Source::Fetched
        );
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(
            cache.answer("t", counted(&fetches)).await.1,
            Source::Fetched
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_caller_that_goes_away_leaves_the_fetch_to_finish_and_be_kept() {
        let cache = Cache::new(Duration::from_secs(5));
        let fetches = Arc::new(AtomicUsize::new(0));
        let gone = tokio::time::timeout(
            Duration::from_millis(5),
            cache.answer("t", counted(&fetches)),
        );
        assert!(gone.await.is_err(), "the first caller gave up");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(cache.answer("t", counted(&fetches)).await.1, Source::Cached);
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_zero_ttl_fetches_every_time() {
        let cache = Cache::new(Duration::ZERO);
        let fetches = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            cache.answer("t", counted(&fetches)).await;
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }
}
