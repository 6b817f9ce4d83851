"""Stored CLV summarised per customer segment, persona or touchpoint.

One SQL pass over ``customer_value`` joined to the grouping. Segments and
personas partition the customers; touchpoints do not: a customer counts at
every touchpoint they interacted or ordered through, so touchpoint totals
overlap and do not add up to the workspace's.
"""

from __future__ import annotations

from typing import Any, Literal

from esperia.errors import InvalidInput, NotFound
from esperia.store import Store

__all__ = ["GroupBy", "clv_by_group"]

GroupBy = Literal["segment", "persona", "touchpoint"]

_MEASURES = """
count(*) AS customers, sum(v.clv) AS clv_total, avg(v.clv) AS clv_mean,
avg(v.p_alive) AS p_alive_mean, sum(v.expected_purchases) AS expected_purchases,
sum((1 - v.p_alive) * v.clv) AS value_at_risk, sum(v.revenue) AS revenue
"""

_SQL: dict[str, str] = {
    "segment": f"""
        SELECT coalesce(c.segment, '') AS key, coalesce(c.segment, '') AS name,
               {_MEASURES}
        FROM customer_value v LEFT JOIN customers c ON c.customer_id = v.customer_id
        GROUP BY 1, 2 ORDER BY clv_total DESC, key
    """,
    "persona": f"""
        WITH latest AS (SELECT max(version) AS version FROM persona_members)
        SELECT CAST(m.persona AS TEXT) AS key,
               coalesce(p.name_en, CAST(m.persona AS TEXT)) AS name,
               p.name_it AS name_it, {_MEASURES}
        FROM customer_value v
        JOIN persona_members m ON m.customer_id = v.customer_id
        JOIN latest l ON l.version = m.version
        LEFT JOIN personas p ON p.version = m.version AND p.persona = m.persona
        GROUP BY 1, 2, 3 ORDER BY clv_total DESC, key
    """,
    "touchpoint": f"""
        WITH used AS (
            SELECT DISTINCT customer_id, touchpoint_id FROM interactions
            UNION
            SELECT DISTINCT customer_id, touchpoint_id FROM orders
            WHERE touchpoint_id IS NOT NULL
        )
        SELECT u.touchpoint_id AS key, coalesce(t.name, u.touchpoint_id) AS name,
               {_MEASURES}
        FROM customer_value v JOIN used u ON u.customer_id = v.customer_id
        LEFT JOIN touchpoints t ON t.touchpoint_id = u.touchpoint_id
        GROUP BY 1, 2 ORDER BY clv_total DESC, key
    """,
}


def clv_by_group(store: Store, by: GroupBy = "segment") -> dict[str, Any]:
    """CLV per group: customers, total and mean CLV, mean P(alive), value at risk.

    Value at risk here is the sum of (1 - P(alive)) * CLV: the value of the customers
    the model thinks may already have gone.
    """
    if by not in _SQL:
        raise InvalidInput(f"by must be segment, persona or touchpoint, not {by!r}")
    with store.connect() as conn:
        if not conn.scalar("SELECT count(*) FROM customer_value"):
            raise NotFound("no CLV predictions yet: run `esperia clv predict`")
        if by == "persona" and not conn.scalar("SELECT count(*) FROM persona_members"):
            raise NotFound("no personas yet: run `esperia personas build`")
        rows = conn.fetch_dicts(_SQL[by])
        total = conn.fetch_dicts(f"SELECT {_MEASURES} FROM customer_value v")[0]
    for r in [*rows, total]:
        r["customers"] = int(r["customers"])
        for k in ("clv_total", "clv_mean", "p_alive_mean", "expected_purchases",
                  "value_at_risk", "revenue"):  # fmt: skip
            r[k] = float(r[k] or 0.0)
    return {"by": by, "groups": rows, "total": total, "overlapping": by == "touchpoint"}
