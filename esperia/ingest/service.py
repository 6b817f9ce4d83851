"""Import services: files, API batches and in-memory tables, one pipeline.

Stage (DuckDB reads the source) → validate (DuckDB, a column at a time) →
merge (the store, one transaction) → report (summary and rejects file).
With the embedded store all of it runs on the store's own DuckDB connection;
with PostgreSQL the first two steps run on a private in-memory DuckDB and the
valid rows travel to the server with COPY.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from esperia.config import Settings
from esperia.errors import BatchRejected, InvalidInput
from esperia.ingest.merge import explain_shortfall, merge_incoming, record_import
from esperia.ingest.readers import StagedSource, stage_file, stage_records
from esperia.ingest.summary import (
    MAX_REJECT_DETAILS,
    ImportOptions,
    ImportSummary,
    Reject,
)
from esperia.ingest.validate import validate
from esperia.store.database import (
    Connection,
    DuckDBConnection,
    Store,
    configure_duckdb,
)
from esperia.store.schema import Kind, kind_by_name

__all__ = ["import_arrow", "import_file", "import_records", "warm_up"]

Progress = Callable[[str, float], None]


@contextmanager
def _engines(store: Store, settings: Settings) -> Iterator[tuple[Any, Connection]]:
    """The DuckDB connection that stages and validates, and the store connection."""
    if store.dialect == "duckdb":
        with store.connect() as conn:
            assert isinstance(conn, DuckDBConnection)
            yield conn.raw, conn
        return
    with tempfile.TemporaryDirectory(prefix="esperia-stage-") as tmp:
        duck = duckdb.connect(":memory:")
        try:
            configure_duckdb(duck, settings)
            duck.execute(f"SET temp_directory = '{tmp}'")
            with store.connect() as conn:
                yield duck, conn
        finally:
            duck.close()


def warm_up() -> None:
    """Pay DuckDB's one-off cost of its first Arrow scan (about a second) now.

    A server calls this at start so its first API batch answers as fast as the
    rest.
    """
    duck = duckdb.connect(":memory:")
    try:
        duck.register("_warm", pa.table({"x": [1]}))
        duck.execute("SELECT count(*) FROM _warm").fetchall()
    finally:
        duck.close()


def import_file(
    store: Store,
    settings: Settings,
    kind: str,
    path: Path | str,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import one CSV, JSON Lines, Parquet or XLSX file of ``kind``."""
    spec = kind_by_name(kind)
    options = options or ImportOptions()
    path = Path(path)
    started = time.perf_counter()
    with _engines(store, settings) as (duck, conn):
        with _tracking(duck, progress, "reading", 0.02, 0.3):
            staged = stage_file(duck, spec, path, options, progress)
        rejects_path = options.rejects_path or _default_rejects_path(
            settings, path, spec
        )
        summary = _finish(
            store, duck, conn, spec, staged, options, progress,
            source=str(path), rejects_path=rejects_path, started=started,
        )  # fmt: skip
    return _after_import(store, settings, summary, refresh_metrics=True)


def import_records(
    store: Store,
    settings: Settings,
    kind: str,
    records: Sequence[Any],
    options: ImportOptions | None = None,
    *,
    source: str = "api",
) -> ImportSummary:
    """Import a list of JSON objects (an API batch); rows are 0-based indexes."""
    spec = kind_by_name(kind)
    options = options or ImportOptions()
    started = time.perf_counter()
    if not records:
        return ImportSummary(kind=spec.name, source=source)
    with _engines(store, settings) as (duck, conn):
        staged = stage_records(duck, spec, records, options)
        summary = _finish(
            store, duck, conn, spec, staged, options, None,
            source=source, rejects_path=options.rejects_path, started=started,
        )  # fmt: skip
    return _after_import(store, settings, summary)


