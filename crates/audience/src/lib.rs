//! Owns what one audience may see (docs/audiences.md): the audience a command names, found by its
//! name or a member's; the model it is shown, pruned of what it may not see, with the rows of its
//! own segments the engine keeps (`View::rows`); and its evaluation redacted: segments outside its
//! own, roll-up scores computed from what it may not see, and small cells, withheld. Every output
//! format renders the redacted evaluation, so nothing withheld can reach one.

mod cells;
mod redact;
mod suppress;
mod uncounted;
mod withheld;

pub use withheld::Withheld;

use scorecard_diagnostic::{did_you_mean, Code};
use scorecard_model::audience::{Audience, Hidden, HiddenKind, SegmentRule};
use scorecard_model::Model;
use scorecard_rules::manifest::AudienceShown;

/// Why a command could not be made for an audience.
#[derive(Debug, thiserror::Error)]
pub enum AudienceError {
    #[error("the scorecard declares no audience `{name}`{known}\n  help: {help}")]
    Unknown {
        name: String,
        known: String,
        help: String,
    },
    #[error("`{member}` is a member of {audiences} in scorecard.toml: a run is for one audience\n  help: name the audience instead: `--audience {first}`")]
    Ambiguous {
        member: String,
        audiences: String,
        first: String,
    },
    #[error("{what} is not shown to audience `{audience}`\n  help: {help}")]
    Withheld {
        what: String,
        audience: String,
        help: String,
    },
    #[error("audience `{audience}` may not see source rows: {why}\n  help: {help}")]
    RowsWithheld {
        audience: String,
        why: String,
        help: String,
    },
}

impl AudienceError {
    pub fn code(&self) -> Code {
        match self {
            AudienceError::Unknown { .. } | AudienceError::Ambiguous { .. } => {
                Code::UnknownAudience
            }
            AudienceError::Withheld { .. } => Code::Withheld,
            AudienceError::RowsWithheld { .. } => Code::RowsWithheld,
        }
    }
}

