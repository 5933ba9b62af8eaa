//! Owns `audience` declarations: the segment column and values an audience may see, the names it
//! may not (`hide`), `totals`, `rows`, `share`, and the small-cell rule (`suppress`), each name and
//! column resolved against the checked model (docs/audiences.md).

use super::entries::{self, Entries};
use super::Checker;
use scorecard_diagnostic::{did_you_mean, Code, Diagnostic, Span};
use scorecard_model::audience::{Audience, Hidden, HiddenKind, SegmentRule, Suppression};
use scorecard_model::{AggFunc, Aggregate, ColumnType, Model};
use scorecard_syntax::ast::{BinaryOp, Declaration, Entry, Expr, ExprKind};

const KEYS: &[&str] = &["segments", "hide", "totals", "rows", "share", "suppress"];

/// Checks every audience against the model the rest of the file made.
pub fn check_all(cx: &mut Checker, decls: &[&Declaration], model: &Model) -> Vec<Audience> {
    decls.iter().filter_map(|d| check(cx, d, model)).collect()
}

fn check(cx: &mut Checker, d: &Declaration, model: &Model) -> Option<Audience> {
    let e = Entries::read(cx, "an audience", &d.entries, KEYS);
    let segments = e.get("segments").and_then(|x| segments(cx, x, model));
    let hide = e
        .get("hide")
        .map(|x| hidden(cx, x, model))
        .unwrap_or_default();
    let totals = e.get("totals").and_then(|x| choice(cx, x)).unwrap_or(false);
    let rows = e.get("rows").and_then(|x| choice(cx, x)).unwrap_or(false);
    let share = match e.get("share") {
        None => Some(Vec::new()),
        Some(x) => shared(cx, x, model, (segments.as_ref(), totals)),
    };
    let suppress = match e.get("suppress") {
        None => Some(None),
        Some(x) => suppression(cx, x, model).map(Some),
    };
    if let (Some(Some(_)), true, Some(r)) = (&suppress, rows, e.get("rows")) {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                r.value.span(),
                "an audience whose small cells are suppressed cannot see source rows",
            )
            .label("the rows would show what `suppress` withholds")
            .help("write `rows: hidden`, or leave `rows` out (hidden is the default)"),
        );
        return None;
    }
    let hidden_dataset = |name: &str| {
        let h = hide
            .iter()
            .find(|h| h.kind == HiddenKind::Dataset && h.name == name);
        h.is_some()
    };
    let contradictions = [
        share
            .iter()
            .flatten()
            .find(|d| hidden_dataset(d))
            .map(|d| (e.get("share"), format!("`{d}` is both shared and hidden"))),
        suppress
            .iter()
            .flatten()
            .find(|s| hidden_dataset(&s.dataset))
            .map(|s| {
                let what = format!(
                    "`suppress` counts `{}`, which the audience may not see",
                    s.dataset
                );
                (e.get("suppress"), what)
            }),
    ];
    if let Some((entry, message)) = contradictions.into_iter().flatten().next() {
        if let Some(entry) = entry {
            cx.report(
                Diagnostic::error(Code::InvalidValue, entry.value.span(), message)
                    .label("contradicts `hide`")
                    .help("say one thing of each dataset: remove it from `hide`, or from here"),
            );
        }
        return None;
    }
    if let (Some(t), None) = (e.get("totals"), e.get("segments")) {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                t.key.span,
                "`totals` is for an audience restricted by `segments`",
            )
            .label("this audience sees every segment, and every total")
            .help("remove `totals`, or add `segments: column = \"value\"`"),
        );
        return None;
    }
    let wrong = segments.is_none() && e.get("segments").is_some();
    if wrong || e.get("hide").is_some() && hide.is_empty() {
        return None;
    }
    Some(Audience {
        name: d.name.text.clone(),
        label: d.label.as_ref().map(|l| l.text.clone()),
        doc: d.doc.clone(),
        segments,
        hide,
        totals,
        rows,
        share: share?,
        suppress: suppress?,
        line: cx.line(d.name.span),
    })
}

