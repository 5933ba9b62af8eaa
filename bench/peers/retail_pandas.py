"""The retail scorecard's work in pandas, as an analyst's notebook would do it: read, add the
condition columns, group by month x region and by month."""
import sys

import pandas as pd
import pyarrow.parquet as pq

from common import CATEGORIES, CHANNELS, retail_kpis, write

fmt, data, out = sys.argv[1:4]
if fmt == "csv":
    # keep_default_na=False: the region "NA" (North America) is text, not a missing value.
    orders = pd.read_csv(f"{data}/orders.csv", keep_default_na=False, dtype={
        "revenue": "float64", "cogs": "float64", "discount": "float64", "units": "int64"})
    orders["period"] = orders["order_date"].str[:7]
    budget = pd.read_csv(f"{data}/budget.csv", keep_default_na=False)
    budget["period"] = budget["month"].str[:7]
else:
    orders = pq.read_table(f"{data}/orders.parquet").to_pandas(date_as_object=False)
    for c in ("revenue", "cogs", "discount"):
        orders[c] = orders[c].astype("float64")
    orders["period"] = orders["order_date"].dt.strftime("%Y-%m")
    budget = pq.read_table(f"{data}/budget.parquet").to_pandas(date_as_object=False)
    budget["revenue"] = budget["revenue"].astype("float64")
    budget["period"] = budget["month"].dt.strftime("%Y-%m")

rev = orders["revenue"]
zero = 0.0
orders["cancelled"] = rev.where(orders["status"] == "cancelled", zero)
orders["returned"] = rev.where(orders["status"] == "returned", zero)
orders["cogs_complete"] = orders["cogs"].where(orders["status"] == "complete", zero)
for c in CHANNELS:
    orders[c] = rev.where(orders["channel"] == c, zero)
for c in CATEGORIES:
    orders[c] = rev.where(orders["category"] == c, zero)
orders["cancelled_lines"] = (orders["status"] == "cancelled").astype("int64")
orders["discounted_lines"] = (orders["discount"] > 0).astype("int64")
orders["large_lines"] = (rev >= 1000).astype("int64")
orders["bulk_units"] = orders["units"].where(orders["units"] >= 10, 0)
spec = dict(
    gross=("revenue", "sum"), cancelled=("cancelled", "sum"), returned=("returned", "sum"),
    discounts=("discount", "sum"), cogs=("cogs_complete", "sum"), orders=("order_id", "nunique"),
    lines=("line_id", "size"), customers=("customer", "nunique"), units=("units", "sum"),
    revenue_sum=("revenue", "sum"), revenue_count=("revenue", "count"),
    revenue_max=("revenue", "max"), revenue_min=("revenue", "min"),
    cancelled_lines=("cancelled_lines", "sum"), discounted_lines=("discounted_lines", "sum"),
    large_lines=("large_lines", "sum"), bulk_units=("bulk_units", "sum"),
    **{c: (c, "sum") for c in CHANNELS + CATEGORIES},
)
base = {}
for keys, frame in ((["period", "region"], None), (["period"], None)):
    g = orders.groupby(keys, sort=False).agg(**spec).reset_index()
    for d in g.to_dict("records"):
        base[(d.pop("period"), d.pop("region", None))] = d
budgets = {}
for keys in (["period", "region"], ["period"]):
    for d in budget.groupby(keys).agg(revenue=("revenue", "sum")).reset_index().to_dict("records"):
        budgets[(d["period"], d.get("region"))] = d["revenue"]
write(out, retail_kpis(base, budgets))
