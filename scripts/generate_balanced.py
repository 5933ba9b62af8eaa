#!/usr/bin/env python3
"""Generates the balanced example's own data once (seeded); the output is committed.

survey.csv: customer survey answers, November 2024 to October 2026, about 20 a month per region.
hr.csv: one row per employee and month: department, whether they left that month, training hours.
The orders and budget come from the retail example (scorecards/retail/data).

Run from the repository root: python3 scripts/generate_balanced.py
"""
import csv
import datetime as dt
import random

random.seed(4)
OUT = "scorecards/balanced/data"
REGIONS = ["EMEA", "NA", "APAC", "LATAM"]
DEPARTMENTS = ["stores", "online", "logistics", "finance"]


def months():
    y, m = 2024, 11
    for _ in range(24):
        yield y, m
        m += 1
        if m == 13:
            y, m = y + 1, 1


survey, hr = [], []
response = 0
staff = [(f"E{n:03d}", random.choice(DEPARTMENTS)) for n in range(1, 81)]
for i, (y, m) in enumerate(months()):
    for region in REGIONS:
        mood = 7.2 + 0.03 * i + (0.4 if region == "APAC" else 0) - (0.5 if region == "LATAM" else 0)
        for _ in range(random.randint(16, 24)):
            response += 1
            score = max(1, min(10, round(random.gauss(mood, 1.4))))
            day = dt.date(y, m, random.randint(1, 28))
            survey.append([f"R{response:05d}", day.isoformat(), region, score, "yes" if score >= 8 else "no"])
    for n, (employee, department) in enumerate(staff):
        left = random.random() < 0.012
        hours = round(max(0.0, random.gauss(2.4 + 0.05 * i, 1.2)), 1)
        hr.append([dt.date(y, m, 1).isoformat(), employee, department, "true" if left else "false", f"{hours:.1f}"])
        if left:
            staff[n] = (f"E{80 + response % 900:03d}{n}", department)

with open(f"{OUT}/survey.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["response_id", "answered_on", "region", "satisfaction", "would_recommend"])
    w.writerows(survey)
with open(f"{OUT}/hr.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["month", "employee_id", "department", "left", "training_hours"])
    w.writerows(hr)
print(f"{len(survey)} survey answers, {len(hr)} employee-months")
