"""File import: Esperia's importer next to pandas and to raw engine loads.

The functions named ``task_*`` run inside a child process (see ``child.py``)
and time only their own work; :func:`run_file_benchmarks` prepares the
databases, runs each method twice (first import, then the same file again)
and checks the stored rows from outside after each run.

Methods:

* ``esperia``: ``esperia.ingest.import_file``, what ``esperia import`` runs:
  typing, validation, references, in-file duplicates, idempotency, one
  transaction, the import recorded.
* ``pandas``: the analyst's script: ``read_csv``/``read_parquet``, type
  conversion with ``errors="coerce"``, required values, range and reference
  checks, ``drop_duplicates``, an anti-join against the stored ids, then an
  append (DuckDB reads the DataFrame; PostgreSQL gets it through COPY).
* ``raw``: no checks at all, the upper bound: DuckDB ``INSERT … SELECT * FROM
  read_csv/read_parquet``, PostgreSQL ``COPY … FROM STDIN`` (what psql's
  ``\\copy`` does). A re-import by this method adds the anti-join any SQL user
  would write (``NOT EXISTS`` on DuckDB, ``ON CONFLICT DO NOTHING`` through a
  temporary table on PostgreSQL), since loading every row twice is no answer.
"""

from __future__ import annotations

import io
import itertools
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.child import run_child
from benchmarks.data import Dataset, parent_files

__all__ = [
    "COLUMNS",
    "Target",
    "copy_target",
    "prepare_template",
    "run_file_benchmarks",
    "task_esperia",
    "task_pandas",
    "task_raw",
]

COLUMNS = [
    "interaction_id",
    "customer_id",
    "touchpoint_id",
    "occurred_at",
    "type",
    "outcome",
    "wait_s",
    "duration_s",
    "value",
]
_COLS = ", ".join(COLUMNS)
_NUMERIC = ["wait_s", "duration_s", "value"]
_REQUIRED = ["interaction_id", "customer_id", "touchpoint_id", "occurred_at"]


# ------------------------------------------------------------ child tasks


def store_settings(params: dict[str, Any]) -> Any:
    from esperia.config import load_settings

    overrides = {}
    if params.get("database_url"):
        overrides["database_url"] = params["database_url"]
    return load_settings(Path(params["workspace"]), **overrides)


def task_esperia(params: dict[str, Any]) -> dict[str, Any]:
    """``import_file`` of one file, opening and closing the store around it."""
    from esperia.ingest import import_file
    from esperia.store import open_store

    marks: list[tuple[str, float]] = []

    def progress(step: str, _fraction: float) -> None:
        marks.append((step, time.perf_counter()))

    settings = store_settings(params)
    started = time.perf_counter()
    store = open_store(settings)
    opened = time.perf_counter()
    summary = import_file(
        store, settings, params["kind"], Path(params["path"]), progress=progress
    )
    imported = time.perf_counter()
    store.close()
    closed = time.perf_counter()
    steps = {"open": opened - started}
    points = [("open", opened), *marks]
    for (name, at), (_, until) in itertools.pairwise(points):
        steps[name] = steps.get(name, 0.0) + (until - at)
    steps["close"] = closed - imported
    return {
        "seconds": closed - started,
        "read": summary.read,
        "loaded": summary.loaded,
        "duplicates": summary.duplicates,
        "rejected": summary.rejected,
        "steps": {k: round(v, 3) for k, v in steps.items() if k != "done"},
    }


def _pandas_frame(path: Path, fmt: str) -> Any:
    """Read and clean like a careful analyst: coerce, then drop what is wrong."""
    import pandas as pd

    df = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    for col in _NUMERIC:
        df[col] = pd.to_numeric(df[col], errors="coerce")
    df["occurred_at"] = pd.to_datetime(df["occurred_at"], errors="coerce", utc=True)
    df = df.dropna(subset=_REQUIRED)
    ok = (df["wait_s"].isna() | (df["wait_s"] >= 0)) & (
        df["duration_s"].isna() | (df["duration_s"] >= 0)
    )
    df = df[ok]
    return df.drop_duplicates(subset="interaction_id", keep="first")


