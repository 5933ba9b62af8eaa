//! Owns `dataset` declarations: the source, its format, the time column and the typed columns.

use super::entries::{self, Entries};
use super::model::{
    Column, ColumnType, Currency, Dataset, SheetRange, SourceFormat, MAX_PRECISION,
};
use super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic};
use scorecard_syntax::ast::{Declaration, ExprKind, Item, Value};

const KEYS: &[&str] = &[
    "source",
    "time",
    "columns",
    "sheet",
    "range",
    "extracted",
    "complete_from",
    "grain",
    "checks",
    "time_zone",
];
const TYPES: &[&str] = &[
    "text",
    "integer",
    "decimal",
    "money",
    "percent",
    "date",
    "timestamp",
    "bool",
];

pub fn check(cx: &mut Checker, d: &Declaration) -> Option<Dataset> {
    let what = format!("dataset `{}`", d.name.text);
    let e = Entries::read(cx, "a dataset", &d.entries, KEYS);
    let (columns, ok) = columns(cx, d, &what, &e);
    let source = source(cx, d, &what, &e);
    let time = time(cx, d, &what, &e, &columns);
    let (sheet, range) = spreadsheet_part(cx, &e, &source);
    // A mistake in these is reported where it stands; the dataset is kept, so that the KPIs
    // reading it are still checked.
    let complete = super::coverage::completeness(cx, &e);
    let grain = e
        .get("grain")
        .and_then(|x| super::coverage::dataset_grain(cx, x));
    let time_zone = e.get("time_zone").and_then(|x| {
        let zone = super::header::time_zone(cx, x);
        if !columns.iter().any(|c| c.ty == ColumnType::Timestamp) {
            cx.report(
                Diagnostic::warning(
                    Code::InvalidValue,
                    x.key.span,
                    format!("{what} has no timestamp column for `time_zone` to apply to"),
                )
                .label("nothing to read in this zone")
                .help("`time_zone` says where timestamps written without an offset were taken; remove it, or declare the column as `timestamp`"),
            );
        }
        zone
    });
    let (Some((source, format)), Some(time), true) = (source, time, ok) else {
        return None;
    };
    Some(Dataset {
        name: d.name.text.clone(),
        label: d.label.as_ref().map(|l| l.text.clone()),
        doc: d.doc.clone(),
        source,
        format,
        sheet,
        range,
        time,
        columns,
        complete,
        grain,
        // Read once every dataset is known: a check may refer to another dataset.
        checks: Vec::new(),
        time_zone,
        line: cx.line(d.span),
    })
}

/// The typed columns, every mistake among them reported, and whether there was none (the columns
/// that were right are given all the same, for the time column to be looked up among).
fn columns(cx: &mut Checker, d: &Declaration, what: &str, e: &Entries) -> (Vec<Column>, bool) {
    let mut ok = true;
    let mut columns: Vec<Column> = Vec::new();
    let mut spans = Vec::new();
    match e.get("columns").map(|c| &c.value) {
        None => {
            entries::missing_key(
                cx,
                d.name.span,
                what,
                "columns",
                "{ order_date: date  revenue: money }",
            );
            ok = false;
        }
        Some(Value::Items(_, span)) => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    *span,
                    "`columns` expects a block of `name: type` lines",
                )
                .label("expected `{`")
                .help("write `columns: { order_date: date  revenue: money }`"),
            );
            ok = false;
        }
        Some(Value::Block(list, _)) => {
            for c in list {
                if c.quoted {
                    cx.report(
                        Diagnostic::error(
                            Code::InvalidValue,
                            c.key.span,
                            "a column name is written without quotes",
                        )
                        .label("quoted")
                        .help("columns are named like scorecard names: letters, digits and `_`"),
                    );
                    ok = false;
                    continue;
                }
                if let Some(first) = columns.iter().find(|x| x.name == c.key.text) {
                    cx.report(
                        Diagnostic::error(
                            Code::DuplicateKey,
                            c.key.span,
                            format!("column `{}` is declared twice", first.name),
                        )
                        .label("second declaration")
                        .help("remove one of them"),
                    );
                    ok = false;
                    continue;
                }
                let Some(item) = entries::single(cx, c, "a column type") else {
                    ok = false;
                    continue;
                };
                match column_type(cx, item) {
                    Some((ty, key, currency)) => {
                        columns.push(Column {
                            name: c.key.text.clone(),
                            ty,
                            currency,
                            key,
                            doc: c.doc.clone(),
                        });
                        spans.push(item.expr.span);
                    }
                    None => ok = false,
                }
            }
        }
    }
    ok &= super::currency::check_columns(cx, what, &columns, &spans);
    (columns, ok)
}