/// The audience `name` names: an audience the scorecard declares, or else a member of one in
/// `scorecard.toml` (`members`, by audience), which must belong to one audience only.
pub fn choose<'m>(
    model: &'m Model,
    name: &str,
    members: &std::collections::BTreeMap<String, Vec<String>>,
) -> Result<(&'m Audience, Option<String>), AudienceError> {
    // The project refuses a member written as an audience's name, so a name is one or the other.
    if let Some(a) = model.audiences.iter().find(|a| a.name == name) {
        return Ok((a, None));
    }
    let of: Vec<&str> = members
        .iter()
        .filter(|(_, list)| list.iter().any(|m| m == name))
        .map(|(a, _)| a.as_str())
        .collect();
    match of.as_slice() {
        [one] => {
            if let Some(a) = model.audiences.iter().find(|a| a.name == *one) {
                return Ok((a, Some(name.to_string())));
            }
        }
        [first, ..] => {
            return Err(AudienceError::Ambiguous {
                member: name.to_string(),
                audiences: of
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                first: first.to_string(),
            })
        }
        [] => {}
    }
    let names = model.audiences.iter().map(|a| a.name.as_str());
    let known = match model.audiences.is_empty() {
        true => String::new(),
        false => format!(
            " (it declares {})",
            names
                .clone()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Err(AudienceError::Unknown {
        name: name.to_string(),
        known,
        help: did_you_mean(name, names).unwrap_or_else(|| {
            "declare it: `audience NAME \"Label\" { segments: region = \"EMEA\" }`, or name a member listed under `[audiences.NAME]` in scorecard.toml".to_string()
        }),
    })
}

/// An audience's view of a scorecard: the model it is shown and what it withholds.
#[derive(Debug, Clone)]
pub struct View {
    pub audience: Audience,
    /// The member `--audience` named, when it named one rather than the audience.
    pub member: Option<String>,
    /// The model pruned of what the audience may not see, with the gate that counts each KPI's
    /// cells when small cells are suppressed. Evaluate and render this one.
    pub model: Model,
    pub withheld: Withheld,
}

impl View {
    pub fn new(model: &Model, audience: &Audience, member: Option<String>) -> View {
        let withheld = Withheld::of(model, audience);
        let mut shown = withheld.prune(model);
        if let Some(s) = &audience.suppress {
            cells::add_gates(&mut shown, s);
        }
        View {
            audience: audience.clone(),
            member,
            model: shown,
            withheld,
        }
    }

    /// The view of an earlier version of the scorecard under this audience's rules, for `diff`:
    /// besides what the rules withhold there, whatever this version does not show the audience
    /// under the same name (a KPI by its name or a `renamed_from` of one it shows; a dataset,
    /// objective or perspective by its name), since the rules cannot tell what it was.
    pub fn of_earlier(&self, earlier: &Model) -> View {
        let shown = &self.model;
        let mut audience = self.audience.clone();
        let known = |name: &str| {
            shown
                .kpis
                .iter()
                .any(|k| k.name == name || k.renamed_from.iter().any(|r| r == name))
        };
        let mut hide = |kind: HiddenKind, name: &str| {
            let h = Hidden {
                kind,
                name: name.to_string(),
            };
            if !audience.hide.contains(&h) {
                audience.hide.push(h);
            }
        };
        for k in earlier.kpis.iter().filter(|k| !known(&k.name)) {
            hide(HiddenKind::Kpi, &k.name);
        }
        for d in earlier
            .datasets
            .iter()
            .filter(|d| shown.dataset(&d.name).is_none())
        {
            hide(HiddenKind::Dataset, &d.name);
        }
        for o in earlier.objectives.iter() {
            if !shown.objectives.iter().any(|x| x.name == o.name) {
                hide(HiddenKind::Objective, &o.name);
            }
        }
        for p in earlier.perspectives.iter() {
            if !shown.perspectives.iter().any(|x| x.name == p.name) {
                hide(HiddenKind::Perspective, &p.name);
            }
        }
        View::new(earlier, &audience, self.member.clone())
    }

    /// The rows the engine keeps: the audience's own segments, unless it sees totals over all
    /// (then its figures are the whole scorecard's, and `redact` removes other segments).
    pub fn rows(&self) -> Option<SegmentRule> {
        self.audience
            .segments
            .clone()
            .filter(|_| !self.audience.totals)
    }

    /// The segments of an audience that sees totals: the engine reads every row, and checks only
    /// that these values match some (`engine::Options::segments_named`).
    pub fn segments_named(&self) -> Option<SegmentRule> {
        self.audience
            .segments
            .clone()
            .filter(|_| self.audience.totals)
    }

    /// What the manifest says of the audience.
    pub fn shown(&self) -> AudienceShown {
        let rules = serde_json::to_vec(&self.audience).unwrap_or_default();
        AudienceShown {
            name: self.audience.name.clone(),
            label: self.audience.label.clone(),
            member: self.member.clone(),
            rules: scorecard_rules::manifest::sha256(&rules),
        }
    }

    /// Withholds from an evaluation of `self.model` what the audience may not see.
    pub fn redact(&self, e: &mut scorecard_rules::Evaluation) -> Result<(), AudienceError> {
        redact::redact(self, e)
    }

    /// Whether `explain` may take apart this KPI's value in this segment for the audience, and
    /// whether it may list the rows behind it: `Ok(false)` when it may show the workings but not
    /// the rows.
    pub fn explainable(
        &self,
        full: &Model,
        kpi: &str,
        segment: &[(String, String)],
    ) -> Result<bool, AudienceError> {
        let a = &self.audience;
        let withheld = |what: String, help: &str| AudienceError::Withheld {
            what,
            audience: a.name.clone(),
            help: help.to_string(),
        };
        if self.withheld.kpis.contains(kpi) && full.kpi(kpi).is_some() {
            return Err(withheld(
                format!("KPI `{kpi}`"),
                "explain a KPI the audience's report shows",
            ));
        }
        if a.suppress.is_some() {
            return Err(withheld(
                format!("the working of `{kpi}`"),
                "an audience whose small cells are suppressed is shown figures, not their workings: explain without `--audience`",
            ));
        }
        let Some(rule) = &a.segments else {
            return Ok(a.rows);
        };
        let own = segment.iter().find(|(c, _)| *c == rule.column);
        match own {
            Some((_, v)) if !rule.allows(Some(v)) => Err(withheld(
                format!("segment `{} = \"{v}\"`", rule.column),
                &format!("it sees {}", shown_values(rule)),
            )),
            // Over its own segments' rows only, or over every segment's (when it sees totals).
            Some(_) => Ok(a.rows),
            // A breakdown by another column is not shown to an audience that sees totals.
            None if a.totals && !segment.is_empty() => Err(withheld(
                "a breakdown by another column than its own segments'".to_string(),
                &format!("it sees totals and {}", shown_values(rule)),
            )),
            None => Ok(a.rows && !a.totals),
        }
    }

    /// Whether the audience may see every row of every table: it may see rows, and sees every
    /// segment (rules make their tables from every segment's rows).
    pub fn sees_every_row(&self) -> bool {
        self.audience.rows && self.audience.segments.is_none()
    }

    /// Whether the audience is shown a dataset check: not one of a table it may not read (kept in
    /// its model only for a rule), nor one of the segment column, whose rule names every value as
    /// written (`accepted(region, ["EMEA", "APAC"])`).
    pub fn shows_check(&self, dataset: &str, name: &str) -> bool {
        let a = &self.audience;
        if a.segments.is_some() && !a.totals && self.withheld.unread.contains(dataset) {
            return false;
        }
        let Some(rule) = &a.segments else {
            return true;
        };
        let declared = self.model.dataset(dataset);
        let check = declared.and_then(|d| d.checks.iter().find(|x| x.name == name));
        let Some(value) = check.and_then(|x| serde_json::to_value(&x.rule).ok()) else {
            return false;
        };
        let named = |key: &str| match value.get(key) {
            Some(serde_json::Value::String(s)) => *s == rule.column,
            Some(serde_json::Value::Array(list)) => {
                list.iter().any(|s| s.as_str() == Some(&rule.column))
            }
            _ => false,
        };
        !named("column") && !named("columns")
    }

    /// Whether the audience is shown the lines of rows that failed a check: they are source rows
    /// (with `totals: visible`, other segments' too).
    pub fn shows_check_lines(&self) -> bool {
        let a = &self.audience;
        a.rows && !(a.segments.is_some() && a.totals)
    }

    /// The refusal for a request for rows `explainable` said no to.
    pub fn rows_refused(&self, why: &str) -> AudienceError {
        let help = match self.audience.rows {
            false => "leave it out: the audience is shown figures, not the rows behind them",
            true => "ask for the rows of one of its own segments, which it may see, with `explain --rows-out`",
        };
        AudienceError::RowsWithheld {
            audience: self.audience.name.clone(),
            why: why.to_string(),
            help: help.to_string(),
        }
    }
}

/// `region = "EMEA"`, or `region in ["EMEA", "APAC"]`.
pub fn shown_values(rule: &SegmentRule) -> String {
    let quoted: Vec<String> = rule.values.iter().map(|v| format!("\"{v}\"")).collect();
    match quoted.as_slice() {
        [one] => format!("`{} = {one}`", rule.column),
        _ => format!("`{} in [{}]`", rule.column, quoted.join(", ")),
    }
}
