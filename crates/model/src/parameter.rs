//! Owns `parameter` declarations (named assumptions with a base value and named scenarios) and the
//! values a run assumes for them: the base, a scenario's, or one given by `--set`, each checked
//! against the parameter's unit (docs/language.md, "Parameters").

use rust_decimal::Decimal;
use scorecard_diagnostic::{did_you_mean, Code};
use serde::Serialize;
use std::collections::BTreeMap;

/// One named assumption: `parameter discount_rate "Discount rate" { unit: percent  base: 10% }`.
#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub name: String,
    pub label: Option<String>,
    pub doc: Option<String>,
    pub unit: ParamUnit,
    pub base: Decimal,
    /// Named scenarios' values (`upside: 8%`), in the order written.
    pub scenarios: Vec<(String, Decimal)>,
    /// The low and high values a tornado moves it to (`range: 6% to 12%`), when declared.
    pub range: Option<(Decimal, Decimal)>,
    pub line: usize,
}

/// What a parameter is: written `9%`, a plain amount of the reporting currency, or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamUnit {
    Percent,
    Money,
    Number,
}

impl ParamUnit {
    pub fn name(self) -> &'static str {
        match self {
            ParamUnit::Percent => "percent",
            ParamUnit::Money => "money",
            ParamUnit::Number => "number",
        }
    }

    /// How a value of this unit is written: `9%`, `1200.00`, `3`.
    pub fn show(self, value: Decimal) -> String {
        match self {
            ParamUnit::Percent => format!("{}%", (value * Decimal::ONE_HUNDRED).normalize()),
            ParamUnit::Money | ParamUnit::Number => value.normalize().to_string(),
        }
    }

    /// Reads a value written as the unit says (`9%` for a percent; a plain decimal otherwise).
    pub fn read(self, text: &str) -> Result<Decimal, String> {
        let text = text.trim();
        let number = |t: &str| -> Result<Decimal, String> {
            let t = t.trim();
            let plain = !t.is_empty()
                && t.trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.');
            // Beyond 28 significant digits the decimal library rounds: refused, never rounded.
            let digits = t.chars().filter(char::is_ascii_digit).count();
            plain
                .then(|| t.parse::<Decimal>().ok())
                .flatten()
                .filter(|_| digits <= 28)
                .ok_or_else(|| format!("`{t}` is not a number of at most 28 digits"))
        };
        if text.is_empty() {
            return Err(format!(
                "no value is given: write one, such as `{}`",
                match self {
                    ParamUnit::Percent => "9%",
                    ParamUnit::Money => "1200",
                    ParamUnit::Number => "3",
                }
            ));
        }
        match (self, text.strip_suffix('%')) {
            (ParamUnit::Percent, Some(p)) => {
                let p = number(p)?;
                // A percent of 28 significant digits can need 29 as a fraction: refused, not rounded.
                let fraction = p / Decimal::ONE_HUNDRED;
                (fraction * Decimal::ONE_HUNDRED == p)
                    .then_some(fraction)
                    .ok_or_else(|| format!("`{text}` has more digits than an exact decimal holds as a fraction (28)"))
            }
            (ParamUnit::Percent, None) => {
                Err(format!("a percent is written with `%`, such as `{text}%`"))
            }
            (_, Some(_)) => Err(format!(
                "a {} is written without `%`, such as `{}`",
                self.name(),
                text.trim_end_matches('%')
            )),
            (_, None) => number(text),
        }
    }
}

/// Where an assumed value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Base,
    Scenario,
    Set,
}

/// The value a run assumes for each parameter, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Assumed {
    /// The scenario chosen (`--scenario`), if any.
    pub scenario: Option<String>,
    pub values: BTreeMap<String, (Decimal, Source)>,
}

/// Why the assumptions asked for cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssumeError {
    Unknown {
        name: String,
        hint: String,
    },
    UnknownScenario {
        name: String,
        hint: String,
    },
    Unit {
        name: String,
        unit: &'static str,
        why: String,
    },
    Malformed {
        given: String,
    },
    Twice {
        name: String,
    },
}

