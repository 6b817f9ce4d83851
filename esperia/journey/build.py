"""Materialised journeys: the interactions in journey order, built once.

Splitting ten million interactions into journeys needs a sort, and a sort of
that size takes many seconds on a small machine. So the split is stored
(``journey_events``, sorted by position) and rebuilt only when the
interactions or the split settings change; questions then scan it in order.
"""

from __future__ import annotations

import time
from typing import Any

from esperia.config import Settings
from esperia.journey.eventlog import IS_PURCHASE, JourneyOptions
from esperia.store.database import Connection, Store

__all__ = ["PATHS_TABLE", "build_journeys", "ensure_journeys", "journeys_state"]


def _fingerprint(conn: Connection) -> tuple[int, int | None]:
    row = conn.fetchone("SELECT count(*), max(import_id) FROM interactions")
    assert row is not None
    return int(row[0]), (None if row[1] is None else int(row[1]))


def journeys_state(conn: Connection, options: JourneyOptions) -> dict[str, Any]:
    """The last build and whether it still matches the data and ``options``."""
    build = conn.fetch_dicts(
        "SELECT * FROM journey_builds ORDER BY built_at DESC LIMIT 1"
    )
    if not build:
        return {"built": False, "current": False}
    last = build[0]
    count, last_import = _fingerprint(conn)
    current = (
        int(last["interactions"]) == count
        and last["last_import"] == last_import
        and last["split"] == options.split
        and (options.split != "gap" or float(last["gap_hours"]) == options.gap_hours)
    )
    return {"built": True, "current": current, **last}


def build_journeys(store: Store, options: JourneyOptions) -> dict[str, Any]:
    """Rebuild ``journey_events`` from the interactions with ``options``."""
    started = time.perf_counter()
    if options.split == "gap":
        gap_us = int(float(options.gap_hours) * 3600 * 1_000_000)
        cut = f"p.tus - p.prev_tus > {gap_us}"
    else:
        cut = "p.prev_purchase"
    epoch = (
        "epoch_us(i.occurred_at)"
        if store.dialect == "duckdb"
        else "CAST(floor(extract(epoch FROM i.occurred_at) * 1000000) AS BIGINT)"
    )
    sql = f"""
        INSERT INTO journey_events
        SELECT pos, case_no, customer_id || '#' || CAST(case_no AS TEXT),
               customer_id, interaction_id, touchpoint_id, channel, medium, stage,
               type, outcome, ts, tus, new_case = 1, pos - case_start
        FROM (
            SELECT p.*, sum(p.new_case) OVER c AS case_no,
                   max(CASE WHEN p.new_case = 1 THEN p.pos END) OVER c AS case_start
            FROM (
                SELECT s.*,
                       CASE WHEN s.prev_customer IS NULL
                                 OR s.prev_customer <> s.customer_id
                                 OR {cut.replace("p.", "s.")}
                            THEN 1 ELSE 0 END AS new_case
                FROM (
                    SELECT i.customer_id, i.interaction_id, i.touchpoint_id,
                           t.channel, t.medium, t.stage, i.type, i.outcome,
                           i.occurred_at AS ts, {epoch} AS tus,
                           row_number() OVER w AS pos,
                           lag(i.customer_id) OVER w AS prev_customer,
                           lag({epoch}) OVER w AS prev_tus,
                           lag({IS_PURCHASE.replace("type", "i.type")}) OVER w
                               AS prev_purchase
                    FROM interactions i
                    LEFT JOIN touchpoints t ON t.touchpoint_id = i.touchpoint_id
                    WINDOW w AS (ORDER BY i.customer_id, i.occurred_at,
                                          i.interaction_id)
                ) s
            ) p
            WINDOW c AS (ORDER BY p.pos
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ) q
        ORDER BY pos"""
    with store.write_lock, store.connect() as conn:
        with conn.transaction():
            count, last_import = _fingerprint(conn)
            conn.execute("DELETE FROM journey_events")
            conn.execute("DELETE FROM journey_builds")
            conn.execute(sql)
            journeys = int(
                conn.scalar("SELECT count(*) FROM journey_events WHERE is_first")
            )
            _build_paths(conn)
            seconds = time.perf_counter() - started
            conn.execute(
                "INSERT INTO journey_builds "
                "VALUES (current_timestamp, ?, ?, ?, ?, ?, ?)",
                (
                    options.split, float(options.gap_hours), count, last_import,
                    journeys, seconds,
                ),
            )  # fmt: skip
        if store.dialect == "postgresql":
            conn.execute("ANALYZE journey_events")
    return {
        "interactions": count,
        "journeys": journeys,
        "seconds": round(time.perf_counter() - started, 3),
        "split": options.split,
        "gap_hours": options.gap_hours,
    }


#: Per journey, its path at each level (steps joined by a control character).
PATHS_TABLE = "journey_paths"
_PATH_SEP = "chr(31)"


def _build_paths(conn: Connection) -> None:
    """One row per journey with its path at each level, spelled once.

    A derived cache rebuilt with the journeys (so not a migration): top paths
    then group ~n journeys by a ready string instead of re-assembling every
    journey's events per question; the keys are the paths themselves, exact.
    """
    conn.execute(f"DROP TABLE IF EXISTS {PATHS_TABLE}")
    agg = "string_agg({expr}, " + _PATH_SEP + " ORDER BY seq)"
    conn.execute(
        f"""CREATE TABLE {PATHS_TABLE} AS
            SELECT case_no, count(*) AS steps,
                   (max(tus) - min(tus)) / 1e6 AS secs,
                   {agg.format(expr="touchpoint_id")} AS touchpoint_path,
                   {agg.format(expr="coalesce(channel, 'unknown')")} AS channel_path,
                   {agg.format(expr="coalesce(stage, 'unknown')")} AS stage_path
            FROM journey_events GROUP BY case_no"""
    )


def options_from_settings(settings: Settings, **overrides: Any) -> JourneyOptions:
    values: dict[str, Any] = {
        "split": settings.journey_split,
        "gap_hours": settings.journey_gap_hours,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return JourneyOptions(**values)


def ensure_journeys(store: Store, options: JourneyOptions) -> bool:
    """Build the journeys when missing or stale; True when it (re)built them."""
    with store.connect() as conn:
        state = journeys_state(conn, options)
    if state["current"]:
        return False
    build_journeys(store, options)
    return True
