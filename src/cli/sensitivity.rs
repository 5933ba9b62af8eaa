//! Owns `scorecard sensitivity`: the values each `--vary` names, read in the parameter's unit; the
//! points of a range, a grid or a tornado, each the scorecard checked at those values and
//! evaluated on data read once; and the document written as a table, JSON, CSV or HTML.

use super::args::SensitivityFormat;
use super::exit::Exit;
use super::input::stamp;
use super::run::{prepare, DataArgs, Prepared, Purpose};
use super::terminal::stdout_color;
use super::write;
use rust_decimal::Decimal;
use scorecard::diagnostic::{did_you_mean, Code};
use scorecard::model::parameter::{self, Assumed, ParamUnit, Parameter, Source};
use scorecard::model::Model;
use scorecard::rules::manifest::SourceFile;
use scorecard::rules::sensitivity::{self as sens, Bar, Evaluator, Moved, Outcome, Point};
use scorecard::{engine, report};
use std::path::Path;

/// The most values one `--vary` may give, and the most points a grid may have: far more than a
/// chart can show, and few enough that a sweep ends.
const MOST_VALUES: usize = 1_000;
const MOST_POINTS: usize = 10_000;

/// What was asked besides the data options.
pub(crate) struct Asked {
    pub kpi: String,
    pub vary: Vec<String>,
    pub tornado: bool,
    pub period: Option<String>,
}

/// Prints a refusal with its code; exit code 2.
fn refuse(code: Code, message: String) -> Exit {
    eprintln!("error[{}]: {message}", code.as_str());
    Exit::DataErrors
}

pub(crate) fn sensitivity(
    file: &Path,
    asked: Asked,
    source: &DataArgs,
    (format, output): (SensitivityFormat, Option<&Path>),
) -> Exit {
    if let Err(code) = refused(&asked, source) {
        return code;
    }
    let run = match prepare(file, source, Purpose::Report) {
        Ok(run) => run,
        Err(code) => return code,
    };
    if let Err(code) = write::guard(&write::with_main(output, &[]), &run.reads) {
        return code;
    }
    let doc = match sweep(&run, &asked, source.deterministic) {
        Ok(doc) => doc,
        Err(code) => return code,
    };
    let bytes = match format {
        SensitivityFormat::Table => {
            report::sensitivity::table(&doc, output.is_none() && stdout_color()).into_bytes()
        }
        SensitivityFormat::Csv => report::sensitivity::csv(&doc).into_bytes(),
        SensitivityFormat::Html => report::html::sensitivity(&doc).into_bytes(),
        SensitivityFormat::Json => {
            let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            text.push('\n');
            text.into_bytes()
        }
    };
    write::emit_bytes(output, &bytes)
}

/// What is refused before the scorecard is read: an audience, and nothing to vary.
fn refused(asked: &Asked, source: &DataArgs) -> Result<(), Exit> {
    if source.audience.is_some() {
        return Err(refuse(
            Code::Withheld,
            "`sensitivity` evaluates the whole scorecard at other values of its parameters: it takes no `--audience`".into(),
        ));
    }
    if asked.vary.is_empty() && !asked.tornado {
        return Err(refuse(
            Code::BadRange,
            "nothing to vary: give `--vary NAME=LOW..HIGH:STEP` (twice for a grid), or `--tornado`"
                .into(),
        ));
    }
    Ok(())
}

/// The KPI `asked` names, or a refusal that suggests the nearest.
fn kpi_of<'m>(model: &'m Model, asked: &str) -> Result<&'m scorecard::model::Kpi, Exit> {
    model.kpi(asked).ok_or_else(|| {
        let names = model.kpis.iter().map(|k| k.name.as_str());
        let hint = did_you_mean(asked, names).map_or(String::new(), |h| format!(" ({h})"));
        refuse(Code::UnknownKpi, format!("no KPI is named `{asked}`{hint}"))
    })
}

