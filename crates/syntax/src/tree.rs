//! Owns building the syntax tree from pest's pairs, with expression precedence.

use super::ast::*;
use super::limits::{self, MAX_NESTING, MAX_OPERATORS};
use super::Rule;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use scorecard_diagnostic::{Diagnostic, Span};
use std::cell::{Cell, RefCell};
use std::sync::OnceLock;

type P<'a> = Pair<'a, Rule>;

/// Precedence, loosest first: `or`, `and`, `not`, comparisons, `+ -`, `* / of`, unary minus, `[index]`.
fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::or, Assoc::Left))
            .op(Op::infix(Rule::and, Assoc::Left))
            .op(Op::prefix(Rule::not))
            .op(Op::infix(Rule::eq, Assoc::Left)
                | Op::infix(Rule::ne, Assoc::Left)
                | Op::infix(Rule::lt, Assoc::Left)
                | Op::infix(Rule::le, Assoc::Left)
                | Op::infix(Rule::gt, Assoc::Left)
                | Op::infix(Rule::ge, Assoc::Left)
                | Op::infix(Rule::in_list, Assoc::Left))
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
            .op(Op::infix(Rule::mul, Assoc::Left)
                | Op::infix(Rule::div, Assoc::Left)
                | Op::infix(Rule::of, Assoc::Left))
            .op(Op::prefix(Rule::neg))
            .op(Op::postfix(Rule::index)
                | Op::postfix(Rule::status_test)
                | Op::postfix(Rule::deviates))
    })
}

struct Ctx {
    offset: usize,
    /// The operators of the value being built so far, nested ones included.
    operators: Cell<usize>,
    /// A value or a run of prefix operators beyond the limits (`limits.rs`): the declaration is
    /// reported and left out.
    beyond: RefCell<Option<Diagnostic>>,
}

impl Ctx {
    /// The pair's place in the file. A rule that ends in a repetition (`operand`'s `index*`) takes
    /// in the whitespace pest skipped before the repetition found nothing more: that is left out.
    fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        let trailing = p.as_str().len() - p.as_str().trim_end().len();
        Span::new(s.start() + self.offset, s.end() - trailing + self.offset)
    }
    fn ident(&self, p: P) -> Ident {
        Ident {
            span: self.span(&p),
            text: p.as_str().to_string(),
        }
    }
}

/// Builds a declaration from a `declaration` pair whose positions start at `offset` in the file,
/// or says where it passes a limit on the shape of a value.
pub fn declaration(p: P, offset: usize) -> Result<Declaration, Diagnostic> {
    let cx = Ctx {
        offset,
        operators: Cell::new(0),
        beyond: RefCell::new(None),
    };
    let built = build_declaration(&cx, p);
    match cx.beyond.into_inner() {
        Some(d) => Err(d),
        None => Ok(built),
    }
}

fn build_declaration(cx: &Ctx, p: P) -> Declaration {
    let span = cx.span(&p);
    let mut doc_lines = Vec::new();
    let mut idents = Vec::new();
    let mut label = None;
    let mut entries = Vec::new();
    for part in p.into_inner() {
        match part.as_rule() {
            Rule::doc_comment => doc_lines.push(doc_text(part)),
            Rule::ident => idents.push(cx.ident(part)),
            Rule::string => label = Some(string(cx, part)),
            Rule::block => entries = block(cx, part),
            _ => {}
        }
    }
    let mut idents = idents.into_iter();
    let keyword = idents.next().unwrap_or_else(|| empty_ident(span));
    let name = idents.next().unwrap_or_else(|| empty_ident(span));
    Declaration {
        doc: join_doc(doc_lines),
        keyword,
        name,
        label,
        entries,
        span,
    }
}

fn empty_ident(span: Span) -> Ident {
    Ident {
        text: String::new(),
        span,
    }
}

fn doc_text(p: P) -> String {
    p.into_inner()
        .next()
        .map(|t| {
            t.as_str()
                .strip_prefix(' ')
                .unwrap_or(t.as_str())
                .trim_end()
                .to_string()
        })
        .unwrap_or_default()
}

