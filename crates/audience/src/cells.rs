//! Owns counting a small cell: the gate each KPI an audience's `suppress` rule applies to gets,
//! whose condition is that the fewest rows or entities any of its aggregates reads, in the period
//! it reads them, is at least the minimum.

use scorecard_model::audience::{Cell, Suppression, CELL_GATE};
use scorecard_model::{Aggregate, CmpOp, Expr, Gate, Kpi, Model, Shift};
use std::collections::{HashMap, HashSet};

/// Adds to every KPI that reads the counted table the gate that its cell counts at least the
/// minimum, evaluated beside its value in each period and segment. Each aggregate the value reads
/// is counted as `Suppression::count_for` says, in the period the value reads it: under the same
/// shifts (`x[-1]` reads last period's cell), and in the period a window ends (a window over
/// several periods holds at least that period's rows).
pub fn add_gates(model: &mut Model, s: &Suppression) {
    let mut gates = Vec::new();
    {
        let mut found = Counts {
            model,
            s,
            kpis: model.kpis.iter().map(|k| (k.name.as_str(), k)).collect(),
            out: Vec::new(),
            walked: HashSet::new(),
        };
        for k in &model.kpis {
            found.out.clear();
            found.walked.clear();
            found.kpi(k, &[], 0);
            gates.push(std::mem::take(&mut found.out));
        }
    }
    for (i, counts) in gates.into_iter().enumerate() {
        if counts.is_empty() {
            continue;
        }
        let mut fewest: Option<Expr> = None;
        for (count, shifts) in counts {
            let index = intern(model, count);
            let mut e = Expr::Aggregate { index };
            for shift in shifts.into_iter().rev() {
                e = Expr::Shift {
                    shift,
                    operand: Box::new(e),
                };
            }
            fewest = Some(match fewest {
                None => e,
                Some(f) => smaller(f, e),
            });
        }
        let (Some(fewest), Some(k)) = (fewest, model.kpis.get_mut(i)) else {
            continue;
        };
        k.requires.push(Gate {
            name: CELL_GATE.to_string(),
            condition: Expr::Compare {
                op: CmpOp::Ge,
                left: Box::new(fewest),
                right: Box::new(Expr::Number {
                    value: s.minimum.into(),
                }),
            },
            text: s.text.clone(),
        });
    }
}

/// The smaller of two counts (no value when either has none: a period without rows is small).
fn smaller(a: Expr, b: Expr) -> Expr {
    Expr::If {
        cond: Box::new(Expr::Compare {
            op: CmpOp::Lt,
            left: Box::new(a.clone()),
            right: Box::new(b.clone()),
        }),
        then: Box::new(a),
        otherwise: Box::new(b),
    }
}

/// The aggregate's place in the model's list, added when it is not there.
fn intern(model: &mut Model, a: Aggregate) -> usize {
    match model.aggregates.iter().position(|x| *x == a) {
        Some(i) => i,
        None => {
            model.aggregates.push(a);
            model.aggregates.len() - 1
        }
    }
}

/// The counts a KPI's cell is made of, each with the shifts it is read under (outermost first).
struct Counts<'m> {
    model: &'m Model,
    s: &'m Suppression,
    kpis: HashMap<&'m str, &'m Kpi>,
    out: Vec<(Aggregate, Vec<Shift>)>,
    /// The KPIs walked under each list of shifts: a KPI that others use many times is walked
    /// once for each way it is shifted, not once for each use.
    walked: HashSet<(&'m str, Vec<Shift>)>,
}

/// KPIs reached through others past this depth are not followed further (the checker refuses
/// cycles; this only bounds the walk).
const MOST_LINKS: usize = 64;

impl<'m> Counts<'m> {
    fn kpi(&mut self, k: &'m Kpi, shifts: &[Shift], links: usize) {
        if links > MOST_LINKS || !self.walked.insert((k.name.as_str(), shifts.to_vec())) {
            return;
        }
        for e in k.values().chain(k.judging()) {
            self.expr(e, shifts, links);
        }
    }

    fn expr(&mut self, e: &'m Expr, shifts: &[Shift], links: usize) {
        scorecard_diagnostic::depth::deep(|| match e {
            Expr::Aggregate { index } => {
                let read = self.model.aggregates.get(*index);
                let cell = read.map(|a| self.s.count_for(self.model, a));
                // A KPI whose cell cannot be counted is withheld (`Withheld::of`).
                if let Some(Cell::Counted(count)) = cell {
                    let found = (*count, shifts.to_vec());
                    if !self.out.contains(&found) {
                        self.out.push(found);
                    }
                }
            }
            Expr::Kpi { name } => {
                if let Some(k) = self.kpis.get(name.as_str()).copied() {
                    self.kpi(k, shifts, links + 1);
                }
            }
            Expr::Shift { shift, operand } => {
                let mut inner = shifts.to_vec();
                inner.push(*shift);
                self.expr(operand, &inner, links);
            }
            _ => e
                .children()
                .into_iter()
                .for_each(|c| self.expr(c, shifts, links)),
        })
    }
}
