//! Reading a string out of an object, the one way the sim's modules do it: absent, null or not
//! a string reads as "".

use serde_json::Value;

/// The string at a JSON pointer.
pub fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// A metadata field: `meta(object, "name")`.
pub fn meta<'a>(object: &'a Value, field: &str) -> &'a str {
    text(object, &format!("/metadata/{field}"))
}
