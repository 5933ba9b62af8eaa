"""The cohort scorecard's measures in DuckDB SQL: each customer's first month, its activity per
month, and per cohort and age the customers active and the margin, from which new customers, the
repeat rate of last month's cohort and the cumulative margin per customer three months on."""
import sys

import duckdb
from decimal import Decimal

from common import write

fmt, data, out = sys.argv[1:4]
TYPES = (
    "{'line_id':'VARCHAR','order_id':'VARCHAR','order_date':'DATE','customer':'VARCHAR',"
    "'region':'VARCHAR','channel':'VARCHAR','category':'VARCHAR','status':'VARCHAR',"
    "'revenue':'DECIMAL(18,2)','cogs':'DECIMAL(18,2)','discount':'DECIMAL(18,2)','units':'BIGINT'}"
)
orders = (f"read_csv('{data}/orders.csv', header=true, columns={TYPES})" if fmt == "csv"
          else f"read_parquet('{data}/orders.parquet')")
con = duckdb.connect()
cells = con.execute(f"""
  with months as (
    select customer, date_trunc('month', order_date) as month, sum(revenue - cogs) as margin
    from {orders} where customer is not null group by customer, month
  ),
  firsts as (select customer, min(month) as cohort from months group by customer)
  select strftime(f.cohort, '%Y-%m'), datediff('month', f.cohort, m.month) as age,
    count(*) as active, sum(m.margin) as margin
  from months m join firsts f using (customer) group by all
""").fetchall()
sizes = dict(con.execute(f"""
  select strftime(cohort, '%Y-%m'), count(*) from (
    select customer, min(order_date) as first, date_trunc('month', min(order_date)) as cohort
    from {orders} where customer is not null group by customer
  ) group by all
""").fetchall())


def shift(period, months):
    y, m = int(period[:4]), int(period[5:7]) - 1 + months
    return f"{y + m // 12}-{m % 12 + 1:02}"


# Every month with orders is a period; a cohort has a cell at every age up to the last month.
active = {(c, a): (n, margin) for c, a, n, margin in cells}
periods = sorted({shift(c, a) for c, a in active})
results = {}
for p in periods:
    results[("new_customers", p, None)] = sizes.get(p, 0)
    for age, kpi in ((1, "repeat_rate"), (3, "margin_after_3")):
        cohort = shift(p, -age)
        size = sizes.get(cohort)
        if size is None:
            # No cohort that age: a ratio of nothing has no value, a sum of nothing is 0.
            results[(kpi, p, None)] = None if kpi == "repeat_rate" else Decimal("0.00")
            continue
        if kpi == "repeat_rate":
            results[(kpi, p, None)] = Decimal(active.get((cohort, 1), (0, 0))[0]) / Decimal(size)
        else:
            total = sum((active.get((cohort, a), (0, Decimal(0)))[1] for a in range(4)), Decimal(0))
            results[(kpi, p, None)] = (total / Decimal(size)).quantize(Decimal("0.01"))
write(out, results)
