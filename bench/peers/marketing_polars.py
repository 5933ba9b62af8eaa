"""The marketing scorecard's work in Polars (lazy): the join within the window, weights, and whole
cents by largest remainder, per conversion."""
import sys

import polars as pl

from common import HALF_LIFE_SECONDS, WEIGHT_UNIT, marketing_kpis, write

fmt, data, out = sys.argv[1:4]
if fmt == "csv":
    touches = pl.scan_csv(f"{data}/touchpoints.csv", schema_overrides={"touched_at": pl.Datetime("us")})
    orders = pl.scan_csv(f"{data}/orders.csv", schema_overrides={"order_date": pl.Date, "revenue": pl.Float64})
    spend = pl.scan_csv(f"{data}/spend.csv", schema_overrides={"month": pl.Date, "amount": pl.Float64})
else:
    touches = pl.scan_parquet(f"{data}/touchpoints.parquet")
    orders = pl.scan_parquet(f"{data}/orders.parquet").with_columns(pl.col("revenue").cast(pl.Float64))
    spend = pl.scan_parquet(f"{data}/spend.parquet").with_columns(pl.col("amount").cast(pl.Float64))

touches = touches.select("customer", "touched_at", "channel").with_row_index("line")
orders = orders.with_row_index("conv").with_columns(
    pl.col("order_date").dt.strftime("%Y-%m").alias("period"),
    (pl.col("revenue") * 100).round().cast(pl.Int64).alias("units"),
    pl.col("order_date").cast(pl.Datetime("us")).alias("midnight"),
)
j = (
    orders.join(touches, on="customer")
    .filter(
        (pl.col("touched_at") >= pl.col("midnight") - pl.duration(days=30))
        & (pl.col("touched_at") < pl.col("midnight") + pl.duration(days=1))
    )
    .with_columns(
        ((pl.col("midnight") - pl.col("touched_at")).dt.total_seconds().clip(lower_bound=0)).alias("age"))
    .sort("conv", "touched_at", "line")
    .with_columns((pl.int_range(pl.len()).over("conv")).alias("seq"))
)


def credited(raw):
    w = j.with_columns(raw.cast(pl.Int64).alias("raw"))
    w = w.with_columns(pl.col("raw").sum().over("conv").alias("total"))
    w = w.with_columns(
        (pl.col("units") * pl.col("raw") // pl.col("total")).alias("fl"),
        (pl.col("units") * pl.col("raw") % pl.col("total")).alias("rem"),
    )
    w = w.with_columns((pl.col("units") - pl.col("fl").sum().over("conv")).alias("lft"))
    w = w.sort(["conv", "rem", "seq"], descending=[False, True, False]).with_columns(
        (pl.int_range(pl.len()).over("conv") + 1).alias("rnk"))
    w = w.with_columns((pl.col("fl") + (pl.col("rnk") <= pl.col("lft")).cast(pl.Int64)).alias("cents"))
    return w.group_by("period", "channel").agg(pl.col("cents").sum())


unattributed = (
    orders.join(j.select("conv").unique(), on="conv", how="anti")
    .group_by("period").agg(pl.col("units").sum())
)
linear, decay, unatt, spent = pl.collect_all([
    credited(pl.lit(1)),
    credited((pl.lit(2.0).pow(-pl.col("age") / HALF_LIFE_SECONDS) * WEIGHT_UNIT).round()),
    unattributed,
    spend.with_columns(pl.col("month").dt.strftime("%Y-%m").alias("period"))
    .group_by("period", "channel").agg(pl.col("amount").sum()),
])


def as_dict(frame):
    d = {(r["period"], r["channel"]): r["cents"] for r in frame.iter_rows(named=True)}
    for r in unatt.iter_rows(named=True):
        d[(r["period"], "unattributed")] = r["units"]
    return d


spent = {(r["period"], r["channel"]): round(r["amount"], 2) for r in spent.iter_rows(named=True)}
write(out, marketing_kpis(as_dict(linear), as_dict(decay), spent))
