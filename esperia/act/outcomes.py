"""Did it work? Recovery outcomes per team and reason, and a matched comparison.

Outcomes are computed in the engine from the cases, orders and feedback:

- *bought again*: share of resolved cases whose customer ordered within
  ``horizon_days`` after the resolution;
- *NPS change*: the customer's first NPS after the resolution (the follow-up
  survey) minus their last NPS before the case;
- *hours to first response* and *to resolution* (medians);
- *SLA met*: resolved by the due date, among cases resolved or past due.

The comparison asks whether contacting helped. The uncontacted are the
customers a rule matched but who got no case because they had not consented to
contact: they had the same kind of bad experience. Treated and uncontacted
triggers are matched exactly on touchpoint, rule (reason) and value band; the
effect is the treated-weighted mean of the per-stratum differences in the share
who bought again within the horizon after the trigger, with a normal 95%
interval. Consent itself may go with loyalty, so read it as an indication, not
as an experiment (docs/act.md).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from esperia.act.sqlparts import minutes

if TYPE_CHECKING:
    from esperia.store import Store

__all__ = ["GROUPINGS", "recovery_comparison", "recovery_outcomes"]

GROUPINGS = ("team", "reason", "rule_id", "priority")


def _hours(later: str, earlier: str) -> str:
    return f"extract(epoch FROM ({later} - {earlier})) / 3600.0"


def _median(expr: str) -> str:
    return (
        f"CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY {expr}) AS DOUBLE PRECISION)"
    )


def recovery_outcomes(
    store: Store, *, by: str = "team", horizon_days: int = 90
) -> list[dict[str, Any]]:
    """One row per team (or reason, rule, priority) plus an ``all`` row."""
    if by not in GROUPINGS:
        from esperia.errors import InvalidInput

        raise InvalidInput(f"group by {by!r}: choose {', '.join(GROUPINGS)}")
    horizon = minutes(f"{int(horizon_days)} * 1440.0")
    sql = f"""
    WITH base AS (
        SELECT k.*, k.{by} AS grp,
          EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = k.customer_id
                  AND o.ordered_at > k.resolved_at
                  AND o.ordered_at <= k.resolved_at + {horizon}) AS bought,
          (SELECT f.nps FROM feedback f WHERE f.customer_id = k.customer_id
             AND f.nps IS NOT NULL AND f.received_at > k.resolved_at
           ORDER BY f.received_at LIMIT 1) AS nps_after,
          (SELECT f.nps FROM feedback f WHERE f.customer_id = k.customer_id
             AND f.nps IS NOT NULL AND f.received_at <= k.triggered_at
           ORDER BY f.received_at DESC LIMIT 1) AS nps_before
        FROM act_cases k
    )
    SELECT grp, count(*) AS cases,
      sum(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END) AS resolved,
      avg(CASE WHEN resolved_at IS NOT NULL THEN
            CASE WHEN bought THEN 1.0 ELSE 0.0 END END) AS bought_again,
      avg(CAST(nps_after - nps_before AS DOUBLE PRECISION)) AS nps_change,
      count(nps_after - nps_before) AS nps_pairs,
      {_median(_hours("first_response_at", "created_at"))} AS hours_to_first_response,
      {_median(_hours("resolved_at", "created_at"))} AS hours_to_resolution,
      avg(CASE WHEN resolved_at IS NOT NULL THEN
               CASE WHEN resolved_at <= due_at THEN 1.0 ELSE 0.0 END
               WHEN due_at < current_timestamp THEN 0.0 END) AS sla_met
    FROM base GROUP BY grp ORDER BY cases DESC, grp
    """
    with store.connect() as conn:
        rows = conn.fetch_dicts(sql)
        total = conn.fetch_dicts(sql.replace(f"k.{by} AS grp", "'all' AS grp"))
    return [_clean(r) for r in total + rows if r["cases"]]


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, float) and math.isnan(value):
            value = None
        elif hasattr(value, "__float__") and not isinstance(value, (int, bool)):
            value = round(float(value), 4)
        out["group" if key == "grp" else key] = value
    return out


def recovery_comparison(
    store: Store, *, horizon_days: int = 90, as_of: datetime | None = None
) -> dict[str, Any]:
    """Bought-again share after the trigger: contacted vs matched uncontacted."""
    from esperia.act.rules import data_clock

    horizon = minutes(f"{int(horizon_days)} * 1440.0")
    with store.connect() as conn:
        clock = as_of or data_clock(conn)
        if clock is None:
            return {"strata": 0, "effect": None, "note": "no data yet"}
        rows = conn.fetch_dicts(
            f"""
            WITH h AS (
              SELECT coalesce(h.touchpoint_id, '-') AS tp, h.rule_id,
                coalesce(h.value_band, '-') AS band,
                CASE WHEN h.outcome = 'case' THEN 1 ELSE 0 END AS treated,
                CASE WHEN EXISTS (SELECT 1 FROM orders o
                  WHERE o.customer_id = h.customer_id
                  AND o.ordered_at > h.triggered_at
                  AND o.ordered_at <= h.triggered_at + {horizon})
                  THEN 1.0 ELSE 0.0 END AS bought
              FROM act_rule_hits h
              WHERE h.outcome IN ('case', 'no_consent')
                AND h.triggered_at + {horizon} <= CAST(? AS TIMESTAMPTZ))
            SELECT tp, rule_id, band, treated, count(*) AS n, avg(bought) AS p
            FROM h GROUP BY tp, rule_id, band, treated
            """,
            (clock,),
        )
    cells: dict[tuple[str, str, str], dict[int, tuple[int, float]]] = {}
    for r in rows:
        key = (r["tp"], r["rule_id"], r["band"])
        cells.setdefault(key, {})[int(r["treated"])] = (int(r["n"]), float(r["p"]))
    matched = {k: v for k, v in cells.items() if 0 in v and 1 in v}
    treated_n = sum(v[1][0] for v in matched.values())
    if not treated_n:
        return {
            "strata": 0,
            "effect": None,
            "horizon_days": horizon_days,
            "note": "no stratum has both contacted and uncontacted customers whose "
            "horizon has passed",
        }
    effect = variance = p_treated = p_control = 0.0
    control_n = 0
    for (n1, p1), (n0, p0) in ((v[1], v[0]) for v in matched.values()):
        weight = n1 / treated_n
        effect += weight * (p1 - p0)
        variance += weight**2 * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        p_treated += weight * p1
        p_control += weight * p0
        control_n += n0
    se = math.sqrt(variance)
    return {
        "strata": len(matched),
        "treated": treated_n,
        "control": control_n,
        "bought_again_contacted": round(p_treated, 4),
        "bought_again_uncontacted": round(p_control, 4),
        "effect": round(effect, 4),
        "ci95": [round(effect - 1.96 * se, 4), round(effect + 1.96 * se, 4)],
        "horizon_days": horizon_days,
        "note": "uncontacted = matched by a rule but without consent to contact",
    }
