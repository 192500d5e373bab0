//! Text to expression tree, with the pest grammar in `cesql.pest` and a Pratt parser for the
//! operators' precedence.

use pest::Parser;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::OnceLock;

#[derive(pest_derive::Parser)]
#[grammar = "cesql/cesql.pest"]
struct Grammar;

/// A parsed expression, with its text so that any part can be quoted back.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    pub(super) root: Node,
    text: String,
}

impl Expression {
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The source text of a node.
    pub(super) fn quote(&self, node: &Node) -> &str {
        self.text.get(node.start..node.end).unwrap_or("").trim()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Bool(bool),
    /// Wider than the language's 32 bits until `-` is folded in, so `-2147483648` is a literal.
    Int(i64),
    Str(String),
    Attribute(String),
    Exists(String),
    Not(Box<Node>),
    Negate(Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    Like {
        value: Box<Node>,
        pattern: String,
        negated: bool,
    },
    In {
        value: Box<Node>,
        set: Vec<Node>,
        negated: bool,
    },
    Call {
        name: String,
        args: Vec<Node>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinaryOp {
    And,
    Or,
    Xor,
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// Pest's message, with the line and a caret under the place.
    pub message: String,
    /// Refused by kn-mesh's own size limits, not by the grammar.
    pub too_large: bool,
}

/// Parsing and evaluation recurse once per operator and parenthesis; filters are short, and a
/// hostile one must not exhaust a thread's stack (checked on 2 MiB, a tokio worker's, in the
/// tests). Past the limit, the error says it is kn-mesh's, not Knative's.
pub const MAX_OPERATORS: usize = 256;
pub const MAX_LENGTH: usize = 16 << 10;

pub fn parse(text: &str) -> Result<Expression, ParseError> {
    if text.len() > MAX_LENGTH {
        return Err(ParseError {
            message: format!("the expression is longer than {MAX_LENGTH} bytes"),
            too_large: true,
        });
    }
    let operators = operators(text);
    if operators > MAX_OPERATORS {
        return Err(ParseError {
            message: format!(
                "the expression has {operators} operators and parentheses; kn-mesh evaluates up \
                 to {MAX_OPERATORS} (a limit of kn-mesh's, not of Knative's)"
            ),
            too_large: true,
        });
    }
    let mut pairs = Grammar::parse(Rule::cesql, text).map_err(|e| ParseError {
        message: e.renamed_rules(rule_name).to_string(),
        too_large: false,
    })?;
    let expr = pairs
        .next()
        .and_then(|cesql| cesql.into_inner().next())
        .ok_or_else(|| ParseError {
            message: "an empty expression".into(),
            too_large: false,
        })?;
    let root = expression(expr.into_inner());
    check_integers(&root)?;
    Ok(Expression {
        root,
        text: text.to_string(),
    })
}

/// Operators, keywords and opening parentheses outside string literals: a bound on how deep
/// the tree can be.
fn operators(text: &str) -> usize {
    let mut count = 0;
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    let mut chars = text.chars();
    let is_keyword = |w: &str| {
        ["AND", "OR", "XOR", "NOT", "LIKE", "IN", "EXISTS"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(w))
    };
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            match c {
                '\\' => {
                    chars.next();
                }
                c if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        count += usize::from(is_keyword(&word));
        word.clear();
        let operator = matches!(c, '(' | '+' | '-' | '*' | '/' | '%' | '=' | '<' | '>' | '!');
        match c {
            '\'' | '"' => quote = Some(c),
            // `!=`, `<=`, `<>` and `>=` are one operator each.
            '=' | '>' if matches!(previous, '<' | '>' | '!') => {}
            _ if operator => count += 1,
            _ => {}
        }
        previous = c;
    }
    count + usize::from(is_keyword(&word))
}

fn rule_name(rule: &Rule) -> String {
    match rule {
        Rule::EOI => "end of expression",
        Rule::paren => "(",
        Rule::expr => "an expression",
        Rule::string => "a string literal",
        Rule::identifier => "an attribute name",
        Rule::integer => "an integer",
        Rule::and | Rule::or | Rule::xor => "AND, OR or XOR",
        Rule::like_op | Rule::like_kw => "LIKE",
        Rule::in_op | Rule::in_kw => "IN",
        Rule::not_op | Rule::not_kw => "NOT",
        Rule::neg => "-",
        Rule::function => "a function",
        Rule::exists_kw => "EXISTS",
        Rule::boolean => "TRUE or FALSE",
        _ => return format!("{rule:?}"),
    }
    .to_string()
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::and, Assoc::Right)
                | Op::infix(Rule::or, Assoc::Right)
                | Op::infix(Rule::xor, Assoc::Right))
            .op(Op::infix(Rule::eq, Assoc::Left)
                | Op::infix(Rule::ne, Assoc::Left)
                | Op::infix(Rule::ltgt, Assoc::Left)
                | Op::infix(Rule::lt, Assoc::Left)
                | Op::infix(Rule::le, Assoc::Left)
                | Op::infix(Rule::gt, Assoc::Left)
                | Op::infix(Rule::ge, Assoc::Left))
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
            .op(Op::infix(Rule::mul, Assoc::Left)
                | Op::infix(Rule::div, Assoc::Left)
                | Op::infix(Rule::rem, Assoc::Left))
            .op(Op::postfix(Rule::like_op) | Op::postfix(Rule::in_op))
            .op(Op::prefix(Rule::not_op) | Op::prefix(Rule::neg))
    })
}

