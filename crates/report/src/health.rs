//! Owns the data-health notes the table, Markdown and HTML outputs show beside the KPIs: the
//! dataset checks that failed, what each dataset's data covers when some result reads a period it
//! covers only in part, and each result not rated for insufficient data with the gates that
//! failed.

use scorecard_model::format::segment_label;
use scorecard_rules::{Evaluation, Status};

/// Results with insufficient data listed one by one; the rest are counted.
const LISTED: usize = 20;

/// What the outputs say about the data, empty when there is nothing to say.
pub struct Health {
    /// Each failed dataset check, as one line with its numbers and first lines.
    pub failed_checks: Vec<String>,
    /// How many checks passed, of how many.
    pub checks_passed: (usize, usize),
    /// `orders: 2024-11-01 to 2026-10-31`, for each dataset, when some result is partial.
    pub coverage: Vec<String>,
    /// The periods some result reads that their data covers only in part, in the order reported.
    pub partial_periods: Vec<String>,
    /// `satisfaction, total, FY2027-Q1: responses: count(survey) >= 30 (12 against 30)`.
    pub insufficient: Vec<String>,
    /// Results with insufficient data beyond those listed.
    pub more: usize,
}

impl Health {
    /// The notes as (heading, text) pairs, in the order the Markdown and HTML outputs list them.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        out.extend(
            self.failed_checks
                .iter()
                .map(|l| ("Failed check", l.clone())),
        );
        if !self.partial_periods.is_empty() {
            out.push((
                "Partial",
                format!(
                    "the data covers {} only in part; results reading them are marked (partial).",
                    self.partial_periods.join(", ")
                ),
            ));
            out.push(("Coverage", self.coverage.join("; ")));
        }
        out.extend(
            self.insufficient
                .iter()
                .map(|l| ("Insufficient data", l.clone())),
        );
        if self.more > 0 {
            out.push(("Insufficient data", format!("{} more results", self.more)));
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.partial_periods.is_empty()
            && self.insufficient.is_empty()
            && self.failed_checks.is_empty()
    }
}

pub fn of(e: &Evaluation) -> Health {
    let mut partial_periods: Vec<String> = Vec::new();
    let mut insufficient = Vec::new();
    let mut more = 0;
    for k in &e.kpis {
        for r in k.results.held() {
            for p in &r.partial_periods {
                if !partial_periods.contains(p) {
                    partial_periods.push(p.clone());
                }
            }
            if r.status != Status::InsufficientData {
                continue;
            }
            if insufficient.len() == LISTED {
                more += 1;
                continue;
            }
            insufficient.push(format!(
                "{}, {}, {}: {}",
                k.name,
                segment_label(&r.segment),
                r.period,
                r.unmet_shown()
            ));
        }
    }
    let coverage = match partial_periods.is_empty() {
        true => Vec::new(),
        false => e
            .coverage
            .iter()
            .map(|(name, c)| format!("{name}: {} to {}", c.first, c.last))
            .collect(),
    };
    let failed_checks = e
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.shown())
        .collect();
    let passed = e.checks.iter().filter(|c| c.passed).count();
    Health {
        failed_checks,
        checks_passed: (passed, e.checks.len()),
        coverage,
        partial_periods,
        insufficient,
        more,
    }
}

/// The notes as plain lines under a heading, for the terminal; empty when there is nothing to say.
pub fn text(e: &Evaluation) -> String {
    let h = of(e);
    if h.is_empty() {
        return String::new();
    }
    let mut out = String::from("Data health\n");
    for line in &h.failed_checks {
        out.push_str(&format!("  failed check: {line}\n"));
    }
    if !h.failed_checks.is_empty() {
        let (passed, of) = h.checks_passed;
        out.push_str(&format!("  {passed} of {of} checks passed\n"));
    }
    if !h.partial_periods.is_empty() {
        out.push_str(&format!(
            "  partial: the data covers {} only in part; results reading them are marked (partial)\n",
            h.partial_periods.join(", ")
        ));
        out.push_str(&format!("  coverage: {}\n", h.coverage.join("; ")));
    }
    for line in &h.insufficient {
        out.push_str(&format!("  insufficient data: {line}\n"));
    }
    if h.more > 0 {
        out.push_str(&format!(
            "  insufficient data: {} more results (every one is in the JSON and CSV output)\n",
            h.more
        ));
    }
    out
}