/// `segments: region = "EMEA"` or `segments: region in ["EMEA", "APAC"]`.
fn segments(cx: &mut Checker, e: &Entry, model: &Model) -> Option<SegmentRule> {
    let expected = "`column = \"value\"` or `column in [\"value\", ...]`";
    let x = entries::expression(cx, e, expected)?;
    let wrong = |cx: &mut Checker, span: Span| {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                format!("`segments` expects {expected}"),
            )
            .label("not one column compared with text")
            .help(
                "write `segments: region = \"EMEA\"` or `segments: region in [\"EMEA\", \"APAC\"]`",
            ),
        );
    };
    let ExprKind::Binary { op, left, right } = &x.kind else {
        wrong(cx, x.span);
        return None;
    };
    let column = match (&left.kind, op) {
        (ExprKind::Path(p), BinaryOp::Eq | BinaryOp::In) if p.len() == 1 => &p[0],
        _ => {
            wrong(cx, x.span);
            return None;
        }
    };
    let items: Vec<&Expr> = match (&right.kind, op) {
        (ExprKind::List(items), BinaryOp::In) => items.iter().collect(),
        (_, BinaryOp::In) => vec![&**right],
        _ => vec![&**right],
    };
    let mut values = Vec::new();
    for item in items {
        match &item.kind {
            ExprKind::Str(s) if !values.contains(s) => values.push(s.clone()),
            ExprKind::Str(s) => cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    item.span,
                    format!("`\"{s}\"` is listed twice"),
                )
                .label("repeated")
                .help("list each value once"),
            ),
            _ => {
                wrong(cx, item.span);
                return None;
            }
        }
    }
    if values.is_empty() {
        cx.report(
            Diagnostic::error(Code::InvalidValue, right.span, "no segment is listed")
                .label("empty list")
                .help("an audience that may see no segment sees nothing: list at least one value"),
        );
        return None;
    }
    let having: Vec<_> = model
        .datasets
        .iter()
        .filter(|d| d.is_file())
        .filter_map(|d| d.column(&column.text).map(|c| (d, c)))
        .collect();
    if having.is_empty() {
        let columns = model
            .datasets
            .iter()
            .filter(|d| d.is_file())
            .flat_map(|d| d.columns.iter().map(|c| c.name.as_str()));
        cx.report(
            Diagnostic::error(
                Code::UnknownColumn,
                column.span,
                format!("no dataset has a column `{}`", column.text),
            )
            .label("unknown column")
            .maybe_help(did_you_mean(&column.text, columns)),
        );
        return None;
    }
    if let Some((d, c)) = having.iter().find(|(_, c)| c.ty != ColumnType::Text) {
        cx.report(
            Diagnostic::error(
                Code::TypeMismatch,
                column.span,
                format!(
                    "`{}.{}` is {}, not text: an audience's segments are text values",
                    d.name,
                    c.name,
                    c.ty.name()
                ),
            )
            .label("not a text column")
            .help("restrict an audience by a text column such as a region or a channel"),
        );
        return None;
    }
    values.sort();
    Some(SegmentRule {
        column: column.text.clone(),
        values,
    })
}

/// The names of a list entry (`[a, b]`); an empty list is an error, since it says nothing.
fn names<'e>(cx: &mut Checker, e: &'e Entry) -> Vec<&'e scorecard_syntax::ast::Ident> {
    let words = entries::word_list(cx, e);
    if words.is_empty() {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                e.value.span(),
                format!("`{}` lists nothing", e.key.text),
            )
            .label("empty list")
            .help(format!("name at least one, or leave `{}` out", e.key.text)),
        );
    }
    words
}

