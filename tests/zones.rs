//! Time zones: timestamps placed in periods by their local date in the scorecard's zone, across
//! daylight-saving changes and the year end, and timestamps without an offset read in their
//! dataset's zone. Each expected period is worked out by hand from the UTC offsets the IANA
//! database gives (America/New_York: UTC-5, UTC-4 from 2026-03-08 07:00Z to 2026-11-01 06:00Z;
//! Europe/Berlin: UTC+1 in winter; Asia/Tokyo: UTC+9).

use crate::support::{codes, folder, model, options, run, value};

fn scorecard(header: &str, grain: &str, dataset: &str) -> String {
    format!(
        "scorecard z {{ currency: USD  grain: {grain}{header} }}\n\
         dataset orders {{ source: \"orders.csv\"  time: at{dataset}  columns: {{ at: timestamp  amount: money }} }}\n\
         kpi revenue {{ value: sum(orders.amount) }}\n"
    )
}

/// Around both of New York's changes in 2026.
const DAYLIGHT: &str = "at,amount\n\
2026-03-08T06:30:00Z,1\n\
2026-03-09T04:30:00Z,2\n\
2026-11-01T05:30:00Z,4\n\
2026-11-02T04:30:00Z,8\n";

#[test]
fn days_follow_new_yorks_daylight_saving_changes() {
    let e = run(
        &scorecard("  time_zone: \"America/New_York\"", "day", ""),
        &[("orders.csv", DAYLIGHT)],
    );
    // 06:30Z on 8 March is 01:30 EST, the 8th; 04:30Z on the 9th is 00:30 EDT, the 9th (a fixed
    // UTC-5 would say 23:30 on the 8th).
    assert_eq!(value(&e, "revenue", "2026-03-08", "total"), "1.00");
    assert_eq!(value(&e, "revenue", "2026-03-09", "total"), "2.00");
    // 05:30Z on 1 November is 01:30 EDT; 04:30Z on the 2nd is 23:30 EST on the 1st (a fixed
    // UTC-4 would say 00:30 on the 2nd).
    assert_eq!(value(&e, "revenue", "2026-11-01", "total"), "12.00");
    assert_eq!(
        e.kpis[0].results.held().last().unwrap().period,
        "2026-11-01"
    );
}

/// Around the year end: two instants, one in Tokyo's wall-clock time (the dataset's zone), and
/// a leap second.
const YEAR_END: &str = "at,amount\n\
2026-12-31T23:30:00Z,10\n\
2027-01-01T03:00:00Z,20\n\
2026-12-31 22:00:00,40\n\
2026-12-31T23:59:60Z,80\n";

const TOKYO: &str = "  time_zone: \"Asia/Tokyo\"";

#[test]
fn the_year_ends_at_each_zones_midnight() {
    let files = [("orders.csv", YEAR_END)];
    // Berlin (UTC+1): 23:30Z is 00:30 on 1 January, 03:00Z is 04:00, the leap second 00:59:59;
    // Tokyo's 22:00 is 13:00Z, 14:00 in Berlin on the 31st.
    let berlin = run(
        &scorecard("  time_zone: \"Europe/Berlin\"", "month", TOKYO),
        &files,
    );
    assert_eq!(value(&berlin, "revenue", "2026-12", "total"), "40.00");
    assert_eq!(value(&berlin, "revenue", "2027-01", "total"), "110.00");
    // New York (UTC-5): every one of them is on the 31st.
    let new_york = run(
        &scorecard("  time_zone: \"America/New_York\"", "month", TOKYO),
        &files,
    );
    assert_eq!(value(&new_york, "revenue", "2026-12", "total"), "150.00");
    assert_eq!(new_york.kpis[0].results.held().len(), 1);
    // No zone: UTC dates, as before; the leap second stays in its own day, the 31st.
    let utc = run(&scorecard("", "month", TOKYO), &files);
    assert_eq!(value(&utc, "revenue", "2026-12", "total"), "130.00");
    assert_eq!(value(&utc, "revenue", "2027-01", "total"), "20.00");
}