def _pandas_keep(df: Any, customers: Any, touchpoints: Any, existing: Any) -> Any:
    """Known references only (semi-joins), then the anti-join on stored ids.

    Merges, not ``Series.isin``: with pandas 3's Arrow-backed strings ``isin``
    turns every looked-up value into a Python object (about 5 s per million).
    """
    df = df.merge(customers, on="customer_id", how="inner")
    df = df.merge(touchpoints, on="touchpoint_id", how="inner")
    marked = df.merge(existing, on="interaction_id", how="left", indicator=True)
    return marked[marked["_merge"] == "left_only"].drop(columns="_merge")


def _pg_frame(conn: Any, sql: str, column: str) -> Any:
    import pandas as pd

    return pd.DataFrame(conn.execute(sql).fetchall(), columns=[column])


def task_pandas(params: dict[str, Any]) -> dict[str, Any]:
    """pandas cleans the file; the rows that survive are appended to the store."""
    import pandas  # noqa: F401 - imported before the clock starts, like esperia

    started = time.perf_counter()
    df = _pandas_frame(Path(params["path"]), params["fmt"])
    read_rows = len(df)
    cleaned = time.perf_counter()
    if params["engine"] == "duckdb":
        import duckdb

        con = duckdb.connect(params["db_path"])
        try:
            new = _pandas_keep(
                df,
                con.sql("SELECT customer_id FROM customers").df(),
                con.sql("SELECT touchpoint_id FROM touchpoints").df(),
                con.sql("SELECT interaction_id FROM interactions").df(),
            )
            con.register("new_rows", new)
            con.execute("BEGIN")
            con.execute(
                f"INSERT INTO interactions ({_COLS}, loaded_at) "
                f"SELECT {_COLS}, now() FROM new_rows"
            )
            con.execute("COMMIT")
        finally:
            con.close()
    else:
        import psycopg

        with psycopg.connect(params["database_url"]) as conn:
            new = _pandas_keep(
                df,
                _pg_frame(conn, "SELECT customer_id FROM customers", "customer_id"),
                _pg_frame(
                    conn, "SELECT touchpoint_id FROM touchpoints", "touchpoint_id"
                ),
                _pg_frame(
                    conn, "SELECT interaction_id FROM interactions", "interaction_id"
                ),
            )
            with conn.cursor() as cur:
                copy_sql = f"COPY interactions ({_COLS}) FROM STDIN (FORMAT csv)"
                with cur.copy(copy_sql) as copy:
                    step = 500_000
                    for start in range(0, len(new), step):
                        buf = io.StringIO()
                        new[COLUMNS].iloc[start : start + step].to_csv(
                            buf, index=False, header=False
                        )
                        copy.write(buf.getvalue())
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "read": read_rows,
        "loaded": len(new),
        "duplicates": read_rows - len(new),
        "rejected": None,
        "steps": {
            "read+clean": round(cleaned - started, 3),
            "check+append": round(done - cleaned, 3),
        },
    }


def _duck_reader(path: str, fmt: str) -> str:
    fn = "read_csv" if fmt == "csv" else "read_parquet"
    return f"{fn}('{path}')"


def task_raw(params: dict[str, Any]) -> dict[str, Any]:
    """The engine's own bulk load with no checks (plus an anti-join on a re-import)."""
    again = params["phase"] == "again"
    started = time.perf_counter()
    if params["engine"] == "duckdb":
        import duckdb

        con = duckdb.connect(params["db_path"])
        try:
            src = _duck_reader(params["path"], params["fmt"])
            guard = (
                " WHERE NOT EXISTS (SELECT 1 FROM interactions x "
                "WHERE x.interaction_id = src.interaction_id)"
                if again
                else ""
            )
            con.execute("BEGIN")
            loaded = con.execute(
                f"INSERT INTO interactions ({_COLS}) SELECT {_COLS} "
                f"FROM {src} src{guard}"
            ).fetchall()[0][0]
            con.execute("COMMIT")
        finally:
            con.close()
    else:
        loaded = _pg_raw(params, again)
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "read": params["rows"],
        "loaded": int(loaded),
        "duplicates": params["rows"] - int(loaded),
        "rejected": None,
        "steps": {},
    }


