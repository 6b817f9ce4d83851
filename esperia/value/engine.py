"""Column-at-a-time results from either engine, as numpy arrays."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np

from esperia.store.database import Connection, _pg_sql

__all__ = ["fetch_columns"]


def fetch_columns(
    conn: Connection | duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> dict[str, np.ndarray]:
    """Run ``sql`` and return its columns as arrays (NULL → NaN for numbers).

    DuckDB hands numpy arrays over without a Python object per row; PostgreSQL
    rows are small here (compressed summaries, one row per customer at most).
    """
    raw: Any = getattr(conn, "raw", conn) if isinstance(conn, Connection) else conn
    if isinstance(raw, duckdb.DuckDBPyConnection):
        result = raw.execute(sql, list(params) if params else None).fetchnumpy()
        out: dict[str, np.ndarray] = {}
        for name, col in result.items():
            if isinstance(col, np.ma.MaskedArray):
                masked: Any = col
                if col.dtype.kind in "fiu":
                    col = masked.astype(float).filled(np.nan)
                else:
                    col = masked.astype(object).filled(None)
            out[name] = np.asarray(col)
        return out
    cur = raw.execute(_pg_sql(sql, bool(params)), list(params) if params else None)
    names = [d.name for d in cur.description or []]
    rows = cur.fetchall()
    columns: dict[str, np.ndarray] = {}
    for i, name in enumerate(names):
        values = [r[i] for r in rows]
        sample = next((v for v in values if v is not None), None)
        if isinstance(sample, bool) or not isinstance(sample, (int, float, Decimal)):
            columns[name] = np.array(values, dtype=object)
        else:
            columns[name] = np.array(
                [np.nan if v is None else float(v) for v in values], dtype=float
            )
    return columns
