"""The report workload's peer: what an analyst would otherwise do to turn the same evaluation into a
web page, in pandas. Reads scorecard's JSON (so both sides render the same numbers), then writes one
HTML page with a styled table per KPI (its periods by segment, cells coloured by status) through
pandas' Styler. It draws no charts, so it does less than `scorecard report` does.

    report_pandas.py EVALUATION.json OUT.html
"""
import json
import sys

import pandas as pd

COLOURS = {"green": "#dafbe1", "amber": "#fff1c2", "red": "#ffe0e0"}


def main(src, out):
    with open(src) as f:
        evaluation = json.load(f)
    rows = []
    for k in evaluation["kpis"]:
        for r in k["results"]:
            segment = ", ".join(f"{c}={v}" for c, v in sorted(r["segment"].items())) or "total"
            rows.append((k["name"], k.get("label") or k["name"], segment, r["period"], r["value"],
                         r["target"], r["status"], r["score"]))
    df = pd.DataFrame(rows, columns=["kpi", "label", "segment", "period", "value", "target",
                                     "status", "score"])
    parts = [f"<html><head><meta charset='utf-8'><title>{evaluation['scorecard']['label']}</title>"
             "</head><body>"]
    for (name, label), group in df.groupby(["kpi", "label"], sort=False):
        values = group.pivot(index="segment", columns="period", values="value")
        statuses = group.pivot(index="segment", columns="period", values="status")
        styled = values.style.apply(
            lambda col: [f"background-color: {COLOURS.get(s, '')}" for s in statuses[col.name]])
        parts.append(f"<h2>{label}</h2>")
        parts.append(styled.to_html())
    parts.append("</body></html>")
    with open(out, "w") as f:
        f.write("\n".join(parts))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
