//! Owns checking a syntax tree into a `Model`: names resolved, units and types checked, every problem
//! reported at once and sorted by position.

pub mod allocation;
mod attribution;
mod audience;
mod cohort;
mod coverage;
mod currency;
mod data_checks;
mod dataset;
mod dated;
mod definitions;
mod entries;
mod escalation;
mod expr;
mod filter;
mod function;
mod gates;
mod graph;
mod header;
mod kpi;
mod parameter;
mod parts;
mod scoring;
mod strategy;
pub mod test;
mod thresholds;
mod units;
mod view;

use scorecard_diagnostic::{self as diagnostic, Code, Diagnostic, Span};
use scorecard_model::{self as model, Model};
use scorecard_syntax::ast::{Declaration, File};
use std::collections::{BTreeMap, BTreeSet};

/// The model (when there were no errors) and every diagnostic, sorted by position.
#[derive(Debug)]
pub struct Checked {
    pub model: Option<Model>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The declaration keywords this version understands.
pub const DECLARATION_KINDS: &[&str] = &[
    "scorecard",
    "perspective",
    "objective",
    "function",
    "dataset",
    "attribution",
    "allocation",
    "view",
    "kpi",
    "escalation",
    "exchange_rates",
    "test",
    "audience",
    "parameter",
    "cohort",
];

/// Shared state while checking one file.
pub struct Checker<'a> {
    source: &'a str,
    /// Where each line after the first starts: lines are found by a binary search, not by counting
    /// every line break before a place (which made checking a file of many KPIs quadratic).
    line_starts: Vec<usize>,
    diagnostics: Vec<Diagnostic>,
    /// Names of declarations that failed to parse: references to them are not reported again.
    pub(crate) broken: BTreeSet<String>,
    /// The reporting currency (the header's), and the `exchange_rates` the header names.
    pub reporting: String,
    pub rates: Option<String>,
    /// Every `exchange_rates` declared.
    pub rate_sets: Vec<String>,
    /// Expression nodes copied so far where a value is used twice (`change(x)` is `x - x[-1]`, a
    /// view's column names an earlier one), against `expr::MAX_COPIED`.
    pub copied: usize,
    /// Each parameter's assumed value and unit, by name.
    pub parameters:
        std::collections::BTreeMap<String, (rust_decimal::Decimal, model::parameter::ParamUnit)>,
}

impl<'a> Checker<'a> {
    fn new(source: &'a str, broken: BTreeSet<String>) -> Self {
        Checker {
            source,
            // A line starts after `\n`, or after a `\r` that no `\n` follows.
            line_starts: source
                .bytes()
                .enumerate()
                .filter(|&(i, b)| {
                    b == b'\n' || (b == b'\r' && source.as_bytes().get(i + 1) != Some(&b'\n'))
                })
                .map(|(i, _)| i + 1)
                .collect(),
            diagnostics: Vec::new(),
            broken,
            reporting: "USD".into(),
            rates: None,
            rate_sets: Vec::new(),
            copied: 0,
            parameters: Default::default(),
        }
    }
    pub fn report(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }
    pub fn line(&self, span: Span) -> usize {
        let at = span.start.min(self.source.len());
        self.line_starts.partition_point(|start| *start <= at) + 1
    }
    /// The source text of a span, as written.
    pub fn text(&self, span: Span) -> String {
        self.source
            .get(span.start..span.end)
            .unwrap_or_default()
            .to_string()
    }
    pub fn is_broken(&self, name: &str) -> bool {
        self.broken.contains(name)
    }

    /// The exact value of a number written in the scorecard (`12`, `12.5`, the digits of `40%`):
    /// the one place every literal is read, so that one beyond the exact decimal range (more than
    /// 28 significant digits) is reported where it stands, never dropped or read another way.
    pub fn decimal(&mut self, text: &str, span: Span) -> Option<rust_decimal::Decimal> {
        let value = text
            .parse::<rust_decimal::Decimal>()
            .ok()
            .filter(|v| same_number(text, *v));
        if value.is_none() {
            self.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    span,
                    "this number is beyond the exact decimal range",
                )
                .label("more than 28 significant digits: it would be rounded")
                .help("numbers are exact decimals of at most 28 significant digits"),
            );
        }
        value
    }

    /// A percentage's value (`40%` is 0.4), read as `decimal` reads its digits.
    pub fn percent(&mut self, text: &str, span: Span) -> Option<rust_decimal::Decimal> {
        let hundred = rust_decimal::Decimal::ONE_HUNDRED;
        let p = self.decimal(text, span)?;
        // 28 significant digits of a percent can need 29 as a fraction: refused, not rounded.
        let fraction = p / hundred;
        if fraction * hundred != p {
            self.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    span,
                    "this percent is beyond the exact decimal range as a fraction",
                )
                .label("it would be rounded")
                .help("a percent is exact to 26 decimal places"),
            );
            return None;
        }
        Some(fraction)
    }
}

