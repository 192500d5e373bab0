//! `kn-mesh cesql EXPR [--event FILE|-]`: test a filter before applying it. Prints the CESQL v1
//! value and error, and what Knative's filter makes of them.

use super::write_stdout;
use crate::cesql::{self, Abstract, Evaluation, EventAttributes, Value};
use crate::cli::{CesqlArgs, CesqlOutput, UsageError};
use serde_json::json;
use std::io::Read;

/// Exit codes of `kn-mesh cesql`, documented in README.md.
const TRUE: u8 = 0;
const FALSE: u8 = 1;
const PARSE_ERROR: u8 = 2;
const EVALUATION_ERROR: u8 = 3;

pub fn run(args: &CesqlArgs) -> color_eyre::Result<u8> {
    let event = read_event(args)?;
    let expression = match cesql::parse(&args.expression) {
        Ok(expression) => expression,
        Err(error) => {
            match args.output {
                CesqlOutput::Json => write_stdout(&format!(
                    "{}\n",
                    crate::output::escape_json(
                        &json!({"result": null, "error": "parse", "message": error.message})
                            .to_string()
                    )
                ))?,
                CesqlOutput::Text => say!(
                    "kn-mesh: the expression does not parse:\n{}",
                    crate::output::escape_lines(&error.message)
                ),
            }
            return Ok(PARSE_ERROR);
        }
    };
    let decided = cesql::evaluate(&expression, &event);
    let Abstract::Known(Evaluation { value, error }) = decided.outcome else {
        // Every attribute of a concrete event is known; this is a bug, not an answer.
        return Err(color_eyre::eyre::eyre!(
            "the expression could not be decided over a whole event"
        ));
    };
    let passes = error.is_none() && value == Value::Bool(true);
    let verdict = match (&error, &value) {
        (Some(_), _) => "fails: an evaluation error fails the filter",
        (None, Value::Bool(true)) => "passes",
        (None, Value::Bool(false)) => "fails",
        (None, _) => "fails: the value is not a Boolean",
    };
    match args.output {
        CesqlOutput::Json => {
            let body = json!({
                "result": value,
                "error": error.as_ref().map(|e| e.kind.name()),
                "message": error.as_ref().map(|e| e.message.clone()),
                "knativeFilter": if passes { "pass" } else { "fail" },
            });
            write_stdout(&format!(
                "{}\n",
                crate::output::escape_json(&body.to_string())
            ))?;
        }
        CesqlOutput::Text => {
            // The event's values and the expression came from outside.
            let escape = crate::text::escape;
            let mut text = format!("{}\n", escape(&shown(&value)));
            if let Some(error) = &error {
                let (error, clause) = (error.to_string(), &decided.clause);
                text.push_str(&format!(
                    "error: {} (in `{}`)\n",
                    escape(&error),
                    escape(clause)
                ));
            }
            text.push_str(&format!("Knative filter: {verdict}\n"));
            write_stdout(&text)?;
        }
    }
    Ok(match (&error, &value) {
        (Some(_), _) => EVALUATION_ERROR,
        (None, Value::Bool(false)) => FALSE,
        _ => TRUE,
    })
}

/// A value as CESQL would write it: strings quoted.
fn shown(value: &Value) -> String {
    match value {
        Value::Str(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn read_event(args: &CesqlArgs) -> color_eyre::Result<EventAttributes> {
    let Some(path) = &args.event else {
        let minimal =
            json!({"specversion": "1.0", "id": "kn-mesh", "source": "kn-mesh", "type": "kn-mesh"});
        return Ok(EventAttributes::from_value(minimal)?);
    };
    read_event_file(path)
}

/// A CloudEvent in structured-mode JSON from a file or `-` (stdin); a bad one is bad input.
pub(super) fn read_event_file(path: &std::path::Path) -> color_eyre::Result<EventAttributes> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            let reason = crate::source::manifests::io_reason(&e);
            UsageError(format!("the event on stdin: {reason}"))
        })?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|e| {
            let reason = crate::source::manifests::io_reason(&e);
            UsageError(format!("the event {}: {reason}", path.display()))
        })?
    };
    EventAttributes::from_json(&text)
        .map_err(|e| UsageError(format!("the event {}: {e}", path.display())).into())
}
