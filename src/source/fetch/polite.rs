//! Politeness toward a busy API server. kube-apiserver's API Priority and Fairness counts a LIST
//! as up to 10 seats of a shared concurrency, and past its limits answers 429 with
//! `Retry-After`. The fetcher then waits as told (with jitter, so its requests do not return
//! together), halves its concurrency while 429s arrive and regains it slowly, and says which
//! flow schema and priority level throttled it.

use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Requests in flight at first, and at most.
pub(super) const START: usize = 16;
/// Successes in a row that earn one more request in flight, after a halving.
const REGAIN_AFTER: usize = 8;
/// The longest wait a server's `Retry-After` can ask of us.
const LONGEST_WAIT: Duration = Duration::from_secs(30);

pub(super) struct Throttle {
    permits: Semaphore,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    limit: usize,
    /// Permits still to take out of use: the ones held when the limit was halved go as they
    /// come back.
    debt: usize,
    lowest: usize,
    successes: usize,
    throttled: usize,
    flow_schema: Option<String>,
    priority_level: Option<String>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            permits: Semaphore::new(START),
            state: Mutex::new(State {
                limit: START,
                lowest: START,
                ..State::default()
            }),
        }
    }
}

fn header(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}

impl Throttle {
    /// A turn to send a request; a closed semaphore never happens (it is never closed).
    pub(super) async fn permit(&self) -> Option<SemaphorePermit<'_>> {
        self.permits.acquire().await.ok()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A 429: halve the requests in flight, note who throttled, and say how long to wait.
    pub(super) fn throttled(&self, headers: &axum::http::HeaderMap) -> Duration {
        let mut state = self.state();
        state.throttled += 1;
        state.successes = 0;
        state.flow_schema =
            header(headers, "x-kubernetes-pf-flowschema-uid").or(state.flow_schema.take());
        state.priority_level =
            header(headers, "x-kubernetes-pf-prioritylevel-uid").or(state.priority_level.take());
        // Halved once per wave of 429s: the debt still owed means the last halving is under way.
        if state.limit > 1 && state.debt == 0 {
            let wanted = state.limit / 2;
            let forgotten = self.permits.forget_permits(state.limit - wanted);
            state.debt = state.limit - wanted - forgotten;
            state.limit = wanted;
            state.lowest = state.lowest.min(state.limit);
        }
        let seconds = header(headers, "retry-after")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(1);
        Duration::from_secs(seconds).min(LONGEST_WAIT) + jitter()
    }

    /// A request done: its permit goes back, or out of use while a halving is owed.
    pub(super) fn release(&self, permit: Option<SemaphorePermit<'_>>) {
        let Some(permit) = permit else { return };
        let mut state = self.state();
        if state.debt > 0 {
            state.debt -= 1;
            permit.forget();
        }
    }

    /// A new fetch: the note tells of it alone; the limit learned stays.
    pub(super) fn begin(&self) {
        let mut state = self.state();
        state.throttled = 0;
        state.lowest = state.limit;
        state.flow_schema = None;
        state.priority_level = None;
    }

    /// An answer: after enough of them in a row, one more request in flight.
    pub(super) fn succeeded(&self) {
        let mut state = self.state();
        state.successes += 1;
        if state.limit < START && state.debt == 0 && state.successes >= REGAIN_AFTER {
            state.successes = 0;
            state.limit += 1;
            self.permits.add_permits(1);
        }
    }

    /// What throttling there was, for the snapshot's notes.
    pub(super) fn note(&self) -> Option<String> {
        let state = self.state();
        if state.throttled == 0 {
            return None;
        }
        let mut note = format!(
            "the API server throttled {} request(s) (429, API Priority and Fairness); kn-mesh waited as told and lowered its concurrency to {}",
            state.throttled, state.lowest
        );
        if let Some(flow_schema) = &state.flow_schema {
            note.push_str(&format!(
                "; flow schema UID {}",
                crate::text::escape(flow_schema)
            ));
        }
        if let Some(priority_level) = &state.priority_level {
            note.push_str(&format!(
                "; priority level UID {}",
                crate::text::escape(priority_level)
            ));
        }
        Some(note)
    }
}

/// Up to a quarter of a second, so requests told to wait do not all come back at once.
fn jitter() -> Duration {
    let random = uuid::Uuid::new_v4().as_u128();
    Duration::from_millis((random % 250) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_halves_the_requests_in_flight_even_while_they_are_held() {
        let throttle = Throttle::default();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("retry-after", "2".parse().unwrap());
        headers.insert("x-kubernetes-pf-prioritylevel-uid", "pl-1".parse().unwrap());
        let held: Vec<_> = (0..START)
            .map(|_| throttle.permits.try_acquire().ok())
            .collect();
        let wait = throttle.throttled(&headers);
        assert!(wait >= Duration::from_secs(2) && wait < Duration::from_millis(2250));
        for permit in held {
            throttle.release(permit);
        }
        assert_eq!(
            throttle.permits.available_permits(),
            8,
            "half came back, half went"
        );
        throttle.throttled(&headers);
        assert_eq!(throttle.permits.available_permits(), 4);
        for _ in 0..REGAIN_AFTER {
            throttle.succeeded();
        }
        assert_eq!(throttle.permits.available_permits(), 5);
        let note = throttle.note().unwrap();
        assert!(
            note.contains("throttled 2") && note.contains("to 4") && note.contains("pl-1"),
            "{note}"
        );
    }
}