/// Whether `value` is exactly the number `text` writes (digits, perhaps a fraction): the decimal
/// library rounds a number of more than 28 significant digits instead of refusing it.
fn same_number(text: &str, value: rust_decimal::Decimal) -> bool {
    /// Digits without leading zeros, and a fraction without trailing ones.
    fn plain(text: &str) -> String {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let whole = whole.trim_start_matches('0');
        let fraction = fraction.trim_end_matches('0');
        match fraction.is_empty() {
            true => whole.to_string(),
            false => format!("{whole}.{fraction}"),
        }
    }
    plain(text) == plain(&value.normalize().to_string())
}

/// Checks a parsed file. `broken` names declarations that had syntax errors.
pub fn check(file: &File, source: &str, broken: &[String]) -> Checked {
    check_assuming(file, source, broken, &Default::default())
}

/// Checks a parsed file with its parameters at the values `assumed` gives (the others at their
/// base).
pub fn check_assuming(
    file: &File,
    source: &str,
    broken: &[String],
    assumed: &model::parameter::Assumed,
) -> Checked {
    let mut cx = Checker::new(source, broken.iter().cloned().collect());
    let model = check_file(&mut cx, file, assumed);
    finish(cx, model, file, broken)
}

fn finish(cx: Checker, model: Option<Model>, file: &File, broken: &[String]) -> Checked {
    let mut diagnostics = cx.diagnostics;
    let clean = !diagnostics.iter().any(Diagnostic::is_error) && broken.is_empty();
    if let Some(m) = model.as_ref().filter(|_| clean) {
        diagnostics.extend(unreached(file, m));
    }
    diagnostic::sort(&mut diagnostics);
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Checked {
        model: if has_errors || !broken.is_empty() {
            None
        } else {
            model
        },
        diagnostics,
    }
}

/// Every declaration of a file that checked without an error must be in its model: one that is not
/// was dropped without a word, which is a bug. It is reported as one, so that a run never leaves out
/// a KPI silently; the corpus, the fuzz targets and the property tests hold that this never happens.
fn unreached(file: &File, m: &Model) -> Vec<Diagnostic> {
    let names =
        |list: &mut dyn Iterator<Item = &String>| -> BTreeSet<String> { list.cloned().collect() };
    let kinds: BTreeMap<&str, BTreeSet<String>> = BTreeMap::from([
        (
            "perspective",
            names(&mut m.perspectives.iter().map(|x| &x.name)),
        ),
        (
            "objective",
            names(&mut m.objectives.iter().map(|x| &x.name)),
        ),
        ("function", names(&mut m.functions.iter().map(|x| &x.name))),
        ("dataset", names(&mut m.datasets.iter().map(|x| &x.name))),
        (
            "attribution",
            names(&mut m.attributions.iter().map(|x| &x.name)),
        ),
        (
            "allocation",
            names(&mut m.allocations.iter().map(|x| &x.name)),
        ),
        ("view", names(&mut m.views.iter().map(|x| &x.name))),
        ("cohort", names(&mut m.cohorts.iter().map(|x| &x.name))),
        ("kpi", names(&mut m.kpis.iter().map(|x| &x.name))),
        (
            "exchange_rates",
            names(&mut m.rates.iter().map(|x| &x.name)),
        ),
        (
            "escalation",
            names(&mut m.escalations.iter().map(|x| &x.name)),
        ),
        ("test", names(&mut m.tests.iter().map(|x| &x.name))),
        ("audience", names(&mut m.audiences.iter().map(|x| &x.name))),
        (
            "parameter",
            names(&mut m.parameters.iter().map(|x| &x.name)),
        ),
    ]);
    let reached = |d: &Declaration| match d.keyword.text.as_str() {
        "scorecard" => true,
        kind => kinds.get(kind).is_some_and(|n| n.contains(&d.name.text)),
    };
    file.declarations
        .iter()
        .filter(|d| !reached(d))
        .map(|d| {
            Diagnostic::error(
                Code::Unreached,
                d.name.span,
                format!(
                    "`{} {}` was left out of the checked scorecard, and no error says why",
                    d.keyword.text, d.name.text
                ),
            )
            .label("left out")
            .help("this is a bug in scorecard: please report it with this file")
        })
        .collect()
}

