"""Where an Esperia import spends its time, statement by statement.

``python benchmarks/run.py trace --rows N --format csv`` imports a file into a
copy of a prepared DuckDB workspace (first import, then again) with every
statement timed (``--explain PREFIX`` adds DuckDB's ``EXPLAIN ANALYZE`` of
matching ones). :func:`install_timers` does the same inside the HTTP server
(``BENCH_TRACE``). Nothing in ``esperia`` is edited: proxies sit between the
importer and the databases, installed at run time in the measuring process
only. (Relations built with ``.sql()`` are lazy and run untimed; the importer
uses ``execute`` for its statements.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "TimedCursor",
    "install_timers",
    "print_trace",
    "run_trace",
    "summarise_log",
    "summarise_plan",
    "task_trace",
]


class TimedCursor:
    """A DuckDB connection that records (seconds, sql) for each statement.

    Statements starting with one of ``explain`` (``INSERT INTO interactions``)
    first have their SELECT part run under ``EXPLAIN ANALYZE``, which reads
    and computes everything but writes nothing; the plan goes to ``plans``.
    """

    def __init__(
        self,
        raw: Any,
        log: list[tuple[float, str]],
        explain: tuple[str, ...] = (),
        plans: list[str] | None = None,
    ) -> None:
        self._raw = raw
        self._log = log
        self._explain = explain
        self._plans = plans if plans is not None else []

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        if self._explain and sql.lstrip().startswith(self._explain):
            select = sql[sql.index(" SELECT ") + 1 :]
            rows = self._raw.execute(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + select, *args
            ).fetchall()
            head = " ".join(sql.split())[:160]
            self._plans.append(head + "\n" + summarise_plan(json.loads(rows[0][1])))
        started = time.perf_counter()
        result = self._raw.execute(sql, *args, **kwargs)
        self._log.append((time.perf_counter() - started, " ".join(sql.split())))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def summarise_plan(profile: dict[str, Any]) -> str:
    """One line per operator: time (summed over threads), rows out, what it does."""
    lines: list[str] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        info = node.get("extra_info") or {}
        what = " ".join(
            str(info[k])
            for k in ("Table", "Join Type", "Conditions", "Aggregates", "Function")
            if k in info
        )
        if not what and "Expression" in info:
            what = str(info["Expression"])
        if not what and "Projections" in info:
            what = str(info["Projections"])
        lines.append(
            f"    {float(node.get('timing', 0.0)):7.3f}s "
            f"{int(node.get('intermediate_rows', 0)):>11,} rows  "
            f"{'  ' * depth}{node.get('type')}  {' '.join(what.split())[:110]}"
        )
        for child in node.get("children", []):
            walk(child, depth + 1)

    for root in profile.get("operator", []):
        walk(root, 0)
    return "\n".join(lines)


class _DuckModule:
    """Stands in for the ``duckdb`` module inside the importer: connections
    it opens (the private staging database used with PostgreSQL) are timed."""

    def __init__(self, log: list[tuple[float, str]], explain: tuple[str, ...]) -> None:
        import duckdb

        self._duckdb = duckdb
        self._log = log
        self._explain = explain

    def connect(self, *args: Any, **kwargs: Any) -> TimedCursor:
        raw = self._duckdb.connect(*args, **kwargs)
        return TimedCursor(raw, self._log, self._explain)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._duckdb, name)


def install_timers(
    log: list[tuple[float, str]],
    explain: tuple[str, ...] = (),
    plans: list[str] | None = None,
) -> Callable[[], None]:
    """Time every statement the store and the importer run; return the undo.

    Wraps the DuckDB store's cursors, the importer's own DuckDB connections,
    PostgreSQL statements (prefixed ``[pg]``) and the COPY of validated rows
    to PostgreSQL (``[copy to server]``, which includes DuckDB computing them).
    """
    from esperia.ingest import service
    from esperia.store import database

    plans = plans if plans is not None else []
    original_connect = database.DuckDBStore.connect
    original_duckdb = service.duckdb
    original_copy = service._copy_to_server
    pg_methods = ("execute", "fetchall", "execute_count", "fetch_dicts")
    original_pg = {m: getattr(database.PostgresConnection, m) for m in pg_methods}

    @contextmanager
    def connect(self: Any) -> Iterator[Any]:
        with original_connect(self) as conn:
            conn.raw = TimedCursor(conn.raw, log, explain, plans)  # type: ignore[assignment]
            yield conn

    def timed_pg(method: Callable[..., Any]) -> Callable[..., Any]:
        def run(self: Any, sql: str, params: Any = ()) -> Any:
            started = time.perf_counter()
            try:
                return method(self, sql, params)
            finally:
                spent = time.perf_counter() - started
                log.append((spent, "[pg] " + " ".join(sql.split())))

        return run

    def copy(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            original_copy(*args, **kwargs)
        finally:
            log.append((time.perf_counter() - started, "[copy to server] _valid"))

    database.DuckDBStore.connect = connect  # type: ignore[method-assign]
    service.duckdb = _DuckModule(log, explain)  # type: ignore[assignment]
    service._copy_to_server = copy
    for name, method in original_pg.items():
        setattr(database.PostgresConnection, name, timed_pg(method))

    def undo() -> None:
        database.DuckDBStore.connect = original_connect  # type: ignore[method-assign]
        service.duckdb = original_duckdb
        service._copy_to_server = original_copy
        for name, method in original_pg.items():
            setattr(database.PostgresConnection, name, method)

    return undo


@contextmanager
def _traced(
    log: list[tuple[float, str]], explain: tuple[str, ...], plans: list[str]
) -> Iterator[None]:
    undo = install_timers(log, explain, plans)
    try:
        yield
    finally:
        undo()


def summarise_log(log: list[tuple[float, str]], calls: int) -> list[dict[str, Any]]:
    """Total and per-call time of each statement shape (first 150 characters)."""
    shapes: dict[str, list[float]] = {}
    for seconds, sql in log:
        shapes.setdefault(sql[:150], []).append(seconds)
    rows = [
        {
            "statement": shape,
            "count": len(times),
            "total_s": round(sum(times), 3),
            "ms_per_call": round(sum(times) * 1000 / max(calls, 1), 2),
        }
        for shape, times in shapes.items()
    ]
    return sorted(rows, key=lambda r: -r["total_s"])


def task_trace(params: dict[str, Any]) -> dict[str, Any]:
    """Import a file with every statement timed; the slowest first."""
    from benchmarks.files import store_settings
    from esperia.ingest import import_file
    from esperia.store import open_store

    settings = store_settings(params)
    log: list[tuple[float, str]] = []
    plans: list[str] = []
    explain = tuple(params.get("explain") or ())
    store = open_store(settings)
    started = time.perf_counter()
    try:
        with _traced(log, explain, plans):
            summary = import_file(store, settings, params["kind"], Path(params["path"]))
    finally:
        store.close()
    total = time.perf_counter() - started
    statements = sorted(log, key=lambda x: -x[0])
    return {
        "seconds": total,
        "loaded": summary.loaded,
        "duplicates": summary.duplicates,
        "statements": [(round(s, 3), sql[:400]) for s, sql in statements],
        "in_statements": round(sum(s for s, _ in log), 3),
        "plans": plans,
    }


def print_trace(result: dict[str, Any], log: Callable[[str], None], top: int) -> None:
    log(
        f"    total {result['seconds']:.2f}s, in SQL statements "
        f"{result['in_statements']:.2f}s, loaded {result['loaded']:,}, "
        f"duplicates {result['duplicates']:,}"
    )
    for seconds, sql in result["statements"][:top]:
        log(f"    {seconds:8.3f}s  {sql[:300]}")
    for plan in result.get("plans", []):
        log(plan)


def run_trace(
    rows: int,
    fmt: str,
    base: Path,
    log: Callable[[str], None],
    top: int = 12,
    explain: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Trace a first import and a re-import into a prepared DuckDB workspace."""
    from benchmarks.child import run_child
    from benchmarks.data import dataset
    from benchmarks.files import copy_target, prepare_template

    ds = dataset(rows)
    template, _ = prepare_template("duckdb", base, None, log)
    target = copy_target(template, f"trace-{fmt}", None)
    out: dict[str, Any] = {}
    try:
        for phase in ("first", "again"):
            params = {
                **target.params(),
                "kind": "interactions",
                "path": str(ds.interactions(fmt)),
                "explain": list(explain),
            }
            run = run_child("trace:task_trace", params)
            if "error" in run.result:
                raise RuntimeError(run.result["error"])
            log(f"  {fmt} {phase} import of {rows:,} rows:")
            print_trace(run.result, log, top)
            out[phase] = {**run.result, "peak_rss_mb": run.peak_rss_mb}
    finally:
        if target.cleanup:
            target.cleanup()
    return out