/// `hide: [gross_margin, financial, payroll]`: KPIs, perspectives, objectives or datasets.
fn hidden(cx: &mut Checker, e: &Entry, model: &Model) -> Vec<Hidden> {
    let mut out = Vec::new();
    for w in names(cx, e) {
        let kind = if model.kpis.iter().any(|k| k.name == w.text) {
            HiddenKind::Kpi
        } else if model.perspectives.iter().any(|p| p.name == w.text) {
            HiddenKind::Perspective
        } else if model.objectives.iter().any(|o| o.name == w.text) {
            HiddenKind::Objective
        } else if model.dataset(&w.text).is_some() {
            HiddenKind::Dataset
        } else {
            if !cx.is_broken(&w.text) {
                let names = model
                    .kpis
                    .iter()
                    .map(|k| k.name.as_str())
                    .chain(model.perspectives.iter().map(|p| p.name.as_str()))
                    .chain(model.objectives.iter().map(|o| o.name.as_str()))
                    .chain(model.datasets.iter().map(|d| d.name.as_str()));
                cx.report(
                    Diagnostic::error(
                        Code::UnknownName,
                        w.span,
                        format!(
                            "no KPI, perspective, objective or dataset is named `{}`",
                            w.text
                        ),
                    )
                    .label("unknown name")
                    .maybe_help(did_you_mean(&w.text, names)),
                );
            }
            return Vec::new();
        };
        if kind == HiddenKind::Dataset && model.rates.iter().any(|r| r.dataset == w.text) {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    w.span,
                    format!("`{}` holds exchange rates: every amount converted with them needs them", w.text),
                )
                .label("exchange rates cannot be hidden")
                .help("hide the KPIs or datasets of the amounts instead; rates are published, not a segment's figures"),
            );
            return Vec::new();
        }
        let item = Hidden {
            kind,
            name: w.text.clone(),
        };
        if out.contains(&item) {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    w.span,
                    format!("`{}` is listed twice", w.text),
                )
                .label("repeated")
                .help("list each name once"),
            );
            return Vec::new();
        }
        out.push(item);
    }
    out
}

/// `visible` (true) or `hidden` (false).
fn choice(cx: &mut Checker, e: &Entry) -> Option<bool> {
    let w = entries::word(cx, e, "`visible` or `hidden`")?;
    match w.text.as_str() {
        "visible" => Some(true),
        "hidden" => Some(false),
        other => {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    w.span,
                    format!(
                        "`{}` expects `visible` or `hidden`, not `{other}`",
                        e.key.text
                    ),
                )
                .label("expected `visible` or `hidden`")
                .maybe_help(did_you_mean(other, ["visible", "hidden"])),
            );
            None
        }
    }
}

/// `share: [headcount]`: datasets without the segment column that the audience still sees.
fn shared(
    cx: &mut Checker,
    e: &Entry,
    model: &Model,
    (segments, totals): (Option<&SegmentRule>, bool),
) -> Option<Vec<String>> {
    let Some(rule) = segments.filter(|_| !totals) else {
        cx.report(
            Diagnostic::error(
                Code::InvalidValue,
                e.key.span,
                match segments {
                    None => "`share` is for an audience restricted by `segments`",
                    Some(_) => "`share` is for an audience with `totals: hidden`: with `totals: visible` every dataset is read whole",
                },
            )
            .label("nothing to share: this audience sees every segment")
            .help("remove `share`, or add `segments: column = \"value\"`"),
        );
        return None;
    };
    let mut out = Vec::new();
    for w in names(cx, e) {
        let Some(ds) = model
            .datasets
            .iter()
            .find(|d| d.name == w.text && d.is_file())
        else {
            let names = model.datasets.iter().filter(|d| d.is_file());
            cx.report(
                Diagnostic::error(
                    Code::UnknownDataset,
                    w.span,
                    format!("no dataset read from a source is named `{}`", w.text),
                )
                .label("unknown dataset")
                .maybe_help(did_you_mean(&w.text, names.map(|d| d.name.as_str()))),
            );
            return None;
        };
        if ds.column(&rule.column).is_some() {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    w.span,
                    format!(
                        "`{}` has the column `{}`: its rows are already kept to the audience's segments",
                        ds.name, rule.column
                    ),
                )
                .label("nothing to share")
                .help("`share` lists datasets without the segment column: remove this one"),
            );
            return None;
        }
        if !out.contains(&ds.name) {
            out.push(ds.name.clone());
        }
    }
    Some(out)
}

