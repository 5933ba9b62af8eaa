"""The retail scorecard's work in Polars (lazy): a scan, the conditional aggregates, and two
group-bys (month x region, and month) that share the scan."""
import sys

import polars as pl

from common import CATEGORIES, CHANNELS, retail_kpis, write

fmt, data, out = sys.argv[1:4]
if fmt == "csv":
    money = pl.Float64
    orders = pl.scan_csv(f"{data}/orders.csv", schema_overrides={
        "order_date": pl.Date, "revenue": money, "cogs": money, "discount": money, "units": pl.Int64})
    budget = pl.scan_csv(f"{data}/budget.csv", schema_overrides={"month": pl.Date, "revenue": money})
else:
    orders = pl.scan_parquet(f"{data}/orders.parquet")
    budget = pl.scan_parquet(f"{data}/budget.parquet")

rev = pl.col("revenue")
aggs = [
    rev.sum().alias("gross"),
    rev.filter(pl.col("status") == "cancelled").sum().alias("cancelled"),
    rev.filter(pl.col("status") == "returned").sum().alias("returned"),
    pl.col("discount").sum().alias("discounts"),
    pl.col("cogs").filter(pl.col("status") == "complete").sum().alias("cogs"),
    pl.col("order_id").n_unique().alias("orders"),
    pl.len().alias("lines"),
    pl.col("customer").n_unique().alias("customers"),
    pl.col("units").sum().alias("units"),
    rev.sum().alias("revenue_sum"),
    rev.count().alias("revenue_count"),
    rev.max().alias("revenue_max"),
    rev.min().alias("revenue_min"),
    *[rev.filter(pl.col("channel") == c).sum().alias(c) for c in CHANNELS],
    *[rev.filter(pl.col("category") == c).sum().alias(c) for c in CATEGORIES],
    (pl.col("status") == "cancelled").sum().alias("cancelled_lines"),
    (pl.col("discount") > 0).sum().alias("discounted_lines"),
    (rev >= 1000).sum().alias("large_lines"),
    pl.col("units").filter(pl.col("units") >= 10).sum().alias("bulk_units"),
]
orders = orders.with_columns(pl.col("order_date").dt.strftime("%Y-%m").alias("period"))
by_region, by_month = pl.collect_all([
    orders.group_by("period", "region").agg(aggs),
    orders.group_by("period").agg(aggs).with_columns(pl.lit(None, pl.String).alias("region")),
])
budget = budget.with_columns(pl.col("month").dt.strftime("%Y-%m").alias("period"))
b_region, b_month = pl.collect_all([
    budget.group_by("period", "region").agg(pl.col("revenue").sum()),
    budget.group_by("period").agg(pl.col("revenue").sum()).with_columns(pl.lit(None, pl.String).alias("region")),
])
base = {}
for frame in (by_region, by_month):
    for d in frame.iter_rows(named=True):
        base[(d.pop("period"), d.pop("region"))] = d
budgets = {(d["period"], d["region"]): d["revenue"] for f in (b_region, b_month) for d in f.iter_rows(named=True)}
write(out, retail_kpis(base, budgets))
