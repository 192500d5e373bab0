//! The CloudEvents SQL v1 conformance suite (../shared/conformance/cesql-tck, 275 cases in 18
//! files), run against kn-mesh's engine: each case's value and error kind.

use crate::common;
use kn_mesh::cesql::{self, Abstract, EventAttributes, Value};
use serde_json::{Value as Json, json};
use std::path::PathBuf;

fn tck() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/cesql-tck")
}

/// The event a case names: whole, or any valid event with its overrides.
fn event_of(case: &Json) -> EventAttributes {
    let mut event = match case.get("event") {
        Some(event) => event.clone(),
        None => json!({"specversion": "1.0", "id": "tck-id", "source": "/tck", "type": "tck.type"}),
    };
    if let Some(Json::Object(overrides)) = case.get("eventOverrides") {
        for (name, value) in overrides {
            event[name] = value.clone();
        }
    }
    EventAttributes::from_value(event).expect("every TCK event is a valid CloudEvent")
}

fn expected_value(result: &Json) -> Option<Value> {
    match result {
        Json::Bool(b) => Some(Value::Bool(*b)),
        Json::Number(n) => Some(Value::Int(n.as_i64()? as i32)),
        Json::String(s) => Some(Value::Str(s.clone())),
        _ => None,
    }
}

/// One case: None when it passes, else what went wrong.
fn run(case: &Json) -> Option<String> {
    let expression = case["expression"].as_str()?;
    let wanted_error = case.get("error").and_then(Json::as_str);
    let parsed = match cesql::parse(expression) {
        Ok(parsed) => parsed,
        Err(_) if wanted_error == Some("parse") => return None,
        Err(e) => return Some(format!("parse error: {e}")),
    };
    if wanted_error == Some("parse") {
        return Some("parsed, the TCK wants a parse error".into());
    }
    let decided = cesql::evaluate(&parsed, &event_of(case));
    let Abstract::Known(evaluation) = decided.outcome else {
        return Some(format!("not known over an event: {:?}", decided.outcome));
    };
    let error = evaluation.error.as_ref().map(|e| e.kind.name());
    if error != wanted_error {
        return Some(format!("error {error:?}, the TCK wants {wanted_error:?}"));
    }
    match case.get("result").and_then(expected_value) {
        Some(wanted) if wanted != evaluation.value => Some(format!(
            "value {:?}, the TCK wants {wanted:?}",
            evaluation.value
        )),
        _ => None,
    }
}

#[test]
fn the_cesql_v1_conformance_suite_passes() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(tck())
        .expect("../shared/conformance/cesql-tck is readable")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 18);
    let (mut total, mut failures) = (0, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let suite: Json = serde_saphyr::from_str(&text).unwrap();
        let cases = suite["tests"].as_array().unwrap();
        let mut passed = 0;
        for case in cases {
            match run(case) {
                None => passed += 1,
                Some(why) => failures.push(format!(
                    "{}: {} `{}`: {why}",
                    file.file_name().unwrap().to_string_lossy(),
                    case["name"].as_str().unwrap_or("?"),
                    case["expression"].as_str().unwrap_or("?"),
                )),
            }
        }
        total += cases.len();
        eprintln!(
            "{}: {passed}/{}",
            file.file_name().unwrap().to_string_lossy(),
            cases.len()
        );
    }
    assert_eq!(total, 275);
    assert!(
        failures.is_empty(),
        "{} of 275 failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn event_file(json: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), json).unwrap();
    file
}

const ORDER: &str = r#"{"specversion": "1.0", "id": "1", "source": "/shop", "type": "order.created", "amount": "42", "data": {"amount": 9999}}"#;

/// `kn-mesh cesql`: each exit code, the text and JSON forms, and bad events.
#[test]
fn the_cesql_command_exits_by_the_result() {
    let event = event_file(ORDER);
    let path = event.path().to_str().unwrap();
    let run = |expression: &str, extra: &[&str]| {
        let mut args = vec!["cesql", expression, "--event", path];
        args.extend(extra);
        let out = common::kn_mesh(&args);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (out.status.code(), stdout, stderr)
    };
    let (code, stdout, _) = run("type = 'order.created' AND INT(amount) > 10", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout, "true\nKnative filter: passes\n");
    // Filtering never looks at data: `amount` is the extension, not data.amount.
    let (code, stdout, _) = run("INT(amount) > 100", &[]);
    assert_eq!(
        (code, stdout.as_str()),
        (Some(1), "false\nKnative filter: fails\n")
    );
    let (code, _, stderr) = run("type = ", &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("does not parse"), "{stderr}");
    let (code, stdout, _) = run("region = 'eu'", &[]);
    assert_eq!(code, Some(3));
    assert!(stdout.contains("error: missingAttribute"), "{stdout}");
    assert!(
        stdout.contains("an evaluation error fails the filter"),
        "{stdout}"
    );
    // A value that is not a Boolean is exit 0 without error, and Knative still fails it.
    let (code, stdout, _) = run("UPPER(type)", &["-o", "json"]);
    assert_eq!(code, Some(0));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["result"], "ORDER.CREATED");
    assert_eq!(json["error"], serde_json::Value::Null);
    assert_eq!(json["knativeFilter"], "fail");
    let (code, stdout, _) = run("1 / 0", &["-o", "json"]);
    assert_eq!(code, Some(3));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (json["result"].clone(), json["error"].clone()),
        (0.into(), "math".into())
    );
    let (code, stdout, _) = run("ABC(", &["-o", "json"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["error"],
        "parse"
    );
}