def _pg_raw(params: dict[str, Any], again: bool) -> int:
    import psycopg

    with psycopg.connect(params["database_url"]) as conn, conn.cursor() as cur:
        table = "interactions"
        if again:
            cur.execute(
                "CREATE TEMP TABLE _in (LIKE interactions INCLUDING DEFAULTS) "
                "ON COMMIT DROP"
            )
            table = "_in"
        header = ", HEADER" if params["fmt"] == "csv" else ""
        with cur.copy(f"COPY {table} ({_COLS}) FROM STDIN (FORMAT csv{header})") as cp:
            for chunk in _csv_chunks(Path(params["path"]), params["fmt"]):
                cp.write(chunk)
        if not again:
            return cur.rowcount if cur.rowcount >= 0 else params["rows"]
        cur.execute(
            f"INSERT INTO interactions ({_COLS}) SELECT {_COLS} FROM _in "
            "ON CONFLICT (interaction_id) DO NOTHING"
        )
        return max(cur.rowcount, 0)


def _csv_chunks(path: Path, fmt: str) -> Any:
    """The file as CSV bytes: read as is, or Parquet row groups through pyarrow."""
    if fmt == "csv":
        with path.open("rb") as fh:
            while chunk := fh.read(8 * 1024 * 1024):
                yield chunk
        return
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    options = pacsv.WriteOptions(include_header=False)
    for batch in pq.ParquetFile(path).iter_batches(batch_size=200_000):
        buf = io.BytesIO()
        pacsv.write_csv(batch, buf, options)
        yield buf.getvalue()


# ------------------------------------------------------------ orchestration

TASKS = {
    "esperia": "files:task_esperia",
    "pandas": "files:task_pandas",
    "raw": "files:task_raw",
}


