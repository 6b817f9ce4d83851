"""How the PostgreSQL merge statement's form changes its plan and its time.

``python benchmarks/run.py pgmerge --rows 1000000`` loads the customers,
touchpoints and ``rows`` staged interactions (an analysed temporary table,
as the importer leaves it) into a fresh database, then times three forms of
the merge with ``EXPLAIN (ANALYZE)``, each rolled back: into an empty table
(first import) and into a table already holding the same rows (re-import).

* ``current``: the importer's statement shape (references as
  ``NOT (col IS NOT NULL AND NOT EXISTS …)``, stored ids as ``NOT EXISTS``,
  plus ``ON CONFLICT DO NOTHING``).
* ``semi-join``: required references as plain ``EXISTS`` (validation has
  already refused rows where they are missing), which PostgreSQL can run as
  hash semi-joins.
* ``semi-join, conflict only``: the same without the ``NOT EXISTS`` on stored
  ids, leaving duplicates to the primary key's ``ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["FORMS", "run_pg_merge"]

_COLS = (
    "interaction_id, customer_id, touchpoint_id, occurred_at, type, outcome, "
    "duration_s, wait_s, value"
)
_HEAD = (
    f"INSERT INTO interactions ({_COLS}, import_id, loaded_at) "
    f"SELECT {_COLS}, 1, now() FROM _incoming i WHERE true"
)
_STORED = (
    " AND NOT EXISTS (SELECT 1 FROM interactions x "
    "WHERE x.interaction_id = i.interaction_id)"
)
_TAIL = " ON CONFLICT (interaction_id) DO NOTHING"


def _nullable(col: str, table: str) -> str:
    return (
        f" AND NOT (i.{col} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {table} x WHERE x.{col} = i.{col}))"
    )


def _exists(col: str, table: str) -> str:
    return f" AND EXISTS (SELECT 1 FROM {table} x WHERE x.{col} = i.{col})"


FORMS = {
    "current": _HEAD
    + _STORED
    + _nullable("customer_id", "customers")
    + _nullable("touchpoint_id", "touchpoints")
    + _TAIL,
    "semi-join": _HEAD
    + _STORED
    + _exists("customer_id", "customers")
    + _exists("touchpoint_id", "touchpoints")
    + _TAIL,
    "semi-join, conflict only": _HEAD
    + _exists("customer_id", "customers")
    + _exists("touchpoint_id", "touchpoints")
    + _TAIL,
}


def _copy_file(cur: Any, table: str, columns: str, path: Path) -> None:
    sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT csv, HEADER)"
    with cur.copy(sql) as copy, path.open("rb") as fh:
        while chunk := fh.read(8 * 1024 * 1024):
            copy.write(chunk)


def _explain(cur: Any, sql: str) -> tuple[float, str, int]:
    """(seconds, plan outline, rows inserted) of ``sql``, rolled back."""
    cur.execute("BEGIN")
    started = time.perf_counter()
    plan = [r[0] for r in cur.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)]
    seconds = time.perf_counter() - started
    cur.execute("ROLLBACK")
    outline = [
        line
        for line in plan
        if re.search(r"Join|Scan|SubPlan|Insert|Hash|Nested|Tuples", line)
    ]
    found = re.search(r"Tuples Inserted: (\d+)", "\n".join(plan))
    return seconds, "\n".join(outline), int(found.group(1)) if found else -1


def run_pg_merge(
    rows: int, cluster: Any, base: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    """Time each merge form on a first import and on a re-import."""
    import psycopg

    from benchmarks.data import dataset
    from esperia.config import load_settings
    from esperia.store import open_store, upgrade

    ds = dataset(rows)
    url = cluster.create_database("pgmerge")
    store = open_store(load_settings(base / "pgmerge", database_url=url))
    upgrade(store)
    store.close()
    results: dict[str, Any] = {}
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        _copy_file(
            cur,
            "customers",
            "customer_id, name, email, city, country, first_seen_at, segment",
            ds.customers_csv,
        )
        _copy_file(
            cur,
            "touchpoints",
            "touchpoint_id, name, channel, contact, medium, stage",
            ds.touchpoints_csv,
        )
        cur.execute(
            "CREATE TEMP TABLE _incoming (interaction_id TEXT, customer_id TEXT, "
            "touchpoint_id TEXT, occurred_at TIMESTAMPTZ, type TEXT, outcome TEXT, "
            "wait_s DOUBLE PRECISION, duration_s DOUBLE PRECISION, "
            "value DOUBLE PRECISION)"
        )
        _copy_file(
            cur,
            "_incoming",
            "interaction_id, customer_id, touchpoint_id, occurred_at, type, "
            "outcome, wait_s, duration_s, value",
            ds.interactions_csv,
        )
        cur.execute("ANALYZE customers")
        cur.execute("ANALYZE touchpoints")
        cur.execute("ANALYZE _incoming")
        for phase in ("first", "again"):
            if phase == "again":
                cur.execute(
                    f"INSERT INTO interactions ({_COLS}) SELECT {_COLS} FROM _incoming"
                )
                cur.execute("ANALYZE interactions")
            for name, sql in FORMS.items():
                seconds, outline, inserted = _explain(cur, sql)
                log(f"  {phase:<5} {name:<26} {seconds:7.2f}s  inserted {inserted:,}")
                for line in outline.splitlines():
                    log(f"      {line.strip()[:120]}")
                results[f"{phase}/{name}"] = {
                    "seconds": round(seconds, 2),
                    "inserted": inserted,
                    "plan": outline,
                    "sql": sql,
                }
    cluster.drop_database(url)
    return results
