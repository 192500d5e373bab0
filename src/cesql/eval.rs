//! Evaluation, concrete over an event and three-valued over an event type.
//!
//! The order is the Go SDK's, which Knative runs: operands left to right; an operand that
//! errors makes its operator yield its type's zero value at once; AND and OR short-circuit on
//! their left operand before anything can error on the right.

use super::functions;
use super::parse::{BinaryOp, Expression, Kind, Node};
use super::{Attributes, Error, ErrorKind, Lookup, Type, Value};

/// A value and the first error met on the way to it (CESQL v1 yields both).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub value: Value,
    pub error: Option<Error>,
}

/// What evaluation can say, with the clause that decided it.
#[derive(Debug, Clone, PartialEq)]
pub enum Abstract {
    Known(Evaluation),
    /// Certainly not a clean `true`: false, or an error (`unknown AND false`).
    NotTrue,
    /// Depends on what is not known; the text says what.
    Unknown(String),
}

/// An outcome and the source text of the part of the expression that decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub outcome: Abstract,
    pub clause: String,
}

pub fn evaluate(expression: &Expression, attributes: &dyn Attributes) -> Decided {
    Evaluator {
        expression,
        attributes,
    }
    .node(&expression.root)
}

struct Evaluator<'a> {
    expression: &'a Expression,
    attributes: &'a dyn Attributes,
}

fn known(value: Value, error: Option<Error>) -> Abstract {
    Abstract::Known(Evaluation { value, error })
}