fn expression(pairs: Pairs<Rule>) -> Node {
    pratt()
        .map_primary(primary)
        .map_prefix(|op, operand| {
            let (start, end) = (op.as_span().start(), operand.end);
            let kind = match (op.as_rule(), operand.kind) {
                // A minus before a literal is part of it, as the grammar's integer-literal has
                // a sign: `-2147483648` is in range, `2147483648` is not.
                (Rule::neg, Kind::Int(i)) => Kind::Int(-i),
                (Rule::neg, kind) => Kind::Negate(Box::new(Node {
                    kind,
                    start: operand.start,
                    end,
                })),
                (_, kind) => Kind::Not(Box::new(Node {
                    kind,
                    start: operand.start,
                    end,
                })),
            };
            Node { kind, start, end }
        })
        .map_postfix(|operand, op| {
            let (start, end) = (operand.start, op.as_span().end());
            let rule = op.as_rule();
            let mut parts = op.into_inner().peekable();
            let negated = parts.next_if(|p| p.as_rule() == Rule::not_kw).is_some();
            parts.next(); // LIKE or IN
            let value = Box::new(operand);
            let kind = match rule {
                Rule::like_op => Kind::Like {
                    value,
                    pattern: parts.next().map(string_value).unwrap_or_default(),
                    negated,
                },
                _ => Kind::In {
                    value,
                    set: parts.map(|p| expression(p.into_inner())).collect(),
                    negated,
                },
            };
            Node { kind, start, end }
        })
        .map_infix(|left, op, right| {
            let op = match op.as_rule() {
                Rule::and => BinaryOp::And,
                Rule::or => BinaryOp::Or,
                Rule::xor => BinaryOp::Xor,
                Rule::mul => BinaryOp::Mul,
                Rule::div => BinaryOp::Div,
                Rule::rem => BinaryOp::Rem,
                Rule::add => BinaryOp::Add,
                Rule::sub => BinaryOp::Sub,
                Rule::eq => BinaryOp::Eq,
                Rule::ne | Rule::ltgt => BinaryOp::NotEq,
                Rule::lt => BinaryOp::Less,
                Rule::le => BinaryOp::LessEq,
                Rule::gt => BinaryOp::Greater,
                _ => BinaryOp::GreaterEq,
            };
            let (start, end) = (left.start, right.end);
            let kind = Kind::Binary(op, Box::new(left), Box::new(right));
            Node { kind, start, end }
        })
        .parse(pairs)
}

fn primary(pair: Pair<Rule>) -> Node {
    let (start, end) = (pair.as_span().start(), pair.as_span().end());
    let kind = match pair.as_rule() {
        // A parenthesised expression keeps its parentheses in quotes of it.
        Rule::paren => {
            let inner = pair.into_inner().next().map(|e| expression(e.into_inner()));
            let kind = inner.map_or(Kind::Bool(false), |node| node.kind);
            return Node { kind, start, end };
        }
        Rule::boolean => Kind::Bool(pair.as_str().eq_ignore_ascii_case("true")),
        // Too many digits for 64 bits is out of range all the same.
        Rule::integer => Kind::Int(pair.as_str().parse().unwrap_or(i64::MAX)),
        Rule::string => Kind::Str(string_value(pair)),
        // Attribute names are lower case in CloudEvents; the Go SDK lower-cases identifiers.
        Rule::identifier => Kind::Attribute(pair.as_str().to_ascii_lowercase()),
        Rule::exists => {
            let name = pair.into_inner().last().map(|p| p.as_str()).unwrap_or("");
            Kind::Exists(name.to_ascii_lowercase())
        }
        _ => {
            let mut parts = pair.into_inner();
            let name = parts.next().map(|p| p.as_str()).unwrap_or("");
            Kind::Call {
                name: name.to_ascii_uppercase(),
                args: parts.map(|p| expression(p.into_inner())).collect(),
            }
        }
    };
    Node { kind, start, end }
}

/// A string literal's value: the quotes off, and the escaped quote (`\'` in a single-quoted
/// literal) unescaped. Any other backslash stays, as LIKE gives it meaning, and a doubled quote
/// stays doubled, as in the Go SDK that Knative runs.
fn string_value(pair: Pair<Rule>) -> String {
    let text = pair.as_str();
    let quote = if text.starts_with('"') { '"' } else { '\'' };
    let inner = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
    inner.replace(&format!("\\{quote}"), &quote.to_string())
}

/// Integer literals must be 32-bit signed integers (spec §2.2).
fn check_integers(node: &Node) -> Result<(), ParseError> {
    let children: Vec<&Node> = match &node.kind {
        Kind::Int(i) if i32::try_from(*i).is_err() => {
            return Err(ParseError {
                message: format!("the integer {i} is not a 32-bit signed integer"),
                too_large: false,
            });
        }
        Kind::Not(x) | Kind::Negate(x) => vec![x],
        Kind::Binary(_, a, b) => vec![a, b],
        Kind::Like { value, .. } => vec![value],
        Kind::In { value, set, .. } => std::iter::once(&**value).chain(set).collect(),
        Kind::Call { args, .. } => args.iter().collect(),
        _ => Vec::new(),
    };
    children.into_iter().try_for_each(check_integers)
}
