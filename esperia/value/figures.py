"""User-supplied figures: read a small table from a file or records, check it.

Share of wallet and market share rest on figures only the user has (panel
data, a market study). They arrive as CSV, Parquet or JSON records; every
column is read as text first so that a bad cell can be named by its data row
and column instead of failing somewhere inside a cast.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from esperia.errors import InvalidInput

__all__ = [
    "FigureTable",
    "parse_period",
    "read_figures",
]

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


class FigureTable:
    """Text columns of an input table, with where it came from for messages."""

    def __init__(self, table: pa.Table, where: str) -> None:
        self.table = table
        self.where = where
        self.columns = {c.strip().lower(): c for c in table.column_names}

    def __len__(self) -> int:
        return self.table.num_rows

    def _at(self, row: int, column: str) -> str:
        return f"{self.where}, data row {row + 1}, column {column!r}"

    def has(self, name: str) -> bool:
        return name in self.columns

    def text(self, name: str, *, required: bool = True) -> np.ndarray:
        """A column as an object array of stripped strings (None when empty)."""
        if name not in self.columns:
            if required:
                raise InvalidInput(
                    f"{self.where}: missing column {name!r} "
                    f"(columns: {', '.join(self.table.column_names) or 'none'})"
                )
            return np.full(len(self), None, dtype=object)
        col = pc.cast(self.table.column(self.columns[name]), pa.string())
        col = pc.utf8_trim_whitespace(col)
        values = np.array(col.to_pylist(), dtype=object)
        values[values == ""] = None
        if required:
            missing = np.flatnonzero(values == None)  # noqa: E711 - elementwise
            if len(missing):
                raise InvalidInput(f"{self._at(int(missing[0]), name)}: empty")
        return values

    def numbers(self, name: str) -> np.ndarray:
        """A required numeric column; the first cell that is not a number is named."""
        raw = self.text(name)
        col = pa.array(raw.tolist(), pa.string())
        try:
            parsed = pc.cast(col, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            bad = next(i for i, v in enumerate(raw) if not _is_number(v))
            raise InvalidInput(
                f"{self._at(bad, name)}: {raw[bad]!r} is not a number"
            ) from None
        values = np.asarray(parsed.to_numpy(zero_copy_only=False), dtype=float)
        bad_rows = np.flatnonzero(~np.isfinite(values))
        if len(bad_rows):
            i = int(bad_rows[0])
            raise InvalidInput(f"{self._at(i, name)}: {raw[i]!r} is not a number")
        return values

    def dates(self, name: str) -> np.ndarray:
        """A required ISO date column (YYYY-MM-DD) as datetime64[D]."""
        raw = self.text(name)
        try:
            return np.array(raw.tolist(), dtype="datetime64[D]")
        except ValueError:
            bad = next(i for i, v in enumerate(raw) if not _is_date(v))
            raise InvalidInput(
                f"{self._at(bad, name)}: {raw[bad]!r} is not a date (YYYY-MM-DD)"
            ) from None

    def fail(self, row: int, column: str, message: str) -> InvalidInput:
        return InvalidInput(f"{self._at(row, column)}: {message}")


def _is_number(value: Any) -> bool:
    try:
        return np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _is_date(value: Any) -> bool:
    try:
        np.datetime64(value, "D")
    except (TypeError, ValueError):
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)))


def read_figures(
    source: Path | Sequence[dict[str, Any]], *, where: str | None = None
) -> FigureTable:
    """Read CSV, Parquet or JSON records into text columns."""
    if isinstance(source, Path):
        label = where or str(source)
        if not source.is_file():
            raise InvalidInput(f"{label}: no such file")
        suffix = source.suffix.lower()
        try:
            if suffix == ".parquet":
                table = pq.read_table(source)
            elif suffix in (".csv", ".txt", ".tsv"):
                delimiter = "\t" if suffix == ".tsv" else ","
                with source.open(encoding="utf-8-sig", newline="") as fh:
                    header = next(csv.reader(fh, delimiter=delimiter), [])
                # Every column as text: ids keep their leading zeros, and a
                # bad cell is reported by row and column, not by the parser.
                table = pacsv.read_csv(
                    source,
                    parse_options=pacsv.ParseOptions(delimiter=delimiter),
                    convert_options=pacsv.ConvertOptions(
                        column_types={name: pa.string() for name in header}
                    ),
                )
            else:
                raise InvalidInput(f"{label}: use a .csv, .tsv or .parquet file")
        except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{label}: cannot be read ({exc})") from None
        return FigureTable(table, label)
    rows = list(source)
    label = where or "request"
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InvalidInput(f"{label}, data row {i + 1}: expected an object")
    names: list[str] = []
    for row in rows:
        names.extend(k for k in row if k not in names)
    table = pa.table(
        {
            n: pa.array([None if r.get(n) is None else str(r.get(n)) for r in rows])
            for n in names
        }
    )
    return FigureTable(table, label)


def parse_period(text: str, where: str = "period") -> tuple[dt.date, dt.date]:
    """``2025`` (a year), ``2025-Q2`` (a quarter) or ``2025-03`` (a month)."""
    value = text.strip()
    if m := _QUARTER.match(value):
        year, quarter = int(m.group(1)), int(m.group(2))
        start = dt.date(year, 3 * quarter - 2, 1)
        return start, _month_end(year, 3 * quarter)
    if m := _MONTH.match(value):
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            return dt.date(year, month, 1), _month_end(year, month)
    if m := _YEAR.match(value):
        year = int(m.group(1))
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    raise InvalidInput(
        f"{where}: {text!r} is not a period (use 2025, 2025-Q2 or 2025-03)"
    )


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)
