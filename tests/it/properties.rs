//! Property tests: arbitrary input to every reader of outside data never panics. The manifest
//! reader, the JWT inspector, the Backstage app-config reader and the trigger filter evaluator
//! each get random text and random structures close to what they expect.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kn_mesh::mesh::objects::{EventType, Trigger};
use kn_mesh::{access, mesh, source};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("type"),
            Just("source"),
            Just("exact"),
            Just("prefix"),
            Just("suffix"),
            Just("all"),
            Just("any"),
            Just("not"),
            Just("cesql"),
            Just("")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_string()),
                    Just("exact".to_string()),
                    Just("prefix".to_string()),
                    Just("all".to_string()),
                    Just("any".to_string()),
                    Just("not".to_string()),
                    Just("cesql".to_string()),
                    Just("attributes".to_string()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text assembled from the pieces YAML and JSON manifests are made of, so that random input
/// reaches deep into the reader rather than failing at the first character.
fn manifest_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("apiVersion: eventing.knative.dev/v1\n".to_string()),
        Just("apiVersion: v1\n".to_string()),
        Just("kind: Trigger\n".to_string()),
        Just("kind: Broker\n".to_string()),
        Just("kind: List\nitems:\n".to_string()),
        Just("kind: CustomResourceDefinition\n".to_string()),
        Just("metadata: {name: x, namespace: y}\n".to_string()),
        Just("metadata:\n  name: a\n".to_string()),
        Just("spec:\n".to_string()),
        Just("  broker: default\n".to_string()),
        Just("  filters: [{exact: {type: a}}, {cesql: \"x = 'y'\"}]\n".to_string()),
        Just("  subscriber: {ref: {kind: Service, name: s}}\n".to_string()),
        Just("- ".to_string()),
        Just("---\n".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(": ".to_string()),
        Just("&a ".to_string()),
        Just("*a ".to_string()),
        Just("<<: *a\n".to_string()),
        Just("\"".to_string()),
        Just("  ".to_string()),
        Just("\n".to_string()),
        Just("null\n".to_string()),
        Just("5\n".to_string()),
        "\\PC{0,8}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn jwt_part() -> impl Strategy<Value = String> {
    prop_oneof![
        json_value().prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string())),
        (
            json_value(),
            json_value(),
            any::<i64>(),
            any::<i64>(),
            "\\PC{0,10}"
        )
            .prop_map(|(aud, nested, exp, iat, iss)| {
                let claims = json!({
                    "iss": iss, "sub": "system:serviceaccount:a:b", "aud": aud,
                    "exp": exp, "iat": iat, "nbf": iat,
                    "kubernetes.io": nested,
                    "kubernetes.io/serviceaccount/namespace": "a",
                });
                URL_SAFE_NO_PAD.encode(claims.to_string())
            }),
        "[A-Za-z0-9_-]{0,20}",
        "\\PC{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_manifest_reader_never_panics(text in manifest_text()) {
        let _ = source::manifests::objects_from_texts(&[("prop.yaml", &text)]);
    }

    #[test]
    fn the_manifest_reader_never_panics_on_any_text(text in "\\PC{0,200}") {
        let _ = source::manifests::objects_from_texts(&[("prop.yaml", &text)]);
    }

    #[test]
    fn any_object_sorts_into_a_snapshot_and_builds(objects in prop::collection::vec(json_value(), 0..6), ) {
        let kinds = ["Broker", "Trigger", "EventType", "Subscription", "PingSource", "Service"];
        let objects: Vec<Value> = objects.into_iter().zip(0..).map(|(spec, i)| {
            let kind = kinds[i % kinds.len()];
            let api = if kind == "Service" { "v1" } else if kind == "PingSource" { "sources.knative.dev/v1" } else { "eventing.knative.dev/v1" };
            json!({"apiVersion": api, "kind": kind, "metadata": {"name": format!("o{i}"), "namespace": "a"}, "spec": spec})
        }).collect();
        let snapshot = mesh::catalog::snapshot_from_objects(objects);
        let built = mesh::build(snapshot);
        let _ = kn_mesh::output::render(&built, kn_mesh::output::Format::Tree, &kn_mesh::mesh::views::View::ALL);
        let _ = kn_mesh::output::render(&built, kn_mesh::output::Format::Dot, &[]);
    }

    #[test]
    fn the_jwt_inspector_never_panics(header in jwt_part(), claims in jwt_part(), signature in jwt_part(), now in any::<i64>()) {
        let token = format!("{header}.{claims}.{signature}");
        if let Ok(info) = access::token::inspect(&token) {
            let _ = access::token::warnings(&info, now);
        }
        let _ = access::token::inspect(&header);
    }

    #[test]
    fn the_app_config_reader_never_panics(base in json_value(), token in json_value(), frequency in json_value(), raw in "\\PC{0,80}") {
        let dir = tempfile::tempdir().unwrap();
        let structured = json!({"catalog": {"providers": {"knativeEventMesh": {"dev": {
            "baseUrl": base, "token": token, "schedule": {"frequency": frequency}
        }}}}});
        let env = |_: &str| Some("x".to_string());
        for (name, text) in [("structured.yaml", structured.to_string()), ("raw.yaml", raw)] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let _ = source::backstage::provider(&[path], None, &env);
        }
    }

    #[test]
    fn the_filter_evaluator_never_panics(filters in json_value(), filter in json_value(), attributes in json_value()) {
        let trigger = json!({"apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
            "metadata": {"name": "t", "namespace": "a"},
            "spec": {"broker": "b", "filters": filters, "filter": {"attributes": filter}}});
        let event_type = json!({"apiVersion": "eventing.knative.dev/v1beta3", "kind": "EventType",
            "metadata": {"name": "e", "namespace": "a"},
            "spec": {"attributes": attributes}});
        if let (Ok(trigger), Ok(event_type)) = (
            serde_json::from_value::<Trigger>(trigger),
            serde_json::from_value::<EventType>(event_type),
        ) {
            let _ = mesh::filter::evaluate(&trigger.spec, &event_type);
            let _ = mesh::filter::describe(&trigger.spec);
        }
    }
}
