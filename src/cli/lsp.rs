//! Owns `scorecard lsp`: the language server on standard input and output, with the figures of
//! each open scorecard computed by the warm state (`live.rs`) on a worker thread.

use super::exit::Exit;
use super::live::{Evaluated, Live};
use scorecard::lsp::figures::{Evaluate, Figure, Figures, KpiFigures};
use scorecard::model::{format, Unit};
use std::path::Path;

/// How many of a KPI's last periods a hover lists.
const PERIODS_SHOWN: usize = 3;

/// The language server; with `figures`, each KPI's latest values from the project's data, the
/// rows held within `keep` bytes.
pub fn serve(figures: bool, keep: usize) -> Exit {
    let evaluator: Option<Box<dyn Evaluate>> = match figures {
        true => Some(Box::new(Evaluator(Live::new(keep, false)))),
        false => None,
    };
    let served =
        scorecard::lsp::serve_evaluating(std::io::stdin().lock(), std::io::stdout(), evaluator);
    match served {
        Ok(true) => Exit::Ok,
        // Exit before `shutdown`, or the editor's pipe broke: the protocol's exit code 1.
        Ok(false) => Exit::ScorecardErrors,
        Err(e) => {
            eprintln!("error: the language server stopped: {e}");
            Exit::DataErrors
        }
    }
}

struct Evaluator(Live);

impl Evaluate for Evaluator {
    fn stale(&mut self, file: &Path) -> bool {
        self.0.stale(file)
    }

    fn evaluate(&mut self, file: &Path, text: &str) -> Figures {
        match self.0.evaluate(file, text) {
            Ok(e) => figures(&e),
            Err(failed) => Figures {
                problem: Some(failed.why),
                ..Figures::default()
            },
        }
    }
}

/// Each KPI's total in its last periods, as the terminal table writes values.
fn figures(e: &Evaluated) -> Figures {
    let currency = &e.evaluation.scorecard.currency;
    let kpis = e
        .evaluation
        .kpis
        .iter()
        .map(|k| {
            let totals: Vec<_> = k
                .results
                .held()
                .iter()
                .filter(|r| r.segment.is_empty())
                .collect();
            let last = &totals[totals.len().saturating_sub(PERIODS_SHOWN)..];
            KpiFigures {
                name: k.name.clone(),
                periods: last
                    .iter()
                    .map(|r| Figure {
                        period: r.period.clone(),
                        value: match (r.value, k.unit) {
                            (None, _) => "no value".to_string(),
                            (Some(v), Unit::Money) => {
                                format!("{} {currency}", format::number(Some(v), k.unit))
                            }
                            (v, unit) => format::number(v, unit),
                        },
                        exact: r.value.map(|v| v.to_string()),
                        status: r.status.name().to_string(),
                        partial: r.partial,
                    })
                    .collect(),
            }
        })
        .collect();
    let warned = e.evaluation.warnings.len();
    let problem = (warned > 0).then(|| {
        let first = &e.evaluation.warnings[0];
        format!(
            "{warned} warning{}, the first {}: {}",
            super::terminal::s(warned),
            first.code,
            first.message
        )
    });
    Figures {
        kpis,
        problem,
        took_ms: e.took_ms,
        how: e.how.clone(),
    }
}
