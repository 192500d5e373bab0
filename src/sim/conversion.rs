//! Objects between the versions of their resource. Only EventType differs in shape between
//! its versions (v1beta2's type, source and schema are v1beta3's attributes); for every other
//! kind only apiVersion changes.

use super::resources::ResourceDef;
use serde_json::{Map, Value, json};

/// Converts an object to the version it is stored in. Only EventType differs in shape between
/// its versions; for every other kind only apiVersion changes.
pub fn to_storage(def: &ResourceDef, object: Value) -> Value {
    convert(def, object, &def.storage_version.clone())
}

/// Converts an object to the given version of its resource.
pub fn convert(def: &ResourceDef, mut object: Value, version: &str) -> Value {
    let from = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(|v| v.rsplit('/').next().unwrap_or(v).to_string())
        .unwrap_or_default();
    if def.kind == "EventType"
        && from != version
        && let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut)
    {
        if version == "v1beta3" {
            eventtype_to_attributes(spec);
        } else if from == "v1beta3" {
            eventtype_from_attributes(spec);
        }
    }
    if let Some(o) = object.as_object_mut() {
        o.insert("apiVersion".into(), json!(def.api_version(version)));
        o.insert("kind".into(), json!(def.kind));
    }
    object
}

const PINNED: [(&str, &str); 3] = [
    ("type", "type"),
    ("source", "source"),
    ("schema", "dataschema"),
];

fn eventtype_to_attributes(spec: &mut Map<String, Value>) {
    let mut attributes = Vec::new();
    for (field, attribute) in PINNED {
        if let Some(value) = spec.remove(field) {
            attributes.push(json!({"name": attribute, "required": true, "value": value}));
        }
    }
    spec.remove("broker");
    spec.remove("schemaData");
    if !attributes.is_empty() {
        spec.insert("attributes".into(), Value::Array(attributes));
    }
}

fn eventtype_from_attributes(spec: &mut Map<String, Value>) {
    let Some(Value::Array(attributes)) = spec.remove("attributes") else {
        return;
    };
    for attribute in &attributes {
        let name = attribute.get("name").and_then(Value::as_str).unwrap_or("");
        if let (Some((field, _)), Some(value)) = (
            PINNED.iter().find(|(_, a)| *a == name),
            attribute.get("value"),
        ) {
            spec.insert((*field).into(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eventtypes_convert_between_v1beta2_and_v1beta3() {
        let crd = crate::mesh::catalog::builtin_crds()
            .iter()
            .find(|c| c.spec.names.plural == "eventtypes")
            .unwrap();
        let def = ResourceDef::from_crd(crd).unwrap();
        let v1beta2 = json!({"apiVersion": "eventing.knative.dev/v1beta2", "kind": "EventType",
                             "spec": {"type": "t", "source": "s", "description": "d"}});
        let v1beta3 = convert(&def, v1beta2.clone(), "v1beta3");
        assert_eq!(
            v1beta3["spec"]["attributes"][0],
            json!({"name": "type", "required": true, "value": "t"})
        );
        assert_eq!(v1beta3["spec"]["description"], "d");
        let back = convert(&def, v1beta3, "v1beta2");
        assert_eq!(back, v1beta2);
    }
}
