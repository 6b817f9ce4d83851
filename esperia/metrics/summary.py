"""The stored overview: each part's rows, computed once per state of the data.

The overview's parts change only when the data they read changes, but some
are expensive on a large store (promise gaps join every measured interaction
with its feedback; drivers scan the interactions of thousands of customers).
So the rows of each part are kept in ``metrics_summaries`` together with the
*stamp* of the data they were computed from. The overview reads them when the
stamp still matches; otherwise it computes the parts directly and stores them
again (see :func:`esperia.metrics.overview.overview`).

The stamp is cheap to take (a handful of counts and maxima, no scan of the
interactions): the newest import (every file, API batch or Arrow import gets
one, including updates of existing rows), the number of feedback rows, survey
items and text-analysis rows (survey answers and text enrichment write those
without an import), the touchpoints, and the settings the figures depend on.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "REFRESH_FAILURE",
    "SUMMARY_TABLE",
    "clear_refresh_failure",
    "data_stamp",
    "read_summary",
    "record_refresh_failure",
    "summary_status",
    "write_summary",
]

SUMMARY_TABLE = "metrics_summaries"
#: The ``part`` of the row that records a failed background refresh.
REFRESH_FAILURE = "background_refresh"

#: What the stamp counts; each is a small aggregate the engine answers quickly.
_STAMP_SQL = """
SELECT
  (SELECT coalesce(max(import_id), 0) FROM imports),
  (SELECT count(*) FROM feedback),
  (SELECT count(*) FROM feedback_items),
  (SELECT count(*) FROM feedback_text),
  (SELECT max(analyzed_at) FROM feedback_text),
  (SELECT count(*) FROM feedback_aspects),
  (SELECT count(*) FROM feedback_modules),
  (SELECT count(*) FROM touchpoints)
"""


def data_stamp(store: Any, settings: Any, conn: Any = None) -> str:
    """A short fingerprint of the data and settings the overview depends on."""
    if conn is None:
        with store.connect() as own:
            return data_stamp(store, settings, own)
    values = conn.fetchall(_STAMP_SQL)[0]
    basis = [
        *(str(v) for v in values),
        settings.timezone,
        settings.metrics_min_n,
        settings.metrics_confidence,
        settings.metrics_pyramid_threshold,
        settings.metrics_max_drivers,
    ]
    digest = hashlib.blake2b(json.dumps(basis).encode(), digest_size=10)
    return digest.hexdigest()


def read_summary(
    store: Any, variants: Iterable[str], conn: Any = None
) -> dict[str, dict[str, Any]]:
    """Stored parts of the given variants: ``{part: {rows, stamp, computed_at…}}``."""
    if conn is None:
        with store.connect() as own:
            return read_summary(store, variants, own)
    wanted = list(variants)
    marks = ", ".join("?" for _ in wanted)
    if not conn.table_exists(SUMMARY_TABLE):
        return {}
    rows = conn.fetchall(
        "SELECT part, variant, stamp, computed_at, seconds, rows_json, error "
        f"FROM {SUMMARY_TABLE} WHERE variant IN ({marks}) AND part <> ?",
        [*wanted, REFRESH_FAILURE],
    )
    out: dict[str, dict[str, Any]] = {}
    for part, variant, stamp, computed_at, seconds, rows_json, error in rows:
        entry: dict[str, Any] = {
            "rows": json.loads(rows_json),
            "variant": variant,
            "stamp": stamp,
            "computed_at": _iso(computed_at),
            "compute_seconds": float(seconds),
        }
        if error:
            entry["error"] = error
        out[str(part)] = entry
    return out


def write_summary(
    store: Any, stamp: str, parts: dict[str, dict[str, Any]], variants: dict[str, str]
) -> None:
    """Replace the stored rows of ``parts`` (computed from data at ``stamp``)."""
    now = datetime.now(UTC)
    with store.write_lock, store.connect() as conn:
        if not conn.table_exists(SUMMARY_TABLE):
            return  # a store not yet upgraded: nothing to keep them in
        with conn.transaction():
            for name, part in parts.items():
                variant = variants[name]
                conn.execute(
                    f"DELETE FROM {SUMMARY_TABLE} WHERE part = ? AND variant = ?",
                    (name, variant),
                )
                conn.execute(
                    f"INSERT INTO {SUMMARY_TABLE} (part, variant, stamp, computed_at, "
                    "seconds, rows_json, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        name, variant, stamp, now, float(part["seconds"]),
                        json.dumps(part["rows"], ensure_ascii=False),
                        part.get("error"),
                    ),
                )  # fmt: skip


def summary_status(store: Any, settings: Any) -> list[dict[str, Any]]:
    """Every stored part with when it was computed and whether it is current.

    A failed background refresh appears as a row whose part is
    :data:`REFRESH_FAILURE` (variant: the period; ``error``: what went wrong).
    """
    started = time.perf_counter()
    stamp = data_stamp(store, settings)
    with store.connect() as conn:
        if not conn.table_exists(SUMMARY_TABLE):
            return []
        rows = conn.fetch_dicts(
            "SELECT part, variant, stamp, computed_at, seconds, error "
            f"FROM {SUMMARY_TABLE} ORDER BY variant, part"
        )
    took = time.perf_counter() - started
    for row in rows:
        row["computed_at"] = _iso(row["computed_at"])
        row["current"] = row.pop("stamp") == stamp and row["part"] != REFRESH_FAILURE
        row["seconds"] = round(float(row["seconds"]), 3)
        row["check_seconds"] = round(took, 3)
    return rows


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return str(value)


def record_refresh_failure(
    store: Any, period: str, stamp: str, error: str, seconds: float
) -> None:
    """Keep the failure of a background refresh where ``metrics status`` sees it."""
    with store.write_lock, store.connect() as conn:
        if not conn.table_exists(SUMMARY_TABLE):
            return
        with conn.transaction():
            conn.execute(
                f"DELETE FROM {SUMMARY_TABLE} WHERE part = ? AND variant = ?",
                (REFRESH_FAILURE, period),
            )
            conn.execute(
                f"INSERT INTO {SUMMARY_TABLE} (part, variant, stamp, computed_at, "
                "seconds, rows_json, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (REFRESH_FAILURE, period, stamp, datetime.now(UTC), float(seconds),
                 "[]", error),
            )  # fmt: skip


def clear_refresh_failure(store: Any, period: str | None = None) -> None:
    """Forget the recorded failure of ``period`` (every period when None)."""
    with store.write_lock, store.connect() as conn:
        if not conn.table_exists(SUMMARY_TABLE):
            return
        sql = f"DELETE FROM {SUMMARY_TABLE} WHERE part = ?"
        params: tuple[str, ...] = (REFRESH_FAILURE,)
        if period is not None:
            sql += " AND variant = ?"
            params = (REFRESH_FAILURE, period)
        conn.execute(sql, params)
