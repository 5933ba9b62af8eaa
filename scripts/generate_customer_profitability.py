#!/usr/bin/env python3
"""Generates the customer profitability example's data once (seeded, so it is reproducible); the
output is committed.

orders.csv: orders of 800 business customers, January to June 2026, with revenue and cost of goods.
service_log.csv: minutes each department spent on each customer (support calls, order handling,
  custom deliveries); a few demanding customers take far more time than their orders are worth.
departments.csv: each department's monthly cost and practical capacity in minutes (80% of paid time).

Run from the repository root: python3 scripts/generate_customer_profitability.py
"""
import datetime as dt
import os
import random

random.seed(1987)
OUT = "scorecards/customer_profitability/data"
# department: (monthly cost, staff, minutes per task)
DEPARTMENTS = {
    "support": (84000, 16, 18),
    "order_handling": (52000, 6, 9),
    "delivery": (61000, 10, 35),
}
MONTHS = 6

os.makedirs(OUT, exist_ok=True)
orders, service = [], []
for c in range(800):
    customer = f"B{c:04d}"
    size = random.lognormvariate(0, 1.1)
    demanding = random.random() < 0.3
    for month in range(1, MONTHS + 1):
        for _ in range(max(0, int(random.gauss(2 * size, 1)))):
            day = dt.date(2026, month, random.randint(1, 28))
            revenue = round(random.uniform(150, 900) * (0.6 + size / 3), 2)
            cogs = round(revenue * random.uniform(0.6, 0.78), 2)
            orders.append((customer, day, revenue, cogs))
            service.append((customer, day, "order_handling", random.randint(5, 15)))
            if random.random() < (0.9 if demanding else 0.15):
                service.append((customer, day, "delivery", random.randint(20, 60)))
        for _ in range(random.randint(2, 14) if demanding else random.randint(0, 2)):
            day = dt.date(2026, month, random.randint(1, 28))
            service.append((customer, day, "support", random.randint(20, 90) if demanding else random.randint(6, 30)))
orders.sort(key=lambda o: (o[1], o[0]))
service.sort(key=lambda s: (s[1], s[0], s[2]))
with open(f"{OUT}/orders.csv", "w") as f:
    f.write("order_id,customer,order_date,revenue,cogs\n")
    for i, (customer, day, revenue, cogs) in enumerate(orders):
        f.write(f"P{i:06d},{customer},{day},{revenue:.2f},{cogs:.2f}\n")
with open(f"{OUT}/service_log.csv", "w") as f:
    f.write("customer,day,department,minutes\n")
    for customer, day, department, minutes in service:
        f.write(f"{customer},{day},{department},{minutes}\n")
with open(f"{OUT}/departments.csv", "w") as f:
    f.write("department,month,cost,practical_minutes\n")
    for month in range(1, MONTHS + 1):
        for department, (cost, staff, _) in DEPARTMENTS.items():
            # Practical capacity: 80% of 21 days x 7.5 hours per person.
            minutes = int(staff * 21 * 7.5 * 60 * 0.8)
            f.write(f"{department},2026-{month:02d}-01,{cost * random.uniform(0.97, 1.03):.2f},{minutes}\n")
print(len(orders), "orders,", len(service), "service rows")
