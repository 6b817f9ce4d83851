"""The packed-key summary of a file gives the engine's summary, row for row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from esperia.value import TransactionColumns, fit_file
from esperia.value.engine import fetch_columns
from esperia.value.fitting import file_connection, fit_source, resolve_period
from esperia.value.packed import fit_rows_packed
from esperia.value.summary import compressed_sql, fit_summary_sql
from esperia.value.synthetic import simulate_transactions
from esperia.value.transactions import load_transactions

COLS = TransactionColumns("customer_id", "date", "value")


@pytest.fixture(scope="module")
def table() -> pa.Table:
    """5,000 simulated customers plus same-day repeats of one row in seven."""
    base, _end = simulate_transactions(5_000, seed=23)
    again = base.filter(pc.equal(pc.bit_wise_and(pa.array(range(len(base))), 7), 0))
    return pa.concat_tables([base, again])


def _engine_rows(con: duckdb.DuckDBPyConnection, cal: dt.date) -> tuple[dict, dict]:
    con.execute(f"CREATE OR REPLACE TEMP TABLE _s AS {fit_summary_sql('_tx', cal)}")
    triples_sql, spend_sql = compressed_sql("_s")
    return fetch_columns(con, triples_sql), fetch_columns(con, spend_sql)


def _triples(rows: dict) -> np.ndarray:
    keys = np.column_stack([rows[k] for k in ("x", "tx_days", "t_days", "n")])
    return keys[np.lexsort(keys.T[::-1])]


def _spend(rows: dict) -> tuple[np.ndarray, np.ndarray]:
    x = np.repeat(rows["x"], rows["n"].astype(int))
    m = np.repeat(rows["m"], rows["n"].astype(int))
    order = np.lexsort((m, x))
    return x[order], m[order]


def _write(table: pa.Table, folder: Path, kind: str) -> Path:
    if kind == "parquet":
        path = folder / "tx.parquet"
        pq.write_table(table, path)
        return path
    # Text ids, shuffled rows: the dictionary code and the sort are exercised.
    rng = np.random.default_rng(3)
    shuffled = table.take(pa.array(rng.permutation(len(table))))
    ids = pc.binary_join_element_wise(
        "C", pc.cast(shuffled["customer_id"], pa.string()), ""
    )
    path = folder / "tx.csv"
    pcsv.write_csv(shuffled.set_column(0, "customer_id", ids), path)
    return path


@pytest.mark.parametrize("kind", ["parquet", "csv"])
@pytest.mark.parametrize("cal", [None, dt.date(2023, 9, 30), dt.date(2025, 3, 1)])
def test_packed_rows_equal_the_engine_rows(
    table: pa.Table, tmp_path: Path, kind: str, cal: dt.date | None
) -> None:
    path = _write(table, tmp_path, kind)
    con = file_connection()
    try:
        load_transactions(con, path, COLS)
        end, _obs = resolve_period(con, "_tx", cal)
        packed = fit_rows_packed(con, "_tx", end)
        engine = _engine_rows(con, end)
    finally:
        con.close()
    assert packed is not None
    np.testing.assert_array_equal(_triples(packed[0]), _triples(engine[0]))
    px, pm = _spend(packed[1])
    ex, em = _spend(engine[1])
    np.testing.assert_array_equal(px, ex)
    np.testing.assert_allclose(pm, em, rtol=1e-12)
    assert len(px) > 1_000


def test_too_many_rows_falls_back_to_the_engine(
    table: pa.Table, tmp_path: Path
) -> None:
    path = _write(table, tmp_path, "parquet")
    con = file_connection()
    try:
        load_transactions(con, path, COLS)
        end, _obs = resolve_period(con, "_tx", None)
        assert fit_rows_packed(con, "_tx", end, max_rows=len(table) - 1) is None
        engine = fit_source(con, "_tx", time_unit="weeks")
    finally:
        con.close()
    packed = fit_file(path, COLS, time_unit="weeks")
    a, b = packed.to_dict(), engine.to_dict()
    for name in ("r", "alpha", "a", "b", "p", "q", "gamma", "log_likelihood"):
        assert a[name] == pytest.approx(b[name], rel=1e-6), name
    assert a["customers"] == b["customers"] == 5_000
