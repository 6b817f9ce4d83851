"""Read a transaction file (CSV, Parquet, whitespace-separated text) into DuckDB.

The result is the temporary table ``_tx(customer_id, day, value, margin)``:
one row per transaction, dates parsed, checked at the door. All the parsing
runs in DuckDB, column at a time, and the file is read once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from esperia.errors import InvalidInput, SchemaError

__all__ = ["TransactionColumns", "load_transactions"]

_WHITESPACE_LINE = re.compile(r"^\s*\S+(\s+\S+)+\s*$")


@dataclass(frozen=True)
class TransactionColumns:
    """Which source columns hold the customer, the date and the value.

    Each is a column name, or a 1-based position (for files without a header).
    """

    customer: str
    date: str
    value: str
    margin: str | None = None
    date_format: str | None = None


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".tsv"):
        return "csv"
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        head = [fh.readline() for _ in range(5)]
    lines = [line for line in head if line.strip()]
    if not lines:
        raise InvalidInput(f"{path} is empty")
    if any(sep in lines[0] for sep in (",", ";", "\t", "|")):
        return "csv"
    if all(_WHITESPACE_LINE.match(line) for line in lines):
        return "whitespace"
    return "csv"


def _stage_table(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> list[str]:
    """Create view ``_raw`` over the file; return its column names."""
    src = _sql_str(str(path))
    if kind == "parquet":
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _raw AS SELECT * FROM read_parquet({src})"
        )
    elif kind == "csv":
        # Every column as text: a bad date or number becomes a message naming
        # its row instead of a failed read.
        con.execute(
            "CREATE OR REPLACE TEMP VIEW _raw AS SELECT * FROM "
            f"read_csv({src}, all_varchar=true)"
        )
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _lines AS SELECT "
            "string_split_regex(trim(line, E' \\t\\r'), '\\s+') AS f "
            f"FROM read_csv({src}, columns={{'line': 'VARCHAR'}}, header=false, "
            "delim=E'\\x1f', quote='', escape='', auto_detect=false) "
            "WHERE trim(line, E' \\t\\r') <> ''"
        )
        width = con.execute("SELECT max(len(f)) FROM _lines").fetchone()
        n = int(width[0]) if width and width[0] else 0
        if n == 0:
            raise InvalidInput(f"{path} has no rows")
        cols = ", ".join(f"f[{i + 1}] AS c{i + 1}" for i in range(n))
        con.execute(f"CREATE OR REPLACE TEMP VIEW _raw AS SELECT {cols} FROM _lines")
    rows = con.execute("DESCRIBE _raw").fetchall()
    return [str(r[0]) for r in rows]


def _resolve(
    con: duckdb.DuckDBPyConnection, path: Path, kind: str, names: list[str],
    wanted: TransactionColumns,
) -> tuple[dict[str, str], bool]:  # fmt: skip
    """Map each wanted role to a column of ``_raw``; for whitespace text, also
    whether the first line is a header (then skipped)."""
    roles = {"customer": wanted.customer, "date": wanted.date, "value": wanted.value}
    if wanted.margin:
        roles["margin"] = wanted.margin
    header_line = False
    if kind == "whitespace":
        first = con.execute("SELECT f FROM _lines LIMIT 1").fetchone()
        first_fields = [str(v) for v in first[0]] if first else []
        by_name = {v.lower(): i for i, v in enumerate(first_fields)}
        if all(r.lower() in by_name for r in roles.values() if not r.isdigit()) and any(
            not r.isdigit() for r in roles.values()
        ):
            header_line = True
        mapped = {}
        for role, ref in roles.items():
            if ref.isdigit():
                pos = int(ref)
            elif ref.lower() in by_name and header_line:
                pos = by_name[ref.lower()] + 1
            else:
                raise SchemaError(
                    f"{path}: no column {ref!r} for the {role}; the file has no "
                    "header naming it, give its position (1, 2, …) instead"
                )
            if not 1 <= pos <= len(names):
                raise SchemaError(f"{path}: column {pos} for the {role} does not exist")
            mapped[role] = names[pos - 1]
        if not header_line and first_fields:
            value_pos = names.index(mapped["value"])
            sample = first_fields[value_pos] if value_pos < len(first_fields) else ""
            try:
                float(sample)
            except ValueError:
                header_line = True
        return mapped, header_line
    lower = {n.lower(): n for n in names}
    mapped = {}
    for role, ref in roles.items():
        if ref in names:
            mapped[role] = ref
        elif ref.lower() in lower:
            mapped[role] = lower[ref.lower()]
        elif ref.isdigit() and 1 <= int(ref) <= len(names):
            mapped[role] = names[int(ref) - 1]
        else:
            raise SchemaError(
                f"{path}: no column {ref!r} for the {role}; columns are "
                + ", ".join(names)
            )
    return mapped, False


def _date_expr(column: str, col_type: str, date_format: str | None) -> str:
    c = _quote_ident(column)
    if date_format:
        return (
            f"CAST(try_strptime(CAST({c} AS VARCHAR), {_sql_str(date_format)}) AS DATE)"
        )
    if col_type.upper() == "DATE":
        return c
    if col_type.upper().startswith("TIMESTAMP"):
        return f"CAST({c} AS DATE)"
    text = f"trim(CAST({c} AS VARCHAR))"
    return (
        f"CASE WHEN regexp_full_match({text}, '[0-9]{{8}}') "
        f"THEN CAST(try_strptime({text}, '%Y%m%d') AS DATE) "
        f"ELSE coalesce(TRY_CAST({text} AS DATE), "
        f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS DATE)) END"
    )


def load_transactions(
    con: duckdb.DuckDBPyConnection, path: Path | str, columns: TransactionColumns
) -> int:
    """Create temp table ``_tx`` from ``path``; return its number of rows."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}")
    kind = _file_kind(path)
    try:
        names = _stage_table(con, path, kind)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InvalidInput(f"cannot read {path}: {first}") from None
    mapped, skip_header = _resolve(con, path, kind, names, columns)
    types = {str(r[0]): str(r[1]) for r in con.execute("DESCRIBE _raw").fetchall()}
    day = _date_expr(mapped["date"], types[mapped["date"]], columns.date_format)
    value = f"TRY_CAST({_quote_ident(mapped['value'])} AS DOUBLE)"
    margin = (
        f"TRY_CAST({_quote_ident(mapped['margin'])} AS DOUBLE)"
        if "margin" in mapped
        else "CAST(NULL AS DOUBLE)"
    )
    cust = _quote_ident(mapped["customer"])
    exprs = {
        "customer_id": cust,
        "day": day,
        "value": value,
        "margin": margin,
        "raw_date": f"CAST({_quote_ident(mapped['date'])} AS VARCHAR)",
        "raw_value": f"CAST({_quote_ident(mapped['value'])} AS VARCHAR)",
    }
    # The header line of a whitespace file is skipped by position; only that
    # case needs row numbers up front (a header is never a valid value).
    where = ""
    if skip_header:
        where = f" WHERE NOT ({exprs['raw_value']} IS NOT DISTINCT FROM "
        where += f"{_sql_str(_header_value(con, mapped['value']))})"
    try:
        # Read and parse the file once: every later pass (checks, bounds,
        # summaries) scans this typed table, not the file.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _tx AS SELECT "
            f"{exprs['customer_id']} AS customer_id, {day} AS day, {value} AS value, "
            f"{margin} AS margin FROM _raw{where}"
        )
        _check(con, path, mapped, exprs, where, skip_header)
        row = con.execute("SELECT count(*) FROM _tx").fetchone()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InvalidInput(f"cannot read {path}: {first}") from None
    return int(row[0]) if row else 0


