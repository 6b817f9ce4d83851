"""Retention: who is kept period to period, by cohort, and who counts as churned.

Everything is one SQL text per question, written once for DuckDB and
PostgreSQL, over the orders (a purchase is the activity that retention counts).
Months are indexed as year * 12 + month - 1 in the workspace time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from esperia.config import Settings
from esperia.errors import InvalidInput, NotFound
from esperia.store.database import Store
from esperia.value.summary import date_literal

__all__ = ["churn_status", "month_index", "retention_report", "window_retention"]


def month_index(column: str) -> str:
    """SQL for a timestamp's month as one integer (both engines)."""
    return (
        f"(CAST(EXTRACT(YEAR FROM {column}) AS INTEGER) * 12 "
        f"+ CAST(EXTRACT(MONTH FROM {column}) AS INTEGER) - 1)"
    )


def _label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


_MONTHLY = f"""
WITH om AS (
    SELECT customer_id, {month_index("ordered_at")} AS m,
           count(*) AS orders, sum(revenue) AS revenue
    FROM orders GROUP BY 1, 2
),
firsts AS (SELECT customer_id, min(m) AS first_m FROM om GROUP BY 1)
SELECT om.m,
       count(*) AS active,
       sum(CASE WHEN nxt.customer_id IS NOT NULL THEN 1 ELSE 0 END) AS retained,
       sum(CASE WHEN f.first_m = om.m THEN 1 ELSE 0 END) AS new_customers,
       sum(CASE WHEN f.first_m < om.m THEN 1 ELSE 0 END) AS returning,
       sum(om.orders) AS orders,
       sum(om.revenue) AS revenue
FROM om
JOIN firsts f ON f.customer_id = om.customer_id
LEFT JOIN om nxt ON nxt.customer_id = om.customer_id AND nxt.m = om.m + 1
GROUP BY om.m ORDER BY om.m
"""

_COHORTS = f"""
WITH om AS (
    SELECT DISTINCT customer_id, {month_index("ordered_at")} AS m FROM orders
),
firsts AS (SELECT customer_id, min(m) AS first_m FROM om GROUP BY 1)
SELECT f.first_m, om.m - f.first_m AS age, count(*) AS active
FROM om JOIN firsts f ON f.customer_id = om.customer_id
GROUP BY 1, 2 ORDER BY 1, 2
"""


def retention_report(store: Store, *, cohort_months: int = 12) -> dict[str, Any]:
    """Per month: active, retained into the next month, new and returning
    customers, orders per customer and basket; cohorts by first purchase month."""
    with store.connect() as conn:
        monthly = conn.fetch_dicts(_MONTHLY)
        cohorts = conn.fetch_dicts(_COHORTS)
    if not monthly:
        raise NotFound("the workspace has no orders: import orders first")
    last = max(int(r["m"]) for r in monthly)
    periods = []
    for r in monthly:
        m, active = int(r["m"]), int(r["active"])
        orders, revenue = int(r["orders"]), float(r["revenue"] or 0.0)
        periods.append(
            {
                "month": _label(m),
                "active": active,
                "new": int(r["new_customers"]),
                "returning": int(r["returning"]),
                # The last month has no next month to be retained into yet.
                "retention_rate": (int(r["retained"]) / active) if m < last else None,
                "repeat_purchase_rate": int(r["returning"]) / active,
                "orders_per_customer": orders / active,
                "basket": revenue / orders if orders else 0.0,
                "revenue": revenue,
            }
        )
    sizes: dict[int, int] = {}
    grid: dict[int, dict[int, int]] = {}
    for r in cohorts:
        first, age, active = int(r["first_m"]), int(r["age"]), int(r["active"])
        grid.setdefault(first, {})[age] = active
        if age == 0:
            sizes[first] = active
    recent = sorted(grid)[-cohort_months:]
    cohort_rows = [
        {
            "cohort": _label(first),
            "customers": sizes.get(first, 0),
            "retention": [
                grid[first].get(age, 0) / sizes[first] if sizes.get(first) else 0.0
                for age in range(last - first + 1)
            ],
        }
        for first in recent
    ]
    return {"periods": periods, "cohorts": cohort_rows}


def window_retention(store: Store, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Of the customers who bought before ``start``, the share who bought again
    between ``start`` and ``end`` (inclusive)."""
    if end < start:
        raise InvalidInput("the window ends before it starts")
    s, e = date_literal(start), date_literal(end)
    sql = f"""
        WITH d AS (SELECT customer_id, CAST(ordered_at AS DATE) AS day FROM orders)
        SELECT count(DISTINCT b.customer_id) AS base,
               count(DISTINCT w.customer_id) AS kept
        FROM (SELECT DISTINCT customer_id FROM d WHERE day < {s}) b
        LEFT JOIN (SELECT DISTINCT customer_id FROM d
                   WHERE day >= {s} AND day <= {e}) w
          ON w.customer_id = b.customer_id
    """
    with store.connect() as conn:
        row = conn.fetch_dicts(sql)[0]
    base, kept = int(row["base"] or 0), int(row["kept"] or 0)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "customers_before": base,
        "retained": kept,
        "retention_rate": kept / base if base else None,
    }


def churn_status(store: Store, settings: Settings) -> dict[str, Any]:
    """How many customers count as churned under the configured definition."""
    definition = settings.churn_definition
    with store.connect() as conn:
        if definition == "inactivity":
            days = int(settings.churn_inactivity_days)
            if days < 1:
                raise InvalidInput("churn_inactivity_days must be at least 1")
            row = conn.fetch_dicts(
                "WITH last AS (SELECT customer_id, max(CAST(ordered_at AS DATE)) AS "
                "last_day FROM orders GROUP BY 1), ref AS (SELECT max(last_day) AS "
                "end_day FROM last) SELECT count(*) AS customers, sum(CASE WHEN "
                f"last_day < end_day - {days} THEN 1 ELSE 0 END) AS churned "
                "FROM last CROSS JOIN ref"
            )[0]
            rule = f"no purchase in the last {days} days"
        elif definition == "p_alive":
            threshold = float(settings.churn_p_alive_threshold)
            row = conn.fetch_dicts(
                "SELECT count(*) AS customers, sum(CASE WHEN p_alive < ? THEN 1 "
                "ELSE 0 END) AS churned FROM customer_value",
                (threshold,),
            )[0]
            if not row["customers"]:
                raise NotFound("no CLV predictions yet: run `esperia clv predict`")
            rule = f"probability alive below {threshold:g}"
        else:
            kind = settings.churn_cancellation_type
            row = conn.fetch_dicts(
                "SELECT count(DISTINCT customer_id) AS customers, "
                "count(DISTINCT CASE WHEN type = ? THEN customer_id END) AS churned "
                "FROM interactions",
                (kind,),
            )[0]
            rule = f"an interaction of type {kind!r}"
    customers, churned = int(row["customers"] or 0), int(row["churned"] or 0)
    return {
        "definition": definition,
        "rule": rule,
        "customers": customers,
        "churned": churned,
        "churn_rate": churned / customers if customers else None,
    }
