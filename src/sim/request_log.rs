//! The sim's request log: an exact count of requests and the latest ones in a bounded ring,
//! without anything a client may have put a token in.

use serde::Serialize;

/// One request as the request log keeps it. Of the query string only the parameters the API
/// defines are kept: a client may put a token in another, and the log is served back.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: String,
    pub user: String,
    pub code: u16,
}

/// Query parameters of the Kubernetes API, safe to keep.
const LOGGED_PARAMETERS: &[&str] = &[
    "labelSelector",
    "fieldSelector",
    "limit",
    "continue",
    "watch",
    "resourceVersion",
    "resourceVersionMatch",
    "timeoutSeconds",
    "allowWatchBookmarks",
    "sendInitialEvents",
    "dryRun",
    "fieldManager",
    "fieldValidation",
    "propagationPolicy",
    "force",
];

/// The query with every parameter not in the list replaced by `name=(not logged)`.
pub(super) fn loggable_query(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            if LOGGED_PARAMETERS.contains(&name) {
                pair.to_string()
            } else {
                format!("{name}=(not logged)")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The request log: an exact count, and the latest requests in a bounded ring, so that no
/// client (authenticated or not) can grow the server's memory by sending requests.
#[derive(Debug, Default)]
pub struct RequestLog {
    pub total: u64,
    pub latest: std::collections::VecDeque<RequestRecord>,
}

impl RequestLog {
    /// Counts a request and keeps it, dropping the oldest past the capacity.
    pub fn push(&mut self, record: RequestRecord) {
        self.total += 1;
        if self.latest.len() == REQUEST_LOG_CAPACITY {
            self.latest.pop_front();
        }
        self.latest.push_back(record);
    }
}

/// How many requests the log keeps.
pub const REQUEST_LOG_CAPACITY: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apis_own_query_parameters_are_logged() {
        assert_eq!(
            loggable_query("labelSelector=a%3Db&access_token=s3cr3t&limit=500"),
            "labelSelector=a%3Db&access_token=(not logged)&limit=500"
        );
    }

    #[test]
    fn the_request_log_keeps_an_exact_count_and_a_bounded_ring() {
        let mut log = RequestLog::default();
        let record = |i: usize| RequestRecord {
            method: "GET".into(),
            path: format!("/unauthenticated/{i}"),
            query: String::new(),
            user: String::new(),
            code: 401,
        };
        for i in 0..REQUEST_LOG_CAPACITY + 5 {
            log.push(record(i));
        }
        assert_eq!(log.total, (REQUEST_LOG_CAPACITY + 5) as u64);
        assert_eq!(log.latest.len(), REQUEST_LOG_CAPACITY);
        assert_eq!(log.latest.front().unwrap().path, "/unauthenticated/5");
    }
}