/// The file's declarations by kind, in the order written: an unknown kind, and a name declared
/// twice (every kind but the header shares one namespace), are reported and left out.
fn by_kind<'f>(cx: &mut Checker, file: &'f File) -> BTreeMap<&'f str, Vec<&'f Declaration>> {
    let mut seen: BTreeMap<&str, &Declaration> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, Vec<&Declaration>> = BTreeMap::new();
    for d in &file.declarations {
        let kind = d.keyword.text.as_str();
        if !DECLARATION_KINDS.contains(&kind) {
            cx.report(
                Diagnostic::error(
                    Code::UnknownDeclaration,
                    d.keyword.span,
                    format!("unknown declaration `{kind}`"),
                )
                .label("not a declaration this version knows")
                .help(
                    diagnostic::did_you_mean(kind, DECLARATION_KINDS.iter().copied())
                        .unwrap_or_else(|| {
                            format!("declarations are: {}", DECLARATION_KINDS.join(", "))
                        }),
                ),
            );
            continue;
        }
        if kind != "scorecard" && d.name.text.starts_with("__") {
            cx.report(
                Diagnostic::error(
                    Code::InvalidValue,
                    d.name.span,
                    format!("`{}` cannot name a declaration", d.name.text),
                )
                .label("starts with `__`")
                .help("names starting with `__` are kept for what the scorecard derives (a test's expected expressions, an attribution's credit): choose another name"),
            );
            continue;
        }
        if kind != "scorecard" {
            if let Some(first) = seen.get(d.name.text.as_str()) {
                cx.report(
                    Diagnostic::error(
                        Code::DuplicateName,
                        d.name.span,
                        format!("the name `{}` is declared twice", d.name.text),
                    )
                    .label("second declaration")
                    .related(
                        first.name.span,
                        format!(
                            "first declared here as {} {}",
                            article(&first.keyword.text),
                            first.keyword.text
                        ),
                    )
                    .help("datasets and KPIs share one namespace: rename one of them"),
                );
                continue;
            }
            seen.insert(&d.name.text, d);
        }
        kinds.entry(kind).or_default().push(d);
    }
    kinds
}

/// `a` or `an`, before a declaration's keyword.
fn article(word: &str) -> &'static str {
    match word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        true => "an",
        false => "a",
    }
}