#[test]
fn as_of_is_a_local_day() {
    let dir = folder(&[("orders.csv", YEAR_END)]);
    let as_of = |zone: &str| {
        let mut o = options(dir.path());
        o.as_of = chrono::NaiveDate::from_ymd_opt(2026, 12, 31);
        let m = model(&scorecard(
            &format!("  time_zone: \"{zone}\""),
            "month",
            TOKYO,
        ));
        scorecard::evaluate(&m, &o).expect("the run succeeds")
    };
    // In New York all four are on the 31st; in Berlin only Tokyo's 22:00 is.
    assert_eq!(
        value(&as_of("America/New_York"), "revenue", "2026-12", "total"),
        "150.00"
    );
    assert_eq!(
        value(&as_of("Europe/Berlin"), "revenue", "2026-12", "total"),
        "40.00"
    );
}

#[test]
fn a_time_the_clocks_skipped_is_a_data_error_naming_its_row() {
    let dir = folder(&[(
        "orders.csv",
        "at,amount\n2026-03-29 01:30:00,1\n2026-03-29 02:30:00,2\n",
    )]);
    let m = model(&scorecard("  time_zone: \"Europe/Berlin\"", "month", ""));
    let err = scorecard::evaluate(&m, &options(dir.path())).expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("orders.csv") && text.contains('3'), "{text}");
    assert!(text.contains("2026-03-29 02:30:00"), "{text}");
    assert!(text.contains("Europe/Berlin"), "{text}");
}

#[test]
fn an_unknown_zone_is_a_check_error_with_the_databases_spelling() {
    let compiled = scorecard::compile(&scorecard("  time_zone: \"europe/berlin\"", "month", ""));
    assert_eq!(codes(&compiled), vec!["scorecard::check::invalid_value"]);
    let text = scorecard::diagnostic::render_plain("z.scorecard", "", &compiled.diagnostics);
    assert!(text.contains("Europe/Berlin"), "{text}");
    let compiled = scorecard::compile(&scorecard("", "month", "  time_zone: \"Mars/Olympus\""));
    assert_eq!(codes(&compiled), vec!["scorecard::check::invalid_value"]);
}

/// Touches and orders written in New York's wall-clock time, across both of its 2026 changes.
const TOUCHES: &str = "customer,touched_at,channel\n\
spring,2026-03-07 12:30:00,email\n\
autumn,2026-10-25 12:30:00,search\n";
const ORDERS: &str = "order_id,customer,ordered_at,revenue\n\
o1,spring,2026-03-14 13:00:00,100.00\n\
o2,autumn,2026-11-01 12:00:00,50.00\n";

#[test]
fn attribution_windows_are_elapsed_time_across_daylight_saving() {
    let source = "scorecard a { currency: USD  grain: month  time_zone: \"America/New_York\" }\n\
        dataset touches { source: \"touches.csv\"  time: touched_at  columns: { customer: text  touched_at: timestamp  channel: text } }\n\
        dataset orders { source: \"orders.csv\"  time: ordered_at  columns: { order_id: text key  customer: text  ordered_at: timestamp  revenue: money } }\n\
        attribution credit { touches: touches  conversions: orders  match: touches.customer = orders.customer  window: 7 days  value: orders.revenue  credit_to: touches.channel  model: linear }\n\
        kpi attributed { value: attributed(credit)  by: channel }\n\
        kpi orders_total { value: sum(orders.revenue) }\n";
    let e = run(source, &[("touches.csv", TOUCHES), ("orders.csv", ORDERS)]);
    // Spring: 12:30 EST (17:30Z) to 13:00 EDT (17:00Z) a week later is 6 days 23.5 hours: inside
    // a 7-day window, though the clocks read 7 days and 30 minutes.
    assert_eq!(
        value(&e, "attributed", "2026-03", "channel=email"),
        "100.00"
    );
    // Autumn: 12:30 EDT (16:30Z) to 12:00 EST (17:00Z) a week later is 7 days 30 minutes:
    // outside, though the clocks read 6 days 23.5 hours. The order is left unattributed, and
    // search, its only touch, has no credit at all.
    assert_eq!(value(&e, "orders_total", "2026-11", "total"), "50.00");
    assert_eq!(
        value(&e, "attributed", "2026-11", "channel=unattributed"),
        "50.00"
    );
    let search = e.kpis[0]
        .results
        .held()
        .iter()
        .any(|r| scorecard::report::segment_label(&r.segment) == "channel=search");
    assert!(!search, "search was credited");
}