/// Reads the data once and evaluates every point asked for: the document.
fn sweep(run: &Prepared, asked: &Asked, deterministic: bool) -> Result<sens::Sensitivity, Exit> {
    if run.model.parameters.is_empty() {
        return Err(refuse(
            Code::BadRange,
            format!("`{}` declares no parameter: there is nothing to vary (docs/language.md, \"Parameters\")", run.file.display()),
        ));
    }
    let k = kpi_of(&run.model, &asked.kpi)?;
    let varied = values_asked(&run.model, &asked.vary)?;
    let (progress, _bar) = super::progress::start();
    let options = engine::Options {
        progress: progress.clone(),
        ..run.options.clone()
    };
    let (mut evaluator, baseline) =
        Evaluator::open(&run.model, &options).map_err(|e| refuse(e.code(), e.to_string()))?;
    // A period as the scorecard names it, or a day inside it.
    let periods = scorecard::model::calendar::Periods::of(&run.model.header);
    let named = asked
        .period
        .as_deref()
        .map(|p| periods.parse(p).map_or(p.to_string(), |i| periods.label(i)));
    let period = period_of(&baseline, named.as_deref())?;
    let mut sweep = Sweep {
        run,
        evaluator: &mut evaluator,
        progress: progress.as_deref(),
        kpi: &asked.kpi,
        period: &period,
    };
    let points = sweep.points(&varied)?;
    let (tornado, not_moved) = match asked.tornado {
        true => sweep.tornado()?,
        false => (Vec::new(), Vec::new()),
    };
    let mut manifest = baseline.manifest.clone();
    let read = SourceFile::new(&run.file.display().to_string(), &run.text);
    stamp(&mut manifest, vec![read], deterministic);
    Ok(sens::Sensitivity {
        scorecard: baseline.scorecard.clone(),
        manifest,
        kpi: sens::KpiShown {
            name: k.name.clone(),
            label: k.label.clone(),
            unit: k.unit,
        },
        baseline: Outcome::of(&baseline, &asked.kpi, &period),
        period,
        varied: varied
            .iter()
            .map(|(p, _)| Moved::of(p, &run.model))
            .collect(),
        points,
        tornado,
        not_moved,
        computed_again: evaluator.computed_again,
    })
}

/// The period compared: the one asked for, among those reported, or else the last reported.
fn period_of(e: &scorecard::rules::Evaluation, asked: Option<&str>) -> Result<String, Exit> {
    match (asked, e.periods.last()) {
        (_, None) => Err(refuse(
            Code::BadPeriod,
            "the data has no period to compare: nothing was evaluated".into(),
        )),
        (None, Some(last)) => Ok(last.clone()),
        (Some(p), Some(_)) if e.periods.iter().any(|q| q == p) => Ok(p.to_string()),
        (Some(p), Some(last)) => Err(refuse(
            Code::BadPeriod,
            format!(
                "`{p}` is not a reported period: they run from {} to {last} (`--from` and `--to` choose them)",
                e.periods[0]
            ),
        )),
    }
}

/// Each `--vary`: the parameter and its values, in the order given.
fn values_asked<'m>(
    model: &'m Model,
    vary: &[String],
) -> Result<Vec<(&'m Parameter, Vec<Decimal>)>, Exit> {
    if vary.len() > 2 {
        return Err(refuse(
            Code::BadRange,
            format!("{} parameters are varied: a sweep varies one, or two for a grid (`--tornado` moves every parameter in turn)", vary.len()),
        ));
    }
    let mut out: Vec<(&Parameter, Vec<Decimal>)> = Vec::new();
    for given in vary {
        let Some((name, values)) = given.split_once('=') else {
            return Err(refuse(
                Code::BadRange,
                format!("`--vary {given}` is not `NAME=LOW..HIGH:STEP` or `NAME=V1,V2,...`"),
            ));
        };
        let p = parameter::find(&model.parameters, name.trim())
            .map_err(|e| refuse(e.code(), e.to_string()))?;
        if out.iter().any(|(q, _)| q.name == p.name) {
            return Err(refuse(
                Code::SetTwice,
                format!("`{}` is varied twice", p.name),
            ));
        }
        let values = values_of(p, values)
            .map_err(|(code, why)| refuse(code, format!("`--vary {given}`: {why}")))?;
        out.push((p, values));
    }
    let points: usize = out.iter().map(|(_, v)| v.len()).product();
    if points > MOST_POINTS {
        return Err(refuse(
            Code::BadRange,
            format!("the grid has {points} points: at most {MOST_POINTS} are evaluated; take larger steps"),
        ));
    }
    Ok(out)
}

