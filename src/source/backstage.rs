//! Backstage's app-config as a source: `catalog.providers.knativeEventMesh.<id>` gives the
//! backend's `baseUrl`, its `token` (usually `${KNATIVE_EVENT_MESH_TOKEN}`) and
//! `schedule.frequency`. Later files override earlier ones, key by key, as Backstage merges them.

use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AppConfigError {
    #[error("{path}: cannot read: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Malformed { location: String, message: String },
    #[error(
        "no Knative event mesh provider in {files}: expected catalog.providers.knativeEventMesh.<id> with baseUrl and token"
    )]
    NoProvider { files: String },
    #[error("several Knative event mesh providers ({}): choose one with --provider", provider_list(.0))]
    Ambiguous(Vec<ProviderLabel>),
    #[error("no provider {wanted:?}: the config has {available}")]
    UnknownProvider { wanted: String, available: String },
    #[error(
        "provider {provider}: {field} uses ${{{variable}}}, but {variable} is not set in the environment"
    )]
    MissingVariable {
        provider: String,
        field: String,
        variable: String,
    },
    #[error("provider {provider}: {message}")]
    Invalid { provider: String, message: String },
}

/// What kn-mesh needs from a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: String,
    pub base_url: String,
    pub token: Option<String>,
    /// `schedule.frequency`, the refresh interval.
    pub frequency: Option<Duration>,
}

/// Deep merge: maps merge key by key, anything else is replaced.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// `${VAR}` from the environment (a lookup function, so tests need not touch the process env).
fn substitute(
    text: &str,
    provider: &str,
    field: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, AppConfigError> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let variable = &rest[start + 2..start + end];
        match env(variable) {
            Some(value) => out.push_str(&value),
            None => {
                return Err(AppConfigError::MissingVariable {
                    provider: provider.into(),
                    field: field.into(),
                    variable: variable.into(),
                });
            }
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A Backstage schedule's frequency: `{minutes: 1}` (any of years … milliseconds), an ISO 8601
/// duration (`PT1M`), or a number of milliseconds. As a refresh interval it must be between a
/// second (anything shorter would poll in a tight loop) and a year. A `{cron: …}` or
/// `{trigger: manual}` schedule has no fixed interval: None, and the default applies.
fn duration(value: &Value) -> Result<Option<Duration>, String> {
    if value.get("cron").is_some() || value.get("trigger").is_some() || value == "manual" {
        return Ok(None);
    }
    let seconds: f64 = match value {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN) / 1000.0,
        Value::Object(parts) => {
            let mut total = 0.0;
            for (unit, amount) in parts {
                let factor = match unit.as_str() {
                    "years" => 365.0 * 86_400.0,
                    "months" => 30.0 * 86_400.0,
                    "weeks" => 7.0 * 86_400.0,
                    "days" => 86_400.0,
                    "hours" => 3600.0,
                    "minutes" => 60.0,
                    "seconds" => 1.0,
                    "milliseconds" => 0.001,
                    other => return Err(format!("unknown unit {other:?}")),
                };
                let amount = amount
                    .as_f64()
                    .ok_or_else(|| format!("{unit} must be a number, not {amount}"))?;
                total += amount * factor;
            }
            total
        }
        Value::String(text) => text
            .parse::<jiff::Span>()
            .ok()
            .and_then(|span| span.total(jiff::Unit::Second).ok())
            .ok_or_else(|| format!("{text:?} is not an ISO 8601 duration such as PT1M"))?,
        other => {
            return Err(format!(
                "expected {{minutes: 1}}, PT1M or milliseconds, not {other}"
            ));
        }
    };
    if !seconds.is_finite() || !(1.0..=365.0 * 86_400.0).contains(&seconds) {
        return Err(format!(
            "{value} is out of range: a refresh interval is between 1 second and 1 year"
        ));
    }
    Ok(Some(Duration::from_secs_f64(seconds)))
}

/// The files, merged as Backstage merges them.
fn read_merged(paths: &[PathBuf]) -> Result<Value, AppConfigError> {
    let mut merged = Value::Object(Default::default());
    for path in paths {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| AppConfigError::Unreadable {
            path: name.clone(),
            source,
        })?;
        let value: Value =
            serde_saphyr::from_str(&text).map_err(|error| AppConfigError::Malformed {
                location: match error.location() {
                    Some(location) => format!("{name}:{}", location.line()),
                    None => name.clone(),
                },
                message: error
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or("not valid YAML")
                    .to_string(),
            })?;
        if !value.is_null() {
            merge(&mut merged, value);
        }
    }
    Ok(merged)
}