#[test]
fn a_bad_event_is_bad_input_never_a_guess() {
    for (event, wanted) in [
        ("{\"id\": 1}", "not a CloudEvent"),
        ("not json", "not JSON"),
        (
            r#"{"specversion": "0.1", "id": "1", "source": "/s", "type": "t"}"#,
            "not a CloudEvent",
        ),
    ] {
        let file = event_file(event);
        let out = common::kn_mesh(&["cesql", "true", "--event", file.path().to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{event}: {stderr}");
        assert!(stderr.contains(wanted), "{event}: {stderr}");
    }
    let out = common::kn_mesh(&["cesql", "true", "--event", "/no/such/event.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    // Flags of other faces given before it are refused.
    let out = common::kn_mesh(&["--demo", "cesql", "true"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A hostile filter (from a cluster, a file or the command line) is refused as too complex
/// before it can exhaust a stack: every shape at the limit runs on 2 MiB (a tokio worker's
/// stack), one past it is a parse error that says the limit is kn-mesh's.
#[test]
fn deep_expressions_are_refused_not_a_crash() {
    let n = kn_mesh::cesql::MAX_OPERATORS;
    let shapes = |n: usize| {
        vec![
            format!("1{}", "+1".repeat(n)),
            format!("true{}", " AND true".repeat(n)),
            format!("{}1{}", "(".repeat(n), ")".repeat(n)),
            format!("{}true", "NOT ".repeat(n)),
            format!("{}1{}", "ABS(".repeat(n), ")".repeat(n)),
            format!("{}1", "-".repeat(n)),
        ]
    };
    for text in shapes(n) {
        let outcome = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let parsed = cesql::parse(&text).expect("at the limit it parses");
                cesql::evaluate(&parsed, &EventAttributes::default())
                    .clause
                    .len()
            })
            .unwrap()
            .join();
        assert!(outcome.is_ok());
    }
    for text in shapes(n + 1) {
        let error = cesql::parse(&text).unwrap_err();
        assert!(error.too_large, "{}", error.message);
        assert!(
            error.message.contains("kn-mesh's, not of Knative's"),
            "{}",
            error.message
        );
    }
    // Operators inside strings are text, not operators.
    let long_string = format!("type = '{}'", "((((+".repeat(100));
    assert!(cesql::parse(&long_string).is_ok());
}

fn value_of(expression: &str, event: &EventAttributes) -> cesql::Evaluation {
    let parsed = cesql::parse(expression).unwrap();
    match cesql::evaluate(&parsed, event).outcome {
        Abstract::Known(evaluation) => evaluation,
        other => panic!("{expression}: {other:?}"),
    }
}

/// Found by reading the engine against the Go SDK Knative runs (sdk-go sql/v2).
#[test]
fn the_go_sdk_semantics_the_tck_does_not_cover() {
    let event = EventAttributes::from_pairs([("urgent", "true"), ("type", "t")]);
    // An OR decided by a true string on its left is the Boolean true.
    let or = value_of("urgent OR region = 'eu'", &event);
    assert_eq!((or.value, or.error), (Value::Bool(true), None));
    // A doubled quote stays doubled; only the backslash escape is unescaped.
    assert_eq!(value_of("'a''b'", &event).value, Value::Str("a''b".into()));
    assert_eq!(value_of(r"'a\'b'", &event).value, Value::Str("a'b".into()));
    // A keyword is never a function name.
    assert!(cesql::parse("EXISTS(region)").is_err());
    assert!(cesql::parse("TRUE(1)").is_err());
    // A quoted clause keeps its parentheses.
    let decided = cesql::evaluate(&cesql::parse("(type = 'x') AND TRUE").unwrap(), &event);
    assert_eq!(decided.clause, "(type = 'x')");
    // A blank extension is kept (EXISTS is true); a blank context attribute is missing.
    let blank = EventAttributes::from_value(serde_json::json!({
        "specversion": "1.0", "id": "1", "source": "/s", "type": "t", "subject": "", "myext": ""
    }))
    .unwrap();
    assert_eq!(value_of("EXISTS myext", &blank).value, Value::Bool(true));
    assert_eq!(value_of("EXISTS subject", &blank).value, Value::Bool(false));
}