fn join_doc(lines: Vec<String>) -> Option<String> {
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn block(cx: &Ctx, p: P) -> Vec<Entry> {
    p.into_inner()
        .filter(|e| e.as_rule() == Rule::entry)
        .map(|e| entry(cx, e))
        .collect()
}

fn entry(cx: &Ctx, p: P) -> Entry {
    let span = cx.span(&p);
    let mut doc_lines = Vec::new();
    let mut key = None;
    let mut quoted = false;
    let mut value = None;
    for part in p.into_inner() {
        match part.as_rule() {
            Rule::doc_comment => doc_lines.push(doc_text(part)),
            Rule::ident => key = Some(cx.ident(part)),
            Rule::string => {
                let s = string(cx, part);
                key = Some(Ident {
                    text: s.text,
                    span: s.span,
                });
                quoted = true;
            }
            Rule::value => value = Some(value_of(cx, part)),
            _ => {}
        }
    }
    Entry {
        doc: join_doc(doc_lines),
        key: key.unwrap_or_else(|| empty_ident(span)),
        quoted,
        value: value.unwrap_or(Value::Items(Vec::new(), span)),
        span,
    }
}

fn value_of(cx: &Ctx, p: P) -> Value {
    let span = cx.span(&p);
    match p.into_inner().next() {
        Some(inner) if inner.as_rule() == Rule::block => Value::Block(block(cx, inner), span),
        Some(items) => Value::Items(items.into_inner().map(|i| item(cx, i)).collect(), span),
        None => Value::Items(Vec::new(), span),
    }
}

fn item(cx: &Ctx, p: P) -> Item {
    let span = cx.span(&p);
    cx.operators.set(0);
    let mut inner = p.into_inner();
    let e = inner
        .next()
        .map(|e| expr(cx, e.into_inner()))
        .unwrap_or(Expr {
            kind: ExprKind::List(Vec::new()),
            span,
        });
    Item {
        expr: e,
        modifiers: inner.map(|m| modifier(cx, m)).collect(),
        span,
    }
}

/// The operators of one level of an expression (pest lists them flat) counted against the
/// limits: a run of prefix operators nests, and every operator counts towards its value's total.
/// Beyond either, the expression is not built (an empty list stands in) and the place is kept.
fn within_limits(cx: &Ctx, pairs: &Pairs<Rule>) -> bool {
    let (mut operators, mut run, mut run_start) = (0, 0, None);
    for p in pairs.clone() {
        let rule = p.as_rule();
        let prefix = matches!(rule, Rule::neg | Rule::not);
        if prefix {
            run += 1;
            let start = *run_start.get_or_insert(cx.span(&p));
            if run > MAX_NESTING {
                return beyond(cx, limits::too_deep(start.to(cx.span(&p))));
            }
        } else {
            (run, run_start) = (0, None);
        }
        if prefix || is_operator(rule) {
            operators += 1;
        }
    }
    let total = cx.operators.get() + operators;
    cx.operators.set(total);
    if total > MAX_OPERATORS {
        let first = pairs
            .clone()
            .next()
            .map(|p| cx.span(&p))
            .unwrap_or_default();
        return beyond(cx, limits::too_long(first));
    }
    true
}

fn is_operator(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::or
            | Rule::and
            | Rule::in_list
            | Rule::eq
            | Rule::ne
            | Rule::le
            | Rule::ge
            | Rule::lt
            | Rule::gt
            | Rule::add
            | Rule::sub
            | Rule::mul
            | Rule::div
            | Rule::of
            | Rule::index
            | Rule::status_test
            | Rule::deviates
    )
}

/// Keeps the first place a limit is passed; `false`, so the caller stops building.
fn beyond(cx: &Ctx, d: Diagnostic) -> bool {
    cx.beyond.borrow_mut().get_or_insert(d);
    false
}

