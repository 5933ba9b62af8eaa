//! Attribution models against worked examples from their published definitions, and the rules every
//! credit table keeps (window ends, tie order, unattributed conversions, cents by largest remainder).

use crate::support::{model, options, value};
use scorecard::engine::credits::Credit;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/attribution")
}

/// A scorecard over tests/data/attribution with one attribution under `model_text`.
pub fn scorecard(model_text: &str, extra: &str) -> String {
    format!(
        r#"
scorecard t {{ grain: month }}
dataset touchpoints {{
  source: "touches.csv"
  time: touched_at
  columns: {{ customer: text touched_at: date channel: text impressions: integer stage: text }}
}}
dataset orders {{
  source: "orders.csv"
  time: order_date
  columns: {{ order_id: text key customer: text order_date: date revenue: money }}
}}
{extra}
{rule}kpi attributed_revenue {{ value: attributed(credit) by: channel }}
"#,
        rule = attribution("credit", model_text, "")
    )
}

/// An attribution `name` of touchpoints to orders by customer under `model_text`, with `more`
/// lines (filters) after the model.
fn attribution(name: &str, model_text: &str, more: &str) -> String {
    format!(
        "attribution {name} {{\n  touches: touchpoints\n  conversions: orders\n  match: touchpoints.customer = orders.customer\n  window: 30 days\n  value: orders.revenue\n  credit_to: touchpoints.channel\n  model: {model_text}\n{more}}}\n"
    )
}

