//! CloudEvents SQL v1 (CESQL), the filter language of Knative's Trigger `filters` and
//! EventPolicy `filters`: a parser, an evaluator that follows the v1 rule that an evaluation
//! error still yields a value, and a three-valued evaluation over what an event *type* says
//! about its events.
//!
//! Knative 1.15 and later evaluate with the CloudEvents Go SDK's `sql/v2`, where any error fails
//! the filter and AND and OR short-circuit before errors (DESIGN.md §2c). The evaluator follows
//! that order exactly: an operand that errors makes its operator yield its type's zero value
//! without evaluating further, and a failed implicit cast yields the target type's zero value
//! and lets the operator go on.

mod eval;
mod event;
mod functions;
mod parse;

pub use eval::{Abstract, Evaluation, evaluate};
pub use event::{EventAttributes, EventError};
pub use parse::{Expression, MAX_LENGTH, MAX_OPERATORS, ParseError, parse};

use serde::Serialize;
use std::fmt;

/// The three types of CESQL v1 (spec §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i32),
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Bool,
    Int,
    Str,
}

impl Value {
    pub fn type_of(&self) -> Type {
        match self {
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Str(_) => Type::Str,
        }
    }

    /// The value an operator or function of this type yields when it fails.
    pub fn zero(of: Type) -> Value {
        match of {
            Type::Bool => Value::Bool(false),
            Type::Int => Value::Int(0),
            Type::Str => Value::Str(String::new()),
        }
    }

    /// The value cast to an Integer, 0 when it cannot be.
    pub fn integer(self) -> (i32, Option<Error>) {
        match self.cast(Type::Int) {
            (Value::Int(i), error) => (i, error),
            (_, error) => (0, error),
        }
    }

    /// An implicit cast (spec §3.7). Integer to Boolean is not one: `NOT 10` is a cast error,
    /// while the function `BOOL(10)` is true.
    pub fn cast(self, to: Type) -> (Value, Option<Error>) {
        let failed = |value: &Value| {
            let message = format!("cannot cast {value} to {}", type_name(to));
            (Value::zero(to), Some(Error::new(ErrorKind::Cast, message)))
        };
        match (self, to) {
            (value, to) if value.type_of() == to => (value, None),
            (value, Type::Str) => (Value::Str(value.to_string()), None),
            (Value::Bool(b), Type::Int) => (Value::Int(i32::from(b)), None),
            (Value::Str(s), Type::Int) => match s.parse::<i32>() {
                Ok(i) => (Value::Int(i), None),
                Err(_) => failed(&Value::Str(s)),
            },
            (Value::Str(s), Type::Bool) => match parse_bool(&s) {
                Some(b) => (Value::Bool(b), None),
                None => failed(&Value::Str(s)),
            },
            (value, _) => failed(&value),
        }
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn type_name(of: Type) -> &'static str {
    match of {
        Type::Bool => "Boolean",
        Type::Int => "Integer",
        Type::Str => "String",
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

/// The error kinds of the CESQL TCK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    Parse,
    Math,
    Cast,
    MissingFunction,
    FunctionEvaluation,
    MissingAttribute,
    Generic,
}

impl ErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Parse => "parse",
            ErrorKind::Math => "math",
            ErrorKind::Cast => "cast",
            ErrorKind::MissingFunction => "missingFunction",
            ErrorKind::FunctionEvaluation => "functionEvaluation",
            ErrorKind::MissingAttribute => "missingAttribute",
            ErrorKind::Generic => "generic",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

/// What evaluation knows of an attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Value(Value),
    /// The attribute is certainly absent.
    Missing,
    /// The attribute is certainly present, with a value not known (an event type's `id`).
    Present,
    /// Neither its presence nor its value is known (what an event type leaves open).
    Unknown,
}

/// Where identifiers get their values: an event, or what an event type pins.
pub trait Attributes {
    fn lookup(&self, name: &str) -> Lookup;
}