impl Evaluator<'_> {
    fn decided(&self, node: &Node, outcome: Abstract) -> Decided {
        Decided {
            outcome,
            clause: self.expression.quote(node).to_string(),
        }
    }

    fn node(&self, node: &Node) -> Decided {
        let outcome = match &node.kind {
            Kind::Bool(b) => known(Value::Bool(*b), None),
            Kind::Int(i) => known(Value::Int(i32::try_from(*i).unwrap_or_default()), None),
            Kind::Str(s) => known(Value::Str(s.clone()), None),
            Kind::Attribute(name) => self.attribute(name),
            Kind::Exists(name) => match self.attributes.lookup(name) {
                Lookup::Value(_) | Lookup::Present => known(Value::Bool(true), None),
                Lookup::Missing => known(Value::Bool(false), None),
                Lookup::Unknown => {
                    Abstract::Unknown(format!("it is not known whether {name} is set"))
                }
            },
            Kind::Not(x) => self.unary(x, Type::Bool, |v| match v {
                Value::Bool(b) => (Value::Bool(!b), None),
                other => (other, None),
            }),
            Kind::Negate(x) => self.unary(x, Type::Int, |v| match v {
                Value::Int(i) => match i.checked_neg() {
                    Some(n) => (Value::Int(n), None),
                    None => (Value::Int(i32::MAX), Some(overflow())),
                },
                other => (other, None),
            }),
            Kind::Binary(BinaryOp::And, a, b) => return self.and(node, a, b),
            Kind::Binary(BinaryOp::Or, a, b) => return self.or(node, a, b),
            Kind::Binary(op, a, b) => return self.binary(node, *op, a, b),
            Kind::Like {
                value,
                pattern,
                negated,
            } => self.unary(value, Type::Str, |v| {
                let matched = like(&v.to_string(), pattern);
                (Value::Bool(matched != *negated), None)
            }),
            Kind::In {
                value,
                set,
                negated,
            } => return self.member(node, value, set, *negated),
            Kind::Call { name, args } => return self.call(node, name, args),
        };
        self.decided(node, outcome)
    }

    fn attribute(&self, name: &str) -> Abstract {
        match self.attributes.lookup(name) {
            Lookup::Value(value) => known(value, None),
            Lookup::Missing => known(
                Value::Bool(false),
                Some(Error::new(
                    ErrorKind::MissingAttribute,
                    format!("the event has no attribute {name}"),
                )),
            ),
            Lookup::Present | Lookup::Unknown => Abstract::Unknown(format!("{name} is not known")),
        }
    }

    /// NOT, unary minus and LIKE: an operand error yields the zero value; a failed cast yields
    /// the target's zero value and the operator goes on (`NOT 10` is true, with a cast error).
    fn unary(
        &self,
        operand: &Node,
        to: Type,
        apply: impl Fn(Value) -> (Value, Option<Error>),
    ) -> Abstract {
        let result_type = if to == Type::Str { Type::Bool } else { to };
        match self.node(operand).outcome {
            Abstract::Known(Evaluation {
                error: Some(error), ..
            }) => known(Value::zero(result_type), Some(error)),
            Abstract::Known(Evaluation { value, .. }) => {
                let (value, cast_error) = value.cast(to);
                let (value, error) = apply(value);
                known(value, cast_error.or(error))
            }
            Abstract::NotTrue => Abstract::Unknown("a condition may fail with an error".into()),
            unknown @ Abstract::Unknown(_) => unknown,
        }
    }

    /// Both operands known and free of errors, or the outcome that ends evaluation here.
    fn operands(
        &self,
        node: &Node,
        a: &Node,
        b: &Node,
        zero: Type,
    ) -> Result<(Value, Value), Decided> {
        let mut values = Vec::with_capacity(2);
        for operand in [a, b] {
            let decided = self.node(operand);
            match decided.outcome {
                Abstract::Known(Evaluation { value, error: None }) => values.push(value),
                Abstract::Known(Evaluation { error, .. }) => {
                    return Err(Decided {
                        outcome: known(Value::zero(zero), error),
                        clause: decided.clause,
                    });
                }
                Abstract::NotTrue => {
                    let unknown = Abstract::Unknown("a condition may fail with an error".into());
                    return Err(self.decided(node, unknown));
                }
                unknown @ Abstract::Unknown(_) => return Err(self.decided(node, unknown)),
            }
        }
        let right = values.pop().unwrap_or(Value::Bool(false));
        let left = values.pop().unwrap_or(Value::Bool(false));
        Ok((left, right))
    }

    fn binary(&self, node: &Node, op: BinaryOp, a: &Node, b: &Node) -> Decided {
        let result_type = match op {
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem | BinaryOp::Add | BinaryOp::Sub => {
                Type::Int
            }
            _ => Type::Bool,
        };
        let (left, right) = match self.operands(node, a, b, result_type) {
            Ok(values) => values,
            Err(decided) => return decided,
        };
        let outcome = match op {
            BinaryOp::Eq | BinaryOp::NotEq => {
                // `=` is ambiguous: the left operand takes the right one's type (spec §3.7).
                let (left, error) = left.cast(right.type_of());
                known(Value::Bool((left == right) == (op == BinaryOp::Eq)), error)
            }
            BinaryOp::Xor => {
                let (left, e1) = left.cast(Type::Bool);
                let (right, e2) = right.cast(Type::Bool);
                known(Value::Bool(left != right), e1.or(e2))
            }
            _ => {
                let (l, e1) = left.integer();
                let (r, e2) = right.integer();
                let (value, error) = integer_op(op, l, r);
                known(value, e1.or(e2).or(error))
            }
        };
        self.decided(node, outcome)
    }

    fn and(&self, node: &Node, a: &Node, b: &Node) -> Decided {
        let left = self.node(a);
        match truth(&left.outcome) {
            Truth::Error | Truth::False | Truth::NotTrue => return not_true(left),
            Truth::True => {}
            Truth::Unknown => {
                let right = self.node(b);
                // Whatever the left is, a right that cannot be a clean true fails the AND.
                return match truth(&right.outcome) {
                    Truth::Error | Truth::False | Truth::NotTrue => Decided {
                        outcome: Abstract::NotTrue,
                        clause: right.clause,
                    },
                    _ => left,
                };
            }
        }
        let right = self.node(b);
        match truth(&right.outcome) {
            Truth::True => self.decided(node, boolean(right.outcome)),
            _ => not_true(right),
        }
    }

    fn or(&self, node: &Node, a: &Node, b: &Node) -> Decided {
        let left = self.node(a);
        match truth(&left.outcome) {
            Truth::Error => return not_true(left),
            Truth::True => return self.decided(node, boolean(left.outcome)),
            // The left may be an error, which fails the OR whatever the right says.
            Truth::Unknown => return left,
            Truth::False | Truth::NotTrue => {}
        }
        let right = self.node(b);
        match (truth(&left.outcome), truth(&right.outcome)) {
            (Truth::NotTrue, Truth::True | Truth::Unknown) => Decided {
                outcome: Abstract::Unknown("a condition may fail with an error".into()),
                clause: left.clause,
            },
            (Truth::NotTrue, _) => Decided {
                outcome: Abstract::NotTrue,
                clause: right.clause,
            },
            (_, Truth::True) => self.decided(node, boolean(right.outcome)),
            (_, Truth::Unknown) => right,
            _ => not_true(right),
        }
    }

    fn member(&self, node: &Node, value: &Node, set: &[Node], negated: bool) -> Decided {
        let wanted = self.node(value);
        let wanted = match wanted.outcome {
            Abstract::Known(Evaluation { value, error: None }) => value,
            Abstract::Known(Evaluation { error, .. }) => {
                return self.decided(node, known(Value::Bool(false), error));
            }
            _ => return unknown(wanted),
        };
        let mut cast_error = None;
        for element in set {
            let decided = self.node(element);
            match decided.outcome {
                Abstract::Known(Evaluation {
                    value: element,
                    error: None,
                }) => {
                    let (element, error) = element.cast(wanted.type_of());
                    cast_error = cast_error.or(error);
                    if element == wanted {
                        return self.decided(node, known(Value::Bool(!negated), cast_error));
                    }
                }
                Abstract::Known(Evaluation { error, .. }) => {
                    return self.decided(node, known(Value::Bool(false), error));
                }
                _ => return unknown(decided),
            }
        }
        self.decided(node, known(Value::Bool(negated), cast_error))
    }

    fn call(&self, node: &Node, name: &str, args: &[Node]) -> Decided {
        let Some(function) = functions::find(name, args.len()) else {
            let message = format!("no function {name} with {} arguments", args.len());
            let error = Error::new(ErrorKind::MissingFunction, message);
            return self.decided(node, known(Value::Bool(false), Some(error)));
        };
        let mut values = Vec::with_capacity(args.len());
        let mut cast_error = None;
        for (index, arg) in args.iter().enumerate() {
            let decided = self.node(arg);
            match decided.outcome {
                Abstract::Known(Evaluation { value, error: None }) => {
                    let (value, error) = match function.parameter(index) {
                        Some(to) => value.cast(to),
                        None => (value, None),
                    };
                    cast_error = cast_error.or(error);
                    values.push(value);
                }
                Abstract::Known(Evaluation { error, .. }) => {
                    return self.decided(node, known(Value::zero(function.returns), error));
                }
                _ => return unknown(decided),
            }
        }
        let (value, error) = (function.apply)(&values);
        self.decided(node, known(value, cast_error.or(error)))
    }
}

