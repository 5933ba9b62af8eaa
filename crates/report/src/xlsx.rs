//! Owns the Excel workbook: one sheet per table of the evaluation (KPIs, scores, escalations,
//! warnings, the run manifest), numbers as numbers with the unit's number format.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError,
};
use scorecard_model::format::segment_label;
use scorecard_model::Unit;
use scorecard_rules::{Evaluation, Status};
use std::collections::HashMap;

/// The workbook's bytes. Its creation time is the evaluation's, or the first of January 1980 when
/// the run is deterministic, so that the same inputs give the same bytes.
pub fn xlsx(e: &Evaluation) -> Result<Vec<u8>, String> {
    build(e).map_err(|err| format!("cannot make the workbook: {err}"))
}

fn build(e: &Evaluation) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let created = e
        .manifest
        .evaluated_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp())
        .unwrap_or(315_532_800);
    book.set_properties(
        &DocProperties::new()
            .set_title(e.scorecard.label.as_deref().unwrap_or(&e.scorecard.name))
            .set_creation_datetime(&ExcelDateTime::from_timestamp(created)?),
    );
    let mut formats = Formats::default();
    kpis(book.add_worksheet(), e, &mut formats)?;
    scores(book.add_worksheet(), e, &mut formats)?;
    escalations(book.add_worksheet(), e, &formats)?;
    warnings(book.add_worksheet(), e, &formats)?;
    if e.cohorts.iter().any(|t| !t.rows.is_empty()) {
        cohorts(book.add_worksheet(), e, &mut formats)?;
    }
    manifest(book.add_worksheet(), e, &formats)?;
    book.save_to_buffer()
}

/// The formats used, made once each.
struct Formats {
    header: Format,
    numbers: HashMap<(&'static str, u32), Format>,
    statuses: HashMap<&'static str, Format>,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xEEF2F6)),
            numbers: HashMap::new(),
            statuses: HashMap::new(),
        }
    }
}

impl Formats {
    /// The status word in its colour.
    fn status(&mut self, s: Status) -> &Format {
        self.statuses.entry(s.name()).or_insert_with(|| {
            let color = match s {
                Status::Green => 0x1A7F37,
                Status::Amber => 0x9A6700,
                Status::Red => 0xCF222E,
                Status::NoValue
                | Status::Unrated
                | Status::InsufficientData
                | Status::Suppressed => 0x6E7781,
            };
            Format::new().set_font_color(Color::RGB(color))
        })
    }

    /// `#,##0.00` for money to cents, `0.0%` for a percent kept to a tenth of a percent.
    fn number(&mut self, unit: Unit, scale: u32) -> &Format {
        self.numbers.entry((unit.name(), scale)).or_insert_with(|| {
            let places = |n: u32| {
                if n == 0 {
                    String::new()
                } else {
                    format!(".{}", "0".repeat(n as usize))
                }
            };
            let pattern = match unit {
                Unit::Percent => format!("0{}%", places(scale.saturating_sub(2))),
                Unit::Money | Unit::Count => format!("#,##0{}", places(scale)),
                Unit::Ratio | Unit::Number => format!("0{}", places(scale)),
            };
            Format::new().set_num_format(pattern)
        })
    }
}