@dataclass
class Target:
    """A database to import into: a DuckDB workspace folder or a PostgreSQL URL."""

    engine: str
    workspace: Path
    database_url: str | None = None
    cleanup: Callable[[], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.workspace / "esperia.duckdb"

    def params(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "workspace": str(self.workspace),
            "database_url": self.database_url,
            "db_path": str(self.db_path),
        }

    def count(self) -> tuple[int, int]:
        """(rows, distinct ids) in interactions, read after the child exited."""
        sql = "SELECT count(*), count(DISTINCT interaction_id) FROM interactions"
        if self.engine == "duckdb":
            import duckdb

            con = duckdb.connect(str(self.db_path), read_only=True)
            try:
                row = con.execute(sql).fetchone()
            finally:
                con.close()
        else:
            import psycopg

            with psycopg.connect(str(self.database_url)) as conn:
                row = conn.execute(sql).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


def prepare_template(
    engine: str, base: Path, cluster: Any, log: Callable[[str], None]
) -> tuple[Target, list[dict[str, Any]]]:
    """A workspace with the customers and touchpoints loaded (by Esperia)."""
    from esperia.workspace import init_workspace

    workspace = base / f"template-{engine}"
    shutil.rmtree(workspace, ignore_errors=True)
    url = None
    if engine == "postgresql":
        url = cluster.create_database("bench_template")
        init_workspace(workspace, database_url=url)
    else:
        init_workspace(workspace)
    target = Target(engine, workspace, url)
    setup = []
    customers, touchpoints = parent_files()
    for kind, path in (("customers", customers), ("touchpoints", touchpoints)):
        run = run_child(
            TASKS["esperia"], {**target.params(), "kind": kind, "path": str(path)}
        )
        if "error" in run.result:
            raise RuntimeError(f"loading {kind} failed: {run.result['error']}")
        log(
            f"  {engine}: {run.result['loaded']:,} {kind} in "
            f"{run.result['seconds']:.1f}s (peak {run.peak_rss_mb:.0f} MB)"
        )
        setup.append({"kind": kind, **run.result, "peak_rss_mb": run.peak_rss_mb})
    return target, setup


def copy_target(template: Target, name: str, cluster: Any) -> Target:
    workspace = template.workspace.parent / name
    shutil.rmtree(workspace, ignore_errors=True)
    shutil.copytree(template.workspace, workspace)
    if template.engine == "duckdb":
        return Target("duckdb", workspace, None, lambda: shutil.rmtree(workspace))
    import psycopg

    db = name.replace("-", "_")
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
        template_db = str(template.database_url).rsplit("/", 1)[1]
        conn.execute(f'CREATE DATABASE "{db}" TEMPLATE "{template_db}"')
    url = cluster.url(db)

    def cleanup() -> None:
        cluster.drop_database(url)
        shutil.rmtree(workspace)

    return Target("postgresql", workspace, url, cleanup)


def run_file_benchmarks(
    ds: Dataset,
    engines: list[str],
    formats: list[str],
    methods: list[str],
    base: Path,
    cluster: Any,
    timeout: float,
    log: Callable[[str], None],
    repeat: int = 1,
) -> dict[str, Any]:
    """Every (engine, format, method): first import, then the same file again.

    With ``repeat`` > 1 each pair runs that many times, each time on a fresh
    copy; the methods take turns, so a busy spell on the shared machine does
    not land on one method only.
    """
    rows: list[dict[str, Any]] = []
    setups: dict[str, Any] = {}
    for engine in engines:
        template, setups[engine] = prepare_template(engine, base, cluster, log)
        for fmt in formats:
            for turn in range(1, repeat + 1):
                for method in methods:
                    name = f"run-{engine}-{fmt}-{method}"
                    target = copy_target(template, name, cluster)
                    try:
                        for phase in ("first", "again"):
                            row = _one(target, ds, engine, fmt, method, phase, timeout)
                            row["turn"] = turn
                            rows.append(row)
                            log(_line(row))
                            if row.get("error"):
                                break
                    finally:
                        if target.cleanup:
                            target.cleanup()
        if template.database_url:
            cluster.drop_database(template.database_url)
        shutil.rmtree(template.workspace, ignore_errors=True)
    return {"setup": setups, "runs": rows}


def _one(
    target: Target,
    ds: Dataset,
    engine: str,
    fmt: str,
    method: str,
    phase: str,
    timeout: float,
) -> dict[str, Any]:
    params = {
        **target.params(),
        "kind": "interactions",
        "path": str(ds.interactions(fmt)),
        "fmt": fmt,
        "phase": phase,
        "rows": ds.rows,
    }
    run = run_child(TASKS[method], params, timeout=timeout)
    row: dict[str, Any] = {
        "engine": engine,
        "format": fmt,
        "method": method,
        "phase": phase,
        "rows": ds.rows,
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "process_wall_s": round(run.wall_s, 2),
        "process_cpu_s": round(run.cpu_s, 2),
    }
    if "error" in run.result:
        row["error"] = run.result["error"]
        return row
    seconds = float(run.result["seconds"])
    row["code"] = run.result.get("code")
    stored, distinct = target.count()
    row.update(
        seconds=round(seconds, 2),
        rows_per_s=round(ds.rows / seconds),
        loaded=run.result["loaded"],
        duplicates=run.result["duplicates"],
        rejected=run.result["rejected"],
        steps=run.result["steps"],
        stored=stored,
        stored_distinct=distinct,
        check_ok=stored == ds.rows and distinct == ds.rows,
    )
    return row


def _line(row: dict[str, Any]) -> str:
    head = (
        f"  {row['engine']:<10} {row['format']:<7} {row['method']:<8} {row['phase']:<5}"
    )
    if row.get("error"):
        return f"{head} ERROR {row['error'].strip().splitlines()[-1]}"
    return (
        f"{head} {row['seconds']:>8.2f}s {row['rows_per_s']:>12,} rows/s "
        f"peak {row['peak_rss_mb']:>7,.0f} MB  loaded {row['loaded']:,} "
        f"stored {row['stored']:,} {'ok' if row['check_ok'] else 'CHECK FAILED'}"
    )