/// `LOW..HIGH:STEP` (every step from low, high included when a step lands on it) or a list
/// `V1,V2,...`, each value in the parameter's unit.
fn values_of(p: &Parameter, text: &str) -> Result<Vec<Decimal>, (Code, String)> {
    let read = |t: &str| {
        p.unit.read(t).map_err(|why| {
            let why = format!("`{}` is a {} parameter: {why}", p.name, p.unit.name());
            (Code::ParameterUnit, why)
        })
    };
    let bad = |why: String| Err((Code::BadRange, why));
    if let Some((low, rest)) = text.split_once("..") {
        let Some((high, step)) = rest.split_once(':') else {
            let step = example_step(p.unit);
            return bad(format!("a range needs a step: `{low}..{rest}:{step}`"));
        };
        let (low, high, step) = (read(low)?, read(high)?, read(step)?);
        if low > high {
            return bad("the low value is above the high value: write the lower first".into());
        }
        if step <= Decimal::ZERO {
            return bad("the step is not above zero".into());
        }
        let count = ((high - low) / step).floor();
        if count >= Decimal::from(MOST_VALUES) {
            return bad(format!(
                "the range has more than {MOST_VALUES} values: take a larger step"
            ));
        }
        let count = u32::try_from(count.mantissa() / 10i128.pow(count.scale())).unwrap_or(0);
        return Ok((0..=count).map(|i| low + step * Decimal::from(i)).collect());
    }
    let values: Vec<Decimal> = text.split(',').map(read).collect::<Result<_, _>>()?;
    let mut seen = Vec::new();
    for v in &values {
        if seen.contains(v) {
            return bad(format!("{} is listed twice", p.unit.show(*v)));
        }
        seen.push(*v);
    }
    if values.len() > MOST_VALUES {
        return bad(format!("more than {MOST_VALUES} values are listed"));
    }
    Ok(values)
}

fn example_step(unit: ParamUnit) -> &'static str {
    match unit {
        ParamUnit::Percent => "1%",
        ParamUnit::Money | ParamUnit::Number => "1",
    }
}

/// A tornado's bars, and the parameters it could not move with why.
type Tornado = (Vec<Bar>, Vec<(String, String)>);

/// The evaluations of one sweep.
struct Sweep<'a> {
    run: &'a Prepared,
    evaluator: &'a mut Evaluator,
    progress: Option<&'a engine::progress::Progress>,
    kpi: &'a str,
    period: &'a str,
}

