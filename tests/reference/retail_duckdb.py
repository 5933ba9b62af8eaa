# The independent computation of the retail example values asserted in tests/evaluate.rs.
# Run from the repository root: python3 tests/reference/retail_duckdb.py (needs `pip install duckdb`).
# Decimal columns are declared so DuckDB sums exact decimals; ratios are rounded to 3 places (1 decimal of a percent).
import duckdb
con = duckdb.connect()
con.execute("""create table orders as select * from read_csv('scorecards/retail/data/orders.csv', header=true,
  columns={'line_id':'VARCHAR','order_id':'VARCHAR','order_date':'DATE','customer':'VARCHAR','region':'VARCHAR','channel':'VARCHAR','revenue':'DECIMAL(18,2)','cogs':'DECIMAL(18,2)','units':'BIGINT'})""")
con.execute("""create table budget as select * from read_csv('scorecards/retail/data/budget.csv', header=true,
  columns={'month':'DATE','region':'VARCHAR','revenue':'DECIMAL(18,2)'})""")
q = """
with o as (
  select strftime(order_date, '%Y-%m') as period, {seg} as seg,
         sum(revenue) as rev, sum(cogs) as cogs, count(distinct order_id) as orders,
         sum(revenue) filter (where channel = 'online') as online, sum(units) as units
  from orders group by all),
b as (select strftime(month, '%Y-%m') as period, {seg} as seg, sum(revenue) as budget from budget group by all)
select o.period, o.seg, o.rev, b.budget, o.rev - b.budget as variance,
       round((o.rev - o.cogs) / o.rev, 3) as gm,
       round(o.rev / o.orders, 2) as aov,
       round(o.online / o.rev, 3) as online_share,
       o.units,
       round(o.rev / b.budget, 3) as attainment
from o join b using (period, seg)
where o.period in ('2025-03', '2025-12', '2026-10') and o.seg in ('total', 'EMEA', 'LATAM')
order by 1, 2
"""
for seg in ["'total'", "region"]:
    for row in con.execute(q.format(seg=seg)).fetchall():
        print(row)
