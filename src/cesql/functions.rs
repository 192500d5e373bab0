//! The built-in functions of CESQL v1 (spec §3.5), by name and arity.

use super::{Error, ErrorKind, Type, Value};

pub(super) struct Function {
    name: &'static str,
    /// Fixed parameters; `None` takes any type as it is (the casting functions).
    parameters: &'static [Option<Type>],
    /// The type of any further arguments, for a variadic function.
    variadic: Option<Type>,
    pub returns: Type,
    pub apply: fn(&[Value]) -> (Value, Option<Error>),
}

impl Function {
    pub fn parameter(&self, index: usize) -> Option<Type> {
        match self.parameters.get(index) {
            Some(parameter) => *parameter,
            None => self.variadic,
        }
    }

    fn takes(&self, arity: usize) -> bool {
        match self.variadic {
            Some(_) => arity >= self.parameters.len(),
            None => arity == self.parameters.len(),
        }
    }
}

const S: Option<Type> = Some(Type::Str);
const I: Option<Type> = Some(Type::Int);
const ANY: Option<Type> = None;

const FUNCTIONS: &[Function] = &[
    Function {
        name: "LENGTH",
        parameters: &[S],
        variadic: None,
        returns: Type::Int,
        apply: |args| {
            ok(Value::Int(
                chars(args, 0).len().try_into().unwrap_or(i32::MAX),
            ))
        },
    },
    Function {
        name: "CONCAT",
        parameters: &[],
        variadic: S,
        returns: Type::Str,
        apply: |args| ok(Value::Str(args.iter().map(ToString::to_string).collect())),
    },
    Function {
        name: "CONCAT_WS",
        parameters: &[S],
        variadic: S,
        returns: Type::Str,
        apply: |args| {
            let parts: Vec<String> = args.iter().skip(1).map(ToString::to_string).collect();
            ok(Value::Str(parts.join(&text(args, 0))))
        },
    },
    Function {
        name: "LOWER",
        parameters: &[S],
        variadic: None,
        returns: Type::Str,
        apply: |args| ok(Value::Str(text(args, 0).to_lowercase())),
    },
    Function {
        name: "UPPER",
        parameters: &[S],
        variadic: None,
        returns: Type::Str,
        apply: |args| ok(Value::Str(text(args, 0).to_uppercase())),
    },
    Function {
        name: "TRIM",
        parameters: &[S],
        variadic: None,
        returns: Type::Str,
        apply: |args| ok(Value::Str(text(args, 0).trim().to_string())),
    },
    Function {
        name: "LEFT",
        parameters: &[S, I],
        variadic: None,
        returns: Type::Str,
        apply: |args| take(args, |chars, n| chars.iter().take(n).collect()),
    },
    Function {
        name: "RIGHT",
        parameters: &[S, I],
        variadic: None,
        returns: Type::Str,
        apply: |args| {
            take(args, |chars, n| {
                chars[chars.len().saturating_sub(n)..].iter().collect()
            })
        },
    },
    Function {
        name: "SUBSTRING",
        parameters: &[S, I],
        variadic: None,
        returns: Type::Str,
        apply: |args| substring(args, None),
    },
    Function {
        name: "SUBSTRING",
        parameters: &[S, I, I],
        variadic: None,
        returns: Type::Str,
        apply: |args| substring(args, Some(integer(args, 2))),
    },
    Function {
        name: "ABS",
        parameters: &[I],
        variadic: None,
        returns: Type::Int,
        apply: |args| match integer(args, 0).checked_abs() {
            Some(abs) => ok(Value::Int(abs)),
            None => (
                Value::Int(i32::MAX),
                Some(Error::new(
                    ErrorKind::Math,
                    "ABS(-2147483648) is not a 32-bit integer",
                )),
            ),
        },
    },
    Function {
        name: "INT",
        parameters: &[ANY],
        variadic: None,
        returns: Type::Int,
        apply: |args| first(args).cast(Type::Int),
    },
    Function {
        name: "BOOL",
        parameters: &[ANY],
        variadic: None,
        returns: Type::Bool,
        apply: |args| match first(args) {
            // The function, unlike the implicit cast, reads an integer as C does.
            Value::Int(i) => ok(Value::Bool(i != 0)),
            other => other.cast(Type::Bool),
        },
    },
    Function {
        name: "STRING",
        parameters: &[ANY],
        variadic: None,
        returns: Type::Str,
        apply: |args| ok(Value::Str(first(args).to_string())),
    },
    Function {
        name: "IS_BOOL",
        parameters: &[ANY],
        variadic: None,
        returns: Type::Bool,
        apply: |args| {
            ok(Value::Bool(
                matches!(first(args).cast(Type::Bool), (_, None))
                    && !matches!(first(args), Value::Int(_)),
            ))
        },
    },
    Function {
        name: "IS_INT",
        parameters: &[ANY],
        variadic: None,
        returns: Type::Bool,
        apply: |args| {
            ok(Value::Bool(
                matches!(first(args).cast(Type::Int), (_, None))
                    && !matches!(first(args), Value::Bool(_)),
            ))
        },
    },
];

pub(super) fn find(name: &str, arity: usize) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name && f.takes(arity))
}

fn ok(value: Value) -> (Value, Option<Error>) {
    (value, None)
}

fn first(args: &[Value]) -> Value {
    args.first().cloned().unwrap_or(Value::Bool(false))
}

fn text(args: &[Value], index: usize) -> String {
    args.get(index).map(ToString::to_string).unwrap_or_default()
}

fn chars(args: &[Value], index: usize) -> Vec<char> {
    text(args, index).chars().collect()
}

fn integer(args: &[Value], index: usize) -> i32 {
    match args.get(index) {
        Some(Value::Int(i)) => *i,
        _ => 0,
    }
}

fn evaluation_error(message: String) -> Option<Error> {
    Some(Error::new(ErrorKind::FunctionEvaluation, message))
}

/// LEFT and RIGHT: a negative count returns the string itself, with an error.
fn take(args: &[Value], cut: fn(&[char], usize) -> String) -> (Value, Option<Error>) {
    let (chars, count) = (chars(args, 0), integer(args, 1));
    match usize::try_from(count) {
        Ok(count) => ok(Value::Str(cut(&chars, count))),
        Err(_) => (
            Value::Str(chars.iter().collect()),
            evaluation_error(format!("a negative length ({count})")),
        ),
    }
}

/// SUBSTRING: positions from 1, or from the end when negative; 0 is the empty string.
fn substring(args: &[Value], length: Option<i32>) -> (Value, Option<Error>) {
    let (chars, position) = (chars(args, 0), integer(args, 1));
    let size = i64::try_from(chars.len()).unwrap_or(i64::MAX);
    let position = i64::from(position);
    let failed = |message: String| (Value::Str(String::new()), evaluation_error(message));
    if position > size || position < -size {
        return failed(format!("position {position} is outside a string of {size}"));
    }
    if position == 0 {
        return ok(Value::Str(String::new()));
    }
    let start = if position > 0 {
        position - 1
    } else {
        size + position
    };
    let start = usize::try_from(start).unwrap_or(0);
    let rest = &chars[start..];
    match length.map(usize::try_from) {
        None => ok(Value::Str(rest.iter().collect())),
        Some(Ok(length)) => ok(Value::Str(rest.iter().take(length).collect())),
        Some(Err(_)) => failed("a negative length".into()),
    }
}