/// The source file and its format, told by its ending.
fn source(
    cx: &mut Checker,
    d: &Declaration,
    what: &str,
    e: &Entries,
) -> Option<(String, SourceFormat)> {
    match e.get("source") {
        None => {
            entries::missing_key(cx, d.name.span, what, "source", "\"data/orders.csv\"");
            None
        }
        Some(s) => entries::string(cx, s).and_then(|path| match SourceFormat::of_path(&path) {
            Some(f) => Some((path, f)),
            None => {
                cx.report(
                    Diagnostic::error(
                        Code::UnsupportedSource,
                        s.value.span(),
                        format!("cannot tell the format of `{path}`"),
                    )
                    .label("expected a file ending in .csv, .parquet, .jsonl or .xlsx")
                    .help(SourceFormat::KNOWN),
                );
                None
            }
        }),
    }
}

/// The time column: a declared column of type date or timestamp.
fn time(
    cx: &mut Checker,
    d: &Declaration,
    what: &str,
    e: &Entries,
    columns: &[Column],
) -> Option<String> {
    match e.get("time") {
        None => {
            entries::missing_key(cx, d.name.span, what, "time", "order_date");
            None
        }
        Some(t) => entries::word(cx, t, "the name of a date or timestamp column").and_then(|w| {
            match columns.iter().find(|c| c.name == w.text) {
                Some(c) if matches!(c.ty, ColumnType::Date | ColumnType::Timestamp) => Some(w.text.clone()),
                Some(c) => {
                    cx.report(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            w.span,
                            format!("time column `{}` is {}, not a date", w.text, c.ty.name()),
                        )
                        .label("expected a date or timestamp column")
                        .help("declare the column as `date` or `timestamp`, or pick another time column"),
                    );
                    None
                }
                None => {
                    let names = columns.iter().map(|c| c.name.as_str());
                    cx.report(
                        Diagnostic::error(
                            Code::UnknownColumn,
                            w.span,
                            format!("{what} has no column `{}`", w.text),
                        )
                        .label("not a declared column")
                        .help(
                            did_you_mean(&w.text, names)
                                .unwrap_or_else(|| "declare it under `columns` with type `date`".into()),
                        ),
                    );
                    None
                }
            }
        }),
    }
}

/// A workbook's sheet and range of cells, which only a spreadsheet source takes.
fn spreadsheet_part(
    cx: &mut Checker,
    e: &Entries,
    source: &Option<(String, SourceFormat)>,
) -> (Option<String>, Option<String>) {
    let sheet = e.get("sheet").and_then(|v| entries::string(cx, v));
    let range = e.get("range").and_then(|v| {
        let text = entries::string(cx, v)?;
        if SheetRange::parse(&text).is_none() {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    v.value.span(),
                    format!("`{text}` is not a range of cells"),
                )
                .label("expected a range such as \"A1:H500\"")
                .help("write the top-left and bottom-right cells, or only the top-left cell (\"B3\") to read to the end of the sheet"),
            );
        }
        Some(text)
    });
    for key in ["sheet", "range"] {
        if let (Some(entry), Some((_, f))) = (e.get(key), &source) {
            if *f != SourceFormat::Excel {
                cx.report(
                    Diagnostic::error(
                        Code::InvalidValue,
                        entry.key.span,
                        format!("`{key}` is for a spreadsheet source"),
                    )
                    .label("the source is not an .xlsx file")
                    .help(format!("remove `{key}`, or read from an .xlsx workbook")),
                );
            }
        }
    }
    (sheet, range)
}