#[test]
fn a_filter_compares_a_timestamp_by_its_local_day() {
    let source = "scorecard f { currency: USD  grain: day  time_zone: \"America/New_York\" }\n\
        dataset d { source: \"d.csv\"  time: at  columns: { at: timestamp  amount: money } }\n\
        kpi before10 { value: sum(d.amount where at < 2026-03-10) }\n\
        kpi on10 { value: sum(d.amount where at = 2026-03-10) }\n";
    // 23:00 on the 9th and 01:00 on the 10th, New York time (EDT from the 8th).
    let e = run(
        source,
        &[(
            "d.csv",
            "at,amount\n2026-03-09 23:00:00,1.00\n2026-03-10 01:00:00,2.00\n",
        )],
    );
    assert_eq!(value(&e, "before10", "2026-03-09", "total"), "1.00");
    assert_eq!(value(&e, "on10", "2026-03-10", "total"), "2.00");
}

#[test]
fn a_conversion_on_a_date_lasts_its_local_day() {
    let source = "scorecard a { currency: USD  grain: day  time_zone: \"America/New_York\" }\n\
        dataset touches { source: \"touches.csv\"  time: touched_at  columns: { customer: text  touched_at: timestamp  channel: text } }\n\
        dataset orders { source: \"orders.csv\"  time: ordered_on  columns: { order_id: text key  customer: text  ordered_on: date  revenue: money } }\n\
        attribution credit { touches: touches  conversions: orders  match: touches.customer = orders.customer  window: 7 days  value: orders.revenue  credit_to: touches.channel  model: linear }\n\
        kpi attributed { value: attributed(credit)  by: channel }\n";
    // 03:00Z on the 11th is 23:00 on the 10th in New York: during the order's day. 03:00Z on the
    // 3rd is 22:00 on the 2nd: before the window opens at midnight on the 3rd.
    let e = run(
        source,
        &[
            ("touches.csv", "customer,touched_at,channel\nlate,2026-03-11T03:00:00Z,email\nearly,2026-03-03T03:00:00Z,search\n"),
            ("orders.csv", "order_id,customer,ordered_on,revenue\no1,late,2026-03-10,100.00\no2,early,2026-03-10,50.00\n"),
        ],
    );
    assert_eq!(
        value(&e, "attributed", "2026-03-10", "channel=email"),
        "100.00"
    );
    assert_eq!(
        value(&e, "attributed", "2026-03-10", "channel=unattributed"),
        "50.00"
    );
}