/// Reads and merges the files, and picks the provider.
/// An app-config provider to pick: its id and the backend it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderLabel {
    pub id: String,
    /// As the app-config writes it, `${VARIABLES}` and all: the picker shows, it does not connect.
    pub base_url: String,
}

/// "dev (http://localhost:8080), prod (https://…)".
fn provider_list(labels: &[ProviderLabel]) -> String {
    let listed: Vec<String> = labels
        .iter()
        .map(|l| format!("{} ({})", l.id, crate::text::escape(&l.base_url)))
        .collect();
    listed.join(", ")
}

pub fn provider(
    paths: &[PathBuf],
    wanted: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Provider, AppConfigError> {
    let merged = read_merged(paths)?;
    let providers = merged
        .pointer("/catalog/providers/knativeEventMesh")
        .and_then(Value::as_object)
        .filter(|p| !p.is_empty());
    let Some(providers) = providers else {
        let files = paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(AppConfigError::NoProvider { files });
    };
    let ids: Vec<&String> = providers.keys().collect();
    let id = match wanted {
        Some(wanted) if providers.contains_key(wanted) => wanted.to_string(),
        Some(wanted) => {
            return Err(AppConfigError::UnknownProvider {
                wanted: wanted.into(),
                available: ids
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        None if ids.len() == 1 => ids[0].clone(),
        None => {
            let labels = ids
                .iter()
                .map(|id| ProviderLabel {
                    id: id.to_string(),
                    base_url: providers[id.as_str()]
                        .get("baseUrl")
                        .and_then(Value::as_str)
                        .unwrap_or("(no baseUrl)")
                        .to_string(),
                })
                .collect();
            return Err(AppConfigError::Ambiguous(labels));
        }
    };
    let config = &providers[&id];
    let text = |field: &str| -> Result<Option<String>, AppConfigError> {
        match config.get(field) {
            Some(Value::String(value)) => substitute(value, &id, field, env).map(Some),
            Some(Value::Null) | None => Ok(None),
            Some(other) => Err(AppConfigError::Invalid {
                provider: id.clone(),
                message: format!("{field} must be a string, not {other}"),
            }),
        }
    };
    let base_url =
        text("baseUrl")?
            .filter(|u| !u.is_empty())
            .ok_or_else(|| AppConfigError::Invalid {
                provider: id.clone(),
                message: "baseUrl is missing".into(),
            })?;
    // A block scalar (`token: |`) ends in a line break; any other control character is refused,
    // with its position and never the token.
    let token = match text("token")?.filter(|t| !t.trim().is_empty()) {
        Some(raw) => {
            Some(
                crate::text::clean_token(&raw).map_err(|problem| AppConfigError::Invalid {
                    provider: id.clone(),
                    message: format!("token: {problem}"),
                })?,
            )
        }
        None => None,
    };
    let frequency = match config.pointer("/schedule/frequency") {
        None | Some(Value::Null) => None,
        Some(value) => duration(value).map_err(|message| AppConfigError::Invalid {
            provider: id.clone(),
            message: format!("schedule.frequency: {message}"),
        })?,
    };
    Ok(Provider {
        id,
        base_url,
        token,
        frequency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_and_manual_schedules_have_no_fixed_interval() {
        assert_eq!(
            duration(&serde_json::json!({"cron": "*/5 * * * *"})),
            Ok(None)
        );
        assert_eq!(
            duration(&serde_json::json!({"trigger": "manual"})),
            Ok(None)
        );
        assert_eq!(
            duration(&serde_json::json!({"minutes": 2})),
            Ok(Some(Duration::from_secs(120)))
        );
        assert!(duration(&serde_json::json!({"days": 1e15})).is_err());
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn env(name: &str) -> Option<String> {
        (name == "KNATIVE_EVENT_MESH_TOKEN").then(|| "token-from-env".to_string())
    }

    #[test]
    fn the_seed_snippet_with_the_token_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let config = write(
            &dir,
            "app-config.yaml",
            "
catalog:
  providers:
    knativeEventMesh:
      dev:
        token: '${KNATIVE_EVENT_MESH_TOKEN}'
        baseUrl: \"http://eventmesh-backend.knative-eventing.svc:8080\"
        schedule:
          frequency: { minutes: 1 }
          timeout: { minutes: 1 }
",
        );
        let provider = provider(&[config], None, &env).unwrap();
        assert_eq!(
            provider,
            Provider {
                id: "dev".into(),
                base_url: "http://eventmesh-backend.knative-eventing.svc:8080".into(),
                token: Some("token-from-env".into()),
                frequency: Some(Duration::from_secs(60)),
            }
        );
    }

    #[test]
    fn later_files_override_earlier_ones_key_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let base = write(
            &dir,
            "app-config.yaml",
            "catalog:\n  providers:\n    knativeEventMesh:\n      dev:\n        baseUrl: http://base\n        token: base-token\n        schedule: {frequency: {minutes: 5}}\n",
        );
        let local = write(
            &dir,
            "app-config.local.yaml",
            "catalog:\n  providers:\n    knativeEventMesh:\n      dev:\n        baseUrl: http://localhost:8080\n",
        );
        let provider = provider(&[base, local], None, &env).unwrap();
        assert_eq!(provider.base_url, "http://localhost:8080");
        assert_eq!(provider.token.as_deref(), Some("base-token"));
        assert_eq!(provider.frequency, Some(Duration::from_secs(300)));
    }

    #[test]
    fn two_providers_need_a_choice() {
        let dir = tempfile::tempdir().unwrap();
        let config = write(
            &dir,
            "app-config.yaml",
            "catalog:\n  providers:\n    knativeEventMesh:\n      dev: {baseUrl: http://dev, token: a}\n      prod: {baseUrl: http://prod, token: b, schedule: {frequency: PT30S}}\n",
        );
        let error = provider(std::slice::from_ref(&config), None, &env).unwrap_err();
        assert_eq!(
            error.to_string(),
            "several Knative event mesh providers (dev (http://dev), prod (http://prod)): choose one with --provider"
        );
        let prod = provider(std::slice::from_ref(&config), Some("prod"), &env).unwrap();
        assert_eq!(
            (prod.base_url.as_str(), prod.frequency),
            ("http://prod", Some(Duration::from_secs(30)))
        );
        assert!(
            provider(&[config], Some("staging"), &env)
                .unwrap_err()
                .to_string()
                .contains("the config has dev, prod")
        );
    }

    #[test]
    fn a_missing_variable_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let config = write(
            &dir,
            "app-config.yaml",
            "catalog:\n  providers:\n    knativeEventMesh:\n      dev: {baseUrl: http://dev, token: '${EVENTMESH_TOKEN}'}\n",
        );
        let error = provider(&[config], None, &env).unwrap_err();
        assert_eq!(
            error.to_string(),
            "provider dev: token uses ${EVENTMESH_TOKEN}, but EVENTMESH_TOKEN is not set in the environment"
        );
    }

    #[test]
    fn unknown_keys_are_ignored_and_a_malformed_file_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let fine = write(
            &dir,
            "ok.yaml",
            "app: {title: Backstage}\nbackend: {baseUrl: http://localhost:7007}\ncatalog:\n  providers:\n    knativeEventMesh:\n      dev: {baseUrl: http://dev, token: t, extra: ignored}\n",
        );
        assert_eq!(
            provider(&[fine], None, &env).unwrap().base_url,
            "http://dev"
        );
        let broken = write(
            &dir,
            "broken.yaml",
            "catalog:\n  providers:\n    knativeEventMesh:\n      dev: {baseUrl: http://dev\n",
        );
        let message = provider(std::slice::from_ref(&broken), None, &env)
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with(&format!("{}:", broken.display())),
            "{message}"
        );
        assert!(
            message
                .split(':')
                .nth(1)
                .is_some_and(|line| line.trim().parse::<u32>().is_ok()),
            "{message}"
        );
    }
}
