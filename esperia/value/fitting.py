"""Fit CLV models from transactions: a file on disk or the workspace's orders."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import duckdb

from esperia.errors import InvalidInput
from esperia.store.database import Connection
from esperia.value.clv import ClvFit, check_model, fit_rfm
from esperia.value.data import UNIT_DAYS, TimeUnit
from esperia.value.engine import fetch_columns
from esperia.value.packed import fit_rows_packed
from esperia.value.summary import (
    CustomerSummary,
    compressed_sql,
    customer_summary_sql,
    fit_summary_sql,
    period_bounds_sql,
    rfm_from_rows,
)
from esperia.value.transactions import TransactionColumns, load_transactions

__all__ = [
    "check_time_unit",
    "file_connection",
    "fit_file",
    "fit_source",
    "resolve_period",
    "summarise_source",
]


def check_time_unit(time_unit: str) -> TimeUnit:
    if time_unit not in UNIT_DAYS:
        raise InvalidInput(f"time unit {time_unit!r}: use days or weeks")
    return time_unit  # type: ignore[return-value]


def file_connection(memory_limit: str = "1GB", threads: int | None = None) -> Any:
    """An in-memory DuckDB for one file's analysis."""
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def resolve_period(
    conn: Connection | duckdb.DuckDBPyConnection,
    source: str,
    calibration_end: dt.date | None,
) -> tuple[dt.date, dt.date]:
    """Calibration end (default: the last purchase day) and observation end."""
    cols = fetch_columns(conn, period_bounds_sql(source))
    count = float(cols["n"][0]) if len(cols["n"]) else 0.0
    first, last = cols["first_day"][0], cols["last_day"][0]
    if not count or first is None:
        raise InvalidInput("there are no transactions to fit a model on")
    first, last = _as_date(first), _as_date(last)
    cal = calibration_end or last
    if cal < first:
        raise InvalidInput(
            f"the calibration end {cal.isoformat()} is before the first purchase "
            f"({first.isoformat()})"
        )
    return cal, max(last, cal)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    # numpy datetime64 from DuckDB's fetchnumpy
    return dt.date.fromisoformat(str(value)[:10])


def fit_source(
    conn: Connection | duckdb.DuckDBPyConnection,
    source: str,
    *,
    calibration_end: dt.date | None = None,
    time_unit: TimeUnit = "days",
    spend: bool = True,
    model: str = "bg-nbd",
) -> ClvFit:
    """Summarise and compress ``source`` in the engine, then fit in numpy.

    The per-customer summary is built once (a temporary table), then grouped
    twice into the few rows the models read.
    """
    started = time.perf_counter()
    dialect = getattr(conn, "dialect", "duckdb")
    cal, _obs = resolve_period(conn, source, calibration_end)
    summary = fit_summary_sql(source, cal, dialect)
    run = conn.execute
    run("DROP TABLE IF EXISTS _clv_fit_summary")
    run(f"CREATE TEMP TABLE _clv_fit_summary AS {summary}")
    try:
        triples_sql, spend_sql = compressed_sql("_clv_fit_summary")
        triples = fetch_columns(conn, triples_sql)
        spend_rows = fetch_columns(conn, spend_sql)
    finally:
        run("DROP TABLE IF EXISTS _clv_fit_summary")
    summary_s = time.perf_counter() - started
    rfm = rfm_from_rows(triples, spend_rows, time_unit, cal)
    fit = fit_rfm(rfm, spend=spend, model=model)
    fit.timings["summary"] = summary_s
    fit.seconds = time.perf_counter() - started
    return fit


def summarise_source(
    conn: Connection | duckdb.DuckDBPyConnection,
    source: str,
    *,
    calibration_end: dt.date | None = None,
    time_unit: TimeUnit = "days",
) -> CustomerSummary:
    """One row per customer, with holdout purchases after ``calibration_end``."""
    cal, obs = resolve_period(conn, source, calibration_end)
    dialect = getattr(conn, "dialect", "duckdb")
    cols = fetch_columns(
        conn,
        customer_summary_sql(source, cal, obs, dialect) + " ORDER BY 1",
    )
    return CustomerSummary.from_columns(cols, time_unit, cal)


def _fit_file_rows(
    con: duckdb.DuckDBPyConnection, calibration_end: dt.date | None,
    time_unit: TimeUnit, spend: bool, model: str,
) -> ClvFit:  # fmt: skip
    """The packed-key summary (numpy) when it fits in memory, else the engine's."""
    started = time.perf_counter()
    cal, _obs = resolve_period(con, "_tx", calibration_end)
    rows = fit_rows_packed(con, "_tx", cal)
    if rows is None:
        return fit_source(
            con, "_tx", calibration_end=cal, time_unit=time_unit, spend=spend,
            model=model,
        )  # fmt: skip
    summary_s = time.perf_counter() - started
    fit = fit_rfm(
        rfm_from_rows(rows[0], rows[1], time_unit, cal), spend=spend, model=model
    )
    fit.timings["summary"] = summary_s
    return fit


def fit_file(
    path: Path | str,
    columns: TransactionColumns,
    *,
    calibration_end: dt.date | None = None,
    time_unit: str = "days",
    spend: bool = True,
    memory_limit: str = "1GB",
    threads: int | None = None,
    model: str = "bg-nbd",
) -> ClvFit:
    """Read ``path``, summarise it in DuckDB and fit both models."""
    unit = check_time_unit(time_unit)
    check_model(model)
    started = time.perf_counter()
    con = file_connection(memory_limit, threads)
    try:
        rows = load_transactions(con, path, columns)
        read_s = time.perf_counter() - started
        fit = _fit_file_rows(con, calibration_end, unit, spend, model)
    finally:
        con.close()
    fit.timings["read"] = read_s
    fit.timings["transactions"] = float(rows)
    fit.seconds = time.perf_counter() - started
    return fit
