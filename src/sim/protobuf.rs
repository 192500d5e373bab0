//! Just enough of Kubernetes' protobuf encoding to read the bodies kubectl's typed clients
//! send: the `k8s\0` envelope (runtime.Unknown) and the few create-only kinds kubectl POSTs
//! (access reviews, SelfSubjectReview, TokenRequest). client-go does not fall back to JSON when
//! a server refuses protobuf, so a faithful server has to read it. Answers go back as JSON,
//! which kubectl's Accept header allows.

use serde_json::{Value, json};

const MAGIC: &[u8] = b"k8s\0";

enum Field<'a> {
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
fn fields(data: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let key = varint(data, &mut at)?;
        let field = match key & 7 {
            0 => Field::Varint(varint(data, &mut at)?),
            1 => {
                at = at.checked_add(8).filter(|&end| end <= data.len())?;
                continue;
            }
            2 => {
                let length = usize::try_from(varint(data, &mut at)?).ok()?;
                let end = at.checked_add(length).filter(|&end| end <= data.len())?;
                let bytes = &data[at..end];
                at = end;
                Field::Bytes(bytes)
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

/// A message whose fields are all strings (or nested messages decoded by `nested`), as JSON.
fn message(
    data: &[u8],
    names: &[(u64, &str)],
    nested: &dyn Fn(u64, &[u8]) -> Option<Value>,
) -> Option<Value> {
    let mut object = serde_json::Map::new();
    for (number, field) in fields(data)? {
        let Some((_, name)) = names.iter().find(|(n, _)| *n == number) else {
            continue;
        };
        let value = match field {
            Field::Varint(v) => json!(v),
            Field::Bytes(bytes) => nested(number, bytes).unwrap_or_else(|| text(bytes)),
        };
        match object.get_mut(*name) {
            // A repeated field.
            Some(Value::Array(list)) => list.push(value),
            Some(existing) => *existing = json!([existing.take(), value]),
            None => {
                object.insert((*name).to_string(), value);
            }
        }
    }
    Some(Value::Object(object))
}

fn no_nested(_: u64, _: &[u8]) -> Option<Value> {
    None
}

fn object_meta(data: &[u8]) -> Option<Value> {
    message(
        data,
        &[(1, "name"), (2, "generateName"), (3, "namespace")],
        &no_nested,
    )
}

/// Decodes a protobuf request body for one of the kinds kubectl sends that way, into the JSON
/// the rest of the server reads. None when the body is not such a message.
pub fn decode(body: &[u8], kind: &str) -> Option<Value> {
    let envelope = fields(body.strip_prefix(MAGIC)?)?;
    let raw = envelope.iter().find_map(|(n, f)| match (n, f) {
        (2, Field::Bytes(raw)) => Some(*raw),
        _ => None,
    })?;
    let spec_of = |spec: &dyn Fn(&[u8]) -> Option<Value>| -> Option<Value> {
        let mut object = json!({"kind": kind});
        for (number, field) in fields(raw)? {
            if let Field::Bytes(bytes) = field {
                match number {
                    1 => object["metadata"] = object_meta(bytes)?,
                    2 => object["spec"] = spec(bytes)?,
                    _ => {}
                }
            }
        }
        Some(object)
    };
    match kind {
        "SelfSubjectAccessReview" => spec_of(&|spec| {
            message(
                spec,
                &[(1, "resourceAttributes"), (2, "nonResourceAttributes")],
                &|number, bytes| match number {
                    1 => message(
                        bytes,
                        &[
                            (1, "namespace"),
                            (2, "verb"),
                            (3, "group"),
                            (4, "version"),
                            (5, "resource"),
                            (6, "subresource"),
                            (7, "name"),
                        ],
                        &no_nested,
                    ),
                    2 => message(bytes, &[(1, "path"), (2, "verb")], &no_nested),
                    _ => None,
                },
            )
        }),
        "SelfSubjectRulesReview" => spec_of(&|spec| message(spec, &[(1, "namespace")], &no_nested)),
        "SelfSubjectReview" => spec_of(&|_| Some(json!({}))),
        "TokenRequest" => spec_of(&|spec| {
            let mut decoded = message(
                spec,
                &[(1, "audiences"), (4, "expirationSeconds")],
                &no_nested,
            )?;
            // `audiences` is repeated: one value still makes a list.
            if let Some(single @ Value::String(_)) = decoded.get("audiences").cloned() {
                decoded["audiences"] = json!([single]);
            }
            Some(decoded)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![((number << 3) | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
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
        let envelope = [b"k8s\0".to_vec(), field(1, &[]), field(2, &object)].concat();
        let decoded = decode(&envelope, "SelfSubjectAccessReview").unwrap();
        assert_eq!(
            decoded["spec"]["resourceAttributes"],
            json!({"namespace": "ops", "verb": "list", "group": "eventing.knative.dev", "resource": "triggers"})
        );
    }

    #[test]
    fn garbage_does_not_decode_or_panic() {
        assert!(decode(b"k8s\0\xff\xff\xff", "SelfSubjectAccessReview").is_none());
        assert!(decode(b"{}", "TokenRequest").is_none());
        assert!(decode(b"k8s\0\x12\x7f", "TokenRequest").is_none());
    }
}
