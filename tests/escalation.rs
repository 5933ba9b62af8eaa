//! Escalations over hand-made KPI series. Each test writes one row per month (and region) whose
//! values give the statuses in its comment, and states by hand which periods raise, escalate and
//! recover.
//!
//! Statuses, from the thresholds below: green at 100 or more, amber from 90, red under 90.

use crate::support::run;
use scorecard::rules::escalation::Escalated;
use scorecard::rules::Evaluation;

const HEADER: &str = r#"
scorecard t { currency: USD  grain: month }

dataset series {
  source: "series.csv"
  time: month
  columns: {
    month:    date
    region:   text
    value:    integer
    forecast: integer
  }
}

kpi level "Level" {
  owner: "Analyst"
  unit: count
  value: sum(series.value)
  target: 100
  thresholds: green >= 100, amber >= 90, red otherwise
}

kpi regional "Regional level" {
  owner: "Regional lead"
  unit: count
  value: sum(series.value)
  target: 100
  thresholds: green >= 100, amber >= 90, red otherwise
  by: region
}

kpi share "Value over forecast" {
  unit: percent
  value: sum(series.value) / sum(series.forecast)
}
"#;

/// One row per month from 2026-01 for one region, with the forecast equal to 100.
fn monthly(values: &[i64]) -> String {
    let mut csv = String::from("month,region,value,forecast\n");
    for (i, v) in values.iter().enumerate() {
        csv.push_str(&format!("2026-{:02}-01,EMEA,{v},100\n", i + 1));
    }
    csv
}

fn evaluate(escalations: &str, csv: &str) -> Evaluation {
    run(&format!("{HEADER}\n{escalations}"), &[("series.csv", csv)])
}

/// (segment, raised, recovered or "open") of every episode of `name`.
fn episodes(e: &Evaluation, name: &str) -> Vec<(String, String, String)> {
    e.escalations
        .iter()
        .filter(|x| x.escalation == name)
        .map(|x| {
            (
                scorecard::report::segment_label(&x.segment),
                x.raised.clone(),
                x.recovered.clone().unwrap_or_else(|| "open".into()),
            )
        })
        .collect()
}

fn total(raised: &str, recovered: &str) -> (String, String, String) {
    ("total".into(), raised.into(), recovered.into())
}

fn one<'e>(e: &'e Evaluation, name: &str) -> &'e Escalated {
    let found: Vec<&Escalated> = e
        .escalations
        .iter()
        .filter(|x| x.escalation == name)
        .collect();
    assert_eq!(found.len(), 1, "{name}: {:?}", episodes(e, name));
    found[0]
}

#[test]
fn red_for_two_periods_raises_on_the_second_and_recovers_when_it_stops() {
    // G R R A R R R G: red in Feb and Mar (raised in Mar), amber in April (recovered); red May to
    // July (raised in June), green in August (recovered).
    let e = evaluate(
        "escalation low_level { when: level is red for 2 periods  severity: high }",
        &monthly(&[100, 80, 80, 95, 80, 80, 80, 100]),
    );
    assert_eq!(
        episodes(&e, "low_level"),
        vec![total("2026-03", "2026-04"), total("2026-06", "2026-08")]
    );
}

#[test]
fn in_n_of_the_last_m_periods_counts_and_treats_periods_before_the_data_as_unknown() {
    // G R R A R R R G. In January and February the window reaches back before the data: with two
    // unknown months, two reds cannot be ruled out, so nothing is decided (and nothing raised).
    // March: Jan–Mar hold two reds, raised. Every later window of three holds at least two reds
    // (Feb–Apr 2, Mar–May 2, Apr–Jun 2, May–Jul 3, Jun–Aug 2): open to the end.
    let e = evaluate(
        "escalation often_red { when: level is red in 2 of the last 3 periods  severity: low }",
        &monthly(&[100, 80, 80, 95, 80, 80, 80, 100]),
    );
    assert_eq!(episodes(&e, "often_red"), vec![total("2026-03", "open")]);
    assert!(one(&e, "often_red").open);
}

