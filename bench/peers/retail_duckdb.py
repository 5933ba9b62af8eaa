"""The retail scorecard's work in DuckDB SQL: one scan, GROUPING SETS for month x region and month."""
import sys

import duckdb

from common import CATEGORIES, CHANNELS, retail_kpis, write

fmt, data, out = sys.argv[1:4]
ORDERS_TYPES = (
    "{'line_id':'VARCHAR','order_id':'VARCHAR','order_date':'DATE','customer':'VARCHAR',"
    "'region':'VARCHAR','channel':'VARCHAR','category':'VARCHAR','status':'VARCHAR',"
    "'revenue':'DECIMAL(18,2)','cogs':'DECIMAL(18,2)','discount':'DECIMAL(18,2)','units':'BIGINT'}"
)
if fmt == "csv":
    orders = f"read_csv('{data}/orders.csv', header=true, columns={ORDERS_TYPES})"
    budget = (f"read_csv('{data}/budget.csv', header=true, "
              "columns={'month':'DATE','region':'VARCHAR','revenue':'DECIMAL(18,2)'})")
else:
    orders = f"read_parquet('{data}/orders.parquet')"
    budget = f"read_parquet('{data}/budget.parquet')"

con = duckdb.connect()
# The memory workload gives DuckDB the same limit as scorecard (bench/run --only memory).
if len(sys.argv) > 4:
    con.execute(f"set memory_limit = '{sys.argv[4]}'")
sums = ",\n".join(
    [f"coalesce(sum(revenue) filter (where channel = '{c}'), 0) as {c}" for c in CHANNELS]
    + [f"coalesce(sum(revenue) filter (where category = '{c}'), 0) as {c}" for c in CATEGORIES]
)
rows = con.execute(f"""
  select strftime(order_date, '%Y-%m') as period, region,
    sum(revenue) as gross,
    coalesce(sum(revenue) filter (where status = 'cancelled'), 0) as cancelled,
    coalesce(sum(revenue) filter (where status = 'returned'), 0) as returned,
    sum(discount) as discounts,
    coalesce(sum(cogs) filter (where status = 'complete'), 0) as cogs,
    count(distinct order_id) as orders,
    count(*) as lines,
    count(distinct customer) as customers,
    sum(units) as units,
    sum(revenue) as revenue_sum, count(revenue) as revenue_count,
    max(revenue) as revenue_max, min(revenue) as revenue_min,
    {sums},
    count(*) filter (where status = 'cancelled') as cancelled_lines,
    count(*) filter (where discount > 0) as discounted_lines,
    count(*) filter (where revenue >= 1000) as large_lines,
    coalesce(sum(units) filter (where units >= 10), 0) as bulk_units
  from {orders}
  group by grouping sets ((period, region), (period))
""")
names = [d[0] for d in rows.description]
base = {}
for r in rows.fetchall():
    d = dict(zip(names, r))
    base[(d.pop("period"), d.pop("region"))] = d
budget_rows = con.execute(f"""
  select strftime(month, '%Y-%m') as period, region, sum(revenue)
  from {budget} group by grouping sets ((period, region), (period))
""").fetchall()
write(out, retail_kpis(base, {(p, r): v for p, r, v in budget_rows}))
