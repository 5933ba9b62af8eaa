"""The marketing scorecard's work in pandas: merge touches to conversions, keep the 30-day window,
weights, and whole cents by largest remainder with sorts and group-wise cumulative counts."""
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from common import HALF_LIFE_SECONDS, WEIGHT_UNIT, marketing_kpis, write

fmt, data, out = sys.argv[1:4]
if fmt == "csv":
    touches = pd.read_csv(f"{data}/touchpoints.csv", usecols=["customer", "touched_at", "channel"],
                          parse_dates=["touched_at"], keep_default_na=False)
    orders = pd.read_csv(f"{data}/orders.csv", parse_dates=["order_date"], keep_default_na=False)
    spend = pd.read_csv(f"{data}/spend.csv", keep_default_na=False)
    spend["period"] = spend["month"].str[:7]
else:
    touches = pq.read_table(f"{data}/touchpoints.parquet", columns=["customer", "touched_at", "channel"]).to_pandas()
    orders = pq.read_table(f"{data}/orders.parquet").to_pandas(date_as_object=False)
    orders["revenue"] = orders["revenue"].astype("float64")
    spend = pq.read_table(f"{data}/spend.parquet").to_pandas(date_as_object=False)
    spend["period"] = spend["month"].dt.strftime("%Y-%m")
    spend["amount"] = spend["amount"].astype("float64")

touches["line"] = np.arange(len(touches))
orders["conv"] = np.arange(len(orders))
orders["midnight"] = pd.to_datetime(orders["order_date"])
orders["period"] = orders["midnight"].dt.strftime("%Y-%m")
orders["units"] = (orders["revenue"] * 100).round().astype("int64")
j = orders[["conv", "customer", "midnight", "period", "units"]].merge(touches, on="customer")
j = j[(j["touched_at"] >= j["midnight"] - pd.Timedelta(days=30))
      & (j["touched_at"] < j["midnight"] + pd.Timedelta(days=1))]
j = j.sort_values(["conv", "touched_at", "line"], kind="stable")
j["seq"] = j.groupby("conv").cumcount()
j["age"] = (j["midnight"] - j["touched_at"]).dt.total_seconds().clip(lower=0)


def credited(raw):
    w = j[["conv", "period", "channel", "units", "seq"]].copy()
    w["raw"] = raw
    w["total"] = w.groupby("conv")["raw"].transform("sum")
    product = w["units"] * w["raw"]
    w["fl"] = product // w["total"]
    w["rem"] = product % w["total"]
    w["lft"] = w["units"] - w.groupby("conv")["fl"].transform("sum")
    w = w.sort_values(["conv", "rem", "seq"], ascending=[True, False, True], kind="stable")
    w["rnk"] = w.groupby("conv").cumcount() + 1
    w["cents"] = w["fl"] + (w["rnk"] <= w["lft"]).astype("int64")
    credit = {k: v for k, v in w.groupby(["period", "channel"])["cents"].sum().items()}
    missing = orders[~orders["conv"].isin(j["conv"])]
    for p, v in missing.groupby("period")["units"].sum().items():
        credit[(p, "unattributed")] = v
    return credit


linear = credited(np.ones(len(j), dtype="int64"))
decay = credited(np.round(np.power(2.0, -j["age"].to_numpy() / HALF_LIFE_SECONDS) * WEIGHT_UNIT).astype("int64"))
spent = {k: round(v, 2) for k, v in spend.groupby(["period", "channel"])["amount"].sum().items()}
write(out, marketing_kpis(linear, decay, spent))