#[test]
fn a_parquet_time_the_clocks_skipped_is_named_by_its_row() {
    use datafusion::arrow::array::{Decimal128Array, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use datafusion::arrow::record_batch::RecordBatch;
    let micros = |t: &str| {
        chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_micros()
    };
    let schema = Schema::new(vec![
        Field::new(
            "at",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("amount", DataType::Decimal128(18, 2), false),
    ]);
    let batch = RecordBatch::try_new(
        std::sync::Arc::new(schema),
        vec![
            std::sync::Arc::new(TimestampMicrosecondArray::from(vec![
                micros("2026-03-08 01:30:00"),
                micros("2026-03-08 02:30:00"),
            ])),
            std::sync::Arc::new(
                Decimal128Array::from(vec![100, 200])
                    .with_precision_and_scale(18, 2)
                    .unwrap(),
            ),
        ],
    )
    .unwrap();
    let dir = crate::support::parquet_folder("orders.parquet", &batch);
    let source = "scorecard p { currency: USD  grain: day  time_zone: \"America/New_York\" }\n\
        dataset orders { source: \"orders.parquet\"  time: at  columns: { at: timestamp  amount: money } }\n\
        kpi revenue { value: sum(orders.amount) }\n";
    let err = scorecard::evaluate(&model(source), &options(dir.path())).expect_err("skipped");
    let text = err.to_string();
    assert_eq!(err.code().as_str(), "scorecard::data::bad_value", "{text}");
    assert!(
        text.contains("orders.parquet") && text.contains(":2") && text.contains("02:30"),
        "{text}"
    );
}

#[test]
fn a_date_conversions_window_is_local_days_across_daylight_saving() {
    let source = "scorecard a { currency: USD  grain: month  time_zone: \"America/New_York\" }\n\
        dataset touches { source: \"touches.csv\"  time: touched_at  columns: { customer: text  touched_at: timestamp  channel: text } }\n\
        dataset orders { source: \"orders.csv\"  time: ordered_on  columns: { order_id: text key  customer: text  ordered_on: date  revenue: money } }\n\
        attribution credit { touches: touches  conversions: orders  match: touches.customer = orders.customer  window: 7 days  value: orders.revenue  credit_to: touches.channel  model: linear }\n\
        kpi attributed { value: attributed(credit)  by: channel }\n";
    // Orders on 10 March: the window opens at midnight EST on 3 March (05:00Z); 23:00 EST on the
    // 2nd (04:00Z) is before it, though it is 167 elapsed hours before midnight EDT on the 10th.
    // Orders on 5 November: the window opens at midnight EDT on 29 October (04:00Z).
    let e = run(
        source,
        &[
            ("touches.csv", "customer,touched_at,channel\nk1,2026-03-03T04:00:00Z,before\nk2,2026-03-03T05:00:00Z,opening\nk3,2026-10-29T04:00:00Z,autumn\n"),
            ("orders.csv", "order_id,customer,ordered_on,revenue\no1,k1,2026-03-10,100.00\no2,k2,2026-03-10,100.00\no3,k3,2026-11-05,100.00\n"),
        ],
    );
    assert_eq!(
        value(&e, "attributed", "2026-03", "channel=unattributed"),
        "100.00"
    );
    assert_eq!(
        value(&e, "attributed", "2026-03", "channel=opening"),
        "100.00"
    );
    assert_eq!(
        value(&e, "attributed", "2026-11", "channel=autumn"),
        "100.00"
    );
}

#[test]
fn credits_stop_at_as_of_by_the_local_day() {
    let source = "scorecard a { currency: USD  grain: month  time_zone: \"America/New_York\" }\n\
        dataset touches { source: \"touches.csv\"  time: touched_at  columns: { customer: text  touched_at: timestamp  channel: text } }\n\
        dataset orders { source: \"orders.csv\"  time: ordered_at  columns: { order_id: text key  customer: text  ordered_at: timestamp  revenue: money } }\n\
        attribution credit { touches: touches  conversions: orders  match: touches.customer = orders.customer  window: 7 days  value: orders.revenue  credit_to: touches.channel  model: linear }\n\
        kpi attributed { value: attributed(credit) }\n";
    let dir = folder(&[
        ("touches.csv", "customer,touched_at,channel\nc,2026-03-08T12:00:00Z,email\n"),
        // 00:30 on the 11th in New York (04:30Z): after `--as-of 2026-03-10`.
        ("orders.csv", "order_id,customer,ordered_at,revenue\no1,c,2026-03-10T12:00:00Z,10.00\no2,c,2026-03-11T04:30:00Z,20.00\n"),
    ]);
    let mut o = options(dir.path());
    o.as_of = chrono::NaiveDate::from_ymd_opt(2026, 3, 10);
    o.credits = true;
    let e = scorecard::evaluate(&model(source), &o).expect("the run succeeds");
    assert_eq!(value(&e, "attributed", "2026-03", "total"), "10.00");
    let credited: Vec<String> = e
        .credits
        .iter()
        .filter_map(|c| c.credit.map(|v| v.to_string()))
        .collect();
    assert_eq!(credited, vec!["10.00"]);
}