/// `text`, `text key`, `decimal(18, 2)`, `money`, `money(EUR) average`, `money(currency) closing`.
fn column_type(cx: &mut Checker, item: &Item) -> Option<(ColumnType, bool, Option<Currency>)> {
    let mut key = false;
    let mut rate = None;
    for m in &item.modifiers {
        if m.text == "key" && !key {
            key = true;
        } else if let (Some(kind), None) = (super::currency::rate_kind(&m.text), rate) {
            rate = Some((kind, m.span));
        } else {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    m.span,
                    format!("unexpected `{}` after the column type", m.text),
                )
                .label("expected nothing, `key`, or a money column's rate")
                .help("a column is `name: type` or `name: type key`; money in another currency says its rate: `money(EUR) average` or `closing`"),
            );
            return None;
        }
    }
    let ty = match &item.expr.kind {
        ExprKind::Path(p) if p.len() == 1 => match p[0].text.as_str() {
            "text" => ColumnType::Text,
            "integer" => ColumnType::Integer,
            "money" => ColumnType::Money,
            "percent" => ColumnType::Percent,
            "date" => ColumnType::Date,
            "timestamp" => ColumnType::Timestamp,
            "bool" => ColumnType::Bool,
            "decimal" => {
                cx.report(
                    Diagnostic::error(
                        Code::InvalidValue,
                        p[0].span,
                        "`decimal` needs a precision and a scale",
                    )
                    .label("expected `decimal(p, s)`")
                    .help("for 18 digits of which 4 after the point write `decimal(18, 4)`"),
                );
                return None;
            }
            other => return unknown_type(cx, other, p[0].span),
        },
        ExprKind::Call { name, args } if name.text == "money" => {
            let of = super::currency::money_of(cx, args, item.expr.span)?;
            return Some((
                ColumnType::Money,
                key,
                Some(Currency {
                    of,
                    rate: rate.map(|(kind, _)| kind),
                }),
            ));
        }
        ExprKind::Call { name, args } if name.text == "decimal" => {
            let nums: Vec<Option<u32>> = args
                .iter()
                .map(|a| match (&a.value.kind, &a.name, &a.filter) {
                    (ExprKind::Number(n), None, None) => n.parse::<u32>().ok(),
                    _ => None,
                })
                .collect();
            match nums.as_slice() {
                [Some(p), Some(s)] if *p >= 1 && *p <= MAX_PRECISION && s <= p => {
                    ColumnType::Decimal {
                        precision: *p,
                        scale: *s,
                    }
                }
                [Some(p), Some(s)] => {
                    cx.report(
                        Diagnostic::error(
                            Code::InvalidValue,
                            item.expr.span,
                            format!("decimal({p}, {s}) is out of range"),
                        )
                        .label(format!("precision must be 1 to {MAX_PRECISION} and scale at most the precision"))
                        .help(format!(
                            "{MAX_PRECISION} digits keep every sum exact; for money prefer the `money` type"
                        )),
                    );
                    return None;
                }
                _ => {
                    cx.report(
                        Diagnostic::error(
                            Code::InvalidValue,
                            item.expr.span,
                            "expected `decimal(precision, scale)`",
                        )
                        .label("two whole numbers expected")
                        .help("for example `decimal(18, 4)`"),
                    );
                    return None;
                }
            }
        }
        ExprKind::Call { name, .. } => return unknown_type(cx, &name.text, name.span),
        _ => {
            cx.report(
                Diagnostic::error(Code::UnknownType, item.expr.span, "expected a column type")
                    .label("not a type")
                    .help(format!("the column types are: {}", TYPES.join(", "))),
            );
            return None;
        }
    };
    if let Some((kind, span)) = rate {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                format!("`{}` is the rate of money in another currency", kind.name()),
            )
            .label("nothing to convert")
            .help("write the currency: `money(EUR) average`, or `money(currency) average` for the code each row names; money in the reporting currency needs no rate"),
        );
        return None;
    }
    Some((ty, key, None))
}

fn unknown_type(
    cx: &mut Checker,
    name: &str,
    span: scorecard_diagnostic::Span,
) -> Option<(ColumnType, bool, Option<Currency>)> {
    cx.report(
        Diagnostic::error(
            Code::UnknownType,
            span,
            format!("unknown column type `{name}`"),
        )
        .label("not a type")
        .help(
            did_you_mean(name, TYPES.iter().copied())
                .unwrap_or_else(|| format!("the column types are: {}", TYPES.join(", "))),
        ),
    );
    None
}
