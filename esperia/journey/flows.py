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
    "epoch_seconds",
    "goal_dropouts",
    "quantiles",
    "time_to_first_purchase",
    "top_paths",
]

#: Joins a path's steps inside the engine; a control character no name contains.
_SEP = "\x1f"


def epoch_seconds(log: EventLog, expr: str) -> str:
    """SQL for the seconds since 1970 of timestamp ``expr``, per engine."""
    if log.dialect == "duckdb":
        return f"(epoch_us({expr}) / 1e6)"
    return f"CAST(extract(epoch FROM {expr}) AS DOUBLE PRECISION)"


def _secs(log: EventLog, later: str, earlier: str) -> str:
    if log.dialect == "duckdb":  # integer microseconds first: no rounding drift
        return f"((epoch_us({later}) - epoch_us({earlier})) / 1e6)"
    return f"({epoch_seconds(log, later)} - {epoch_seconds(log, earlier)})"


def quantiles(log: EventLog, expr: str, qs: tuple[float, ...] = (0.5, 0.9)) -> str:
    """SQL for interpolated quantiles of ``expr`` as one list, per engine."""
    values = ", ".join(repr(q) for q in qs)
    if log.dialect == "duckdb":
        return f"quantile_cont({expr}, [{values}])"
    return f"percentile_cont(ARRAY[{values}]) WITHIN GROUP (ORDER BY {expr})"


def _num(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def _q(values: Any, i: int) -> float | None:
    return None if values is None else _num(values[i])


def _pairs_sql(log: EventLog) -> str:
    """Per event: its activity, the next one in the case (NULL at the end),
    whether it starts the case, and the seconds to the next event."""
    if log.prepared:
        # Stored sorted by (case, time, file order): each row meets the next by
        # position (DuckDB keeps a table's insertion order), no sort at all.
        return """
            SELECT a, CASE WHEN c2 = c THEN a2 END AS b,
                   CASE WHEN is_first THEN 1 ELSE 0 END AS is_first,
                   CASE WHEN c2 = c THEN (t2 - tus) / 1e6 END AS secs
            FROM (SELECT case_no AS c, activity_no AS a, tus, is_first
                  FROM {log}) e
            POSITIONAL JOIN (
                SELECT case_no AS c2, activity_no AS a2, tus AS t2
                FROM {log} OFFSET 1) n"""
    return f"""
        SELECT activity AS a, lead(activity) OVER w AS b,
               CASE WHEN lag(ts) OVER w IS NULL THEN 1 ELSE 0 END AS is_first,
               {_secs(log, "lead(ts) OVER w", "ts")} AS secs
        FROM {{log}}
        WINDOW w AS (PARTITION BY case_id ORDER BY {log.order})"""


def directly_follows(log: EventLog, *, min_count: int = 1) -> dict[str, Any]:
    """Edges ``a → b`` (b directly follows a in a case) with counts and times.

    Times are the seconds between the two events: median and 90th percentile.
    Start and end activities count the first and last event of each case.
    Ties in time keep the log's original order, as pm4py's stable sort does.
    """
    if min_count < 1:
        raise InvalidInput("--min-count must be at least 1")
    rows = log.rows(
        f"""
        SELECT a, b, count(*) AS n, sum(is_first) AS starts,
               {quantiles(log, "secs")} AS q
        FROM ({_pairs_sql(log)}) pairs
        GROUP BY a, b"""
    )
    names: dict[Any, str] = {}
    if log.prepared:
        names = dict(log.rows("SELECT DISTINCT activity_no, activity FROM {log}"))
    name = names.get if names else (lambda v: v)
    edges: list[dict[str, Any]] = []
    starts: dict[str, int] = {}
    ends: dict[str, int] = {}
    events: dict[str, int] = {}
    for a, b, n, first, q in rows:
        source = str(name(a))
        n = int(n)
        events[source] = events.get(source, 0) + n
        if int(first):
            starts[source] = starts.get(source, 0) + int(first)
        if b is None:
            ends[source] = n
        elif n >= min_count:
            edges.append(
                {
                    "source": source,
                    "target": str(name(b)),
                    "count": n,
                    "median_seconds": _q(q, 0),
                    "p90_seconds": _q(q, 1),
                }
            )
    edges.sort(key=lambda e: (-e["count"], e["source"], e["target"]))

    def ranked(counts: dict[str, int]) -> dict[str, int]:
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    return {
        "edges": edges,
        "start_activities": ranked(starts),
        "end_activities": ranked(ends),
        "activities": ranked(events),
        "cases": sum(starts.values()),
        "events": sum(events.values()),
    }


def top_paths(log: EventLog, *, limit: int = 10) -> dict[str, Any]:
    """The most frequent complete paths (variants) with their share of cases."""
    if limit < 1:
        raise InvalidInput("--limit must be at least 1")
    rows = log.query(
        f"""
        WITH cases AS (
            SELECT case_id,
                   string_agg(activity, '{_SEP}' ORDER BY {log.order}) AS path,
                   {_secs(log, "max(ts)", "min(ts)")} AS secs
            FROM {{log}} GROUP BY case_id
        ), variants AS (
            SELECT path, count(*) AS cases,
                   {quantiles(log, "secs", (0.5,))} AS median_seconds
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
            "median_seconds": _q(r["median_seconds"], 0),
        }
        for r in rows
    ]
    return {
        "cases": total,
        "variants": int(rows[0]["variants"]) if rows else 0,
        "paths": paths,
        "covered_share": round(sum(p["share"] for p in paths), 6),
    }


def _desc(log: EventLog) -> str:
    return ", ".join(f"{c.strip()} DESC" for c in log.order.split(","))


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
        f"""
        SELECT coalesce(medium, 'unknown') AS source, next_medium AS target,
               count(*) AS count, count(DISTINCT case_id) AS cases
        FROM (
            SELECT case_id, medium,
                   coalesce(lead(medium) OVER w, 'unknown') AS next_medium,
                   lead(ts) OVER w AS next_ts
            FROM {{log}}
            WINDOW w AS (PARTITION BY case_id ORDER BY {log.order})
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
            SELECT {_secs(log, "first_purchase", "first_contact")} AS secs
            FROM firsts
            WHERE first_purchase IS NOT NULL
        )
        SELECT (SELECT count(*) FROM firsts) AS customers,
               (SELECT count(*) FROM waits) AS buyers,
               (SELECT sum(CASE WHEN secs = 0 THEN 1 ELSE 0 END) FROM waits)
                   AS first_contact_is_purchase,
               (SELECT {quantiles(log, "secs")} FROM waits) AS q"""
    )[0]
    customers = int(row["customers"] or 0)
    buyers = int(row["buyers"] or 0)
    return {
        "customers": customers,
        "buyers": buyers,
        "buyer_share": round(buyers / customers, 6) if customers else 0.0,
        "first_contact_is_purchase": int(row["first_contact_is_purchase"] or 0),
        "median_seconds": _q(row["q"], 0),
        "p90_seconds": _q(row["q"], 1),
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
                                          ORDER BY {_desc(log)}) AS last_one
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
