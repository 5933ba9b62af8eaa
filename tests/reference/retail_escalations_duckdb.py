# The independent computation of the retail example's escalations asserted in tests/escalation.rs.
# Run from the repository root: python3 tests/reference/retail_escalations_duckdb.py (needs duckdb).
# DuckDB computes each region's monthly revenue, budget and gross margin from the CSV files; the
# statuses follow retail.scorecard's thresholds; the lifecycle below is written from the rules in
# docs/language.md (Escalations), apart from the engine's code.
import duckdb
con = duckdb.connect()
con.execute("""create table orders as select * from read_csv('scorecards/retail/data/orders.csv', header=true,
  columns={'line_id':'VARCHAR','order_id':'VARCHAR','order_date':'DATE','customer':'VARCHAR','region':'VARCHAR','channel':'VARCHAR','revenue':'DECIMAL(18,2)','cogs':'DECIMAL(18,2)','units':'BIGINT'})""")
con.execute("""create table budget as select * from read_csv('scorecards/retail/data/budget.csv', header=true,
  columns={'month':'DATE','region':'VARCHAR','revenue':'DECIMAL(18,2)'})""")
rows = con.execute("""
with o as (select strftime(order_date, '%Y-%m') as period, {seg} as seg, sum(revenue) as rev, sum(cogs) as cogs
           from orders group by all),
     b as (select strftime(month, '%Y-%m') as period, {seg} as seg, sum(revenue) as budget from budget group by all)
select o.period, o.seg, o.rev, b.budget, round((o.rev - o.cogs) / o.rev, 3) as gm
from o left join b using (period, seg) order by 2, 1
""".format(seg="region")).fetchall()
rows += con.execute("""
with o as (select strftime(order_date, '%Y-%m') as period, 'total' as seg, sum(revenue) as rev, sum(cogs) as cogs
           from orders group by all),
     b as (select strftime(month, '%Y-%m') as period, 'total' as seg, sum(revenue) as budget from budget group by all)
select o.period, o.seg, o.rev, b.budget, round((o.rev - o.cogs) / o.rev, 3) as gm
from o left join b using (period, seg) order by 1
""").fetchall()

def revenue_status(rev, budget):
    if budget is None: return None
    return 'green' if rev >= budget else 'amber' if rev >= budget * 95 / 100 else 'red'

def margin_status(gm):
    return 'green' if gm >= 0.39 else 'amber' if gm >= 0.38 else 'red'

periods = sorted({r[0] for r in rows})
def series(seg, status):
    by_period = {r[0]: status(r) for r in rows if r[1] == seg}
    return [by_period.get(p) for p in periods]

def count_test(statuses, i, wanted, at_least, of):
    """True, False or None (cannot tell) for `in AT_LEAST of the last OF`; before the data is unknown."""
    window = [statuses[j] if j >= 0 else None for j in range(i - of + 1, i + 1)]
    hits = sum(1 for s in window if s in wanted)
    unknown = sum(1 for s in window if s is None)
    if hits >= at_least: return True
    if hits + unknown < at_least: return False
    return None

def episodes(statuses, when, recover, chain):
    out, open_ = [], None
    for i in range(len(periods)):
        if open_ is None:
            if when(statuses, i) is True:
                open_ = [i, None, 0]
            continue
        if recover(statuses, i) is True:
            open_[1] = i
            out.append(open_); open_ = None
            continue
        open_[2] = sum(1 for after in chain if i - open_[0] >= after)
    if open_: out.append(open_)
    return [(periods[a], periods[b] if b is not None else 'open', lvl) for a, b, lvl in out]

ALL = {'green', 'amber', 'red'}
for seg in ['total', 'APAC', 'EMEA', 'LATAM', 'NA']:
    rev = series(seg, lambda r: revenue_status(r[2], r[3]))
    gm = series(seg, lambda r: margin_status(r[4]))
    print('revenue_behind_budget', seg, episodes(rev,
        lambda s, i: count_test(s, i, {'red'}, 2, 2),
        lambda s, i: count_test(s, i, {'green'}, 1, 1), [2]))
    print('margin_slipping', seg, episodes(gm,
        lambda s, i: count_test(s, i, ALL - {'green'}, 3, 4),
        lambda s, i: count_test(s, i, {'green'}, 2, 2), []))

# revenue_out_of_pattern: anomaly(net_revenue, window: 12 periods, z: 2.5). Each month's revenue
# against the mean and sample variance of the up to 12 months before it that have revenue, when at
# least 6 (half the window) do; recovered when the test no longer holds.
import statistics
from decimal import Decimal
def anomaly(values, i):
    before = [values[j] for j in range(i - 12, i) if j >= 0 and values[j] is not None]
    if values[i] is None or len(before) < 6: return None
    mean, var = statistics.mean(before), statistics.variance(before)
    return (values[i] - mean) ** 2 > Decimal('6.25') * var
for seg in ['total', 'APAC', 'EMEA', 'LATAM', 'NA']:
    by_period = {r[0]: r[2] for r in rows if r[1] == seg}
    revenue = [by_period.get(p) for p in periods]
    print('revenue_out_of_pattern', seg, episodes(revenue, anomaly,
        lambda s, i: (lambda a: None if a is None else not a)(anomaly(s, i)), []))
