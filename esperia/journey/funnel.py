"""Funnels: user-defined ordered steps, conversion, drop-off, time between steps.

A journey reaches step *k* when it has an event of step *k* at or after the
moment it reached step *k-1* (the first such event counts). Steps are matched
on the stage, the touchpoint, the channel or (file logs) the activity.
"""

from __future__ import annotations

from typing import Any

from esperia.errors import InvalidInput
from esperia.journey.eventlog import EventLog
from esperia.journey.flows import case_key, epoch_seconds, quantiles
from esperia.vocabulary import STAGES

__all__ = ["FUNNEL_FIELDS", "funnel"]

FUNNEL_FIELDS = ("auto", "stage", "touchpoint", "channel", "activity")
_COLUMN = {
    "stage": "stage",
    "touchpoint": "touchpoint_id",
    "channel": "channel",
    "activity": "activity",
}
_GROUPS = {"segment": "segment", "month": "month"}


def _field(log: EventLog, steps: list[str], field: str) -> str:
    if field not in FUNNEL_FIELDS:
        raise InvalidInput(
            f"--field {field!r}: choose one of {', '.join(FUNNEL_FIELDS)}"
        )
    if field == "auto":
        if log.has("stage") and all(s in STAGES for s in steps):
            return "stage"
        return "touchpoint" if log.has("touchpoint_id") else "activity"
    if field != "activity" and not log.has(_COLUMN[field]):
        raise InvalidInput(f"--field {field}: this event log has no {field} per event")
    return field


def funnel(
    log: EventLog,
    steps: list[str],
    *,
    field: str = "auto",
    by: str | None = None,
) -> dict[str, Any]:
    """Conversion through ``steps`` per journey, optionally by segment or month."""
    steps = [s.strip() for s in steps if s.strip()]
    if len(steps) < 2:
        raise InvalidInput("a funnel needs at least two steps (--steps a,b,c)")
    if len(steps) > 12:
        raise InvalidInput("a funnel has at most 12 steps")
    if by is not None and by not in _GROUPS:
        raise InvalidInput(f"--by {by!r}: choose segment or month")
    if by == "segment" and not log.has("customer_id"):
        raise InvalidInput("--by segment needs workspace journeys")
    chosen = _field(log, steps, field)
    column = _COLUMN[chosen]
    key = case_key(log)
    group = "CAST('all' AS TEXT)"
    if by == "segment":
        group = "coalesce(cu.segment, 'none')"
    elif by == "month":
        group = "substr(CAST(date_trunc('month', x.started) AS TEXT), 1, 7)"
    customer = "min(customer_id)" if log.has("customer_id") else "CAST(NULL AS TEXT)"
    ctes = [
        f"cases AS (SELECT x.k, {group} AS grp FROM ("
        f"SELECT {key} AS k, {customer} AS cust, min(ts) AS started "
        f"FROM {{log}} GROUP BY {key}) x "
        "LEFT JOIN customers cu ON cu.customer_id = x.cust)"
        if by == "segment"
        else f"cases AS (SELECT x.k, {group} AS grp FROM ("
        f"SELECT {key} AS k, min(ts) AS started FROM {{log}} GROUP BY {key}) x)",
        f"s1 AS (SELECT {key} AS k, min(ts) AS t FROM {{log}} "
        f"WHERE {column} = ? GROUP BY {key})",
    ]
    for i in range(2, len(steps) + 1):
        ctes.append(
            f"s{i} AS (SELECT log_.{key} AS k, min(log_.ts) AS t FROM {{log}} "
            f"JOIN s{i - 1} p ON p.k = log_.{key} AND log_.ts >= p.t "
            f"WHERE log_.{column} = ? GROUP BY log_.{key})"
        )
    selects = []
    for i in range(1, len(steps) + 1):
        gap = "NULL"
        if i > 1:
            secs = (
                f"{epoch_seconds(log, f's{i}.t')} - {epoch_seconds(log, f's{i - 1}.t')}"
            )
            gap = quantiles(log, secs, (0.5,))
        selects.append(f"count(s{i}.k) AS n{i}, {gap} AS gap{i}")
    joins = " ".join(
        f"LEFT JOIN s{i} ON s{i}.k = cases.k" for i in range(1, len(steps) + 1)
    )
    sql = (
        "WITH "
        + ", ".join(ctes)
        + " SELECT cases.grp AS grp, count(*) AS journeys, "
        + ", ".join(selects)
        + f" FROM cases {joins} GROUP BY cases.grp ORDER BY cases.grp"
    )
    rows = log.rows(sql, tuple(steps))
    return {
        "steps": steps,
        "field": chosen,
        "by": by,
        "groups": [_group(r, steps) for r in rows],
    }


def _group(row: tuple[Any, ...], steps: list[str]) -> dict[str, Any]:
    journeys = int(row[1])
    out = []
    first = int(row[2])
    prev = journeys
    for i, name in enumerate(steps):
        n = int(row[2 + 2 * i])
        gap = row[3 + 2 * i]
        if isinstance(gap, list | tuple):
            gap = gap[0] if gap else None
        out.append(
            {
                "step": name,
                "journeys": n,
                "conversion_from_previous": round(n / prev, 6) if prev else 0.0,
                "conversion_from_first": round(n / first, 6) if first else 0.0,
                "dropped": prev - n if i else journeys - n,
                "median_seconds_from_previous": None
                if gap is None
                else round(float(gap), 3),
            }
        )
        prev = n
    return {"group": row[0], "journeys": journeys, "steps": out}
