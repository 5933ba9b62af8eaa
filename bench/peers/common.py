"""Shared by the benchmark's peer programs: the retail KPI formulas over each engine's base
aggregates, and writing results in one shape the harness compares with scorecard's JSON.

The heavy work (reading the files, filtering, grouping ten million rows, distinct counts, the
attribution join and windows) is done by each peer engine itself; what is shared here is the
arithmetic over the 180 grouped rows (36 months x (4 regions + total)), which takes microseconds.
"""
import json
from decimal import Decimal

CATEGORIES = ["apparel", "footwear", "accessories", "home", "beauty", "electronics"]
CHANNELS = ["online", "store", "partner"]


def div(a, b):
    """A ratio; no value when either side has none or the divisor is zero (as scorecard does)."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def num(x):
    """Engines hand back Decimal, int, float or numpy scalars; keep Decimal and int exact."""
    if x is None:
        return None
    if isinstance(x, (Decimal, int)):
        return x
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and x != x:  # NaN: pandas' no value
        return None
    return x


def fiscal_year(period):
    """The fiscal year (April start) a YYYY-MM period belongs to."""
    y, m = int(period[:4]), int(period[5:7])
    return y if m >= 4 else y - 1


def year_before(period):
    return f"{int(period[:4]) - 1}{period[4:]}"


def retail_kpis(base, budget):
    """base: {(period 'YYYY-MM', region or None): {aggregate: value}}; budget: the same keys to the
    budgeted revenue. Returns {(kpi, period, region or None): value}."""
    out = {}
    net = {}
    for key, b in base.items():
        b = {k: num(v) for k, v in b.items()}
        gross = b["gross"]
        n = gross - b["cancelled"] - b["returned"] - b["discounts"]
        net[key] = n
        values = {
            "gross_sales": gross,
            "cancelled_sales": b["cancelled"],
            "returned_sales": b["returned"],
            "discounts": b["discounts"],
            "net_revenue": n,
            "cost_of_sales": b["cogs"],
            "gross_margin": div(n - b["cogs"], n),
            "budget_attainment": div(n, num(budget.get(key))),
            "orders_placed": b["orders"],
            "order_lines": b["lines"],
            "active_customers": b["customers"],
            "units_sold": b["units"],
            "average_order_value": div(n, b["orders"]),
            "lines_per_order": div(b["lines"], b["orders"]),
            "revenue_per_customer": div(n, b["customers"]),
            "average_unit_price": div(gross, b["units"]),
            "average_line": div(b["revenue_sum"], b["revenue_count"]),
            "largest_line": b["revenue_max"],
            "smallest_line": b["revenue_min"],
            "return_rate": div(b["returned"], gross),
            "cancellation_rate": div(b["cancelled_lines"], b["lines"]),
            "discount_rate": div(b["discounts"], gross),
            "discounted_lines": div(b["discounted_lines"], b["lines"]),
            "large_lines": b["large_lines"],
            "bulk_units": b["bulk_units"],
        }
        for c in CHANNELS:
            values[f"{c}_share"] = div(b[c], gross)
        for c in CATEGORIES:
            values[f"{c}_sales"] = b[c]
        for kpi, v in values.items():
            out[(kpi, key[0], key[1])] = v
    for (period, region), n in net.items():
        fy = fiscal_year(period)
        out[("revenue_ytd", period, region)] = sum(
            v for (p, r), v in net.items() if r == region and fiscal_year(p) == fy and p <= period
        )
        out[("revenue_growth", period, region)] = div(
            n - net[(year_before(period), region)] if (year_before(period), region) in net else None,
            net.get((year_before(period), region)),
        )
    return out


def write(path, results):
    """Writes {(kpi, period, segment or None): value} as JSON rows the harness reads."""
    rows = [
        {"kpi": k, "period": p, "segment": s, "value": None if v is None else str(v)}
        for (k, p, s), v in sorted(results.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or ""))
    ]
    with open(path, "w") as f:
        json.dump(rows, f)


# The marketing scorecard: a 7-day half-life, in seconds, and weights rounded to 12 decimal places
# (docs/attribution.md: "Exact cents").
HALF_LIFE_SECONDS = 7 * 86400
WEIGHT_UNIT = 10**12


def marketing_kpis(linear, decay, spend):
    """linear, decay: {(period, channel): cents credited}; spend: {(period, channel): amount}.
    Returns {(kpi, period, channel or None): value}: attributed revenue per channel and in total
    (every conversion's value, `unattributed` included), and ROI where the channel has spend."""
    out = {}
    for kpi, credit in (("linear_revenue", linear), ("decay_revenue", decay)):
        totals = {}
        for (period, channel), cents in credit.items():
            out[(kpi, period, channel)] = Decimal(int(cents)).scaleb(-2)
            totals[period] = totals.get(period, 0) + int(cents)
        for period, cents in totals.items():
            out[(kpi, period, None)] = Decimal(cents).scaleb(-2)
    spent_total = {}
    for (period, channel), amount in spend.items():
        spent_total[period] = spent_total.get(period, Decimal(0)) + Decimal(str(amount))
    for (period, channel), cents in decay.items():
        amount = spend.get((period, channel))
        value = Decimal(int(cents)).scaleb(-2)
        out[("marketing_roi", period, channel)] = (
            None if amount is None else div(value - Decimal(str(amount)), Decimal(str(amount))))
    for period, amount in spent_total.items():
        out[("marketing_roi", period, None)] = div(out[("decay_revenue", period, None)] - amount, amount)
    return out
