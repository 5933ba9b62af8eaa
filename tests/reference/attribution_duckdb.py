"""Differential reference for attribution: generates a few thousand customer journeys and computes
linear and time-decay (7-day half-life) credit with SQL window functions in DuckDB, using the rules
in docs/attribution.md (30-day window, both ends included; ties by line; whole cents by largest
remainder, ties to the earlier touch). Writes tests/data/journeys/.

    pip install duckdb && python3 tests/reference/attribution_duckdb.py
"""
import datetime
import os
import random

import duckdb

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "journeys")
CHANNELS = ["search", "email", "social", "display", "affiliate", "direct"]

rng = random.Random(20261123)
start = datetime.date(2026, 1, 1)
touches, orders = [], []
for c in range(2500):
    customer = f"c{c:05d}"
    for _ in range(rng.randint(0, 8)):
        day = start + datetime.timedelta(days=rng.randint(0, 90))
        touches.append((customer, day.isoformat(), rng.choice(CHANNELS)))
    for _ in range(rng.choice([0, 1, 1, 2])):
        day = start + datetime.timedelta(days=rng.randint(0, 90))
        cents = rng.randint(100, 50000)
        orders.append((customer, day.isoformat(), f"{cents // 100}.{cents % 100:02d}"))
rng.shuffle(touches)
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "touches.csv"), "w") as f:
    f.write("customer,touched_at,channel\n")
    f.writelines(f"{c},{d},{ch}\n" for c, d, ch in touches)
with open(os.path.join(OUT, "orders.csv"), "w") as f:
    f.write("order_id,customer,order_date,revenue\n")
    f.writelines(f"o{i},{c},{d},{v}\n" for i, (c, d, v) in enumerate(orders))

con = duckdb.connect()
con.execute(f"""
create table t as select *, row_number() over () + 1 as line
  from read_csv('{OUT}/touches.csv', header=true, columns={{'customer':'VARCHAR','touched_at':'DATE','channel':'VARCHAR'}});
create table o as select *, row_number() over () + 1 as line
  from read_csv('{OUT}/orders.csv', header=true, columns={{'order_id':'VARCHAR','customer':'VARCHAR','order_date':'DATE','revenue':'DECIMAL(18,2)'}});
create table j as
  select o.line as conv, t.line as touch, (o.revenue * 100)::HUGEINT as units,
         (o.order_date - t.touched_at) as age,
         row_number() over (partition by o.line order by t.touched_at, t.line) as seq
  from o join t on t.customer = o.customer
   and t.touched_at >= o.order_date - interval 30 day and t.touched_at <= o.order_date;
""")

def credits(raw_sql, name):
    rows = con.execute(f"""
      with w as (select *, ({raw_sql})::HUGEINT as raw from j),
      s as (select *, sum(raw) over (partition by conv) as total from w),
      f as (select *, (units * raw) // total as fl, (units * raw) % total as rem from s),
      r as (select *, units - sum(fl) over (partition by conv) as lft,
                   row_number() over (partition by conv order by rem desc, seq) as rnk from f)
      select conv, touch, (fl + case when rnk <= lft then 1 else 0 end) as cents
      from r order by conv, touch
    """).fetchall()
    with open(os.path.join(OUT, f"expected_{name}.csv"), "w") as f:
        f.write("conversion_line,touch_line,credit\n")
        for conv, touch, cents in rows:
            f.write(f"{conv},{touch},{cents // 100}.{cents % 100:02d}\n")
    print(name, len(rows), "credit rows")

credits("1", "linear")
credits("round(pow(2, -age / 7.0) * 1e12)", "time_decay")
