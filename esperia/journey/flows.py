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
        act = "activity_no" if log.activity_table else "activity"
        return f"""
            SELECT a, CASE WHEN c2 = c THEN a2 END AS b,
                   CASE WHEN is_first THEN 1 ELSE 0 END AS is_first,
                   CASE WHEN c2 = c THEN (t2 - tus) / 1e6 END AS secs
            FROM (SELECT case_no AS c, {act} AS a, tus, is_first
                  FROM {{log}}) e
            POSITIONAL JOIN (
                SELECT case_no AS c2, {act} AS a2, tus AS t2
                FROM {{log}} OFFSET 1) n"""
    return f"""
        SELECT activity AS a, lead(activity) OVER w AS b,
               CASE WHEN lag(ts) OVER w IS NULL THEN 1 ELSE 0 END AS is_first,
               {_secs(log, "lead(ts) OVER w", "ts")} AS secs
        FROM {{log}}
        WINDOW w AS (PARTITION BY {case_key(log)} ORDER BY {log.order})"""


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
    if log.activity_table:
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
    if log.path_column:
        return _stored_paths(log, limit)
    if log.prepared:
        return _hashed_paths(log, limit)
    rows = log.query(
        f"""
        WITH cases AS (
            SELECT string_agg(activity, '{_SEP}' ORDER BY {log.order}) AS path,
                   {_secs(log, "max(ts)", "min(ts)")} AS secs
            FROM {{log}} GROUP BY {case_key(log)}
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
    paths = [
        (str(r["path"]).split(_SEP), int(r["cases"]), _q(r["median_seconds"], 0))
        for r in rows
    ]
    total = int(rows[0]["total"]) if rows else 0
    variants = int(rows[0]["variants"]) if rows else 0
    return _paths_result(paths, total, variants)


def _stored_paths(log: EventLog, limit: int) -> dict[str, Any]:
    """Variants from the paths spelled at build time: one GROUP BY, exact."""
    table, column = log.path_column.split(".")
    rows = log.conn.fetchall(
        f"""
        WITH variants AS (
            SELECT {column} AS path, count(*) AS cases,
                   {quantiles(log, "secs", (0.5,))} AS q
            FROM {table} GROUP BY {column}
        )
        SELECT path, cases, q, (SELECT count(*) FROM {table}),
               (SELECT count(*) FROM variants)
        FROM variants ORDER BY cases DESC, path LIMIT ?""",
        (limit,),
    )
    paths = [(str(r[0]).split(_SEP), int(r[1]), _q(r[2], 0)) for r in rows]
    if not rows:
        return _paths_result([], 0, 0)
    return _paths_result(paths, int(rows[0][3]), int(rows[0][4]))


def _hashed_paths(log: EventLog, limit: int) -> dict[str, Any]:
    """Variants keyed by an order-free hash of (activity, position in case).

    XOR of 64-bit hashes of each step with its position identifies a path
    without sorting the events of every case; only the few top paths are then
    spelled out. Two different paths of equal length share a key with
    probability about 2^-64 per pair.
    """
    # DuckDB's multi-argument hash combines linearly (order would cancel out
    # under XOR), so each step is hashed as one value.
    step = (
        "activity_no + seq * 1000003"
        if log.activity_table
        else "activity || chr(31) || CAST(seq AS TEXT)"
    )
    rows = log.rows(
        f"""
        WITH cases AS (
            SELECT bit_xor(hash({step})) AS key, count(*) AS steps,
                   min(case_no) AS case_no, (max(tus) - min(tus)) / 1e6 AS secs
            FROM {{log}} GROUP BY case_no
        ), variants AS (
            SELECT key, steps, count(*) AS cases, min(case_no) AS example,
                   quantile_cont(secs, 0.5) AS median_seconds
            FROM cases GROUP BY key, steps
        )
        SELECT example, cases, median_seconds,
               (SELECT count(*) FROM cases), (SELECT count(*) FROM variants)
        FROM variants ORDER BY cases DESC, example LIMIT ?""",
        (limit,),
    )
    if not rows:
        return _paths_result([], 0, 0)
    examples = [int(r[0]) for r in rows]
    marks = ", ".join("?" for _ in examples)
    spelled = dict(
        log.rows(
            f"""SELECT case_no, string_agg(activity, '{_SEP}' ORDER BY seq)
                FROM {{log}} WHERE case_no IN ({marks}) GROUP BY case_no""",
            tuple(examples),
        )
    )
    paths = [(str(spelled[int(r[0])]).split(_SEP), int(r[1]), _num(r[2])) for r in rows]
    return _paths_result(paths, int(rows[0][3]), int(rows[0][4]))


def _paths_result(
    paths: list[tuple[list[str], int, float | None]], total: int, variants: int
) -> dict[str, Any]:
    out: list[dict[str, Any]] = [
        {
            "path": path,
            "cases": cases,
            "share": round(cases / total, 6) if total else 0.0,
            "median_seconds": median,
        }
        for path, cases, median in paths
    ]
    return {
        "cases": total,
        "variants": variants,
        "paths": out,
        "covered_share": round(sum(float(p["share"]) for p in out), 6),
    }


def case_key(log: EventLog) -> str:
    """The column that names a case: the integer code where the log has one."""
    return "case_no" if log.order == "pos" else "case_id"


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