def _header_value(con: duckdb.DuckDBPyConnection, column: str) -> str:
    row = con.execute(f"SELECT {_quote_ident(column)} FROM _raw LIMIT 1").fetchone()
    return str(row[0]) if row else ""


def _check(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapped: dict[str, str],
    exprs: dict[str, str],
    where: str,
    skip_header: bool,
) -> None:
    """One pass for every problem; a second query only to name the first bad row."""
    checks = {
        "customer": "customer_id IS NULL OR trim(CAST(customer_id AS VARCHAR)) = ''",
        "date": "day IS NULL",
        "value": "value IS NULL OR NOT isfinite(value)",
        "negative": "value < 0",
    }
    counts_sql = ", ".join(
        f"count(*) FILTER (WHERE {cond})" for cond in checks.values()
    )
    counts = con.execute(f"SELECT {counts_sql} FROM _tx").fetchone() or ()
    for (name, cond), count in zip(checks.items(), counts, strict=True):
        if not count:
            continue
        numbered = ", ".join(f"{sql} AS {alias}" for alias, sql in exprs.items())
        bad = con.execute(
            f"SELECT _row, customer_id, raw_date, raw_value FROM (SELECT {numbered}, "
            f"row_number() OVER () AS _row FROM _raw) n WHERE {cond} "
            f"{'AND _row > 1 ' if skip_header else ''}ORDER BY _row LIMIT 1"
        ).fetchone()
        assert bad is not None
        row, customer, raw_date, raw_value = bad
        place = f"{path}, data row {int(row) - (1 if skip_header else 0)}"
        if name == "customer":
            msg = f"missing customer in column {mapped['customer']!r}"
        elif name == "date":
            msg = f"cannot read the date {raw_date!r} in column {mapped['date']!r}"
        elif name == "value":
            msg = f"cannot read the value {raw_value!r} in column {mapped['value']!r}"
        else:
            msg = f"negative spend {raw_value} for customer {customer!r}"
        raise InvalidInput(f"{msg} ({place}; {count:,} such rows)")
