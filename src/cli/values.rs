//! Parsing flag values: durations, sizes, rates and selectors, each range-checked.

use std::time::Duration;

/// "20ms", "1.5s", "250us", "2m".
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{text:?} needs a unit: us, ms, s, m or h"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration"))?;
    let seconds = match unit {
        "us" | "µs" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("unknown unit {unit:?}: use us, ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| *d <= MAX_DURATION)
        .ok_or_else(|| format!("{text:?} is out of range (at most a year)"))
}

/// A backend's answer is awaited this long unless --timeout says otherwise.
pub(super) const BACKEND_TIMEOUT: Duration = Duration::from_secs(30);

/// No timeout, interval or latency kn-mesh takes is longer.
pub(super) const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// A label selector as kube-apiserver takes it: each term parses, and its key and values are
/// label keys and values (kubectl refuses the rest before asking).
pub(super) fn check_selector(selector: &str) -> Result<(), String> {
    if selector.len() > 4096 {
        return Err("longer than 4096 characters".into());
    }
    crate::sim::selectors::Selectors::parse(Some(selector), None).map_err(|e| {
        e.body["message"]
            .as_str()
            .unwrap_or("not a label selector")
            .to_string()
    })?;
    let mut depth = 0;
    let terms = selector.split(|c| {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        c == ',' && depth == 0
    });
    for term in terms.map(str::trim) {
        if term.is_empty() {
            return Err("an empty term".into());
        }
        let term = term.trim_start_matches('!');
        let split = [" notin ", " in ", "!=", "==", "="]
            .iter()
            .find_map(|op| term.split_once(op));
        let (key, values) = split.unwrap_or((term, ""));
        crate::k8s::check_label_key(key.trim())?;
        let values = values.trim().trim_start_matches('(').trim_end_matches(')');
        for value in values.split(',').map(str::trim) {
            crate::k8s::check_label_value(value)?;
        }
    }
    Ok(())
}

/// kubectl's --request-timeout: a duration, a bare number of seconds, or 0 for none.
pub fn parse_request_timeout(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return parse_duration(&format!("{text}s"));
    }
    parse_duration(text)
}

/// A timeout: more than nothing.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let timeout = parse_duration(text)?;
    if timeout.is_zero() {
        return Err(format!("{text:?}: a timeout must be longer than 0"));
    }
    Ok(timeout)
}

/// A refresh interval: at least a second, so that polling never becomes a tight loop.
pub fn parse_refresh(text: &str) -> Result<Duration, String> {
    let every = parse_duration(text)?;
    if every < Duration::from_secs(1) {
        return Err(format!(
            "{text:?} is too short: refresh at most once a second (1s)"
        ));
    }
    Ok(every)
}

/// "65536", "512Ki", "64Mi", "1Gi".
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (number, factor) = match text {
        t if t.ends_with("Ki") => (&t[..t.len() - 2], 1usize << 10),
        t if t.ends_with("Mi") => (&t[..t.len() - 2], 1 << 20),
        t if t.ends_with("Gi") => (&t[..t.len() - 2], 1 << 30),
        t => (t, 1),
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is not a size: use bytes, or Ki, Mi, Gi (e.g. 64Mi)"))
}

pub(super) fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err("the fail rate is a share, from 0.0 to 1.0".into())
    }
}
