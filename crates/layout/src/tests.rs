use super::format;

/// Formats `input` and compares with the layout written by hand in `expected`.
fn check(input: &str, expected: &str) {
    let got = format(input).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        got, expected,
        "\n--- got ---\n{got}\n--- expected ---\n{expected}"
    );
    assert_eq!(
        format(&got).ok().as_deref(),
        Some(expected),
        "not idempotent"
    );
}

#[test]
fn indents_blocks_and_puts_one_entry_on_a_line() {
    check(
        "kpi   a \"A\"{unit:money value:sum( orders.revenue )\n\n\n\n   target :400}\n",
        "kpi a \"A\" {\n  unit: money\n  value: sum(orders.revenue)\n\n  target: 400\n}\n",
    );
}

#[test]
fn a_block_written_on_one_line_stays_on_one_line() {
    check(
        "perspective p \"P\" {owner:\"CFO\" weight:40%}\nkpi e {}\nkpi f { }\n",
        "perspective p \"P\" { owner: \"CFO\"  weight: 40% }\nkpi e {}\nkpi f {}\n",
    );
}

#[test]
fn operators_take_one_space_and_signs_none() {
    check(
        "kpi a {\n  value: (b-sum(orders.cogs where channel=\"web\"))/ - c*95% of target\n  x: b[ -1 ]+c[same period last year]\n  y: f( goal : 40% , red_flag:-5 )\n}\n",
        "kpi a {\n  value: (b - sum(orders.cogs where channel = \"web\")) / -c * 95% of target\n  x: b[-1] + c[same period last year]\n  y: f(goal: 40%, red_flag: -5)\n}\n",
    );
}

#[test]
fn values_align_in_nested_blocks_but_not_in_declarations() {
    check(
        "dataset d {\n  source: \"d.csv\"\n  time: day\n  columns: {\n    day: date\n    customer_name: text key\n\n    revenue: money\n  }\n}\n",
        "dataset d {\n  source: \"d.csv\"\n  time: day\n  columns: {\n    day:           date\n    customer_name: text key\n\n    revenue: money\n  }\n}\n",
    );
}

#[test]
fn comments_stay_where_they_were_and_trailing_ones_line_up() {
    check(
        "// head\n\n\n/// The doc.\nkpi a { // on the brace\n  // above\n  unit: money // money\n  value: sum(o.x)   /* inline */ + 1 // sum\n  /* block */\n}\n// tail\n",
        "// head\n\n/// The doc.\nkpi a {  // on the brace\n  // above\n  unit: money                       // money\n  value: sum(o.x) /* inline */ + 1  // sum\n  /* block */\n}\n// tail\n",
    );
}

#[test]
fn an_expression_keeps_its_line_breaks_indented_by_open_brackets() {
    check(
        "escalation e {\nwhen: a is red for 2 periods\n or b is red\n  model: position_based(\nfirst: 40%,\n        last: 40%\n    )\n}\n",
        "escalation e {\n  when: a is red for 2 periods\n    or b is red\n  model: position_based(\n    first: 40%,\n    last: 40%\n  )\n}\n",
    );
}

#[test]
fn a_doc_comment_goes_on_its_own_line_before_its_entry() {
    check(
        "kpi a {\n  value: 1 /// why\n  target: 5\n}\n",
        "kpi a {\n  value: 1\n  /// why\n  target: 5\n}\n",
    );
}

#[test]
fn triple_quoted_text_is_kept_byte_for_byte() {
    let script = "\"\"\"\n  fn f(x) {   x * 2 }  \n\t\"\"\"";
    check(
        &format!("function f \"F\" {{ rhai:{script} }}\n"),
        &format!("function f \"F\" {{\n  rhai: {script}\n}}\n"),
    );
}

#[test]
fn refuses_a_file_that_does_not_parse() {
    assert!(matches!(
        format("kpi a { value: ( }"),
        Err(super::FormatError::Syntax(_))
    ));
}
