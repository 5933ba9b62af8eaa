# The independent computation of the time-intelligence values asserted in tests/evaluate.rs.
# Run from the repository root: python3 tests/reference/retail_time_duckdb.py (needs `pip install duckdb`).
import duckdb
con = duckdb.connect()
con.execute("""create table orders as select * from read_csv('scorecards/retail/data/orders.csv', header=true,
  columns={'line_id':'VARCHAR','order_id':'VARCHAR','order_date':'DATE','customer':'VARCHAR','region':'VARCHAR','channel':'VARCHAR','revenue':'DECIMAL(18,2)','cogs':'DECIMAL(18,2)','units':'BIGINT'})""")
q = lambda sql: con.execute(sql).fetchall()
# Rolling 12 months ending 2026-10 (Nov 2025 to Oct 2026) and ending 2025-10 (Nov 2024 to Oct 2025).
r26 = q("select sum(revenue) from orders where order_date between '2025-11-01' and '2026-10-31'")[0][0]
r25 = q("select sum(revenue) from orders where order_date between '2024-11-01' and '2025-10-31'")[0][0]
print("rolling12 2026-10:", r26, " 2025-10:", r25, " yoy:", round(r26 / r25 - 1, 4))
# Rolling 12 months ending 2025-03: the data starts 2024-11, so 5 of the 12 months have rows.
print("rolling12 2025-03:", q("select sum(revenue) from orders where order_date <= '2025-03-31'")[0][0])
# As of 2026-10-15: October so far, and the fiscal year from 2026-04-01.
print("oct to 15th:", q("select sum(revenue) from orders where order_date between '2026-10-01' and '2026-10-15'")[0][0])
print("fytd to 2026-10-15:", q("select sum(revenue) from orders where order_date between '2026-04-01' and '2026-10-15'")[0][0])
# Gross margin year to date (fiscal, from 2026-04-01 to 2026-10-31) as a ratio of sums.
print("fytd margin 2026-10:", q("select round((sum(revenue) - sum(cogs)) / sum(revenue), 3) from orders where order_date between '2026-04-01' and '2026-10-31'")[0][0])
# Previous month and change: 2026-09 revenue, and 2026-10 minus 2026-09.
sep = q("select sum(revenue) from orders where order_date between '2026-09-01' and '2026-09-30'")[0][0]
oct_ = q("select sum(revenue) from orders where order_date between '2026-10-01' and '2026-10-31'")[0][0]
print("2026-09:", sep, " change to 2026-10:", oct_ - sep)
# Last year's fiscal year to date at the same month: 2025-04-01 to 2025-10-31.
print("fytd 2025-10:", q("select sum(revenue) from orders where order_date between '2025-04-01' and '2025-10-31'")[0][0])
# Fiscal quarter to date at 2026-05: the quarter starts in April (2026-04-01 to 2026-05-31).
print("fqtd 2026-05:", q("select sum(revenue) from orders where order_date between '2026-04-01' and '2026-05-31'")[0][0])
# Units since the data began (2024-11) up to 2025-01.
print("cumulative units 2025-01:", q("select sum(units) from orders where order_date <= '2025-01-31'")[0][0])