fn expr(cx: &Ctx, pairs: Pairs<Rule>) -> Expr {
    if cx.beyond.borrow().is_some() || !within_limits(cx, &pairs) {
        return Expr {
            kind: ExprKind::List(Vec::new()),
            span: Span::default(),
        };
    }
    pratt()
        .map_primary(|p| primary(cx, p))
        .map_prefix(|op, operand| {
            let span = cx.span(&op).to(operand.span);
            let op = if op.as_rule() == Rule::neg {
                UnaryOp::Neg
            } else {
                UnaryOp::Not
            };
            Expr {
                kind: ExprKind::Unary {
                    op,
                    operand: Box::new(operand),
                },
                span,
            }
        })
        .map_postfix(|target, op| {
            let span = target.span.to(cx.span(&op));
            match op.as_rule() {
                Rule::status_test => return status_test(cx, target, op, span),
                Rule::deviates => return deviates(cx, target, op, span),
                _ => {}
            }
            let index = index_of(cx, op, span);
            Expr {
                kind: ExprKind::Index {
                    target: Box::new(target),
                    index: Box::new(index),
                },
                span,
            }
        })
        .map_infix(|left, op, right| {
            let op = match op.as_rule() {
                Rule::or => BinaryOp::Or,
                Rule::and => BinaryOp::And,
                Rule::eq => BinaryOp::Eq,
                Rule::ne => BinaryOp::Ne,
                Rule::lt => BinaryOp::Lt,
                Rule::le => BinaryOp::Le,
                Rule::gt => BinaryOp::Gt,
                Rule::ge => BinaryOp::Ge,
                Rule::in_list => BinaryOp::In,
                Rule::add => BinaryOp::Add,
                Rule::sub => BinaryOp::Sub,
                Rule::mul => BinaryOp::Mul,
                Rule::div => BinaryOp::Div,
                _ => BinaryOp::Of,
            };
            let span = left.span.to(right.span);
            Expr {
                kind: ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            }
        })
        .parse(pairs)
}

/// A bare word as written; a quoted one with its quotes around its text.
fn modifier(cx: &Ctx, p: P) -> Ident {
    if p.as_rule() != Rule::quoted_modifier {
        return cx.ident(p);
    }
    let raw = p.as_str();
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    Ident {
        text: format!("\"{}\"", unescape(inner)),
        span: cx.span(&p),
    }
}

/// `subject is not red in 2 of the last 3 periods`
fn status_test(cx: &Ctx, subject: Expr, op: P, span: Span) -> Expr {
    let mut negated = false;
    let mut status = None;
    let mut window = None;
    for part in op.into_inner() {
        match part.as_rule() {
            Rule::negated => negated = true,
            Rule::ident => status = Some(cx.ident(part)),
            // Two words in the file, one status: named as the results name it.
            Rule::insufficient_data => {
                status = Some(Ident {
                    span: cx.span(&part),
                    text: crate::INSUFFICIENT_DATA.to_string(),
                })
            }
            Rule::for_window => {
                let length = part
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::duration)
                    .map(|d| primary(cx, d));
                window = length.map(|l| StatusWindow::For {
                    length: Box::new(l),
                });
            }
            Rule::in_last => {
                let mut count = None;
                let mut length = None;
                for p in part.into_inner() {
                    match p.as_rule() {
                        Rule::number => {
                            count = Some(Str {
                                text: p.as_str().to_string(),
                                span: cx.span(&p),
                            })
                        }
                        Rule::duration => length = Some(primary(cx, p)),
                        _ => {}
                    }
                }
                if let (Some(count), Some(length)) = (count, length) {
                    window = Some(StatusWindow::InLast {
                        count,
                        length: Box::new(length),
                    });
                }
            }
            _ => {}
        }
    }
    Expr {
        kind: ExprKind::StatusTest {
            subject: Box::new(subject),
            negated,
            status: status.unwrap_or_else(|| empty_ident(span)),
            window,
        },
        span,
    }
}

/// `left deviates from right by more than tolerance`
fn deviates(cx: &Ctx, left: Expr, op: P, span: Span) -> Expr {
    let mut right = None;
    let mut tolerance = None;
    for part in op.into_inner() {
        match part.as_rule() {
            Rule::operand => right = Some(expr(cx, part.into_inner())),
            Rule::points | Rule::percent | Rule::number => tolerance = Some(primary(cx, part)),
            _ => {}
        }
    }
    let empty = || Expr {
        kind: ExprKind::List(Vec::new()),
        span,
    };
    Expr {
        kind: ExprKind::Deviates {
            left: Box::new(left),
            right: Box::new(right.unwrap_or_else(empty)),
            tolerance: Box::new(tolerance.unwrap_or_else(empty)),
        },
        span,
    }
}