fn headers(ws: &mut Worksheet, names: &[&str], f: &Formats) -> Result<(), XlsxError> {
    for (c, name) in names.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &f.header)?;
        ws.set_column_width(c as u16, (name.len() + 4).max(12) as f64)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A decimal as an Excel number when a double holds it exactly at its places (Excel keeps 15
/// significant digits); otherwise as its exact text, never as a nearby number.
fn decimal(
    ws: &mut Worksheet,
    (row, col): (u32, u16),
    v: Option<Decimal>,
    unit: Unit,
    f: &mut Formats,
) -> Result<(), XlsxError> {
    let Some(v) = v else { return Ok(()) };
    match v.to_f64() {
        Some(x) if format!("{:.*}", v.scale() as usize, x) == v.to_string() => {
            ws.write_number_with_format(row, col, x, f.number(unit, v.scale()))?;
        }
        _ => {
            ws.write_string(row, col, v.to_string())?;
        }
    }
    Ok(())
}

/// Sheet rows start at 1, under the header; Excel holds 1,048,576 rows in all.
fn row_number(i: usize) -> Result<u32, XlsxError> {
    u32::try_from(i + 1)
        .ok()
        .filter(|r| *r < 1_048_576)
        .ok_or(XlsxError::RowColumnLimitError)
}

fn kpis(ws: &mut Worksheet, e: &Evaluation, f: &mut Formats) -> Result<(), XlsxError> {
    ws.set_name("KPIs")?;
    let names = [
        "KPI",
        "Label",
        "Objective",
        "Unit",
        "Segment",
        "Period",
        "Partial",
        "Value",
        "Target",
        "Variance",
        "Status",
        "Score",
        "Partial periods",
        "Unmet gates",
    ];
    headers(ws, &names, f)?;
    let mut i = 0;
    for k in &e.kpis {
        for r in k.results.held() {
            let row = row_number(i)?;
            i += 1;
            ws.write_string(row, 0, &k.name)?;
            ws.write_string(row, 1, k.label.as_deref().unwrap_or(""))?;
            ws.write_string(row, 2, k.objective.as_deref().unwrap_or(""))?;
            ws.write_string(row, 3, k.unit.name())?;
            ws.write_string(row, 4, segment_label(&r.segment))?;
            ws.write_string(row, 5, &r.period)?;
            ws.write_boolean(row, 6, r.partial)?;
            decimal(ws, (row, 7), r.value, k.unit, f)?;
            decimal(ws, (row, 8), r.target, k.unit, f)?;
            decimal(ws, (row, 9), r.variance, k.unit, f)?;
            ws.write_string_with_format(row, 10, r.status.name(), f.status(r.status))?;
            decimal(ws, (row, 11), r.score, Unit::Number, f)?;
            ws.write_string(row, 12, r.partial_periods.join(" "))?;
            ws.write_string(row, 13, r.unmet_shown())?;
        }
    }
    ws.autofilter(0, 0, i as u32, names.len() as u16 - 1)?;
    Ok(())
}

fn scores(ws: &mut Worksheet, e: &Evaluation, f: &mut Formats) -> Result<(), XlsxError> {
    ws.set_name("Scores")?;
    headers(
        ws,
        &["Level", "Name", "Label", "Perspective", "Period", "Score"],
        f,
    )?;
    let mut i = 0;
    let levels = [
        ("perspective", &e.scores.perspectives),
        ("objective", &e.scores.objectives),
    ];
    for (level, scored) in levels {
        for s in scored.iter() {
            for r in &s.results {
                let row = row_number(i)?;
                i += 1;
                ws.write_string(row, 0, level)?;
                ws.write_string(row, 1, &s.name)?;
                ws.write_string(row, 2, s.label.as_deref().unwrap_or(""))?;
                ws.write_string(row, 3, s.perspective.as_deref().unwrap_or(""))?;
                ws.write_string(row, 4, &r.period)?;
                match r.withheld {
                    true => ws.write_string(row, 5, "withheld").map(|_| ())?,
                    false => decimal(ws, (row, 5), r.score, Unit::Number, f)?,
                }
            }
        }
    }
    for r in &e.scores.overall {
        let row = row_number(i)?;
        i += 1;
        ws.write_string(row, 0, "overall")?;
        ws.write_string(row, 1, "overall")?;
        ws.write_string(row, 4, &r.period)?;
        match r.withheld {
            true => ws.write_string(row, 5, "withheld").map(|_| ())?,
            false => decimal(ws, (row, 5), r.score, Unit::Number, f)?,
        }
    }
    Ok(())
}

fn escalations(ws: &mut Worksheet, e: &Evaluation, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name("Escalations")?;
    headers(
        ws,
        &[
            "Escalation",
            "Label",
            "Severity",
            "KPI",
            "Segment",
            "Raised",
            "Recovered",
            "Open",
            "Owner",
            "Message",
        ],
        f,
    )?;
    for (i, x) in e.escalations.iter().enumerate() {
        let row = row_number(i)?;
        ws.write_string(row, 0, &x.escalation)?;
        ws.write_string(row, 1, x.label.as_deref().unwrap_or(""))?;
        ws.write_string(row, 2, x.severity.name())?;
        ws.write_string(row, 3, &x.kpi)?;
        ws.write_string(row, 4, segment_label(&x.segment))?;
        ws.write_string(row, 5, &x.raised)?;
        ws.write_string(row, 6, x.recovered.as_deref().unwrap_or(""))?;
        ws.write_boolean(row, 7, x.open)?;
        ws.write_string(row, 8, x.owner.as_deref().unwrap_or(""))?;
        ws.write_string(row, 9, &x.message)?;
    }
    Ok(())
}

fn warnings(ws: &mut Worksheet, e: &Evaluation, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name("Warnings")?;
    headers(ws, &["Code", "KPI", "Period", "Segment", "Message"], f)?;
    for (i, w) in e.warnings.iter().enumerate() {
        let row = row_number(i)?;
        ws.write_string(row, 0, w.code)?;
        ws.write_string(row, 1, &w.kpi)?;
        ws.write_string(row, 2, &w.period)?;
        ws.write_string(row, 3, segment_label(&w.segment))?;
        ws.write_string(row, 4, &w.message)?;
    }
    Ok(())
}

/// Every cohort triangle, one row per cohort and age with each measure as a number.
fn cohorts(ws: &mut Worksheet, e: &Evaluation, f: &mut Formats) -> Result<(), XlsxError> {
    ws.set_name("Cohorts")?;
    let names = [
        "Cohort rule",
        "Cohort",
        "Customers",
        "Age",
        "Period",
        "Active",
        "Retention",
        "Revenue per customer",
        "Margin per customer",
        "Cumulative margin",
        "Equity",
    ];
    headers(ws, &names, f)?;
    let cells = e
        .cohorts
        .iter()
        .flat_map(|t| t.rows.iter().map(move |r| (t, r)))
        .flat_map(|(t, r)| r.cells.iter().map(move |c| (t, r, c)));
    for (i, (t, r, c)) in cells.enumerate() {
        let row = row_number(i)?;
        ws.write_string(row, 0, &t.cohort)?;
        ws.write_string(row, 1, &r.cohort)?;
        ws.write_number(row, 2, r.size as f64)?;
        ws.write_number(row, 3, f64::from(c.age))?;
        ws.write_string(row, 4, &c.period)?;
        ws.write_number(row, 5, c.active as f64)?;
        decimal(ws, (row, 6), Some(c.retention), Unit::Percent, f)?;
        decimal(ws, (row, 7), Some(c.revenue_per_customer), Unit::Money, f)?;
        decimal(ws, (row, 8), Some(c.margin_per_customer), Unit::Money, f)?;
        decimal(ws, (row, 9), Some(c.cumulative_margin), Unit::Money, f)?;
        decimal(ws, (row, 10), c.equity, Unit::Money, f)?;
    }
    Ok(())
}

/// What produced the workbook: one fact per row.
fn manifest(ws: &mut Worksheet, e: &Evaluation, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name("Manifest")?;
    headers(ws, &["What", "Name", "Detail", "Rows", "SHA-256"], f)?;
    let m = &e.manifest;
    let mut rows: Vec<[String; 5]> = vec![
        [
            "engine".into(),
            m.engine.name.into(),
            m.engine.version.into(),
            String::new(),
            String::new(),
        ],
        [
            "evaluated at".into(),
            m.evaluated_at.clone().unwrap_or_default(),
            String::new(),
            String::new(),
            String::new(),
        ],
        // Every amount is in the reporting currency, whatever currencies the data holds.
        [
            "currency".into(),
            e.scorecard.currency.clone(),
            "the reporting currency of every amount".into(),
            String::new(),
            String::new(),
        ],
    ];
    if let (Some(whom), Some(a)) = (super::for_whom(e), &m.audience) {
        rows.push([
            "audience".into(),
            whom,
            "what it may not see is left out".into(),
            String::new(),
            a.rules.clone(),
        ]);
    }
    if let Some(a) = super::assumptions(e) {
        rows.push([
            "assumptions".into(),
            a,
            "the parameters' values the figures were evaluated at".into(),
            String::new(),
            String::new(),
        ]);
    }
    for s in &m.scorecards {
        rows.push([
            "scorecard".into(),
            s.path.clone(),
            String::new(),
            String::new(),
            s.sha256.clone(),
        ]);
    }
    for d in &m.inputs {
        rows.push([
            "input".into(),
            d.dataset.clone(),
            format!("{} ({})", d.path, d.format),
            d.rows.to_string(),
            d.sha256.clone(),
        ]);
    }
    let o = &m.options;
    for (name, v) in [
        ("data", &o.data),
        ("from", &o.from),
        ("to", &o.to),
        ("as of", &o.as_of),
    ] {
        rows.push([
            "option".into(),
            name.into(),
            v.clone().unwrap_or_default(),
            String::new(),
            String::new(),
        ]);
    }
    for (i, r) in rows.iter().enumerate() {
        let row = row_number(i)?;
        for (c, text) in r.iter().enumerate() {
            if c == 3 && !text.is_empty() {
                if let Ok(n) = text.parse::<u64>() {
                    ws.write_number(row, 3, n as f64)?;
                    continue;
                }
            }
            ws.write_string(row, c as u16, text)?;
        }
    }
    Ok(())
}