impl std::fmt::Display for AssumeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AssumeError::Unknown { name, hint } => {
                write!(f, "no parameter is named `{name}`{hint}")
            }
            AssumeError::UnknownScenario { name, hint } => {
                write!(f, "no scenario is named `{name}`{hint}")
            }
            AssumeError::Unit { name, unit, why } => {
                write!(f, "`{name}` is a {unit} parameter: {why}")
            }
            AssumeError::Malformed { given } => write!(
                f,
                "`--set {given}` is not `NAME=VALUE`, such as `--set discount_rate=9%`"
            ),
            AssumeError::Twice { name } => write!(f, "`{name}` is given twice"),
        }
    }
}

impl std::error::Error for AssumeError {}

impl AssumeError {
    /// The stable code of this kind of problem.
    pub fn code(&self) -> Code {
        match self {
            AssumeError::Unknown { .. } => Code::UnknownParameter,
            AssumeError::UnknownScenario { .. } => Code::UnknownScenario,
            AssumeError::Unit { .. } | AssumeError::Malformed { .. } => Code::ParameterUnit,
            AssumeError::Twice { .. } => Code::SetTwice,
        }
    }
}

/// The declared parameter named `name`, or an error that suggests the nearest.
pub fn find<'p>(parameters: &'p [Parameter], name: &str) -> Result<&'p Parameter, AssumeError> {
    parameters
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| AssumeError::Unknown {
            name: name.to_string(),
            hint: hint(
                name,
                parameters.iter().map(|p| p.name.as_str()),
                "parameters",
            ),
        })
}

/// The values a run assumes: every parameter's base, then the scenario's values, then each
/// `NAME=VALUE` of `set`. A scenario a parameter does not name leaves it at its base.
pub fn assume(
    parameters: &[Parameter],
    scenario: Option<&str>,
    set: &[String],
) -> Result<Assumed, AssumeError> {
    let mut values: BTreeMap<String, (Decimal, Source)> = parameters
        .iter()
        .map(|p| (p.name.clone(), (p.base, Source::Base)))
        .collect();
    if let Some(s) = scenario {
        let declared: Vec<&str> = scenarios(parameters);
        if !declared.contains(&s) {
            return Err(AssumeError::UnknownScenario {
                name: s.to_string(),
                hint: hint(s, declared.iter().copied(), "scenarios"),
            });
        }
        for p in parameters {
            if let Some((_, v)) = p.scenarios.iter().find(|(n, _)| n == s) {
                values.insert(p.name.clone(), (*v, Source::Scenario));
            }
        }
    }
    let mut seen = Vec::new();
    for given in set {
        let Some((name, text)) = given.split_once('=') else {
            return Err(AssumeError::Malformed {
                given: given.clone(),
            });
        };
        let name = name.trim();
        let p = find(parameters, name)?;
        if seen.contains(&name) {
            return Err(AssumeError::Twice {
                name: name.to_string(),
            });
        }
        seen.push(name);
        let value = p.unit.read(text).map_err(|why| AssumeError::Unit {
            name: name.to_string(),
            unit: p.unit.name(),
            why,
        })?;
        values.insert(p.name.clone(), (value, Source::Set));
    }
    Ok(Assumed {
        scenario: scenario.map(str::to_string),
        values,
    })
}

/// Every scenario name any parameter declares, in first-declared order.
pub fn scenarios(parameters: &[Parameter]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (name, _) in parameters.iter().flat_map(|p| &p.scenarios) {
        if !out.contains(&name.as_str()) {
            out.push(name);
        }
    }
    out
}

fn hint<'a>(name: &str, names: impl Iterator<Item = &'a str>, what: &str) -> String {
    let listed: Vec<&str> = names.collect();
    if listed.is_empty() {
        return format!(": the scorecard declares no {what}");
    }
    match did_you_mean(name, listed.iter().copied()) {
        Some(help) => format!(" ({help})"),
        None => format!(": the {what} are {}", listed.join(", ")),
    }
}
