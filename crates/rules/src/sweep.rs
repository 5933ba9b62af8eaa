//! Owns the order in which a period's results are made: every KPI's total in one evaluation
//! context, then each segmentation's segments a chunk at a time, so that the contexts alive at
//! once (which the KPIs in one segment share) do not grow with the number of segments.

use super::{eval, results, status, BySegment, EvalError, Warning};
use rust_decimal::Decimal;
use scorecard_engine::Aggregates;
use scorecard_model::Model;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// How many segments of one segmentation are evaluated together, their contexts then dropped.
const CHUNK: usize = 4096;

/// One KPI's segments: the total (no values) first, then every segment, sorted.
pub type Segments = Arc<Vec<Vec<Option<String>>>>;

/// The KPIs segmented by the same columns, and every segment any of them has, sorted.
pub struct Segmentation<'m> {
    by: &'m [String],
    kpis: Vec<usize>,
    segments: Vec<&'m [Option<String>]>,
}

/// Each segmentation of the KPIs (`segments`, per KPI as `Segments`), in order of first use.
pub fn segmentations<'m>(model: &'m Model, segments: &'m [Segments]) -> Vec<Segmentation<'m>> {
    let mut out: Vec<Segmentation> = Vec::new();
    for (i, k) in model.kpis.iter().enumerate() {
        if k.by.is_empty() {
            continue;
        }
        match out.iter_mut().find(|s| s.by == k.by.as_slice()) {
            Some(s) => s.kpis.push(i),
            None => out.push(Segmentation {
                by: &k.by,
                kpis: vec![i],
                segments: Vec::new(),
            }),
        }
    }
    for s in &mut out {
        let mut all: BTreeSet<&[Option<String>]> = BTreeSet::new();
        // KPIs segmented alike over the same datasets share one list: it is added once.
        let mut lists: Vec<&Segments> = Vec::new();
        for &i in &s.kpis {
            if lists.iter().any(|l| Arc::ptr_eq(l, &segments[i])) {
                continue;
            }
            lists.push(&segments[i]);
            all.extend(segments[i].iter().skip(1).map(Vec::as_slice));
        }
        s.segments = all.into_iter().collect();
    }
    out
}

/// What a run collects as it makes results, period by period.
pub struct Made<'m> {
    pub results: results::Sink,
    pub warnings: Vec<Vec<Warning>>,
    /// Each KPI's total's exact score, by KPI and period label.
    pub exact_scores: BTreeMap<(String, String), Decimal>,
    /// Each segment's name in results, made once for every period, when results are held (spilled
    /// results name their segments by number).
    names: Option<BySegment<'m, Name>>,
}

/// A segment as results name it: each column with its value.
type Name = Arc<BTreeMap<String, Option<String>>>;

impl<'m> Made<'m> {
    pub fn new(results: results::Sink, kpis: usize) -> Made<'m> {
        let names = (!results.spills()).then(BySegment::default);
        Made {
            results,
            warnings: (0..kpis).map(|_| Vec::new()).collect(),
            exact_scores: BTreeMap::new(),
            names,
        }
    }
}

/// The model, data and scoring functions every result is made from.
pub struct Inputs<'m> {
    pub model: &'m Model,
    pub aggregates: &'m Aggregates,
    pub scripts: &'m scorecard_script::Scripts,
    pub segments: &'m [Segments],
    pub segmentations: &'m [Segmentation<'m>],
}

/// Makes every KPI's results in period `p`, labelled `label`: each KPI's total, then its
/// segments in order.
pub fn period<'m>(
    inputs: &Inputs<'m>,
    (p, label): (i64, &str),
    made: &mut Made<'m>,
) -> Result<(), EvalError> {
    let mut contexts = BySegment::default();
    for i in 0..inputs.model.kpis.len() {
        row(inputs, (p, label), made, &mut contexts, (i, &[], 0))?;
    }
    for s in inputs.segmentations {
        // Where each KPI of the segmentation is in its own segments (after its total).
        let mut next = vec![1; s.kpis.len()];
        for chunk in s.segments.chunks(CHUNK) {
            let Some(&last) = chunk.last() else {
                continue;
            };
            let mut contexts = BySegment::with_capacity_and_hasher(chunk.len(), Default::default());
            for (&i, at) in s.kpis.iter().zip(&mut next) {
                let own = &inputs.segments[i];
                while let Some(seg) = own.get(*at).filter(|seg| seg.as_slice() <= last) {
                    row(inputs, (p, label), made, &mut contexts, (i, seg, *at))?;
                    *at += 1;
                }
            }
        }
    }
    Ok(())
}

/// Makes KPI `i`'s result in segment `seg` (the total when empty), its `at`th, in the context
/// `contexts` holds for it, made when it is the first KPI there.
fn row<'m>(
    inputs: &Inputs<'m>,
    (p, label): (i64, &str),
    made: &mut Made<'m>,
    contexts: &mut BySegment<'m, eval::Context<'m>>,
    (i, seg, at): (usize, &'m [Option<String>], usize),
) -> Result<(), EvalError> {
    let k = &inputs.model.kpis[i];
    let by: &[String] = if seg.is_empty() { &[] } else { &k.by };
    let names = &mut made.names;
    let cx = contexts.entry((by, seg)).or_insert_with(|| {
        let name = || Arc::new(eval::segment_map(by, seg));
        let named = match names {
            Some(names) => names.entry((by, seg)).or_insert_with(name).clone(),
            None => name(),
        };
        eval::Context::new(
            inputs.model,
            inputs.aggregates,
            by,
            (p, label.to_string()),
            seg,
        )
        .naming(named)
    });
    let partial = inputs.aggregates.partial == Some(p);
    let status::Judged {
        row,
        exact_score: exact,
        ..
    } = status::row(cx, k, (label.to_string(), partial), inputs.scripts)?;
    made.warnings[i].extend(cx.take_warnings());
    if let (true, Some(s)) = (seg.is_empty(), exact) {
        made.exact_scores
            .insert((k.name.clone(), label.to_string()), s);
    }
    made.results.push(i, row, at).map_err(super::spill_failed)
}
