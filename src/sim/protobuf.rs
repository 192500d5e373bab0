//! Just enough of Kubernetes' protobuf encoding to read the bodies kubectl's typed clients
//! send: the `k8s\0` envelope (runtime.Unknown) around the kinds kubectl creates itself
//! (`kubectl create namespace|configmap|secret|serviceaccount|role|rolebinding|clusterrole|
//! clusterrolebinding|token`, `auth can-i`, `auth whoami`). client-go does not fall back to
//! JSON when a server refuses protobuf, so a faithful server has to read it. Answers go back as
//! JSON, which kubectl's Accept header allows.
//!
//! Each message is described by its field numbers, from k8s.io/api's `generated.proto`; one
//! decoder walks any of them into the JSON the rest of the server reads.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

const MAGIC: &[u8] = b"k8s\0";

/// What a field holds.
#[derive(Clone, Copy)]
enum Type {
    Text,
    Int,
    Bool,
    Message(&'static [Field]),
    /// `map<string, string>`.
    TextMap,
    /// `map<string, bytes>`.
    BytesMap,
}

#[derive(Clone, Copy)]
struct Field {
    number: u64,
    name: &'static str,
    kind: Type,
    repeated: bool,
}

const fn one(number: u64, name: &'static str, kind: Type) -> Field {
    Field {
        number,
        name,
        kind,
        repeated: false,
    }
}

const fn many(number: u64, name: &'static str, kind: Type) -> Field {
    Field {
        number,
        name,
        kind,
        repeated: true,
    }
}

use Type::{Bool, BytesMap, Int, Message, Text, TextMap};

const OWNER_REFERENCE: &[Field] = &[
    one(1, "kind", Text),
    one(3, "name", Text),
    one(4, "uid", Text),
    one(5, "apiVersion", Text),
    one(6, "controller", Bool),
    one(7, "blockOwnerDeletion", Bool),
];
const OBJECT_META: &[Field] = &[
    one(1, "name", Text),
    one(2, "generateName", Text),
    one(3, "namespace", Text),
    one(5, "uid", Text),
    one(6, "resourceVersion", Text),
    one(7, "generation", Int),
    one(11, "labels", TextMap),
    one(12, "annotations", TextMap),
    many(13, "ownerReferences", Message(OWNER_REFERENCE)),
    many(14, "finalizers", Text),
];
const NAMESPACE_SPEC: &[Field] = &[many(1, "finalizers", Text)];
const OBJECT_REFERENCE: &[Field] = &[
    one(1, "kind", Text),
    one(2, "namespace", Text),
    one(3, "name", Text),
    one(4, "uid", Text),
    one(5, "apiVersion", Text),
];
const LOCAL_OBJECT_REFERENCE: &[Field] = &[one(1, "name", Text)];
const POLICY_RULE: &[Field] = &[
    many(1, "verbs", Text),
    many(2, "apiGroups", Text),
    many(3, "resources", Text),
    many(4, "resourceNames", Text),
    many(5, "nonResourceURLs", Text),
];
const LABEL_SELECTOR_REQUIREMENT: &[Field] = &[
    one(1, "key", Text),
    one(2, "operator", Text),
    many(3, "values", Text),
];
const LABEL_SELECTOR: &[Field] = &[
    one(1, "matchLabels", TextMap),
    many(2, "matchExpressions", Message(LABEL_SELECTOR_REQUIREMENT)),
];
const AGGREGATION_RULE: &[Field] = &[many(1, "clusterRoleSelectors", Message(LABEL_SELECTOR))];
const SUBJECT: &[Field] = &[
    one(1, "kind", Text),
    one(2, "apiGroup", Text),
    one(3, "name", Text),
    one(4, "namespace", Text),
];
const ROLE_REF: &[Field] = &[
    one(1, "apiGroup", Text),
    one(2, "kind", Text),
    one(3, "name", Text),
];
const RESOURCE_ATTRIBUTES: &[Field] = &[
    one(1, "namespace", Text),
    one(2, "verb", Text),
    one(3, "group", Text),
    one(4, "version", Text),
    one(5, "resource", Text),
    one(6, "subresource", Text),
    one(7, "name", Text),
];
const NON_RESOURCE_ATTRIBUTES: &[Field] = &[one(1, "path", Text), one(2, "verb", Text)];
const ACCESS_REVIEW_SPEC: &[Field] = &[
    one(1, "resourceAttributes", Message(RESOURCE_ATTRIBUTES)),
    one(2, "nonResourceAttributes", Message(NON_RESOURCE_ATTRIBUTES)),
];
const RULES_REVIEW_SPEC: &[Field] = &[one(1, "namespace", Text)];
const TOKEN_REQUEST_SPEC: &[Field] =
    &[many(1, "audiences", Text), one(4, "expirationSeconds", Int)];

const METADATA: Field = one(1, "metadata", Message(OBJECT_META));
const NAMESPACE: &[Field] = &[METADATA, one(2, "spec", Message(NAMESPACE_SPEC))];
const CONFIG_MAP: &[Field] = &[
    METADATA,
    one(2, "data", TextMap),
    one(3, "binaryData", BytesMap),
    one(4, "immutable", Bool),
];
const SECRET: &[Field] = &[
    METADATA,
    one(2, "data", BytesMap),
    one(3, "type", Text),
    one(4, "stringData", TextMap),
    one(5, "immutable", Bool),
];
const SERVICE_ACCOUNT: &[Field] = &[
    METADATA,
    many(2, "secrets", Message(OBJECT_REFERENCE)),
    many(3, "imagePullSecrets", Message(LOCAL_OBJECT_REFERENCE)),
    one(4, "automountServiceAccountToken", Bool),
];
const ROLE: &[Field] = &[METADATA, many(2, "rules", Message(POLICY_RULE))];
const CLUSTER_ROLE: &[Field] = &[
    METADATA,
    many(2, "rules", Message(POLICY_RULE)),
    one(3, "aggregationRule", Message(AGGREGATION_RULE)),
];
const BINDING: &[Field] = &[
    METADATA,
    many(2, "subjects", Message(SUBJECT)),
    one(3, "roleRef", Message(ROLE_REF)),
];
const ACCESS_REVIEW: &[Field] = &[METADATA, one(2, "spec", Message(ACCESS_REVIEW_SPEC))];
const RULES_REVIEW: &[Field] = &[METADATA, one(2, "spec", Message(RULES_REVIEW_SPEC))];
const SELF_REVIEW: &[Field] = &[METADATA, one(2, "spec", Message(&[]))];
const TOKEN_REQUEST: &[Field] = &[METADATA, one(2, "spec", Message(TOKEN_REQUEST_SPEC))];

/// The top-level messages kubectl sends as protobuf, by kind.
fn message_of(kind: &str) -> Option<&'static [Field]> {
    Some(match kind {
        "Namespace" => NAMESPACE,
        "ConfigMap" => CONFIG_MAP,
        "Secret" => SECRET,
        "ServiceAccount" => SERVICE_ACCOUNT,
        "Role" => ROLE,
        "ClusterRole" => CLUSTER_ROLE,
        "RoleBinding" | "ClusterRoleBinding" => BINDING,
        "SelfSubjectAccessReview" => ACCESS_REVIEW,
        "SelfSubjectRulesReview" => RULES_REVIEW,
        "SelfSubjectReview" => SELF_REVIEW,
        "TokenRequest" => TOKEN_REQUEST,
        _ => return None,
    })
}

enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The fields of one message, in order; None when the bytes are not valid protobuf.
fn wire_fields(data: &[u8]) -> Option<Vec<(u64, Wire<'_>)>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let key = varint(data, &mut at)?;
        let field = match key & 7 {
            0 => Wire::Varint(varint(data, &mut at)?),
            1 => {
                at = at.checked_add(8).filter(|&end| end <= data.len())?;
                continue;
            }
            2 => {
                let length = usize::try_from(varint(data, &mut at)?).ok()?;
                let end = at.checked_add(length).filter(|&end| end <= data.len())?;
                let bytes = &data[at..end];
                at = end;
                Wire::Bytes(bytes)
            }
            5 => {
                at = at.checked_add(4).filter(|&end| end <= data.len())?;
                continue;
            }
            _ => return None,
        };
        out.push((key >> 3, field));
    }
    Some(out)
}

fn text(bytes: &[u8]) -> Value {
    json!(String::from_utf8_lossy(bytes))
}

/// One map entry (key 1, value 2).
fn map_entry(bytes: &[u8], value_as_bytes: bool) -> Option<(String, Value)> {
    let mut key = String::new();
    let mut value = json!("");
    for (number, wire) in wire_fields(bytes)? {
        match (number, wire) {
            (1, Wire::Bytes(b)) => key = String::from_utf8_lossy(b).into_owned(),
            (2, Wire::Bytes(b)) if value_as_bytes => value = json!(STANDARD.encode(b)),
            (2, Wire::Bytes(b)) => value = text(b),
            _ => return None,
        }
    }
    Some((key, value))
}

