#!/usr/bin/env python3
"""Generates the global example's data once (seeded, so it is reproducible); the output is
committed.

fx_rates.csv: USD per unit of EUR, GBP and JPY on the 1st, the 15th and the last day of each month,
  December 2024 to June 2026, drifting as such rates do.
orders.csv: web-shop orders in four regions, each in its region's currency, stamped in UTC (`Z`):
  some late in the evening in New York fall on the next day in UTC.
balances.csv: each subsidiary's month-end receivables in its own currency.
campaigns.csv: daily ad spend per region in its currency, as the ad platforms export it: UTC times
  written without an offset.

Run from the repository root: python3 scripts/generate_global.py
"""
import calendar
import datetime as dt
import os
import random
from decimal import ROUND_HALF_EVEN, Decimal

random.seed(2030)
OUT = "scorecards/global/data"
REGIONS = {"us": "USD", "euro_area": "EUR", "uk": "GBP", "japan": "JPY"}
PLACES = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0}
START = {"EUR": 1.08, "GBP": 1.27, "JPY": 0.0067}
MONTHS = [(2025 + (m // 12), m % 12 + 1) for m in range(18)]

os.makedirs(OUT, exist_ok=True)


def money(x, currency):
    q = Decimal(1).scaleb(-PLACES[currency])
    return str(Decimal(str(x)).quantize(q, rounding=ROUND_HALF_EVEN))


rates = []
level = dict(START)
# From December 2024: an order stamped early on 1 January 2025 in UTC is 31 December in New York.
for year, month in [(2024, 12)] + MONTHS:
    last = calendar.monthrange(year, month)[1]
    for day in (1, 15, last):
        for cur in ("EUR", "GBP", "JPY"):
            level[cur] *= 1 + random.uniform(-0.012, 0.014)
            places = 8 if cur == "JPY" else 6
            rates.append((dt.date(year, month, day), cur, f"{level[cur]:.{places}f}"))

orders, receivables, spend = [], [], []
n = 0
for year, month in MONTHS:
    last = calendar.monthrange(year, month)[1]
    growth = 1 + 0.01 * MONTHS.index((year, month))
    for region, cur in REGIONS.items():
        local = 1 / START[cur] if cur != "USD" else 1
        for _ in range(12):
            n += 1
            day = random.randint(1, last)
            # Evening in New York is the next morning in UTC.
            hour = random.choice([1, 2, 3, 14, 15, 16, 17, 18, 19, 20, 23])
            at = dt.datetime(year, month, day, hour, random.randint(0, 59), random.randint(0, 59))
            usd = random.uniform(40, 900) * growth
            orders.append((f"G{n:05d}", at.strftime("%Y-%m-%dT%H:%M:%SZ"), region, cur,
                           money(usd * local, cur)))
        balance = random.uniform(4000, 9000) * growth * local
        receivables.append((dt.date(year, month, last), region, cur, money(balance, cur)))
        for day in range(1, last + 1, 3):
            at = dt.datetime(year, month, day, random.randint(0, 23), 0, 0)
            spend.append((at.strftime("%Y-%m-%d %H:%M:%S"), region, cur,
                          money(random.uniform(30, 120) * local, cur)))

with open(f"{OUT}/fx_rates.csv", "w") as f:
    f.write("day,currency,usd_per_unit\n")
    for day, cur, rate in rates:
        f.write(f"{day},{cur},{rate}\n")
with open(f"{OUT}/orders.csv", "w") as f:
    f.write("order_id,ordered_at,region,currency,amount\n")
    for row in sorted(orders, key=lambda r: r[1]):
        f.write(",".join(row) + "\n")
with open(f"{OUT}/balances.csv", "w") as f:
    f.write("month_end,region,currency,balance\n")
    for day, region, cur, bal in receivables:
        f.write(f"{day},{region},{cur},{bal}\n")
with open(f"{OUT}/campaigns.csv", "w") as f:
    f.write("spent_at,region,currency,spend\n")
    for row in spend:
        f.write(",".join(row) + "\n")