def import_arrow(
    store: Store,
    settings: Settings,
    kind: str,
    table: pa.Table,
    *,
    source: str,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import an in-memory Arrow table (the demo and other producers)."""
    from esperia.ingest.readers import _create_src_view, create_rejects_table

    spec = kind_by_name(kind)
    options = options or ImportOptions()
    started = time.perf_counter()
    with _engines(store, settings) as (duck, conn):
        create_rejects_table(duck)
        duck.register("_arrow_src", table)
        try:
            staged = _create_src_view(
                duck, spec, "_arrow_src", "row_number() OVER ()", options, source, "row"
            )
            summary = _finish(
                store, duck, conn, spec, staged, options, progress,
                source=source, rejects_path=options.rejects_path, started=started,
            )  # fmt: skip
        finally:
            duck.unregister("_arrow_src")
    return _after_import(store, settings, summary, refresh_metrics=True)


def _after_import(
    store: Store,
    settings: Settings,
    summary: ImportSummary,
    refresh_metrics: bool = False,
) -> ImportSummary:
    """Analyse the text of the feedback just loaded (``text_enrich_on_import``),
    then refresh the stored metrics overview (file and Arrow imports).

    Runs after the import committed, on the rows of this import only (new and
    updated), so a file or an API batch arrives already enriched and redacted.
    API batches do not refresh the overview: they come often and small, and a
    full refresh each time would cost more than the next view recomputing it.
    """
    summary = _enrich_after_import(store, settings, summary)
    if (
        refresh_metrics
        and summary.import_id is not None
        and (summary.loaded or summary.updated)
    ):
        from esperia.metrics.overview import refresh_after_import

        took = refresh_after_import(store, settings, summary.kind)
        if took is not None:
            summary.seconds += took
    return summary


def _enrich_after_import(
    store: Store, settings: Settings, summary: ImportSummary
) -> ImportSummary:
    if (
        summary.kind != "feedback"
        or not settings.text_enrich_on_import
        or summary.import_id is None
        or not (summary.loaded or summary.updated)
    ):
        return summary
    from esperia.text.enrich import enrich_feedback

    result = enrich_feedback(store, settings, mode="all", import_id=summary.import_id)
    summary.enriched = result.analyzed
    summary.seconds += result.seconds
    return summary


@contextmanager
def _tracking(
    duck: duckdb.DuckDBPyConnection,
    progress: Progress | None,
    what: str,
    low: float,
    high: float,
) -> Iterator[None]:
    """Report DuckDB's own progress on the running statement as a fraction.

    A thread polls ``query_progress()`` (percent of the current query) while the
    caller's statement runs, so a long load moves the bar instead of jumping.
    """
    if progress is None:
        yield
        return
    progress(what, low)
    duck.execute("SET enable_progress_bar = true")
    duck.execute("SET enable_progress_bar_print = false")
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.25):
            try:
                percent = duck.query_progress()
            except duckdb.Error:
                return
            if percent >= 0:
                progress(what, low + (high - low) * min(percent, 100.0) / 100.0)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        yield
    finally:
        done.set()
        poller.join()
        progress(what, high)


def _step(progress: Progress | None, what: str, fraction: float) -> None:
    if progress is not None:
        progress(what, fraction)


def _default_rejects_path(settings: Settings, path: Path, kind: Kind) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return settings.workspace / "rejects" / f"{path.stem}.{kind.name}.{stamp}.csv"


def _finish(
    store: Store,
    duck: duckdb.DuckDBPyConnection,
    conn: Connection,
    kind: Kind,
    staged: StagedSource,
    options: ImportOptions,
    progress: Progress | None,
    *,
    source: str,
    rejects_path: Path | None,
    started: float,
) -> ImportSummary:
    policy = options.unknown_references or store.settings.unknown_references
    malformed = _count(duck, "SELECT count(DISTINCT _row) FROM _rejects")
    in_source = _count(duck, "SELECT count(*) FROM _src")
    with _tracking(duck, progress, "validating", 0.3, 0.6):
        explain_bad_rows = validate(duck, kind, staged, options)
    has_bad = _count(duck, "SELECT count(*) FROM _checked WHERE _bad") > 0
    columns = _columns(duck)
    with store.write_lock:
        import_id = int(conn.scalar("SELECT nextval('import_seq')"))
        started_at = datetime.now(UTC)
        with conn.transaction():
            if conn.dialect == "duckdb":
                duck.execute("ALTER VIEW _valid RENAME TO _incoming")
            else:
                _copy_to_server(duck, conn, in_source)
            if explain_bad_rows and options.all_or_nothing and has_bad:
                duck.execute(explain_bad_rows)
                _refuse_if_rejected(duck, staged)
            with _tracking(duck, progress, "loading", 0.6, 0.9):
                result = merge_incoming(
                    conn, kind, columns, policy=policy, update=options.update,
                    import_id=import_id,
                )  # fmt: skip
            if explain_bad_rows and not options.all_or_nothing and has_bad:
                duck.execute(explain_bad_rows)
            # Rows that reached _incoming: the source less what validation refused.
            expected = in_source - _refused(duck, malformed)
            explain_shortfall(
                conn, kind, columns, result, policy=policy, expected=expected
            )
            if result.rejects:
                _add_rejects(duck, result.rejects)
            if options.all_or_nothing:
                _refuse_if_rejected(duck, staged)
            rejected = _count(duck, "SELECT count(DISTINCT _row) FROM _rejects")
            written = str(rejects_path) if rejected and rejects_path else None
            record_import(
                conn,
                {
                    "import_id": import_id,
                    "kind": kind.name,
                    "source": source,
                    "started_at": started_at,
                    "finished_at": datetime.now(UTC),
                    "read_rows": in_source + malformed,
                    "loaded_rows": result.loaded,
                    "updated_rows": result.updated,
                    "duplicate_rows": result.duplicates,
                    "rejected_rows": rejected,
                    "created_references": result.created_references,
                    "rejects_file": written,
                },
            )
    _step(progress, "reporting", 0.95)
    if written and rejects_path is not None:
        _write_rejects(duck, rejects_path, source)
    summary = ImportSummary(
        kind=kind.name,
        source=source,
        import_id=import_id,
        read=in_source + malformed,
        loaded=result.loaded,
        updated=result.updated,
        duplicates=result.duplicates,
        rejected=rejected,
        created_references=result.created_references,
        rejects_file=written,
        rejects=_reject_details(duck),
        seconds=time.perf_counter() - started,
    )
    _step(progress, "done", 1.0)
    return summary


def _refused(duck: duckdb.DuckDBPyConnection, malformed: int) -> int:
    """Source rows validation refused so far (malformed lines are not in _src)."""
    return _count(duck, "SELECT count(DISTINCT _row) FROM _rejects") - malformed


def _count(duck: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = duck.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def _columns(duck: duckdb.DuckDBPyConnection) -> list[str]:
    names = [r[0] for r in duck.execute("DESCRIBE _valid").fetchall()]
    return [n for n in names if n != "_row"]


def _copy_to_server(
    duck: duckdb.DuckDBPyConnection, conn: Connection, rows: int
) -> None:
    from esperia.store.pgcopy import copy_batches

    reader = duck.sql("SELECT * FROM _valid").to_arrow_reader(200_000)
    try:
        copy_batches(conn.raw, "_incoming", reader)  # type: ignore[attr-defined]
    finally:
        reader.close()
    # A fresh temp table has no statistics; without them the planner guesses a
    # handful of rows and picks nested loops for the merge's anti-joins. Small
    # batches (API calls) are planned well enough without the extra statement.
    if rows > 20_000:
        conn.execute("ANALYZE _incoming")


def _add_rejects(
    duck: duckdb.DuckDBPyConnection, rows: list[tuple[int, str, str, str]]
) -> None:
    table = pa.table(
        {
            "_row": pa.array([r[0] for r in rows], pa.int64()),
            "column": [r[1] for r in rows],
            "value": [r[2] for r in rows],
            "reason": [r[3] for r in rows],
        }
    )
    duck.register("_more_rejects", table)
    try:
        duck.execute("INSERT INTO _rejects SELECT * FROM _more_rejects")
    finally:
        duck.unregister("_more_rejects")


def _reject_details(duck: duckdb.DuckDBPyConnection) -> list[Reject]:
    rows = duck.execute(
        'SELECT _row, "column", value, reason FROM _rejects '
        f'ORDER BY _row, "column" LIMIT {MAX_REJECT_DETAILS}'
    ).fetchall()
    return [Reject(int(r[0]), r[1], r[2], r[3]) for r in rows]


def _refuse_if_rejected(duck: duckdb.DuckDBPyConnection, staged: StagedSource) -> None:
    details = _reject_details(duck)
    if not details:
        return
    total = _count(duck, "SELECT count(DISTINCT _row) FROM _rejects")
    raise BatchRejected(
        f"{total} {staged.row_label}(s) failed validation; nothing was stored",
        details=[
            {
                "index": r.row,
                "field": r.column,
                "value": r.value,
                "reason": r.reason,
            }
            for r in details
        ],
    )


def _write_rejects(duck: duckdb.DuckDBPyConnection, path: Path, source: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        duck.execute(
            'COPY (SELECT ? AS file, _row AS row, "column", value, reason '
            'FROM _rejects ORDER BY _row, "column") TO '
            f"'{str(path).replace(chr(39), chr(39) * 2)}' (HEADER, DELIMITER ',')",
            [source],
        )
    except (OSError, duckdb.Error) as exc:
        raise InvalidInput(
            f"the import succeeded but the rejects file {path} could not be "
            f"written: {exc}"
        ) from None
