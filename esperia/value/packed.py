"""The fit summary of a transaction file, from one packed integer key.

A file read into DuckDB (:mod:`esperia.value.transactions`) is fetched once as
three numeric columns: a key packing (customer, day) into one integer, and the
value. Grouping a sorted integer key in numpy is a few vectorised passes: the
boundaries of equal keys give purchase days (same-day transactions summed, as
in the literature), and the boundaries of equal customers inside them give
x, t_x, T and the repeat spend. On a million customers this is several times
faster than the engine's two-level GROUP BY over text and dates, which stays
the path for the store (both engines) and for files too large to hold here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

__all__ = ["MAX_PACKED_ROWS", "fit_rows_packed"]

#: Above this many transactions the engine's GROUP BY is used instead (memory:
#: about 40 bytes per transaction here).
MAX_PACKED_ROWS = 20_000_000

_INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
}  # fmt: skip
_EPOCH = dt.date(1970, 1, 1)


def _is_integer(con: Any, source: str) -> bool:
    rows = con.execute(f"DESCRIBE SELECT customer_id FROM {source}").fetchall()
    return bool(rows) and str(rows[0][1]).upper() in _INTEGER_TYPES


def fit_rows_packed(
    con: Any, source: str, calibration_end: dt.date,
    max_rows: int = MAX_PACKED_ROWS,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None:  # fmt: skip
    """The compressed (x, t_x, T) and (x, m) rows of ``source`` (DuckDB), or
    None when it has more than ``max_rows`` transactions (or keys too wide)."""
    cal = (calibration_end - _EPOCH).days
    where = f"WHERE day <= DATE '{calibration_end.isoformat()}'"
    day = "CAST(day - DATE '1970-01-01' AS INTEGER)"
    staged = None
    if _is_integer(con, source):
        src, code = f"{source} {where}", "CAST(customer_id AS BIGINT)"
    else:
        # Text ids get a dictionary code (their dense rank) in a staged table.
        staged = "_clv_packed"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {staged} AS SELECT dense_rank() OVER "
            f"(ORDER BY customer_id) AS customer_id, day, value FROM {source} {where}"
        )
        src, code = staged, "customer_id"
    try:
        bounds = con.execute(
            f"SELECT count(*), min({code}), max({code}), min({day}), max({day}) "
            f"FROM {src}"
        ).fetchone()
        n, cmin, cmax, dmin, dmax = bounds
        if not n:
            empty = np.empty(0)
            return (
                {"x": empty, "tx_days": empty, "t_days": empty, "n": empty},
                {"x": empty, "m": empty, "n": empty},
            )
        span = int(dmax - dmin + 1)
        if n > max_rows or (int(cmax) - int(cmin) + 1) * span >= 2**62:
            return None
        cols = con.execute(
            f"SELECT ({code} - {int(cmin)}) * {span} + ({day} - {int(dmin)}) AS k, "
            f"value FROM {src}"
        ).fetchnumpy()
    finally:
        if staged:
            con.execute(f"DROP TABLE IF EXISTS {staged}")
    key = np.asarray(cols["k"], dtype=np.int64)
    value = np.asarray(cols["value"], dtype=float)
    return _group(key, value, span, cal - int(dmin))


def _starts(sorted_keys: np.ndarray) -> np.ndarray:
    change = np.empty(len(sorted_keys), dtype=bool)
    change[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
    return np.flatnonzero(change)


def _group(
    key: np.ndarray, value: np.ndarray, span: int, cal: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    # Files are usually written in customer/date order: then no sort at all.
    # (Few temporaries: on a loaded machine, touching fresh memory is most of
    # the cost of this function.)
    if len(key) > 1 and np.less(key[1:], key[:-1]).any():
        order = np.argsort(key)
        key, value = key[order], value[order]
    day_start = _starts(key)
    day_key = key[day_start]
    day_value = np.add.reduceat(value, day_start)
    customer, day = np.divmod(day_key, span)
    first = _starts(customer)
    last = np.empty_like(first)
    last[:-1] = first[1:] - 1
    last[-1] = len(customer) - 1
    x = (last - first).astype(np.int64)
    tx = day[last] - day[first]
    t = cal - day[first]
    repeat = np.add.reduceat(day_value, first) - day_value[first]
    base = max(span, cal + 1)  # T can exceed the data's span (later cal end)
    triples = np.unique((x * base + tx) * base + t, return_counts=True)
    buyers = x > 0
    m = repeat[buyers] / x[buyers]
    spend_x, spend_m, spend_n = _count_pairs(x[buyers], m)
    return (
        {
            "x": (triples[0] // base // base).astype(float),
            "tx_days": (triples[0] // base % base).astype(float),
            "t_days": (triples[0] % base).astype(float),
            "n": triples[1].astype(float),
        },
        {"x": spend_x, "m": spend_m, "n": spend_n},
    )


def _count_pairs(
    x: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique (x, m) pairs with counts: as complex numbers, numpy sorts the
    pairs lexicographically in one pass."""
    unique, counts = np.unique(x.astype(float) + 1j * m, return_counts=True)
    return unique.real.copy(), unique.imag.copy(), counts.astype(float)