fn primary(cx: &Ctx, p: P) -> Expr {
    let span = cx.span(&p);
    let kind = match p.as_rule() {
        Rule::number => ExprKind::Number(p.as_str().to_string()),
        Rule::percent => ExprKind::Percent(p.as_str().trim_end_matches('%').to_string()),
        Rule::points => ExprKind::Points(
            p.into_inner()
                .next()
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
        ),
        Rule::date => ExprKind::Date(p.as_str().to_string()),
        Rule::period => ExprKind::Period(p.as_str().to_string()),
        Rule::raised_test => raised_test(cx, p, span),
        Rule::same_period_last_year => ExprKind::SamePeriodLastYear,
        Rule::duration => {
            let mut inner = p.into_inner();
            let count = inner
                .next()
                .map(|n| n.as_str().to_string())
                .unwrap_or_default();
            let unit = inner
                .next()
                .map(|u| cx.ident(u))
                .unwrap_or_else(|| empty_ident(span));
            ExprKind::Duration { count, unit }
        }
        Rule::string => ExprKind::Str(string(cx, p).text),
        Rule::path => ExprKind::Path(p.into_inner().map(|i| cx.ident(i)).collect()),
        Rule::list => ExprKind::List(p.into_inner().map(|e| expr(cx, e.into_inner())).collect()),
        Rule::group => {
            let mut items: Vec<Expr> = p.into_inner().map(|e| expr(cx, e.into_inner())).collect();
            if items.len() == 1 {
                return items.remove(0);
            }
            ExprKind::List(items)
        }
        Rule::call => {
            let mut inner = p.into_inner();
            let name = inner
                .next()
                .map(|n| cx.ident(n))
                .unwrap_or_else(|| empty_ident(span));
            ExprKind::Call {
                name,
                args: inner.map(|a| arg(cx, a)).collect(),
            }
        }
        _ => ExprKind::List(Vec::new()),
    };
    Expr { kind, span }
}

/// What is inside `[...]`: one expression, or a list when commas separate several (a period and
/// a segment, in tests).
fn index_of(cx: &Ctx, p: P, span: Span) -> Expr {
    let inner = cx.span(&p);
    let mut parts: Vec<Expr> = p.into_inner().map(|e| expr(cx, e.into_inner())).collect();
    match parts.len() {
        0 => Expr {
            kind: ExprKind::List(Vec::new()),
            span,
        },
        1 => parts.remove(0),
        _ => Expr {
            kind: ExprKind::List(parts),
            span: inner,
        },
    }
}

/// `escalation name[segment] not raised in period`
fn raised_test(cx: &Ctx, p: P, span: Span) -> ExprKind {
    let mut escalation = empty_ident(span);
    let mut segment = Vec::new();
    let mut negated = false;
    let mut period = None;
    for part in p.into_inner() {
        match part.as_rule() {
            Rule::ident => escalation = cx.ident(part),
            Rule::index => {
                let s = cx.span(&part);
                segment = match index_of(cx, part, s) {
                    Expr {
                        kind: ExprKind::List(items),
                        ..
                    } => items,
                    one => vec![one],
                };
            }
            Rule::negated => negated = true,
            Rule::operand => period = Some(expr(cx, part.into_inner())),
            _ => {}
        }
    }
    ExprKind::Raised {
        escalation,
        segment,
        negated,
        period: Box::new(period.unwrap_or(Expr {
            kind: ExprKind::List(Vec::new()),
            span,
        })),
    }
}

fn arg(cx: &Ctx, p: P) -> Arg {
    let span = cx.span(&p);
    let mut name = None;
    let mut exprs = Vec::new();
    for part in p.into_inner() {
        match part.as_rule() {
            Rule::ident => name = Some(cx.ident(part)),
            Rule::expr => exprs.push(expr(cx, part.into_inner())),
            _ => {}
        }
    }
    let mut exprs = exprs.into_iter();
    let value = exprs.next().unwrap_or(Expr {
        kind: ExprKind::List(Vec::new()),
        span,
    });
    Arg {
        name,
        value,
        filter: exprs.next(),
        span,
    }
}

fn string(cx: &Ctx, p: P) -> Str {
    let span = cx.span(&p);
    let inner = p.into_inner().next();
    if let Some(triple) = inner.as_ref().filter(|i| i.as_rule() == Rule::triple_inner) {
        return Str {
            text: triple.as_str().to_string(),
            span,
        };
    }
    let raw = inner.map(|i| i.as_str()).unwrap_or("");
    Str {
        text: unescape(raw),
        span,
    }
}

/// The text of a one-line string: `\n`, `\t`, `\"` and `\\` stand for what they escape.
fn unescape(raw: &str) -> String {
    let mut text = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => text.push('\n'),
                Some('t') => text.push('\t'),
                Some(other) => text.push(other),
                None => {}
            }
        } else {
            text.push(c);
        }
    }
    text
}
