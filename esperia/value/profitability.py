"""Value realisation: what customers bring in and what serving them costs.

Revenue and margin come from orders (an order without a margin counts at the
workspace's default margin share, and the report says how much revenue that
covers). Cost to serve is known only as time: the recorded duration of
interactions, priced at a cost per hour the user gives; without one, hours are
reported and cost and profit stay unknown rather than invented. Grouped by
customer segment and by touchpoint, in SQL that runs on both engines.
"""

from __future__ import annotations

from typing import Any

from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.store import Store

__all__ = ["profitability_report"]

_ORDERS = """
SELECT {key} AS k, count(*) AS orders, count(DISTINCT o.customer_id) AS buyers,
       sum(o.revenue) AS revenue, sum(coalesce(o.margin, o.revenue * ?)) AS margin,
       sum(CASE WHEN o.margin IS NULL THEN o.revenue ELSE 0 END)
           AS revenue_default_margin
FROM orders o {join} GROUP BY {key}
"""
_SERVICE = """
SELECT {key} AS k, count(*) AS contacts, sum(i.duration_s) / 3600.0 AS hours
FROM interactions i {join} GROUP BY {key}
"""
_BY_SEGMENT = f"""
WITH o AS ({
    _ORDERS.format(
        key="coalesce(c.segment, '')",
        join="JOIN customers c ON c.customer_id = o.customer_id",
    )
}),
s AS ({
    _SERVICE.format(
        key="coalesce(c.segment, '')",
        join="JOIN customers c ON c.customer_id = i.customer_id",
    )
}),
n AS (SELECT coalesce(segment, '') AS k, count(*) AS customers
      FROM customers GROUP BY coalesce(segment, ''))
SELECT n.k AS segment, n.customers, o.orders, o.buyers, o.revenue, o.margin,
       o.revenue_default_margin, s.contacts, s.hours
FROM n LEFT JOIN o ON o.k = n.k LEFT JOIN s ON s.k = n.k
ORDER BY o.margin DESC NULLS LAST, n.k
"""
_BY_TOUCHPOINT = f"""
WITH o AS ({_ORDERS.format(key="o.touchpoint_id", join="")}),
s AS ({_SERVICE.format(key="i.touchpoint_id", join="")})
SELECT t.touchpoint_id, t.name, t.channel, o.orders, o.buyers, o.revenue,
       o.margin, o.revenue_default_margin, s.contacts, s.hours
FROM touchpoints t LEFT JOIN o ON o.k = t.touchpoint_id
LEFT JOIN s ON s.k = t.touchpoint_id
WHERE o.k IS NOT NULL OR s.k IS NOT NULL
ORDER BY o.margin DESC NULLS LAST, t.touchpoint_id
"""


def _number(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _finish(row: dict[str, Any], cost_per_hour: float | None) -> dict[str, Any]:
    out = dict(row)
    for name in ("orders", "buyers", "contacts"):
        out[name] = int(_number(row.get(name)))
    for name in ("revenue", "margin", "revenue_default_margin", "hours"):
        out[name] = round(_number(row.get(name)), 4)
    if "customers" in row:
        out["customers"] = int(_number(row["customers"]))
        out["margin_per_customer"] = (
            round(out["margin"] / out["customers"], 4) if out["customers"] else 0.0
        )
    out["margin_rate"] = (
        round(out["margin"] / out["revenue"], 4) if out["revenue"] else None
    )
    cost = None if cost_per_hour is None else round(out["hours"] * cost_per_hour, 4)
    out["cost_to_serve"] = cost
    out["profit"] = None if cost is None else round(out["margin"] - cost, 4)
    return out


def profitability_report(
    store: Store, settings: Settings, *, cost_per_hour: float | None = None
) -> dict[str, Any]:
    """Revenue, margin and (with ``cost_per_hour``) cost to serve and profit,
    by segment and by touchpoint, with workspace totals."""
    if cost_per_hour is not None and not cost_per_hour >= 0:
        raise InvalidInput("cost per hour must be a number ≥ 0")
    margin = settings.clv_default_margin
    with store.connect() as conn:
        segments = conn.fetch_dicts(_BY_SEGMENT, (margin,))
        touchpoints = conn.fetch_dicts(_BY_TOUCHPOINT, (margin,))
    by_segment = [_finish(r, cost_per_hour) for r in segments]
    by_touchpoint = [_finish(r, cost_per_hour) for r in touchpoints]
    total = _finish(
        {
            "customers": sum(r["customers"] for r in by_segment),
            **{
                name: sum(r[name] for r in by_segment)
                for name in ("orders", "buyers", "revenue", "margin",
                             "revenue_default_margin", "contacts", "hours")
            },
        },
        cost_per_hour,
    )  # fmt: skip
    return {
        "default_margin": margin,
        "cost_per_hour": cost_per_hour,
        "total": total,
        "by_segment": by_segment,
        "by_touchpoint": by_touchpoint,
    }