/// (conversion line, touch line) → credit, for every credit row.
fn credits(model_text: &str, extra: &str) -> BTreeMap<(i64, Option<i64>), String> {
    let mut opts = options(&data());
    opts.credits = true;
    let e = scorecard::evaluate(&model(&scorecard(model_text, extra)), &opts)
        .expect("the run succeeds");
    e.credits
        .iter()
        .map(|c: &Credit| {
            (
                (c.conversion, c.touch),
                c.credit.map(|v| v.to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

// Lines in tests/data/attribution: orders o1..o10 are lines 2..11; touches are listed beside use.

/// Google Analytics' time-decay model: "a touchpoint 8 days before a conversion gets half the
/// credit of a touchpoint 1 day before" with the default 7-day half-life. Two touches weighing
/// 1/2 : 1 share $90 as $30 and $60 (order o1, touches on lines 2 and 3).
#[test]
fn time_decay_halves_credit_every_half_life() {
    let c = credits("time_decay(half_life: 7 days)", "");
    assert_eq!(c[&(2, Some(2))], "30.00");
    assert_eq!(c[&(2, Some(3))], "60.00");
}

/// Position-based 40/20/40 as Google Analytics defines it: 40% to the first and last interaction,
/// 20% spread evenly over the middle ones; two interactions get 50% each; one gets everything.
#[test]
fn position_based_forty_twenty_forty() {
    let c = credits("position_based(first: 40%, last: 40%)", "");
    // One touch (o2, line 4).
    assert_eq!(c[&(3, Some(4))], "100.00");
    // Two touches (o3, lines 5 and 6).
    assert_eq!(c[&(4, Some(5))], "50.00");
    assert_eq!(c[&(4, Some(6))], "50.00");
    // Four touches (o4, lines 7 to 10): 40, 10, 10, 40.
    assert_eq!(c[&(5, Some(7))], "40.00");
    assert_eq!(c[&(5, Some(8))], "10.00");
    assert_eq!(c[&(5, Some(9))], "10.00");
    assert_eq!(c[&(5, Some(10))], "40.00");
}

/// W-shaped (Salesforce/Marketo's definition): 30% each to the first touch, the lead-creation touch
/// and the opportunity-creation touch, 10% spread over the rest. o5 ($200) has five touches (lines
/// 11 to 15), the lead on line 12 and the opportunity on line 14: 60, 60, 10, 60, 10.
#[test]
fn w_shaped_milestones() {
    let c = credits(
        r#"w_shaped(lead: touchpoints.stage = "lead", opportunity: touchpoints.stage = "opportunity")"#,
        "",
    );
    assert_eq!(c[&(6, Some(11))], "60.00");
    assert_eq!(c[&(6, Some(12))], "60.00");
    assert_eq!(c[&(6, Some(13))], "10.00");
    assert_eq!(c[&(6, Some(14))], "60.00");
    assert_eq!(c[&(6, Some(15))], "10.00");
}

/// Last non-direct touch (Google Analytics' default model): direct visits are ignored unless the
/// journey has nothing else. o6: search then direct → search; o7: only direct → the last direct.
#[test]
fn last_non_direct_touch() {
    let c = credits(
        r#"last_non_direct(direct: touchpoints.channel = "direct")"#,
        "",
    );
    assert_eq!(c[&(7, Some(16))], "100.00");
    assert_eq!(c[&(7, Some(17))], "0.00");
    assert_eq!(c[&(8, Some(18))], "0.00");
    assert_eq!(c[&(8, Some(19))], "100.00");
}

/// Touches at the same time are ordered by their line in the file: o8's two touches on one day
/// (lines 20 and 21): the first touch is line 20 and the last line 21, whatever their channels.
#[test]
fn equal_times_follow_file_order() {
    let first = credits("first_touch", "");
    assert_eq!(first[&(9, Some(20))], "1.01");
    assert_eq!(first[&(9, Some(21))], "0.00");
    let last = credits("last_touch", "");
    assert_eq!(last[&(9, Some(20))], "0.00");
    assert_eq!(last[&(9, Some(21))], "1.01");
    // $1.01 in two: 50 cents each and the cent left over to the earlier touch (equal remainders).
    let linear = credits("linear", "");
    assert_eq!(linear[&(9, Some(20))], "0.51");
    assert_eq!(linear[&(9, Some(21))], "0.50");
}

/// A 30-day window before a conversion on 2026-03-09 runs from 2026-02-07 to the end of
/// 2026-03-09, both ends included: the touch on 02-07 (line 22) and on 03-09 (line 24) count; 02-06
/// (line 23) and 03-10 (line 25) do not. A conversion with no eligible touch (o10, line 11) is
/// credited whole to `unattributed`.
#[test]
fn window_ends_and_unattributed() {
    let c = credits("linear", "");
    assert_eq!(c[&(10, Some(22))], "5.00");
    assert_eq!(c[&(10, Some(24))], "5.00");
    assert!(!c.contains_key(&(10, Some(23))));
    assert!(!c.contains_key(&(10, Some(25))));
    assert_eq!(c[&(11, None)], "25.00");
}

/// `exclude` and `require` leave touches out; a conversion left with none is unattributed.
#[test]
fn exclude_and_require() {
    let source = scorecard("linear", "").replace(
        "  model: linear\n",
        "  model: linear\n  exclude: touchpoints.channel in (\"direct\", \"display\")\n  require: touchpoints.impressions >= 1000\n",
    );
    let mut opts = options(&data());
    opts.credits = true;
    let e = scorecard::evaluate(&model(&source), &opts).expect("the run succeeds");
    let credited = |conversion: i64| -> Vec<(Option<i64>, String)> {
        e.credits
            .iter()
            .filter(|c| c.conversion == conversion)
            .map(|c| (c.touch, c.credit.unwrap().to_string()))
            .collect()
    };
    // o1: the display touch (line 2) is excluded, email (line 3) takes all.
    assert_eq!(credited(2), vec![(Some(3), "90.00".to_string())]);
    // o7: both touches are direct: unattributed.
    assert_eq!(credited(8), vec![(None, "100.00".to_string())]);
}

/// Markov removal effect, on the example of Sergey Bryl ("Marketing Multi-Channel Attribution model
/// with R", analyzecore.com, 2016): paths C1 > C2 > C3 > conversion, C1 > null, C2 > C3 > null give
/// removal effects 0.5, 1 and 1, so the conversion's $100 is shared 20 / 40 / 40.
#[test]
fn markov_removal_effect() {
    let dir = crate::support::folder(&[
        (
            "touches.csv",
            "customer,touched_at,channel,impressions,stage\n\
             a,2026-03-01,C1,1,\na,2026-03-02,C2,1,\na,2026-03-03,C3,1,\n\
             b,2026-03-01,C1,1,\n\
             c,2026-03-01,C2,1,\nc,2026-03-02,C3,1,\n",
        ),
        (
            "orders.csv",
            "order_id,customer,order_date,revenue\no1,a,2026-03-04,100.00\n",
        ),
    ]);
    let mut opts = options(dir.path());
    opts.credits = true;
    let e = scorecard::evaluate(&model(&scorecard("markov", "")), &opts).expect("the run succeeds");
    let by_touch: BTreeMap<Option<i64>, String> = e
        .credits
        .iter()
        .map(|c| (c.touch, c.credit.unwrap().to_string()))
        .collect();
    assert_eq!(by_touch[&Some(2)], "20.00");
    assert_eq!(by_touch[&Some(3)], "40.00");
    assert_eq!(by_touch[&Some(4)], "40.00");
    assert_eq!(
        value(&e, "attributed_revenue", "2026-03", "channel=C2"),
        "40.00"
    );
}

/// A Rhai weight function: the last touch weighs 3, the others 1. o4's four touches share $100 as
/// 1/6, 1/6, 1/6, 3/6: 16.67, 16.67, 16.66, 50.00 (the two cents left over go to the earliest of
/// the touches with the largest remainder, all equal here).
#[test]
fn script_weights() {
    let function = r#"function last_heavy { rhai: """ fn last_heavy(position, touches, age_days) { if position == touches { 3 } else { 1 } } """ }"#;
    let c = credits("last_heavy", function);
    assert_eq!(c[&(5, Some(7))], "16.67");
    assert_eq!(c[&(5, Some(8))], "16.67");
    assert_eq!(c[&(5, Some(9))], "16.66");
    assert_eq!(c[&(5, Some(10))], "50.00");
}

/// `attributed(rule)` by channel adds the credits up; the total includes `unattributed`.
#[test]
fn attributed_by_channel() {
    let source = scorecard("last_touch", "");
    let e = scorecard::evaluate(&model(&source), &options(&data())).expect("the run succeeds");
    // Orders total 90 + 100 + 100 + 100 + 200 + 100 + 100 + 1.01 + 10 + 25 = 826.01.
    assert_eq!(
        value(&e, "attributed_revenue", "2026-03", "total"),
        "826.01"
    );
    // Unattributed: o10 only (25.00).
    assert_eq!(
        value(&e, "attributed_revenue", "2026-03", "channel=unattributed"),
        "25.00"
    );
    // Last touches on email: o1 (90), o3 (100), o5 (200) = 390.
    assert_eq!(
        value(&e, "attributed_revenue", "2026-03", "channel=email"),
        "390.00"
    );
}

/// Rules over the same touches, conversions, match, window and filters read them once and share
/// the journeys; a rule that differs in a filter reads its own. Each rule's credits are the same
/// as when it is the scorecard's only rule.
#[test]
fn rules_sharing_their_inputs_credit_as_if_alone() {
    let exclude = "  exclude: touchpoints.channel in (\"direct\", \"display\")\n";
    let extra = format!(
        "{}{}",
        attribution("firsts", "first_touch", ""),
        attribution("filtered", "linear", exclude)
    );
    let mut opts = options(&data());
    opts.credits = true;
    let together = scorecard::evaluate(&model(&scorecard("linear", &extra)), &opts)
        .expect("the run succeeds")
        .credits;
    let of = |name: &str| -> BTreeMap<(i64, Option<i64>), String> {
        together
            .iter()
            .filter(|c| c.attribution == name)
            .map(|c| ((c.conversion, c.touch), c.credit.unwrap().to_string()))
            .collect()
    };
    assert_eq!(of("credit"), credits("linear", ""));
    assert_eq!(of("firsts"), credits("first_touch", ""));
    let alone = scorecard("linear", "")
        .replace("  model: linear\n", &format!("  model: linear\n{exclude}"));
    let alone = scorecard::evaluate(&model(&alone), &opts).expect("the run succeeds");
    let alone: BTreeMap<_, _> = alone
        .credits
        .iter()
        .map(|c| ((c.conversion, c.touch), c.credit.unwrap().to_string()))
        .collect();
    assert_eq!(of("filtered"), alone);
    // The filter changes something: o1's display touch (line 2) earns nothing there.
    assert_ne!(of("filtered"), of("credit"));
}
