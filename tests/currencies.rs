//! Money in several currencies: amounts converted at the period's average rate (flows) or its
//! closing rate (balances), each currency's period total rounded once, half-even, to the
//! reporting currency's cents; constant currency at another period's rates; the mistakes caught.
//! Every expected figure is worked out by hand below.

use crate::support::{codes, folder, model, options, row, run};
use rust_decimal::Decimal;

/// USD per one unit of each currency. March: EUR 1.08, 1.09, 1.10 (average 1.09, closing 1.10);
/// GBP 1.26, 1.28 (average 1.27, closing 1.28); JPY 0.0067, 0.0069 (average 0.0068, closing
/// 0.0069); BHD 2.659574 once. April: EUR 1.25 once.
const FX: &str = "day,currency,rate\n\
2026-03-02,EUR,1.080000\n\
2026-03-16,EUR,1.090000\n\
2026-03-31,EUR,1.100000\n\
2026-03-02,GBP,1.260000\n\
2026-03-31,GBP,1.280000\n\
2026-03-02,JPY,0.006700\n\
2026-03-31,JPY,0.006900\n\
2026-03-31,BHD,2.659574\n\
2026-04-01,EUR,1.250000\n";

const SALES: &str = "day,currency,amount\n\
2026-03-05,EUR,1000.00\n\
2026-03-20,EUR,500.25\n\
2026-03-09,GBP,200.10\n\
2026-03-11,JPY,12345\n\
2026-03-12,USD,10.00\n\
2026-03-30,BHD,10.125\n\
2026-04-02,EUR,0.50\n";

const BALANCES: &str = "day,currency,receivable\n\
2026-03-31,EUR,2000.00\n\
2026-03-31,JPY,100000\n";

fn scorecard(extra: &str) -> String {
    format!(
        "scorecard g {{ currency: USD  grain: month  rates: fx }}\n\
         exchange_rates fx {{ dataset: fx_rates  currency: currency  rate: rate  quoted: per_unit }}\n\
         dataset fx_rates {{ source: \"fx.csv\"  time: day  columns: {{ day: date  currency: text  rate: decimal(18, 6) }} }}\n\
         dataset sales {{ source: \"sales.csv\"  time: day  columns: {{ day: date  currency: text  amount: money(currency) average }} }}\n\
         dataset balances {{ source: \"balances.csv\"  time: day  columns: {{ day: date  currency: text  receivable: money(currency) closing }} }}\n\
         kpi revenue {{ value: sum(sales.amount) }}\n\
         kpi receivables {{ value: sum(balances.receivable) }}\n\
         kpi revenue_at_march_rates {{ value: sum(sales.amount)  rates_of: \"2026-03\" }}\n{extra}"
    )
}

fn files() -> [(&'static str, &'static str); 3] {
    [
        ("fx.csv", FX),
        ("sales.csv", SALES),
        ("balances.csv", BALANCES),
    ]
}

fn value(e: &scorecard::rules::Evaluation, kpi: &str, period: &str) -> Option<Decimal> {
    row(e, kpi, period, "total").value
}

