"""The marketing scorecard's work in DuckDB SQL: touches joined to conversions within 30 days,
linear and time-decay weights with window functions, whole cents by largest remainder."""
import sys

import duckdb

from common import HALF_LIFE_SECONDS, WEIGHT_UNIT, marketing_kpis, write

fmt, data, out = sys.argv[1:4]
if fmt == "csv":
    touches = (f"read_csv('{data}/touchpoints.csv', header=true, columns={{'customer':'VARCHAR',"
               "'touched_at':'TIMESTAMP','channel':'VARCHAR','impressions':'BIGINT'})")
    orders = (f"read_csv('{data}/orders.csv', header=true, columns={{'order_id':'VARCHAR',"
              "'customer':'VARCHAR','order_date':'DATE','revenue':'DECIMAL(18,2)'})")
    spend = (f"read_csv('{data}/spend.csv', header=true, columns={{'month':'DATE',"
             "'channel':'VARCHAR','amount':'DECIMAL(18,2)'})")
else:
    touches = f"read_parquet('{data}/touchpoints.parquet')"
    orders = f"read_parquet('{data}/orders.parquet')"
    spend = f"read_parquet('{data}/spend.parquet')"

con = duckdb.connect()
con.execute(f"""
create temp table t as select customer, touched_at, channel, row_number() over () as line from {touches};
create temp table o as select customer, order_date, revenue, row_number() over () as line from {orders};
create temp table j as
  select o.line as conv, strftime(o.order_date, '%Y-%m') as period, t.channel,
         (o.revenue * 100)::HUGEINT as units,
         greatest(0, epoch(o.order_date::timestamp) - epoch(t.touched_at)) as age,
         row_number() over (partition by o.line order by t.touched_at, t.line) as seq
  from o join t on t.customer = o.customer
   and t.touched_at >= o.order_date - interval 30 day
   and t.touched_at < o.order_date + interval 1 day;
""")
unattributed = con.execute("""
  select strftime(order_date, '%Y-%m'), sum(revenue * 100)::HUGEINT from o
  where not exists (select 1 from j where j.conv = o.line) group by 1
""").fetchall()


def credited(raw_sql):
    rows = con.execute(f"""
      with w as (select *, ({raw_sql})::HUGEINT as raw from j),
      s as (select *, sum(raw) over (partition by conv) as total from w),
      f as (select *, (units * raw) // total as fl, (units * raw) % total as rem from s),
      r as (select *, units - sum(fl) over (partition by conv) as lft,
                   row_number() over (partition by conv order by rem desc, seq) as rnk from f)
      select period, channel, sum(fl + case when rnk <= lft then 1 else 0 end) from r group by 1, 2
    """).fetchall()
    credit = {(p, c): v for p, c, v in rows}
    for p, v in unattributed:
        credit[(p, "unattributed")] = v
    return credit


linear = credited("1")
decay = credited(f"round(pow(2, -age / {HALF_LIFE_SECONDS}.0) * {WEIGHT_UNIT})")
spent = {(p, c): v for p, c, v in con.execute(
    f"select strftime(month, '%Y-%m'), channel, sum(amount) from {spend} group by 1, 2").fetchall()}
write(out, marketing_kpis(linear, decay, spent))
