//! Owns properties written per period: a block of quoted period names (`"FY2027-Q4": ...`) and
//! `otherwise`, each read like the property written once.

use super::expr::Lowering;
use super::model::{Dated, ForPeriod, Grain};
use scorecard_diagnostic::{Code, Diagnostic};
use scorecard_model::calendar::Periods;
use scorecard_syntax::ast::{Entry, Value};

/// Whether a block is written per period rather than being the property's own block.
pub fn is_per_period(e: &Entry) -> bool {
    matches!(&e.value, Value::Block(list, _) if list.iter().any(|x| x.quoted || x.key.text == "otherwise"))
}

/// Reads `e` once, or per period when it is a block of period names; `one` reads a single value.
pub fn read<T>(
    lw: &mut Lowering,
    e: &Entry,
    mut one: impl FnMut(&mut Lowering, &Entry) -> Option<T>,
) -> Option<Dated<T>> {
    if !is_per_period(e) {
        return Some(Dated::always(Some(one(lw, e)?)));
    }
    let Value::Block(list, _) = &e.value else {
        return None;
    };
    let mut dated = Dated {
        default: None,
        periods: Vec::new(),
    };
    let mut ok = true;
    for inner in list {
        if !inner.quoted && inner.key.text == "otherwise" {
            if dated.default.is_some() {
                lw.cx.report(
                    Diagnostic::error(
                        Code::DuplicateKey,
                        inner.key.span,
                        "`otherwise` is given twice",
                    )
                    .label("second default"),
                );
                ok = false;
            }
            dated.default = one(lw, inner);
            ok &= dated.default.is_some();
            continue;
        }
        if !inner.quoted {
            lw.cx.report(
                Diagnostic::error(Code::InvalidValue, inner.key.span, format!("expected a period name in quotes, found `{}`", inner.key.text))
                    .label("not a period")
                    .help(format!("write the period in quotes, such as `\"{}\": ...`, or `otherwise: ...` for every other period", lw.scope.periods.example())),
            );
            ok = false;
            continue;
        }
        let range = period_range(lw.scope.periods, &inner.key.text);
        let value = one(lw, inner);
        match (range, value) {
            (Ok((first_day, last_day)), Some(value)) => {
                if let Some(same) = dated
                    .periods
                    .iter()
                    .find(|p| p.first_day == first_day && p.last_day == last_day)
                {
                    lw.cx.report(
                        Diagnostic::error(
                            Code::DuplicateKey,
                            inner.key.span,
                            format!(
                                "`{}` is the same period as `{}`",
                                inner.key.text, same.period
                            ),
                        )
                        .label("given twice")
                        .help("give each period one value"),
                    );
                    ok = false;
                }
                dated.periods.push(ForPeriod {
                    period: inner.key.text.clone(),
                    first_day,
                    last_day,
                    value,
                });
            }
            (Err(why), _) => {
                lw.cx.report(
                    Diagnostic::error(Code::InvalidValue, inner.key.span, why)
                        .label("not a period of this scorecard")
                        .help(format!(
                            "name a period at the scorecard's grain or a longer one, such as `\"{}\"`",
                            lw.scope.periods.example()
                        )),
                );
                ok = false;
            }
            (Ok(_), None) => ok = false,
        }
    }
    ok.then_some(dated)
}

/// The first and last day (days since 1970-01-01) of a period named at the scorecard's grain or a
/// longer one.
pub fn period_range(periods: Periods, name: &str) -> Result<(i64, i64), String> {
    const GRAINS: [Grain; 5] = [
        Grain::Day,
        Grain::Week,
        Grain::Month,
        Grain::Quarter,
        Grain::Year,
    ];
    let is_date = chrono::NaiveDate::parse_from_str(name, "%Y-%m-%d").is_ok();
    let finest = GRAINS.iter().position(|g| *g == periods.grain).unwrap_or(0);
    for grain in &GRAINS[finest..] {
        if is_date && *grain != Grain::Day {
            continue;
        }
        let at = periods.at_grain(*grain);
        if *grain != periods.grain && !periods.nests_in(*grain) {
            continue;
        }
        if let Some(p) = at.parse(name) {
            let (first, last) = at.bounds(p);
            return Ok((
                scorecard_model::calendar::days(first),
                scorecard_model::calendar::days(last),
            ));
        }
    }
    Err(format!(
        "`{name}` is not a period at the scorecard's {} grain or a longer one",
        periods.grain.name()
    ))
}
