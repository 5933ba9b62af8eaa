#!/usr/bin/env python3
"""Generates the retail example's data once (seeded, so it is reproducible); the output is committed.

orders.csv: one row per order line, November 2024 to October 2026 (24 months), 4 regions, 3 channels.
budget.csv: the monthly revenue budget per region.

Run from the repository root: python3 scripts/generate_retail.py
"""
import csv
import datetime as dt
import random
from decimal import Decimal, ROUND_HALF_EVEN

random.seed(2026)
OUT = "scorecards/retail/data"
REGIONS = {"EMEA": 1.0, "NA": 1.25, "APAC": 0.8, "LATAM": 0.45}
CHANNELS = [("online", 0.36), ("store", 0.44), ("partner", 0.20)]
CENT = Decimal("0.01")


def months():
    y, m = 2024, 11
    for _ in range(24):
        yield y, m
        m += 1
        if m == 13:
            y, m = y + 1, 1


def days_in(y, m):
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return (nxt - dt.date(y, m, 1)).days


orders, budget = [], []
order_no, line_no, customers = 0, 0, [f"C{n:04d}" for n in range(1, 601)]
for i, (y, m) in enumerate(months()):
    season = 1.25 if m in (11, 12) else (0.85 if m in (1, 2) else 1.0)
    growth = 1 + 0.012 * i
    for region, size in REGIONS.items():
        expected = 0.0
        n_orders = int(round(random.gauss(62, 6) * size * season))
        for _ in range(n_orders):
            order_no += 1
            day = dt.date(y, m, random.randint(1, days_in(y, m)))
            customer = random.choice(customers)
            channel = random.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
            for _ in range(random.choice([1, 1, 1, 2, 2, 3])):
                line_no += 1
                units = random.randint(1, 12)
                price = Decimal(str(round(random.uniform(9.5, 48.0) * growth, 2)))
                revenue = (price * units).quantize(CENT, ROUND_HALF_EVEN)
                margin = Decimal(str(random.uniform(0.30, 0.46) + (0.03 if channel == "online" else 0)))
                cogs = (revenue * (1 - margin)).quantize(CENT, ROUND_HALF_EVEN)
                orders.append([f"L{line_no:06d}", f"O{order_no:05d}", day.isoformat(), customer, region, channel, revenue, cogs, units])
                expected += float(revenue)
        # Budgets are set from a plan that is sometimes too ambitious, so statuses vary.
        plan = expected * random.choice([0.9, 0.95, 0.98, 1.0, 1.03, 1.06, 1.1])
        budget.append([dt.date(y, m, 1).isoformat(), region, Decimal(str(round(plan, -2))).quantize(CENT)])

with open(f"{OUT}/orders.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["line_id", "order_id", "order_date", "customer", "region", "channel", "revenue", "cogs", "units"])
    w.writerows(orders)
with open(f"{OUT}/budget.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["month", "region", "revenue"])
    w.writerows(budget)
print(f"{len(orders)} order lines, {len(budget)} budget rows")