/// `suppress: count_distinct(orders.customer) < 5`.
fn suppression(cx: &mut Checker, e: &Entry, model: &Model) -> Option<Suppression> {
    let expected = "a count compared with `<` and a whole number, such as `count_distinct(orders.customer) < 5`";
    let x = entries::expression(cx, e, expected)?;
    let wrong = |cx: &mut Checker, span: Span, label: &str| {
        cx.report(
            Diagnostic::error(Code::InvalidValue, span, format!("`suppress` expects {expected}"))
                .label(label.to_string())
                .help("write `suppress: count(orders) < 10` (rows) or `suppress: count_distinct(orders.customer) < 5` (entities)"),
        );
    };
    let ExprKind::Binary {
        op: BinaryOp::Lt,
        left,
        right,
    } = &x.kind
    else {
        wrong(cx, x.span, "not `count(...) < N`");
        return None;
    };
    let minimum = match &right.kind {
        ExprKind::Number(n) => n.parse::<u64>().ok().filter(|n| *n >= 2),
        _ => None,
    };
    let Some(minimum) = minimum else {
        wrong(
            cx,
            right.span,
            "expected a whole number from 2 to 18446744073709551615",
        );
        return None;
    };
    let ExprKind::Call { name, args } = &left.kind else {
        wrong(
            cx,
            left.span,
            "expected `count(...)` or `count_distinct(...)`",
        );
        return None;
    };
    let func = match name.text.as_str() {
        "count" => AggFunc::Count,
        "count_distinct" => AggFunc::CountDistinct,
        _ => {
            wrong(cx, name.span, "expected `count` or `count_distinct`");
            return None;
        }
    };
    let [arg] = args.as_slice() else {
        wrong(cx, left.span, "expected one dataset or column");
        return None;
    };
    if arg.name.is_some() || arg.filter.is_some() {
        wrong(
            cx,
            arg.span,
            "a plain dataset or column: no name, no `where`",
        );
        return None;
    }
    let (dataset, column) = match &arg.value.kind {
        ExprKind::Path(p) if p.len() == 1 && func == AggFunc::Count => (&p[0], None),
        ExprKind::Path(p) if p.len() == 2 => (&p[0], Some(&p[1])),
        _ => {
            wrong(cx, arg.span, "expected `dataset` or `dataset.column`");
            return None;
        }
    };
    let Some(ds) = model.dataset(&dataset.text).filter(|d| d.is_file()) else {
        let names = model
            .datasets
            .iter()
            .filter(|d| d.is_file())
            .map(|d| d.name.as_str());
        if model.dataset(&dataset.text).is_some() {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    dataset.span,
                    format!("`{}` is a table a rule makes: its rows are not the people or things counted", dataset.text),
                )
                .label("count a dataset read from a source")
                .help("count the dataset the rule reads, such as the orders its rows are made from: every KPI over the rule's table is counted through it"),
            );
            return None;
        }
        cx.report(
            Diagnostic::error(
                Code::UnknownDataset,
                dataset.span,
                format!("no dataset is named `{}`", dataset.text),
            )
            .label("unknown dataset")
            .maybe_help(did_you_mean(&dataset.text, names)),
        );
        return None;
    };
    if let Some(c) = column.filter(|c| ds.column(&c.text).is_none()) {
        cx.report(super::filter::unknown_column(ds, c));
        return None;
    }
    let suppression = Suppression {
        count: Aggregate {
            dataset: ds.name.clone(),
            func,
            column: column.map(|c| c.text.clone()),
            filter: None,
            over_view: ds.format == scorecard_model::SourceFormat::View,
            convert: None,
        },
        dataset: ds.name.clone(),
        minimum,
        text: cx.text(x.span),
    };
    Some(suppression)
}
