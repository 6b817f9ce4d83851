"""Flows over an event log: the directly-follows graph, paths, switches, goals.

Every figure is one SQL statement the engine runs (window functions over each
case ordered by time, then original order for ties); Python only shapes the
small result.
"""

from __future__ import annotations

from typing import Any

from esperia.errors import InvalidInput
from esperia.journey.eventlog import IS_PURCHASE, EventLog

__all__ = [
    "channel_switching",
    "directly_follows",
    "goal_dropouts",
    "time_to_first_purchase",
    "top_paths",
]

#: Joins a path's steps inside the engine; a control character no name contains.
_SEP = "\x1f"

_EPOCH = "CAST(extract(epoch FROM {}) AS DOUBLE PRECISION)"


def _secs(later: str, earlier: str) -> str:
    return f"({_EPOCH.format(later)} - {_EPOCH.format(earlier)})"


def _num(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def directly_follows(log: EventLog, *, min_count: int = 1) -> dict[str, Any]:
    """Edges ``a → b`` (b directly follows a in a case) with counts and times.

    Times are the seconds between the two events: median and 90th percentile.
    Start and end activities count the first and last event of each case.
    """
    if min_count < 1:
        raise InvalidInput("--min-count must be at least 1")
    edges = log.query(
        f"""
        SELECT activity AS source, nxt AS target, count(*) AS count,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS median_seconds,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY secs) AS p90_seconds
        FROM (
            SELECT activity, lead(activity) OVER w AS nxt,
                   {_secs("lead(ts) OVER w", "ts")} AS secs
            FROM {{log}}
            WINDOW w AS (PARTITION BY case_id ORDER BY ts, ord)
        ) pairs
        WHERE nxt IS NOT NULL
        GROUP BY activity, nxt
        HAVING count(*) >= ?
        ORDER BY count DESC, source, target""",
        (min_count,),
    )
    ends = log.query(
        """
        SELECT activity, sum(is_first) AS starts, sum(is_last) AS ends,
               count(*) AS events
        FROM (
            SELECT activity,
                   CASE WHEN row_number() OVER (PARTITION BY case_id
                        ORDER BY ts, ord) = 1 THEN 1 ELSE 0 END AS is_first,
                   CASE WHEN row_number() OVER (PARTITION BY case_id
                        ORDER BY ts DESC, ord DESC) = 1 THEN 1 ELSE 0 END AS is_last
            FROM {log}
        ) e
        GROUP BY activity
        ORDER BY events DESC, activity"""
    )
    for edge in edges:
        edge["count"] = int(edge["count"])
        edge["median_seconds"] = _num(edge["median_seconds"])
        edge["p90_seconds"] = _num(edge["p90_seconds"])
    return {
        "edges": edges,
        "start_activities": {
            r["activity"]: int(r["starts"]) for r in ends if int(r["starts"])
        },
        "end_activities": {
            r["activity"]: int(r["ends"]) for r in ends if int(r["ends"])
        },
        "activities": {r["activity"]: int(r["events"]) for r in ends},
        "cases": sum(int(r["starts"]) for r in ends),
        "events": sum(int(r["events"]) for r in ends),
    }


def top_paths(log: EventLog, *, limit: int = 10) -> dict[str, Any]:
    """The most frequent complete paths (variants) with their share of cases."""
    if limit < 1:
        raise InvalidInput("--limit must be at least 1")
    rows = log.query(
        f"""
        WITH cases AS (
            SELECT case_id,
                   string_agg(activity, '{_SEP}' ORDER BY ts, ord) AS path,
                   {_secs("max(ts)", "min(ts)")} AS secs
            FROM {{log}} GROUP BY case_id
        ), variants AS (
            SELECT path, count(*) AS cases,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY secs)
                       AS median_seconds
            FROM cases GROUP BY path
        )
        SELECT path, cases, median_seconds,
               (SELECT count(*) FROM cases) AS total,
               (SELECT count(*) FROM variants) AS variants
        FROM variants ORDER BY cases DESC, path LIMIT ?""",
        (limit,),
    )
    total = int(rows[0]["total"]) if rows else 0
    paths = [
        {
            "path": str(r["path"]).split(_SEP),
            "cases": int(r["cases"]),
            "share": round(int(r["cases"]) / total, 6) if total else 0.0,
            "median_seconds": _num(r["median_seconds"]),
        }
        for r in rows
    ]
    return {
        "cases": total,
        "variants": int(rows[0]["variants"]) if rows else 0,
        "paths": paths,
        "covered_share": round(sum(p["share"] for p in paths), 6),
    }


def _require(log: EventLog, *columns: str) -> None:
    missing = [c for c in columns if not log.has(c)]
    if missing:
        raise InvalidInput(
            f"this needs {', '.join(missing)} per event: run it on the workspace "
            "(a plain event-log file does not have them)"
        )


def channel_switching(log: EventLog) -> dict[str, Any]:
    """How often journeys cross between digital and physical touchpoints."""
    _require(log, "medium", "channel")
    rows = log.query(
        """
        SELECT coalesce(medium, 'unknown') AS source, next_medium AS target,
               count(*) AS count, count(DISTINCT case_id) AS cases
        FROM (
            SELECT case_id, medium,
                   coalesce(lead(medium) OVER w, 'unknown') AS next_medium,
                   lead(ts) OVER w AS next_ts
            FROM {log}
            WINDOW w AS (PARTITION BY case_id ORDER BY ts, ord)
        ) p
        WHERE next_ts IS NOT NULL
        GROUP BY 1, 2 ORDER BY count DESC"""
    )
    totals = log.query(
        """
        SELECT count(*) AS cases, sum(CASE WHEN media > 1 THEN 1 ELSE 0 END) AS mixed
        FROM (SELECT case_id, count(DISTINCT medium) AS media FROM {log}
              GROUP BY case_id) c"""
    )[0]
    cases = int(totals["cases"] or 0)
    switches = [
        {**r, "count": int(r["count"]), "cases": int(r["cases"])}
        for r in rows
        if r["source"] != r["target"]
    ]
    transitions = sum(int(r["count"]) for r in rows)
    return {
        "transitions": transitions,
        "switches": switches,
        "switch_share": round(sum(s["count"] for s in switches) / transitions, 6)
        if transitions
        else 0.0,
        "cases": cases,
        "mixed_cases_share": round(int(totals["mixed"] or 0) / cases, 6)
        if cases
        else 0.0,
    }


def time_to_first_purchase(log: EventLog) -> dict[str, Any]:
    """Per customer, the time from the first contact to the first purchase."""
    _require(log, "customer_id", "type")
    row = log.query(
        f"""
        WITH firsts AS (
            SELECT customer_id, min(ts) AS first_contact,
                   min(CASE WHEN {IS_PURCHASE} THEN ts END) AS first_purchase
            FROM {{log}} GROUP BY customer_id
        ), waits AS (
            SELECT {_secs("first_purchase", "first_contact")} AS secs FROM firsts
            WHERE first_purchase IS NOT NULL
        )
        SELECT (SELECT count(*) FROM firsts) AS customers,
               (SELECT count(*) FROM waits) AS buyers,
               (SELECT sum(CASE WHEN secs = 0 THEN 1 ELSE 0 END) FROM waits)
                   AS first_contact_is_purchase,
               (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FROM waits)
                   AS median_seconds,
               (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY secs) FROM waits)
                   AS p90_seconds"""
    )[0]
    customers = int(row["customers"] or 0)
    buyers = int(row["buyers"] or 0)
    return {
        "customers": customers,
        "buyers": buyers,
        "buyer_share": round(buyers / customers, 6) if customers else 0.0,
        "first_contact_is_purchase": int(row["first_contact_is_purchase"] or 0),
        "median_seconds": _num(row["median_seconds"]),
        "p90_seconds": _num(row["p90_seconds"]),
    }


def goal_dropouts(
    log: EventLog, goal: str = "purchase", *, limit: int = 10
) -> dict[str, Any]:
    """Journeys that never reach ``goal`` and the activity where they end.

    ``goal`` is a journey stage on workspace logs, an activity on file logs.
    """
    column = "stage" if log.has("stage") else "activity"
    rows = log.query(
        f"""
        WITH cases AS (
            SELECT case_id,
                   max(CASE WHEN {column} = ? THEN 1 ELSE 0 END) AS reached,
                   max(CASE WHEN last_one = 1 THEN activity END) AS last_activity
            FROM (
                SELECT case_id, activity, {column},
                       row_number() OVER (PARTITION BY case_id
                                          ORDER BY ts DESC, ord DESC) AS last_one
                FROM {{log}}
            ) e
            GROUP BY case_id
        )
        SELECT last_activity, count(*) AS cases,
               (SELECT count(*) FROM cases) AS total,
               (SELECT sum(reached) FROM cases) AS reached
        FROM cases WHERE reached = 0
        GROUP BY last_activity ORDER BY cases DESC, last_activity LIMIT ?""",
        (goal, limit),
    )
    if not rows:
        totals = log.query(
            f"SELECT count(DISTINCT case_id) AS total, count(DISTINCT CASE WHEN "
            f"{column} = ? THEN case_id END) AS reached FROM {{log}}",
            (goal,),
        )[0]
    else:
        totals = rows[0]
    total = int(totals["total"] or 0)
    reached = int(totals["reached"] or 0)
    return {
        "goal": goal,
        "goal_column": column,
        "cases": total,
        "reached": reached,
        "dropped": total - reached,
        "dropped_share": round((total - reached) / total, 6) if total else 0.0,
        "ends": [
            {"activity": r["last_activity"], "cases": int(r["cases"])} for r in rows
        ],
    }