#[test]
fn a_recover_condition_keeps_a_flapping_kpi_from_raising_again_and_again() {
    // R A R G A G G R. `level is red` alone flaps: raised Jan, recovered Feb, raised Mar, recovered
    // Apr, raised Aug. With `recover: level is green for 2 periods` it stays open until June and
    // July are both green (recovered in July), and is raised again by August's red.
    let values = [80, 95, 80, 100, 95, 100, 100, 80];
    let flapping = evaluate(
        "escalation red { when: level is red  severity: medium }",
        &monthly(&values),
    );
    assert_eq!(
        episodes(&flapping, "red"),
        vec![
            total("2026-01", "2026-02"),
            total("2026-03", "2026-04"),
            total("2026-08", "open")
        ]
    );
    let steady = evaluate(
        "escalation red { when: level is red  recover: level is green for 2 periods  severity: medium }",
        &monthly(&values),
    );
    assert_eq!(
        episodes(&steady, "red"),
        vec![total("2026-01", "2026-07"), total("2026-08", "open")]
    );
}

#[test]
fn an_escalation_moves_up_its_chain_after_the_declared_periods() {
    // Red January to June, green in July. Raised in January to the owner; open 2 periods by March
    // (to the head of finance), 4 by May (to the board); recovered in July.
    let e = evaluate(
        r#"escalation red {
             when: level is red
             severity: critical
             owner: "Analyst"
             after: 2 periods escalate to "Head of Finance", 4 periods escalate to "Board"
           }"#,
        &monthly(&[80, 80, 80, 80, 80, 80, 100]),
    );
    let x = one(&e, "red");
    let timeline: Vec<(String, String, String)> = x
        .timeline
        .iter()
        .map(|t| {
            (
                t.period.clone(),
                format!("{:?}", t.state),
                t.owner.clone().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("2026-01", "Raised", "Analyst"),
        ("2026-02", "Ongoing", "Analyst"),
        ("2026-03", "Escalated", "Head of Finance"),
        ("2026-04", "Ongoing", "Head of Finance"),
        ("2026-05", "Escalated", "Board"),
        ("2026-06", "Ongoing", "Board"),
        ("2026-07", "Recovered", "Board"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(timeline, expected);
    assert_eq!(x.owner.as_deref(), Some("Board"));
    assert_eq!(x.recovered.as_deref(), Some("2026-07"));
}

#[test]
fn the_owner_defaults_to_the_kpis_and_the_message_to_a_sentence() {
    // Red in January only: raised in January, recovered in February.
    let e = evaluate(
        "escalation red \"Level is red\" { when: level is red  severity: low }",
        &monthly(&[80, 100]),
    );
    let x = one(&e, "red");
    assert_eq!(x.owner.as_deref(), Some("Analyst"));
    assert_eq!(
        x.message,
        "Level is red: Level is 80 against target 100 (red) in 2026-01"
    );
}

#[test]
fn a_segmented_kpi_escalates_per_segment_with_the_segment_in_the_message() {
    // EMEA 80, 80, 100 (red for two months by February, green in March); NA 150 every month; the
    // total 230, 230, 250 is green. Only EMEA is raised.
    let csv = "month,region,value,forecast\n\
               2026-01-01,EMEA,80,100\n2026-01-01,NA,150,100\n\
               2026-02-01,EMEA,80,100\n2026-02-01,NA,150,100\n\
               2026-03-01,EMEA,100,100\n2026-03-01,NA,150,100\n";
    let e = evaluate(
        r#"escalation regional_red {
             when: regional is red for 2 periods
             severity: high
             message: "{kpi} in {region} is {value} against {target} ({status}) in {period}; owner {owner}"
           }"#,
        csv,
    );
    assert_eq!(
        episodes(&e, "regional_red"),
        vec![(
            "region=EMEA".to_string(),
            "2026-02".to_string(),
            "2026-03".to_string()
        )]
    );
    assert_eq!(
        one(&e, "regional_red").message,
        "Regional level in EMEA is 80 against 100 (red) in 2026-02; owner Regional lead"
    );
}

#[test]
fn a_missing_period_neither_raises_nor_clears() {
    // Red in January and February (raised in February), no rows in March, red in April. March and
    // April cannot tell "red for 2 periods" (a month without a value is unknown), so the
    // escalation stays open through them rather than recovering.
    let csv = "month,region,value,forecast\n\
               2026-01-01,EMEA,80,100\n2026-02-01,EMEA,80,100\n2026-04-01,EMEA,80,100\n";
    let e = evaluate(
        "escalation red { when: level is red for 2 periods  severity: high }",
        csv,
    );
    assert_eq!(episodes(&e, "red"), vec![total("2026-02", "open")]);
    let states: Vec<String> = one(&e, "red")
        .timeline
        .iter()
        .map(|t| format!("{} {:?}", t.period, t.state))
        .collect();
    assert_eq!(
        states,
        ["2026-02 Raised", "2026-03 Ongoing", "2026-04 Ongoing"]
    );
}

#[test]
fn change_and_pct_change_compare_with_the_period_before() {
    // 100, 90, 70, 70: changes −10, −20, 0; percent changes −10%, −22.2%, 0%. `change < -15` holds
    // in March only; `pct_change < -10%` also in March only (−10% is not below −10%).
    let values = [100, 90, 70, 70];
    let e = evaluate(
        "escalation drop { when: change(level) < -15  severity: low }\n\
         escalation pct_drop { when: pct_change(level) < -10%  severity: low }",
        &monthly(&values),
    );
    assert_eq!(episodes(&e, "drop"), vec![total("2026-03", "2026-04")]);
    assert_eq!(episodes(&e, "pct_drop"), vec![total("2026-03", "2026-04")]);
    // The evidence covers the period `change` compared with.
    let periods: Vec<&str> = one(&e, "drop")
        .evidence
        .iter()
        .map(|v| v.period.as_str())
        .collect();
    assert_eq!(periods, ["2026-02", "2026-03"]);
    let check = &one(&e, "drop").checks[0];
    assert_eq!(check.condition, "change(level) < -15");
    assert_eq!(check.holds, Some(true));
    assert_eq!(check.left.map(|d| d.to_string()).as_deref(), Some("-20"));
}

#[test]
fn deviates_by_a_percent_is_relative_and_by_points_is_absolute() {
    // value against forecast 100: 99, 115, 90, 111. Relative to the forecast, more than 10%:
    // 1, 15, 10 (not more), 11 → February, and April. The share (value / forecast) against 104% by
    // more than 5 points: |99−104| = 5 (not more), |115−104| = 11, |90−104| = 14, |111−104| = 7
    // points → from February to April.
    let e = evaluate(
        "escalation off_forecast { when: level deviates from sum(series.forecast) by more than 10%  severity: medium }\n\
         escalation off_share { when: share deviates from 104% by more than 5 points  severity: medium }",
        &monthly(&[99, 115, 90, 111]),
    );
    assert_eq!(
        episodes(&e, "off_forecast"),
        vec![total("2026-02", "2026-03"), total("2026-04", "open")]
    );
    assert_eq!(episodes(&e, "off_share"), vec![total("2026-02", "open")]);
    let check = &one(&e, "off_share").checks[0];
    assert_eq!(
        (
            check.left.map(|d| d.to_string()),
            check.right.map(|d| d.to_string())
        ),
        (Some("1.15".into()), Some("1.04".into()))
    );
}

#[test]
fn a_relative_deviation_from_zero_cannot_be_told_and_warns() {
    // Forecast 0 in every month: 5% of 0 is no tolerance at all, and dividing by it is division by
    // zero; nothing is raised, and each month warns.
    let csv = "month,region,value,forecast\n2026-01-01,EMEA,100,0\n2026-02-01,EMEA,120,0\n";
    let e = evaluate(
        "escalation off { when: level deviates from sum(series.forecast) by more than 5%  severity: low }",
        csv,
    );
    assert!(episodes(&e, "off").is_empty());
    let warned: Vec<&str> = e
        .warnings
        .iter()
        .filter(|w| w.kpi == "off")
        .map(|w| w.period.as_str())
        .collect();
    assert_eq!(warned, ["2026-01", "2026-02"]);
}

#[test]
fn an_anomaly_is_a_value_more_than_z_deviations_from_the_window_mean() {
    // 100, 102, 98, 101, 99, 100, 150, 100 with a window of 6 and z 3.
    // Until April the window holds fewer than half its six periods: not told.
    // April: window 100, 102, 98 (mean 100, variance 8/2 = 4); (101 − 100)² = 1 ≤ 9 × 4.
    // May: mean 100.25, variance 8.75/3; (99 − 100.25)² = 1.5625 ≤ 26.25.
    // June: mean 100, variance 10/4 = 2.5; 0 ≤ 22.5. July: mean 100, variance 10/5 = 2;
    // (150 − 100)² = 2500 > 18: raised, z = 50 / √2 = 35.36.
    // August: window Feb–Jul, mean 650/6, squares 2093.33, variance 418.67;
    // (100 − 108.33)² = 69.4 ≤ 3768: recovered.
    let e = evaluate(
        "escalation spike { when: anomaly(level, window: 6 periods, z: 3)  severity: medium }",
        &monthly(&[100, 102, 98, 101, 99, 100, 150, 100]),
    );
    assert_eq!(episodes(&e, "spike"), vec![total("2026-07", "2026-08")]);
    let check = &one(&e, "spike").checks[0];
    assert_eq!(check.left.map(|d| d.to_string()).as_deref(), Some("150"));
    assert_eq!(
        check.right.map(|d| d.normalize().to_string()).as_deref(),
        Some("100")
    );
    assert_eq!(check.z.map(|d| d.to_string()).as_deref(), Some("35.36"));
}

#[test]
fn an_anomaly_of_values_with_many_decimals_is_decided_on_their_exact_spread() {
    // 1000000.0000000001, ...02, ...01, ...01, ...02, ...01 with a window of 3 and z 3 (found by
    // an adversary: the running sum of squares was rounded, and March was raised). March: window
    // ...01, ...02, mean ...015, variance 5e-21; (...01 − ...015)² = 2.5e-21 ≤ 9 × 5e-21. No
    // period's value is 3 deviations from its window's mean (worked with 80-digit decimals).
    let card = "scorecard t { currency: USD  grain: month }\ndataset d { source: \"d.csv\"  time: day  columns: { day: date  x: decimal(28, 10) } }\nkpi v { value: sum(d.x)  unit: number  rounding: 10 decimals }\nescalation spike { when: anomaly(v, window: 3 periods, z: 3)  severity: low }";
    let mut csv = String::from("day,x\n");
    for (m, last) in [1, 2, 1, 1, 2, 1].iter().enumerate() {
        csv.push_str(&format!("2025-{:02}-15,1000000.000000000{last}\n", m + 1));
    }
    let e = run(card, &[("d.csv", &csv)]);
    assert_eq!(
        episodes(&e, "spike"),
        Vec::<(String, String, String)>::new()
    );
    // 1.00000000000000000001, ...02, ...01, ...09 at 20 decimals: April is 13.28 deviations from
    // its window's mean (mean 4/3, variance 1/3 in units of 1e-20; (9 − 4/3)² = 58.8 > 9 × 1/3).
    // The squares of the values' spread, 1e-40, rounded to nothing, and nothing was raised.
    let card = card
        .replace("decimal(28, 10)", "decimal(28, 20)")
        .replace("10 decimals", "12 decimals");
    let mut csv = String::from("day,x\n");
    for (m, last) in [1, 2, 1, 9].iter().enumerate() {
        csv.push_str(&format!(
            "2025-{:02}-15,1.0000000000000000000{last}\n",
            m + 1
        ));
    }
    let e = run(&card, &[("d.csv", &csv)]);
    assert_eq!(episodes(&e, "spike"), vec![total("2025-04", "open")]);
    let check = &one(&e, "spike").checks[0];
    assert_eq!(check.z.map(|d| d.to_string()).as_deref(), Some("13.28"));
}

#[test]
fn and_or_not_combine_conditions_in_three_valued_logic() {
    // 100, 85, 80, 95, 85: not green for 2 periods and not rising.
    // Feb: Jan green → no. Mar: Feb, Mar not green, change −5 ≤ 0 → raised.
    // Apr: Mar, Apr not green, change +15 > 0 → recovered. May: Apr, May not green, −10 → raised.
    let e = evaluate(
        "escalation sliding { when: level is not green for 2 periods and not (change(level) > 0)  severity: low }",
        &monthly(&[100, 85, 80, 95, 85]),
    );
    assert_eq!(
        episodes(&e, "sliding"),
        vec![total("2026-03", "2026-04"), total("2026-05", "open")]
    );
}

#[test]
fn the_evidence_shows_the_periods_the_raising_condition_read() {
    // Red for 2 periods, raised in March: the evidence is February and March of `level`.
    let e = evaluate(
        "escalation red { when: level is red for 2 periods  severity: high }",
        &monthly(&[100, 80, 85]),
    );
    let x = one(&e, "red");
    let evidence: Vec<(String, String, String, String)> = x
        .evidence
        .iter()
        .map(|v| {
            (
                v.kpi.clone(),
                v.period.clone(),
                v.point.value.map(|d| d.to_string()).unwrap_or_default(),
                v.point.status.name().to_string(),
            )
        })
        .collect();
    let row = |p: &str, v: &str| {
        (
            "level".to_string(),
            p.to_string(),
            v.to_string(),
            "red".to_string(),
        )
    };
    assert_eq!(evidence, vec![row("2026-02", "80"), row("2026-03", "85")]);
    assert_eq!(
        x.evidence[0].point.target.map(|d| d.to_string()).as_deref(),
        Some("100")
    );
}

/// Episodes of `red for 2 periods` over `values`, reporting from `from`.
fn reported_from(values: &[i64], from: &str) -> Vec<(String, String, String)> {
    let dir = crate::support::folder(&[("series.csv", &monthly(values))]);
    let source =
        format!("{HEADER}\nescalation red {{ when: level is red for 2 periods  severity: high }}");
    let options = scorecard::engine::Options {
        from: Some(from.into()),
        ..crate::support::options(dir.path())
    };
    let e = scorecard::evaluate(&crate::support::model(&source), &options).expect("runs");
    episodes(&e, "red")
}

#[test]
fn an_escalation_raised_before_the_reported_periods_is_shown_while_open_or_recovering() {
    // Red from January, raised in February (red for 2): reported from March it is still open.
    assert_eq!(
        reported_from(&[80, 80, 80, 80], "2026-03"),
        vec![total("2026-02", "open")]
    );
    // Green in March: it recovers in March, which the report from March shows; from April it is
    // over before the first period reported and is left out.
    assert_eq!(
        reported_from(&[80, 80, 100, 100], "2026-03"),
        vec![total("2026-02", "2026-03")]
    );
    assert!(reported_from(&[80, 80, 100, 100], "2026-04").is_empty());
}

/// The retail example's escalations, from tests/reference/retail_escalations_duckdb.py, which
/// prints (raised, recovered, chain steps reached) per escalation and segment:
/// revenue_behind_budget EMEA [('2025-07', '2025-08', 0), ('2025-12', '2026-03', 1)]
/// revenue_behind_budget NA [('2026-03', '2026-04', 0), ('2026-08', '2026-09', 0)]
/// margin_slipping total [('2026-01', '2026-06', 0)]
/// margin_slipping APAC [('2026-04', '2026-06', 0), ('2026-09', 'open', 0)]
/// margin_slipping EMEA [('2025-12', '2026-10', 0)]
/// margin_slipping LATAM [('2025-12', '2026-05', 0), ('2026-10', 'open', 0)]
/// margin_slipping NA [('2025-03', '2025-07', 0), ('2026-01', '2026-06', 0)]
/// revenue_out_of_pattern total [('2025-12', '2026-01', 0)]
/// revenue_out_of_pattern EMEA [('2026-03', '2026-04', 0)]
/// revenue_out_of_pattern LATAM [('2025-12', '2026-01', 0)]
/// revenue_out_of_pattern NA [('2025-11', '2026-01', 0)]
/// (every other escalation and segment: none)
#[test]
fn the_retail_example_escalates_as_duckdb_and_the_written_rules_say() {
    let path = std::path::Path::new("scorecards/retail/retail.scorecard");
    let source = std::fs::read_to_string(path).expect("the retail example");
    let e = scorecard::evaluate(
        &crate::support::model(&source),
        &crate::support::options(std::path::Path::new("scorecards/retail")),
    )
    .expect("the example runs");
    let seg = |s: &str| {
        if s == "total" {
            "total".to_string()
        } else {
            format!("region={s}")
        }
    };
    let expect = |list: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        list.iter()
            .map(|(s, a, b)| (seg(s), a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        episodes(&e, "revenue_behind_budget"),
        expect(&[
            ("EMEA", "2025-07", "2025-08"),
            ("EMEA", "2025-12", "2026-03"),
            ("NA", "2026-03", "2026-04"),
            ("NA", "2026-08", "2026-09"),
        ])
    );
    let emea: Vec<Option<String>> = e
        .escalations
        .iter()
        .filter(|x| x.escalation == "revenue_behind_budget")
        .map(|x| x.owner.clone())
        .collect();
    // One step up the chain for the second EMEA episode only; the owner is net revenue's.
    assert_eq!(
        emea,
        [
            Some("VP Sales"),
            Some("CFO"),
            Some("VP Sales"),
            Some("VP Sales")
        ]
        .map(|o| o.map(String::from))
    );
    assert_eq!(
        episodes(&e, "margin_slipping"),
        expect(&[
            ("total", "2026-01", "2026-06"),
            ("APAC", "2026-04", "2026-06"),
            ("APAC", "2026-09", "open"),
            ("EMEA", "2025-12", "2026-10"),
            ("LATAM", "2025-12", "2026-05"),
            ("LATAM", "2026-10", "open"),
            ("NA", "2025-03", "2025-07"),
            ("NA", "2026-01", "2026-06"),
        ])
    );
    assert_eq!(
        episodes(&e, "revenue_out_of_pattern"),
        expect(&[
            ("total", "2025-12", "2026-01"),
            ("EMEA", "2026-03", "2026-04"),
            ("LATAM", "2025-12", "2026-01"),
            ("NA", "2025-11", "2026-01"),
        ])
    );
}