fn check_file(cx: &mut Checker, file: &File, assumed: &model::parameter::Assumed) -> Option<Model> {
    let mut kinds = by_kind(cx, file);
    let mut take = |kind: &str| kinds.remove(kind).unwrap_or_default();
    let (headers, perspectives, objectives) =
        (take("scorecard"), take("perspective"), take("objective"));
    let (functions, datasets, attributions) =
        (take("function"), take("dataset"), take("attribution"));
    let (allocations, views, escalations) = (take("allocation"), take("view"), take("escalation"));
    let (tests, kpis, rates) = (take("test"), take("kpi"), take("exchange_rates"));
    let (audiences, parameters, cohorts) = (take("audience"), take("parameter"), take("cohort"));
    let header = header::check(cx, &headers);
    let parameters = parameter::check_all(cx, &parameters, assumed);
    let perspectives = strategy::perspectives(cx, &perspectives);
    let objectives = strategy::objectives(cx, &objectives, &perspectives);
    let functions = function::check(cx, &functions);
    let dataset_decls = datasets;
    let mut datasets: Vec<model::Dataset> = dataset_decls
        .iter()
        .filter_map(|d| dataset::check(cx, d))
        .collect();
    data_checks::check_all(cx, &dataset_decls, &mut datasets);
    let rates: Vec<model::ExchangeRates> = rates
        .into_iter()
        .filter_map(|d| {
            let checked = currency::check(cx, d, &datasets);
            // Its mistakes are reported; what names it is not reported again.
            if checked.is_none() {
                cx.broken.insert(d.name.text.clone());
            }
            checked
        })
        .collect();
    cx.rate_sets = rates.iter().map(|r| r.name.clone()).collect();
    if let Some(h) = &header {
        cx.reporting = h.currency.clone();
        cx.rates = h.rates.clone();
        header::check_rates(cx, &headers, &rates);
    }
    let declared = datasets.len();
    let attributions: Vec<model::Attribution> = attributions
        .into_iter()
        .filter_map(|d| {
            let (rule, table) = attribution::check(cx, d, &datasets[..declared], &functions)?;
            datasets.push(table);
            Some(rule)
        })
        .collect();
    let allocations: Vec<model::Allocation> = allocations
        .into_iter()
        .filter_map(|d| {
            let (rule, tables) = allocation::check(cx, d, &datasets[..declared])?;
            datasets.extend(tables);
            Some(rule)
        })
        .collect();
    let money_scale = header.as_ref().map(|h| h.money_scale).unwrap_or(2);
    let default_scoring = header
        .as_ref()
        .map(|h| h.scoring.clone())
        .unwrap_or_else(model::Scoring::default_bands);
    let periods = header
        .as_ref()
        .map(scorecard_model::calendar::Periods::of)
        .unwrap_or_else(|| {
            scorecard_model::calendar::Periods::new(
                model::Grain::Month,
                model::Calendar::Gregorian,
                0,
                model::YearName::End,
            )
        });
    // Views in the order written: a view may read the rule tables and the views before it.
    let mut aggregates = expr::AggregateSet::default();
    let views: Vec<model::View> = views
        .into_iter()
        .filter_map(|d| {
            let (view, table) = view::check(cx, d, &datasets, periods, &mut aggregates)?;
            datasets.push(table);
            Some(view)
        })
        .collect();
    // Cohorts after the views: a cohort may read any table before it.
    let cohorts: Vec<model::Cohort> = cohorts
        .into_iter()
        .filter_map(|d| {
            let Some((cohort, table)) = cohort::check(cx, d, &datasets) else {
                // Its mistakes are reported; what reads its table is not reported again.
                cx.broken.insert(d.name.text.clone());
                return None;
            };
            datasets.push(table);
            Some(cohort)
        })
        .collect();
    let around = kpi::Surroundings {
        datasets: &datasets,
        objectives: &objectives,
        functions: &functions,
        money_scale,
        periods,
        default_scoring: default_scoring.clone(),
        default_partial: header.as_ref().map(|h| h.partial).unwrap_or_default(),
    };
    let mut checked = kpi::check_all(cx, &kpis, around, aggregates);
    let escalations = escalation::check_all(cx, &escalations, &mut checked, &datasets, periods);
    let declared_names: BTreeSet<&str> = file
        .declarations
        .iter()
        .filter(|d| matches!(d.keyword.text.as_str(), "kpi" | "escalation"))
        .map(|d| d.name.text.as_str())
        .collect();
    let known = test::Known {
        kpis: &checked.kpis,
        escalations: &escalations,
        datasets: &datasets[..declared],
        tables: &datasets,
        objectives: &objectives,
        perspectives: &perspectives,
        periods,
        declared: &declared_names,
        units: &checked.units,
        distinct: &checked.distinct,
        kpi_units: &checked.kpi_units,
        money_scale,
        default_scoring: &default_scoring,
    };
    let tests = test::check_all(cx, &tests, &known, &mut checked.aggregates);
    let kpi::CheckedKpis {
        kpis, aggregates, ..
    } = checked;
    let aggregates = aggregates.into_vec();
    let mut model = Model {
        header: header?,
        perspectives,
        objectives,
        functions,
        datasets,
        attributions,
        allocations,
        views,
        cohorts,
        kpis,
        aggregates,
        escalations,
        rates,
        tests,
        audiences: Vec::new(),
        parameters,
        assumed: assumed.clone(),
        kpi_index: Default::default(),
    };
    model.audiences = audience::check_all(cx, &audiences, &model);
    Some(model)
}

/// A scorecard file parsed and checked.
#[derive(Debug)]
pub struct Compiled {
    /// The model, when the file has no errors.
    pub model: Option<Model>,
    /// Syntax and check diagnostics together, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// Parses and checks one file's text, collecting every problem.
pub fn compile(source: &str) -> Compiled {
    compile_assuming(source, &Default::default())
}

/// Parses and checks one file's text with its parameters at the values `assumed` gives.
pub fn compile_assuming(source: &str, assumed: &model::parameter::Assumed) -> Compiled {
    let parsed = scorecard_syntax::parse(source);
    let checked = check_assuming(&parsed.file, source, &parsed.broken, assumed);
    let mut diagnostics = parsed.diagnostics;
    diagnostics.extend(checked.diagnostics);
    scorecard_diagnostic::sort(&mut diagnostics);
    Compiled {
        model: checked.model,
        diagnostics,
    }
}