/// A message as JSON, by its description; None when the bytes do not fit it.
fn decode_message(data: &[u8], described: &[Field]) -> Option<Value> {
    let mut object = Map::new();
    for (number, wire) in wire_fields(data)? {
        // Fields this server does not read are skipped, as protobuf readers do.
        let Some(field) = described.iter().find(|f| f.number == number) else {
            continue;
        };
        let value = match (field.kind, wire) {
            // Go's generated code writes every string and number, set or not; its JSON leaves
            // the empty ones out (omitempty), and so does this.
            (Text, Wire::Bytes(b)) if b.is_empty() && !field.repeated => continue,
            (Int, Wire::Varint(0)) => continue,
            (Text, Wire::Bytes(b)) => text(b),
            // Negative int32s and int64s are ten-byte varints of their two's complement.
            (Int, Wire::Varint(v)) => json!(v as i64),
            (Bool, Wire::Varint(v)) => json!(v != 0),
            (Message(inner), Wire::Bytes(b)) => decode_message(b, inner)?,
            (TextMap | BytesMap, Wire::Bytes(b)) => {
                let (key, value) = map_entry(b, matches!(field.kind, BytesMap))?;
                let map = object.entry(field.name).or_insert_with(|| json!({}));
                map.as_object_mut()?.insert(key, value);
                continue;
            }
            _ => return None,
        };
        if field.repeated {
            let list = object.entry(field.name).or_insert_with(|| json!([]));
            list.as_array_mut()?.push(value);
        } else {
            object.insert(field.name.to_string(), value);
        }
    }
    Some(Value::Object(object))
}

/// Decodes a protobuf request body for one of the kinds kubectl sends that way, into the JSON
/// the rest of the server reads. None when the kind is not one of them or the body is not such
/// a message.
pub fn decode(body: &[u8], api_version: &str, kind: &str) -> Option<Value> {
    let described = message_of(kind)?;
    let envelope = wire_fields(body.strip_prefix(MAGIC)?)?;
    let raw = envelope.iter().find_map(|(n, f)| match (n, f) {
        (2, Wire::Bytes(raw)) => Some(*raw),
        _ => None,
    })?;
    let mut object = decode_message(raw, described)?;
    object["apiVersion"] = json!(api_version);
    object["kind"] = json!(kind);
    Some(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![((number << 3) | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    fn envelope(object: &[u8]) -> Vec<u8> {
        [b"k8s\0".to_vec(), field(1, &[]), field(2, object)].concat()
    }

    #[test]
    fn an_access_review_decodes() {
        let attributes = [
            field(1, b"ops"),
            field(2, b"list"),
            field(3, b"eventing.knative.dev"),
            field(5, b"triggers"),
        ]
        .concat();
        let spec = field(1, &attributes);
        let object = [field(1, &[]), field(2, &spec)].concat();
        let decoded = decode(
            &envelope(&object),
            "authorization.k8s.io/v1",
            "SelfSubjectAccessReview",
        )
        .unwrap();
        assert_eq!(
            decoded["spec"]["resourceAttributes"],
            json!({"namespace": "ops", "verb": "list", "group": "eventing.knative.dev", "resource": "triggers"})
        );
    }

    #[test]
    fn a_secret_with_maps_and_labels_decodes() {
        let entry = |k: &[u8], v: &[u8]| [field(1, k), field(2, v)].concat();
        let meta = [
            field(1, b"db"),
            field(3, b"ops"),
            field(11, &entry(b"app", b"web")),
        ]
        .concat();
        let object = [
            field(1, &meta),
            field(2, &entry(b"password", b"\x00\xff")),
            field(3, b"Opaque"),
            field(4, &entry(b"user", b"admin")),
        ]
        .concat();
        let decoded = decode(&envelope(&object), "v1", "Secret").unwrap();
        assert_eq!(
            decoded,
            json!({"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "db", "namespace": "ops", "labels": {"app": "web"}},
                   "data": {"password": "AP8="}, "type": "Opaque", "stringData": {"user": "admin"}})
        );
    }

    #[test]
    fn a_cluster_role_binding_decodes_repeated_messages() {
        let subject = |name: &[u8]| field(2, &[field(1, b"User"), field(3, name)].concat());
        let object = [
            field(1, &field(1, b"readers")),
            subject(b"alice"),
            subject(b"bob"),
            field(3, &[field(2, b"ClusterRole"), field(3, b"view")].concat()),
        ]
        .concat();
        let decoded = decode(
            &envelope(&object),
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
        )
        .unwrap();
        assert_eq!(
            decoded["subjects"],
            json!([{"kind": "User", "name": "alice"}, {"kind": "User", "name": "bob"}])
        );
        assert_eq!(
            decoded["roleRef"],
            json!({"kind": "ClusterRole", "name": "view"})
        );
    }

    #[test]
    fn garbage_does_not_decode_or_panic() {
        assert!(decode(b"k8s\0\xff\xff\xff", "v1", "SelfSubjectAccessReview").is_none());
        assert!(decode(b"{}", "v1", "TokenRequest").is_none());
        assert!(decode(b"k8s\0\x12\x7f", "v1", "TokenRequest").is_none());
        assert!(decode(&envelope(&field(1, b"x")), "v1", "Pod").is_none());
    }
}
