//! How the source is worded on screen: its origin, identity and freshness. The state holds
//! data; these words are made only when drawing.

use crate::source::spec::{Freshness, Identity, OriginLabel};

/// Where the data comes from: "demo: simulated cluster https://…", "files: demo/", the API
/// server and context, or the backend.
pub fn origin_text(origin: Option<&OriginLabel>) -> String {
    match origin {
        None => "connecting…".into(),
        Some(OriginLabel::Files(paths)) => format!(
            "files: {}",
            paths
                .iter()
                .map(|p| crate::text::escape(p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(OriginLabel::Demo { url }) => format!("demo: simulated cluster {url}"),
        Some(OriginLabel::Cluster { endpoint }) => crate::text::escape(endpoint),
        Some(OriginLabel::Backend {
            url,
            provider: None,
        }) => format!("backend {}", crate::text::escape(url)),
        Some(OriginLabel::Backend {
            url,
            provider: Some(id),
        }) => format!(
            "backend {} (provider {})",
            crate::text::escape(url),
            crate::text::escape(id)
        ),
        Some(OriginLabel::Unchosen) => "Backstage app-config: pick a provider".into(),
    }
}

/// The origin without its URL, for a narrow header: "demo", "cluster", "files", "backend".
pub fn origin_short(origin: Option<&OriginLabel>) -> &'static str {
    match origin {
        None => "connecting…",
        Some(OriginLabel::Files(_)) => "files",
        Some(OriginLabel::Demo { .. }) => "demo",
        Some(OriginLabel::Cluster { .. }) => "cluster",
        Some(OriginLabel::Backend { .. }) => "backend",
        Some(OriginLabel::Unchosen) => "app-config",
    }
}

/// "payments-only (system:serviceaccount:backstage:payments-only, bound token)".
pub fn identity_text(identity: &Identity) -> String {
    format!(
        "{} ({}, {} token)",
        crate::text::escape(&identity.name),
        crate::text::escape(&identity.username),
        identity.token_kind
    )
}

/// "12:03:04": when the data was read, for a narrow status bar.
pub fn freshness_time(freshness: &Freshness, time_zone: &jiff::tz::TimeZone) -> String {
    let (Freshness::Read { at } | Freshness::Watched { at } | Freshness::Polled { at, .. }) =
        freshness;
    at.to_zoned(time_zone.clone())
        .strftime("%H:%M:%S")
        .to_string()
}

/// "12:03:04 (watch)", "12:03:04 (polled every 30s: watch is forbidden)", "read 12:03:04".
pub fn freshness_text(freshness: &Freshness, time_zone: &jiff::tz::TimeZone) -> String {
    let time = |at: &jiff::Timestamp| {
        at.to_zoned(time_zone.clone())
            .strftime("%H:%M:%S")
            .to_string()
    };
    match freshness {
        Freshness::Read { at } => format!("read {}", time(at)),
        Freshness::Watched { at } => format!("{} (watch)", time(at)),
        Freshness::Polled {
            at,
            every,
            reason: None,
        } => format!("{} (polled every {}s)", time(at), every.as_secs()),
        Freshness::Polled {
            at,
            every,
            reason: Some(reason),
        } => format!(
            "{} (polled every {}s: {})",
            time(at),
            every.as_secs(),
            crate::text::escape(reason)
        ),
    }
}