impl Sweep<'_> {
    /// The KPI at the baseline with `moved` set to the values given.
    fn at(&mut self, moved: &[(&str, Decimal)], shown: &str) -> Result<Outcome, Exit> {
        let assumed = self.assumed(moved);
        let at = format!("at {shown}");
        let model = super::run::checked_at((&self.run.file, &self.run.text), &assumed, &at)?;
        self.outcome(&model, shown)
    }

    /// The baseline's assumptions with `moved` set.
    fn assumed(&self, moved: &[(&str, Decimal)]) -> Assumed {
        let mut assumed: Assumed = self.run.model.assumed.clone();
        for (name, value) in moved {
            let set = (*value, Source::Set);
            assumed.values.insert(name.to_string(), set);
        }
        assumed
    }

    /// The KPI in the version `model` of the scorecard, evaluated on the data already read.
    fn outcome(&mut self, model: &Model, shown: &str) -> Result<Outcome, Exit> {
        if let Some(p) = self.progress {
            p.set_now(format!("evaluating {shown}"));
        }
        let e = self
            .evaluator
            .evaluate(model)
            .map_err(|e| refuse(e.code(), format!("at {shown}: {e}")))?;
        Ok(Outcome::of(&e, self.kpi, self.period))
    }

    /// The KPI with one parameter at an end of its tornado bar; `Err` with why, when the
    /// scorecard does not check at that value (a weight of 0, a share of 100%).
    fn at_end(&mut self, p: &Parameter, value: Decimal) -> Result<Result<Outcome, String>, Exit> {
        let shown = format!("{} {}", p.name, p.unit.show(value));
        let compiled =
            scorecard::check::compile_assuming(&self.run.text, &self.assumed(&[(&p.name, value)]));
        let Some(model) = compiled.model else {
            let first = compiled.diagnostics.iter().find(|d| d.is_error());
            let why = first.map_or("it does not check".to_string(), |d| d.message.clone());
            return Ok(Err(format!(
                "at {shown} the scorecard does not check: {why}"
            )));
        };
        Ok(Ok(self.outcome(&model, &format!("{shown} (tornado)"))?))
    }

    /// Every point of the range or grid, the first parameter's values outermost.
    fn points(&mut self, varied: &[(&Parameter, Vec<Decimal>)]) -> Result<Vec<Point>, Exit> {
        let mut combos: Vec<Vec<(&Parameter, Decimal)>> = vec![Vec::new()];
        for (p, values) in varied {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push((*p, *v));
                        c
                    })
                })
                .collect();
        }
        if varied.is_empty() {
            return Ok(Vec::new());
        }
        let total = combos.len();
        let mut out = Vec::with_capacity(total);
        for (i, combo) in combos.iter().enumerate() {
            let moved: Vec<(&str, Decimal)> =
                combo.iter().map(|(p, v)| (p.name.as_str(), *v)).collect();
            let values: Vec<String> = combo.iter().map(|(p, v)| p.unit.show(*v)).collect();
            let shown = format!("{} (point {} of {total})", describe(combo), i + 1);
            let outcome = self.at(&moved, &shown)?;
            out.push(Point { values, outcome });
        }
        Ok(out)
    }

    /// Each parameter's bar, largest swing first, and the parameters that have no low and high.
    fn tornado(&mut self) -> Result<Tornado, Exit> {
        let model = &self.run.model;
        let mut bars = Vec::new();
        let mut not_moved = Vec::new();
        for p in &model.parameters {
            let Some((low, high, from)) = ends(p) else {
                not_moved.push((
                    p.name.clone(),
                    "it declares no `range` and no scenario value other than its base".to_string(),
                ));
                continue;
            };
            let (at_low, at_high) = match (self.at_end(p, low)?, self.at_end(p, high)?) {
                (Ok(l), Ok(h)) => (l, h),
                (Err(why), _) | (_, Err(why)) => {
                    not_moved.push((p.name.clone(), why));
                    continue;
                }
            };
            bars.push(Bar {
                parameter: Moved::of(p, model),
                low: p.unit.show(low),
                high: p.unit.show(high),
                from,
                swing: sens::swing(&at_low, &at_high),
                at_low,
                at_high,
            });
        }
        sens::rank(&mut bars);
        Ok((bars, not_moved))
    }
}

/// A tornado's low and high values for `p`: its declared `range`, or else the lowest and highest
/// of its base and scenario values; `None` when these are all one value.
fn ends(p: &Parameter) -> Option<(Decimal, Decimal, &'static str)> {
    if let Some((low, high)) = p.range {
        return Some((low, high, "range"));
    }
    let values = p.scenarios.iter().map(|(_, v)| *v).chain([p.base]);
    let low = values.clone().min()?;
    let high = values.max()?;
    (low < high).then_some((low, high, "scenarios"))
}

fn describe(combo: &[(&Parameter, Decimal)]) -> String {
    combo
        .iter()
        .map(|(p, v)| format!("{} {}", p.name, p.unit.show(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}