/// An operand that is not known, as the operator's outcome: "false or an error" is not a
/// value an operator can go on with.
fn unknown(operand: Decided) -> Decided {
    let outcome = match operand.outcome {
        Abstract::NotTrue => Abstract::Unknown("a condition may fail with an error".into()),
        other => other,
    };
    Decided {
        outcome,
        clause: operand.clause,
    }
}

fn overflow() -> Error {
    Error::new(ErrorKind::Math, "the result is not a 32-bit integer")
}

/// Integer operators. Overflow wraps, as 32-bit arithmetic does in the Go SDK.
fn integer_op(op: BinaryOp, l: i32, r: i32) -> (Value, Option<Error>) {
    let by_zero = || {
        let error = Error::new(ErrorKind::Math, "division by zero");
        (Value::Int(0), Some(error))
    };
    let value = match op {
        BinaryOp::Mul => Value::Int(l.wrapping_mul(r)),
        BinaryOp::Div if r == 0 => return by_zero(),
        BinaryOp::Rem if r == 0 => return by_zero(),
        BinaryOp::Div => Value::Int(l.wrapping_div(r)),
        BinaryOp::Rem => Value::Int(l.wrapping_rem(r)),
        BinaryOp::Add => Value::Int(l.wrapping_add(r)),
        BinaryOp::Sub => Value::Int(l.wrapping_sub(r)),
        BinaryOp::Less => Value::Bool(l < r),
        BinaryOp::LessEq => Value::Bool(l <= r),
        BinaryOp::Greater => Value::Bool(l > r),
        _ => Value::Bool(l >= r),
    };
    (value, None)
}

enum Truth {
    True,
    False,
    Error,
    NotTrue,
    Unknown,
}

/// An operand of AND or OR as a Boolean: a failed cast is false.
fn truth(outcome: &Abstract) -> Truth {
    match outcome {
        Abstract::Known(Evaluation { error: Some(_), .. }) => Truth::Error,
        Abstract::Known(Evaluation { value, .. }) => match value.clone().cast(Type::Bool) {
            (Value::Bool(true), None) => Truth::True,
            (_, None) => Truth::False,
            (_, Some(_)) => Truth::Error,
        },
        Abstract::NotTrue => Truth::NotTrue,
        Abstract::Unknown(_) => Truth::Unknown,
    }
}

/// The AND or OR ends with this operand's false or error, as its zero value.
fn not_true(operand: Decided) -> Decided {
    let outcome = match operand.outcome {
        Abstract::Known(Evaluation { error, value }) => {
            let (_, cast_error) = value.cast(Type::Bool);
            known(Value::Bool(false), error.or(cast_error))
        }
        other => other,
    };
    Decided {
        outcome,
        clause: operand.clause,
    }
}

/// A clean true operand as the Boolean it is (`'TRUE' AND 'true'` is `true`).
fn boolean(outcome: Abstract) -> Abstract {
    match outcome {
        Abstract::Known(Evaluation { value, error }) => {
            let (value, cast_error) = value.cast(Type::Bool);
            known(value, error.or(cast_error))
        }
        other => other,
    }
}

/// LIKE: `%` any run of characters, `_` one character, `\%` and `\_` themselves. Any other
/// backslash is a character like the rest.
fn like(value: &str, pattern: &str) -> bool {
    enum Token {
        Char(char),
        One,
        Many,
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('%' | '_')) => {
                    chars.next();
                    tokens.push(Token::Char(next));
                }
                _ => tokens.push(Token::Char('\\')),
            },
            '%' => tokens.push(Token::Many),
            '_' => tokens.push(Token::One),
            other => tokens.push(Token::Char(other)),
        }
    }
    let value: Vec<char> = value.chars().collect();
    // matches[j]: the pattern so far matches value[..j].
    let mut matches = vec![false; value.len() + 1];
    matches[0] = true;
    for token in &tokens {
        let mut next = vec![false; value.len() + 1];
        for j in 0..=value.len() {
            next[j] = match token {
                Token::Many => matches[j] || (j > 0 && next[j - 1]),
                Token::One => j > 0 && matches[j - 1],
                Token::Char(c) => j > 0 && matches[j - 1] && value[j - 1] == *c,
            };
        }
        matches = next;
    }
    matches[value.len()]
}
