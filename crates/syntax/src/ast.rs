//! Owns the syntax tree: what was written, with spans, before any name or unit is checked.

use scorecard_diagnostic::Span;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, Default)]
pub struct File {
    pub declarations: Vec<Declaration>,
}

/// `/// doc` `keyword name "Label"? { entries }`
#[derive(Debug, Clone, Serialize)]
pub struct Declaration {
    pub doc: Option<String>,
    pub keyword: Ident,
    pub name: Ident,
    pub label: Option<Str>,
    pub entries: Vec<Entry>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ident {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Str {
    pub text: String,
    pub span: Span,
}

/// `key: value`
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub doc: Option<String>,
    /// For a quoted key (`"FY2027-Q4": ...`), the text inside the quotes.
    pub key: Ident,
    pub quoted: bool,
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum Value {
    /// `{ key: value ... }`
    Block(Vec<Entry>, Span),
    /// One or more comma-separated items.
    Items(Vec<Item>, Span),
}

impl Value {
    pub fn span(&self) -> Span {
        match self {
            Value::Block(_, s) | Value::Items(_, s) => *s,
        }
    }
}

/// An expression followed by bare words: `text key`, `1 decimal half_even`, `red otherwise`. A quoted
/// word (`escalate to "Audit Committee"`) keeps its quotes in the modifier's text, so that it never
/// reads as a bare word.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub expr: Expr,
    pub modifiers: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum ExprKind {
    /// A decimal literal as written, e.g. `0.95`.
    Number(String),
    /// A percent literal as written without the sign, e.g. `95` for `95%`.
    Percent(String),
    Str(String),
    /// `2026-07-01`
    Date(String),
    /// `2026-05`, `FY2027-Q4`: a period's name, in tests.
    Period(String),
    /// `name` or `dataset.column`
    Path(Vec<Ident>),
    Call {
        name: Ident,
        args: Vec<Arg>,
    },
    List(Vec<Expr>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `x[-1]`, `x[same period last year]`
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    /// `same period last year`
    SamePeriodLastYear,
    /// `12 months`: a count and its unit as written.
    Duration {
        count: String,
        unit: Ident,
    },
    /// `5 points`: percentage points, the number as written.
    Points(String),
    /// `escalation margin_erosion[region = "EMEA"] not raised in 2026-05`, in tests.
    Raised {
        escalation: Ident,
        /// The segment, as `column = "value"` comparisons; empty for any segment.
        segment: Vec<Expr>,
        negated: bool,
        period: Box<Expr>,
    },
    /// `gross_margin is not green in 2 of the last 3 periods`, in escalation conditions.
    StatusTest {
        subject: Box<Expr>,
        negated: bool,
        status: Ident,
        window: Option<StatusWindow>,
    },
    /// `net_revenue deviates from sum(budget.revenue) by more than 5%`, in escalation conditions.
    Deviates {
        left: Box<Expr>,
        right: Box<Expr>,
        /// `5%` (of the other side), `5 points`, or an amount.
        tolerance: Box<Expr>,
    },
}

/// How many periods a status test looks at.
#[derive(Debug, Clone, Serialize)]
pub enum StatusWindow {
    /// `for 2 periods`: every one of the last N.
    For { length: Box<Expr> },
    /// `in 2 of the last 3 periods`.
    InLast { count: Str, length: Box<Expr> },
}

/// A call argument: `name: expr`, `expr`, or `expr where filter`.
#[derive(Debug, Clone, Serialize)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
    pub filter: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `channel in ("organic", "direct")`: membership, in filters.
    In,
    Add,
    Sub,
    Mul,
    Div,
    /// `95% of target`: multiplication that reads as English.
    Of,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Of => "of",
        }
    }
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}
