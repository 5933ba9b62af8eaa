#!/usr/bin/env python3
"""Generates the marketing example's data once (seeded, so it is reproducible); the output is committed.

touchpoints.csv: ad impressions, clicks and emails per customer, January to June 2026, six channels.
orders.csv: orders from those customers (more likely after more touches; some with none).
spend.csv: monthly spend per paid channel.

Run from the repository root: python3 scripts/generate_marketing.py
"""
import datetime as dt
import os
import random

random.seed(4711)
OUT = "scorecards/marketing/data"
# channel: (touches per active customer, pull towards buying, monthly spend)
CHANNELS = {
    "search": (1.6, 0.30, 18000),
    "social": (1.9, 0.12, 12000),
    "email": (1.4, 0.20, 2500),
    "display": (2.2, 0.05, 9000),
    "affiliate": (0.5, 0.22, 6000),
    "direct": (0.8, 0.25, 0),
}
START = dt.datetime(2026, 1, 1)
DAYS = 181  # to 2026-06-30

os.makedirs(OUT, exist_ok=True)
touches, orders = [], []
for c in range(6000):
    customer = f"C{c:05d}"
    pull = 0.0
    for channel, (rate, strength, _) in CHANNELS.items():
        for _ in range(int(random.expovariate(1 / rate))):
            when = START + dt.timedelta(days=random.randrange(DAYS), minutes=random.randrange(24 * 60))
            impressions = random.choice([0, 200, 1500, 3000, 8000]) if channel == "display" else 1000
            touches.append((customer, when, channel, impressions))
            pull += strength
    if random.random() < min(0.85, 0.08 + pull / 3):
        for _ in range(random.choice([1, 1, 1, 2])):
            day = START + dt.timedelta(days=random.randrange(DAYS))
            cents = int(random.lognormvariate(4.6, 0.6) * 100)
            orders.append((customer, day, cents))
touches.sort(key=lambda t: (t[1], t[0]))
orders.sort(key=lambda o: (o[1], o[0]))
with open(f"{OUT}/touchpoints.csv", "w") as f:
    f.write("customer,touched_at,channel,impressions\n")
    for customer, when, channel, impressions in touches:
        f.write(f"{customer},{when:%Y-%m-%d %H:%M},{channel},{impressions}\n")
with open(f"{OUT}/orders.csv", "w") as f:
    f.write("order_id,customer,order_date,revenue\n")
    for i, (customer, day, cents) in enumerate(orders):
        f.write(f"M{i:06d},{customer},{day:%Y-%m-%d},{cents // 100}.{cents % 100:02d}\n")
with open(f"{OUT}/spend.csv", "w") as f:
    f.write("month,channel,amount\n")
    for month in range(1, 7):
        for channel, (_, _, spend) in CHANNELS.items():
            if spend:
                amount = spend * random.uniform(0.85, 1.15)
                f.write(f"2026-{month:02d}-01,{channel},{amount:.2f}\n")
print(len(touches), "touches,", len(orders), "orders")
