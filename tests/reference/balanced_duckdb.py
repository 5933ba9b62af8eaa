# The independent computation of the balanced example's FY2027-Q1 (April to June 2026) figures asserted
# in tests/strategy.rs: KPI values by DuckDB, then every score and the roll-up by the formulas of
# docs/language.md, in Python's exact decimals. Run from the repository root (needs `pip install duckdb`).
import duckdb
from decimal import Decimal as D, ROUND_HALF_EVEN, getcontext
getcontext().prec = 28
con = duckdb.connect()
con.execute("""create table orders as select * from read_csv('scorecards/retail/data/orders.csv', header=true,
  columns={'line_id':'VARCHAR','order_id':'VARCHAR','order_date':'DATE','customer':'VARCHAR','region':'VARCHAR','channel':'VARCHAR','revenue':'DECIMAL(18,2)','cogs':'DECIMAL(18,2)','units':'BIGINT'})""")
con.execute("create table budget as select * from read_csv('scorecards/retail/data/budget.csv', header=true, columns={'month':'DATE','region':'VARCHAR','revenue':'DECIMAL(18,2)'})")
con.execute("create table survey as select * from read_csv('scorecards/balanced/data/survey.csv', header=true, columns={'response_id':'VARCHAR','answered_on':'DATE','region':'VARCHAR','satisfaction':'BIGINT','would_recommend':'BOOLEAN'})")
con.execute("create table hr as select * from read_csv('scorecards/balanced/data/hr.csv', header=true, columns={'month':'DATE','employee_id':'VARCHAR','department':'VARCHAR','left':'BOOLEAN','training_hours':'DECIMAL(6,1)'})")
one = lambda sql: D(str(con.execute(sql).fetchone()[0]))
q1 = "between '2026-04-01' and '2026-06-30'"
rev = one(f"select sum(revenue) from orders where order_date {q1}")
rev_ly = one("select sum(revenue) from orders where order_date between '2025-04-01' and '2025-06-30'")
bud = one(f"select sum(revenue) from budget where month {q1}")
cogs = one(f"select sum(cogs) from orders where order_date {q1}")
online = one(f"select sum(revenue) from orders where channel = 'online' and order_date {q1}")
sat_sum = one(f"select sum(satisfaction) from survey where answered_on {q1}")
sat_n = one(f"select count(*) from survey where answered_on {q1}")
rec = one(f"select count(*) from survey where would_recommend and answered_on {q1}")
hours = one(f"select sum(training_hours) from hr where month {q1}")
rows = one(f"select count(*) from hr where month {q1}")
left = one(f"select count(*) from hr where \"left\" and month {q1}")

def rnd(x, places):
    return x.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_EVEN)

def clamp(x):
    return max(D(0), min(D(10), x))

def grf(v, goal, red):
    return clamp(D(10) * (1 + (v - red) / (goal - red)) / 3)

# Values as the scorecard rounds them (percent to 1 place of the percent, i.e. 3 of the ratio).
growth = rnd(rev / rev_ly - 1, 3)
margin = rnd((rev - cogs) / rev, 3)
sat = rnd(sat_sum / sat_n, 2)
recommend = rnd(rec / sat_n, 3)
share = rnd(online / rev, 3)
training = rnd(hours / rows, 2)
retention = rnd(1 - left / rows, 4)
scores = {
    "net_revenue": D(10) if rev >= bud else (D(5) if rev >= D("0.95") * bud else D(0)),
    "revenue_growth": clamp(D(10) * (1 + (growth - D("0.05")) / D("0.05"))),
    "gross_margin": grf(margin, D("0.40"), D("0.36")),
    "satisfaction": grf(sat, D(8), D("6.5")),
    "recommend_rate": D(10) if recommend >= D("0.55") else (D(5) if recommend >= D("0.45") else D(0)),
    "online_share": D(10) if D("0.33") <= share <= D("0.40") else clamp(D(10) * (1 - (min(abs(share - D("0.33")), abs(share - D("0.40")))) / D("0.07"))),
    "training_hours": grf(training, D(3), D(2)),
    "retention": D(10) if retention >= D("0.99") else (D(0) if retention < D("0.95") else (retention - D("0.95")) / D("0.04") * 10),
}
w = lambda pairs: sum(a * b for a, b in pairs) / sum(a for a, _ in pairs)
grow = w([(1, scores["net_revenue"]), (1, scores["revenue_growth"])])
protect = scores["gross_margin"]
delight = w([(1, scores["satisfaction"]), (1, scores["recommend_rate"])])
online_obj = scores["online_share"]
# training_hours weighs 2 from 2025-10-01, so in FY2027-Q1.
develop = w([(2, scores["training_hours"]), (1, scores["retention"])])
financial = w([(2, grow), (1, protect)])
overall = w([(D("0.40"), financial), (D("0.25"), delight), (D("0.20"), online_obj), (D("0.15"), develop)])
print("values:", dict(growth=growth, margin=margin, sat=sat, recommend=recommend, share=share, training=training, retention=retention))
print("scores:", {k: rnd(v, 2) for k, v in scores.items()})
print("financial", rnd(financial, 2), "customer", rnd(delight, 2), "process", rnd(online_obj, 2), "learning", rnd(develop, 2), "overall", rnd(overall, 2))