fn dec(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

#[test]
fn a_month_in_four_currencies_at_average_rates() {
    let e = run(&scorecard(""), &files());
    // EUR 1,500.25 × 1.09 = 1,635.2725 → 1,635.27; GBP 200.10 × 1.27 = 254.127 → 254.13;
    // JPY 12,345 × 0.0068 = 83.946 → 83.95; BHD 10.125 × 2.659574 = 26.92818675 → 26.93;
    // USD 10.00 as it is. 1,635.27 + 254.13 + 83.95 + 26.93 + 10.00 = 2,010.28.
    assert_eq!(value(&e, "revenue", "2026-03"), dec("2010.28"));
    // April: EUR 0.50 × 1.25 = 0.625, half-even to 0.62 (half-up would give 0.63).
    assert_eq!(value(&e, "revenue", "2026-04"), dec("0.62"));
}

#[test]
fn a_balance_at_the_closing_rate() {
    let e = run(&scorecard(""), &files());
    // EUR 2,000.00 × 1.10 = 2,200.00; JPY 100,000 × 0.0069 = 690.00.
    assert_eq!(value(&e, "receivables", "2026-03"), dec("2890.00"));
}

#[test]
fn constant_currency_takes_one_periods_rates_for_every_period() {
    let e = run(&scorecard(""), &files());
    // April's EUR 0.50 at March's average 1.09 = 0.545, half-even to 0.54.
    assert_eq!(value(&e, "revenue_at_march_rates", "2026-04"), dec("0.54"));
    assert_eq!(
        value(&e, "revenue_at_march_rates", "2026-03"),
        dec("2010.28")
    );
}

#[test]
fn a_missing_rate_is_an_error_naming_the_currency_and_the_period() {
    let sales = format!("{SALES}2026-04-10,GBP,5.00\n");
    let dir = folder(&[
        ("fx.csv", FX),
        ("sales.csv", &sales),
        ("balances.csv", BALANCES),
    ]);
    let err = scorecard::evaluate(&model(&scorecard("")), &options(dir.path()))
        .expect_err("no GBP rate in April");
    let text = err.to_string();
    assert_eq!(
        err.code().as_str(),
        "scorecard::data::missing_rate",
        "{text}"
    );
    assert!(
        text.contains("GBP") && text.contains("2026-04") && text.contains("fx_rates"),
        "{text}"
    );
}

/// One currency, EUR, quoted as euros per dollar: March 2025 at 1.00, March 2026 at 0.80.
const EU: &str = "scorecard eu {{ currency: USD  grain: month  rates: fx }}\n\
exchange_rates fx {{ dataset: fx_rates  currency: code  rate: eur_per_usd  quoted: per_reporting }}\n\
dataset fx_rates {{ source: \"fx.csv\"  time: day  columns: {{ day: date  code: text  eur_per_usd: decimal(18, 6) }} }}\n\
dataset sales {{ source: \"sales.csv\"  time: day  columns: {{ day: date  amount: money(EUR) average }} }}\n\
kpi revenue {{ value: sum(sales.amount) }}\n\
kpi revenue_cc {{ value: sum(sales.amount)  rates_of: \"2025-03\" }}\n\
kpi growth {{ unit: percent  value: revenue / revenue[-12] - 1 }}\n\
kpi growth_cc {{ unit: percent  value: revenue_cc / revenue_cc[-12] - 1 }}\n";

#[test]
fn constant_currency_growth_against_the_prior_years_rates() {
    let source = EU.replace("{{", "{").replace("}}", "}");
    let e = run(
        &source,
        &[
            (
                "fx.csv",
                "day,code,eur_per_usd\n2025-03-03,EUR,1.000000\n2026-03-02,EUR,0.800000\n",
            ),
            (
                "sales.csv",
                "day,amount\n2025-03-10,1000.00\n2026-03-10,1100.00\n",
            ),
        ],
    );
    // 1,000.00 / 1.00 = 1,000.00 a year ago; 1,100.00 / 0.80 = 1,375.00 now: +37.5%, of which
    // the euro's rise is 27.5 points. At last year's rate, 1,100.00: +10%.
    assert_eq!(value(&e, "revenue", "2026-03"), dec("1375.00"));
    assert_eq!(value(&e, "revenue_cc", "2026-03"), dec("1100.00"));
    assert_eq!(
        value(&e, "growth", "2026-03").map(|d| d.normalize()),
        dec("0.375")
    );
    assert_eq!(
        value(&e, "growth_cc", "2026-03").map(|d| d.normalize()),
        dec("0.1")
    );
}

#[test]
fn amounts_keep_their_currencys_minor_unit() {
    let source = "scorecard j { currency: USD  grain: month  rates: fx }\n\
        exchange_rates fx { dataset: fx_rates  currency: currency  rate: rate  quoted: per_unit }\n\
        dataset fx_rates { source: \"fx.csv\"  time: day  columns: { day: date  currency: text  rate: decimal(18, 6) } }\n\
        dataset jp { source: \"jp.csv\"  time: day  columns: { day: date  amount: money(JPY) average } }\n\
        kpi revenue { value: sum(jp.amount) }\n";
    let dir = folder(&[
        ("fx.csv", FX),
        ("jp.csv", "day,amount\n2026-03-02,1500.5\n"),
    ]);
    let err =
        scorecard::evaluate(&model(source), &options(dir.path())).expect_err("yen have no cents");
    let text = err.to_string();
    assert!(text.contains("jp.csv") && text.contains("1500.5"), "{text}");
}

#[test]
fn adding_two_currencies_unconverted_is_a_check_error() {
    let base = "scorecard m { currency: USD  grain: month }\n\
        dataset eu { source: \"eu.csv\"  time: day  columns: { day: date  amount: money(EUR) } }\n\
        dataset uk { source: \"uk.csv\"  time: day  columns: { day: date  amount: money(GBP)  currency: text  local: money(currency) } }\n";
    let check = |kpi: &str| codes(&scorecard::compile(&format!("{base}{kpi}\n")));
    assert_eq!(
        check("kpi both { value: sum(eu.amount) + sum(uk.amount) }"),
        vec!["scorecard::check::unit_mismatch"]
    );
    // Unconverted euros are not dollars.
    assert_eq!(
        check("kpi euros { value: sum(eu.amount) }"),
        vec!["scorecard::check::unit_mismatch"]
    );
    // Amounts in the currency each row names add up only once converted.
    assert_eq!(
        check("kpi local { value: sum(uk.local) }"),
        vec!["scorecard::check::unit_mismatch"]
    );
    // A ratio of one currency's amounts needs no rate.
    assert_eq!(
        check("kpi ratio { value: sum(eu.amount) / sum(eu.amount) }"),
        Vec::<&str>::new()
    );
    // A rate without exchange rates to take it from.
    let no_rates = base.replace("money(EUR) }", "money(EUR) average }");
    assert_eq!(
        codes(&scorecard::compile(&format!(
            "{no_rates}kpi r {{ value: sum(eu.amount) }}\n"
        ))),
        vec!["scorecard::check::missing_key"]
    );
}

#[test]
fn explain_shows_each_currencys_amount_the_rate_and_its_rows() {
    let dir = folder(&files());
    let e = scorecard::explain(
        &model(&scorecard("")),
        &options(dir.path()),
        &scorecard::ExplainRequest {
            kpi: "revenue".into(),
            period: "2026-03".into(),
            segment: Vec::new(),
            rows: Some(10),
        },
    )
    .expect("explained");
    let used = &e.aggregates[0];
    assert_eq!(used.converted_at.as_deref(), Some("average rate of `fx`"));
    type Shown = (String, String, Option<String>, String, Vec<u64>);
    let shown: Vec<Shown> = used
        .conversions
        .iter()
        .map(|c| {
            (
                c.currency.clone(),
                c.amount.to_string(),
                c.rate.map(|r| r.to_string()),
                c.converted.to_string(),
                c.rate_lines.clone(),
            )
        })
        .collect();
    let row = |cur: &str, amount: &str, rate: Option<&str>, converted: &str, lines: &[u64]| {
        (
            cur.to_string(),
            amount.to_string(),
            rate.map(str::to_string),
            converted.to_string(),
            lines.to_vec(),
        )
    };
    // The rates' lines in fx.csv, counting the header as line 1.
    assert_eq!(
        shown,
        vec![
            row("BHD", "10.125", Some("2.659574"), "26.93", &[9]),
            row("EUR", "1500.25", Some("1.09"), "1635.27", &[2, 3, 4]),
            row("GBP", "200.10", Some("1.27"), "254.13", &[5, 6]),
            row("JPY", "12345", Some("0.0068"), "83.95", &[7, 8]),
            row("USD", "10.00", None, "10.00", &[]),
        ]
    );
}

#[test]
fn an_amount_finer_than_its_rows_currency_is_a_data_error_naming_the_line() {
    let sales = format!("{SALES}2026-03-15,JPY,1500.5\n");
    let dir = folder(&[
        ("fx.csv", FX),
        ("sales.csv", &sales),
        ("balances.csv", BALANCES),
    ]);
    let err = scorecard::evaluate(&model(&scorecard("")), &options(dir.path()))
        .expect_err("yen have no cents");
    let text = err.to_string();
    // The ninth line of sales.csv (its header is the first).
    assert!(
        text.contains("sales.csv") && text.contains(":9") && text.contains("1500.5"),
        "{text}"
    );
    assert!(text.contains("JPY"), "{text}");
}

/// The global example's revenue by region and receivables, recomputed independently: DuckDB
/// places each UTC order in its New York month and totals each month, region and currency;
/// Python's `decimal` takes the month's mean rate (closing: its last) and rounds half-even.
const BY_DUCKDB: &str = r#"
import duckdb, json
from decimal import Decimal, ROUND_HALF_EVEN
con = duckdb.connect()
fx = con.execute("""SELECT currency, strftime(day, '%Y-%m'), day, CAST(usd_per_unit AS VARCHAR)
  FROM read_csv('data/fx_rates.csv', header = true,
       columns = {'day': 'DATE', 'currency': 'VARCHAR', 'usd_per_unit': 'VARCHAR'}) ORDER BY day""").fetchall()
rates = {}
for cur, month, day, rate in fx:
    rates.setdefault((cur, month), []).append(Decimal(rate))
def convert(amount, cur, month, closing):
    if cur == "USD":
        return Decimal(amount).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    got = rates[(cur, month)]
    if closing:
        return (Decimal(amount) * got[-1]).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    return (Decimal(amount) * sum(got) / len(got)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
out = {}
orders = con.execute("""SELECT strftime(timezone('America/New_York', CAST(ordered_at AS TIMESTAMPTZ)), '%Y-%m') AS m,
       region, currency, CAST(sum(amount) AS VARCHAR)
  FROM read_csv('data/orders.csv', header = true, columns = {'order_id': 'VARCHAR',
       'ordered_at': 'VARCHAR', 'region': 'VARCHAR', 'currency': 'VARCHAR', 'amount': 'DECIMAL(18, 2)'})
  GROUP BY ALL""").fetchall()
for m, region, cur, amount in orders:
    key = "revenue|" + m + "|region=" + region
    out[key] = str(out.get(key, Decimal(0)) + convert(amount, cur, m, False))
balances = con.execute("""SELECT strftime(month_end, '%Y-%m'), currency, CAST(sum(balance) AS VARCHAR)
  FROM read_csv('data/balances.csv', header = true, columns = {'month_end': 'DATE', 'region': 'VARCHAR',
       'currency': 'VARCHAR', 'balance': 'DECIMAL(18, 2)'}) GROUP BY ALL""").fetchall()
for m, cur, amount in balances:
    key = "receivables|" + m + "|total"
    out[key] = str(Decimal(out.get(key, "0")) + convert(amount, cur, m, True))
print(json.dumps(out))
"#;

#[test]
fn the_global_example_agrees_with_duckdb() {
    let dir = std::path::Path::new("scorecards/global");
    let source = std::fs::read_to_string(dir.join("global.scorecard")).expect("the example");
    let e = scorecard::evaluate(&model(&source), &options(dir)).expect("the example runs");
    let out = std::process::Command::new("python3")
        .args(["-c", BY_DUCKDB])
        .current_dir(dir)
        .output()
        .expect("python3 with duckdb (`.ci/peers`) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(expected.len() > 70, "{expected:?}");
    for (key, want) in &expected {
        let parts: Vec<&str> = key.split('|').collect();
        let got = row(&e, parts[0], parts[1], parts[2]).value;
        assert_eq!(got, dec(want), "{key}");
    }
}

#[test]
fn the_reports_name_the_reporting_currency() {
    let m = model(&scorecard(""));
    let dir = folder(&files());
    let e = scorecard::evaluate(&m, &options(dir.path())).expect("the run succeeds");
    let md = scorecard::report::markdown(&e);
    assert!(md.contains("**Currency:** USD"), "{md}");
    let page = scorecard::report::html::html(&e, &m);
    assert!(page.contains("Currency") && page.contains("USD"));
}

// What the adversary round found, each failing before its fix.

#[test]
fn a_share_of_one_currency_is_taken_unconverted_and_of_several_is_refused() {
    let header = "scorecard g { currency: USD  grain: month  rates: fx }\n\
        exchange_rates fx { dataset: fx_rates  currency: currency  rate: rate  quoted: per_unit }\n\
        dataset fx_rates { source: \"fx.csv\"  time: day  columns: { day: date  currency: text  rate: decimal(18, 6) } }\n\
        dataset eu { source: \"eu.csv\"  time: day  columns: { day: date  amount: money(EUR) average } }\n\
        dataset mix { source: \"mix.csv\"  time: day  columns: { day: date  currency: text  amount: money(currency) average } }\n";
    let e = run(
        &format!("{header}kpi top_eu {{ unit: ratio  value: top_share(eu.amount, 20%) }}\n"),
        &[
            ("fx.csv", "day,currency,rate\n2026-03-02,EUR,3\n"),
            (
                "eu.csv",
                "day,amount\n2026-03-05,100.00\n2026-03-06,100.00\n2026-03-07,300.00\n",
            ),
            ("mix.csv", "day,currency,amount\n"),
        ],
    );
    // The top fifth of three rows is one row: 300 of 500 euros, converted or not.
    assert_eq!(
        value(&e, "top_eu", "2026-03").map(|d| d.normalize()),
        dec("0.6")
    );
    for kpi in [
        "kpi top_mix { unit: ratio  value: top_share(mix.amount, 20%) }",
        "kpi distinct_mix { value: count_distinct(mix.amount) }",
    ] {
        let compiled = scorecard::compile(&format!("{header}{kpi}\n"));
        assert_eq!(
            codes(&compiled),
            vec!["scorecard::check::unit_mismatch"],
            "{kpi}"
        );
    }
}

#[test]
fn missing_rates_are_all_named_in_the_same_order_every_time() {
    let sales = "day,currency,amount\n2026-03-05,SEK,1.00\n2026-03-06,CHF,1.00\n2026-04-02,GBP,1.00\n2026-05-02,NOK,1.00\n";
    let dir = folder(&[
        ("fx.csv", FX),
        ("sales.csv", sales),
        ("balances.csv", BALANCES),
    ]);
    let m = model(&scorecard(""));
    let first = scorecard::evaluate(&m, &options(dir.path()))
        .expect_err("no rates")
        .to_string();
    // In the order of the amounts' periods; NOK's May amount also lacks a March rate, which
    // `revenue_at_march_rates` converts it at.
    assert!(
        first.contains(
            "CHF in 2026-03, SEK in 2026-03, GBP in 2026-04, NOK in 2026-03, NOK in 2026-05"
        ),
        "{first}"
    );
    for _ in 0..5 {
        let again = scorecard::evaluate(&m, &options(dir.path())).expect_err("no rates");
        assert_eq!(again.to_string(), first);
    }
}

#[test]
fn rates_of_on_a_kpi_that_only_uses_another_is_an_error() {
    let compiled = scorecard::compile(&scorecard(
        "kpi via { value: revenue  rates_of: \"2026-03\" }\n",
    ));
    assert_eq!(codes(&compiled), vec!["scorecard::check::invalid_value"]);
    let text = scorecard::diagnostic::render_plain("g.scorecard", "", &compiled.diagnostics);
    assert!(text.contains("`revenue` is another KPI"), "{text}");
}

#[test]
fn a_mistake_inside_exchange_rates_is_reported_once() {
    let source = scorecard("").replace("quoted: per_unit", "");
    let compiled = scorecard::compile(&source);
    assert_eq!(codes(&compiled), vec!["scorecard::check::missing_key"]);
}

#[test]
fn a_rows_currency_that_is_no_code_and_a_rate_row_missing_a_part_are_named() {
    let sales = format!("{SALES}2026-03-15,eur,5.00\n");
    let dir = folder(&[
        ("fx.csv", FX),
        ("sales.csv", &sales),
        ("balances.csv", BALANCES),
    ]);
    let err = scorecard::evaluate(&model(&scorecard("")), &options(dir.path())).expect_err("eur");
    let text = err.to_string();
    assert_eq!(err.code().as_str(), "scorecard::data::bad_value", "{text}");
    assert!(
        text.contains("sales.csv") && text.contains(":9") && text.contains("eur"),
        "{text}"
    );
    let fx = format!("{FX}2026-03-20,EUR,\n");
    let dir = folder(&[
        ("fx.csv", &fx),
        ("sales.csv", SALES),
        ("balances.csv", BALANCES),
    ]);
    let err =
        scorecard::evaluate(&model(&scorecard("")), &options(dir.path())).expect_err("no rate");
    let text = err.to_string();
    assert_eq!(err.code().as_str(), "scorecard::data::bad_rates", "{text}");
    assert!(
        text.contains("fx.csv line 11") && text.contains("no rate"),
        "{text}"
    );
}

#[test]
fn diff_shows_a_change_of_rates_quote_currency_or_constant_period() {
    let old = model(&scorecard(""));
    let new = model(
        &scorecard("")
            .replace("quoted: per_unit", "quoted: per_reporting")
            .replace("rates_of: \"2026-03\"", "rates_of: \"2026-04\"")
            .replace("money(currency) closing", "money(currency) average"),
    );
    let changes = scorecard::rules::diff::models(&old, &new);
    let shown: Vec<String> = changes
        .iter()
        .flat_map(|c| {
            c.properties
                .iter()
                .map(move |p| format!("{} {}: {:?} -> {:?}", c.kind, p.property, p.old, p.new))
        })
        .collect();
    let has = |s: &str| shown.iter().any(|x| x.contains(s));
    assert!(
        has("exchange_rates quoted: Some(\"per_unit\") -> Some(\"per_reporting\")"),
        "{shown:#?}"
    );
    assert!(has("receivable: money(currency) closing"), "{shown:#?}");
    assert!(has("of 2026-03") && has("of 2026-04"), "{shown:#?}");
}

// The second adversary round.

#[test]
fn a_mean_rate_is_not_rounded_before_it_converts() {
    let e = run(
        &scorecard(""),
        &[
            ("fx.csv", "day,currency,rate\n2026-03-02,EUR,0.300000\n2026-03-16,EUR,0.300000\n2026-03-31,EUR,0.415000\n"),
            ("sales.csv", "day,currency,amount\n2026-03-05,EUR,3.00\n"),
            ("balances.csv", "day,currency,receivable\n"),
        ],
    );
    // 3.00 × (0.3 + 0.3 + 0.415) / 3 = 1.015 exactly, half-even to 1.02 (the mean rounded to 28
    // digits first, 0.33833…, gives 1.01).
    assert_eq!(value(&e, "revenue", "2026-03"), dec("1.02"));
}

#[test]
fn a_missing_constant_currency_rate_names_the_constant_period() {
    let dir = folder(&files());
    let m = model(&scorecard(
        "kpi at_may { value: sum(sales.amount)  rates_of: 2026-05 }\n",
    ));
    let err = scorecard::evaluate(&m, &options(dir.path())).expect_err("no May rates");
    let text = err.to_string();
    assert!(
        text.contains("in 2026-05") && !text.contains("in 2026-03"),
        "{text}"
    );
}

#[test]
fn rates_of_converts_the_target_too() {
    let compiled = scorecard::compile(&scorecard(
        "kpi vs_plan { value: revenue  target: sum(sales.amount)  rates_of: \"2026-03\" }\n",
    ));
    // The target has its own aggregate to convert; the value's KPI keeps its rates (a warning).
    assert_eq!(compiled.errors(), 0, "{:?}", codes(&compiled));
    assert_eq!(codes(&compiled), vec!["scorecard::check::invalid_value"]);
}

#[test]
fn segments_by_an_amount_of_several_currencies_are_refused() {
    let compiled = scorecard::compile(&scorecard(
        "kpi by_amount { value: count(sales)  by: amount }\n",
    ));
    assert_eq!(codes(&compiled), vec!["scorecard::check::segment_column"]);
}
