"""Type, check and clean a staged source in DuckDB, a column at a time.

From the ``_src`` view this builds ``_valid`` (typed rows that passed every
check, extra columns folded into one JSON object) and appends one row per
problem to ``_rejects``. No Python touches individual rows.
"""

from __future__ import annotations

import duckdb

from esperia.ingest.readers import StagedSource, _ident
from esperia.ingest.summary import ImportOptions
from esperia.store.schema import Column, ColumnType, Kind

__all__ = ["validate"]

_TRUE = ("true", "t", "yes", "y", "1", "si", "sì", "s", "vero", "x")
_FALSE = ("false", "f", "no", "n", "0", "falso")
_DAYFIRST_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
)
_TEXT_TYPES = ("VARCHAR", "JSON")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _is_text(duck_type: str) -> bool:
    return duck_type.upper() in _TEXT_TYPES


def _raw_text(name: str, duck_type: str) -> str:
    """The source value as trimmed text, NULL when blank."""
    ref = _ident(name)
    if duck_type.upper() == "JSON":
        # JSON null, strings without their quotes, anything else as JSON text.
        return f"NULLIF(TRIM(json_extract_string({ref}, '$')), '')"
    if _is_text(duck_type):
        return f"NULLIF(TRIM(CAST({ref} AS VARCHAR)), '')"
    return f"CAST({ref} AS VARCHAR)"


def _present_test(name: str, duck_type: str) -> str:
    """SQL that is true when the source has a value (cheap for typed columns)."""
    if _is_text(duck_type):
        return f"{_raw_text(name, duck_type)} IS NOT NULL"
    return f"{_ident(name)} IS NOT NULL"


def _number_text(raw: str, options: ImportOptions) -> str:
    if options.decimal == ",":
        return f"replace(replace(replace({raw}, ' ', ''), '.', ''), ',', '.')"
    return f"replace({raw}, ' ', '')"


def _typed(col: Column, duck_type: str, options: ImportOptions) -> tuple[str, str]:
    """SQL for the typed value and the reason text when a present value fails."""
    ref = _ident(col.name)
    raw = _raw_text(col.name, duck_type)
    text = _is_text(duck_type)
    if col.type is ColumnType.TEXT:
        expr = f"lower({raw})" if col.normalise else raw
        return expr, ""
    if col.type is ColumnType.DOUBLE:
        src = (
            f"TRY_CAST({_number_text(raw, options)} AS DOUBLE)"
            if text
            else (f"TRY_CAST({ref} AS DOUBLE)")
        )
        return f"(CASE WHEN isfinite({src}) THEN {src} END)", "not a number"
    if col.type is ColumnType.INTEGER:
        number = (
            f"TRY_CAST({_number_text(raw, options)} AS DOUBLE)"
            if text
            else (f"TRY_CAST({ref} AS DOUBLE)")
        )
        expr = (
            f"(CASE WHEN isfinite({number}) AND {number} = round({number}) "
            f"AND abs({number}) < 9e15 THEN CAST({number} AS BIGINT) END)"
        )
        return expr, "not a whole number"
    if col.type is ColumnType.BOOLEAN:
        if duck_type.upper() == "BOOLEAN":
            return ref, "not true/false"
        low = f"lower({raw})"
        expr = (
            f"(CASE WHEN {low} IN ({', '.join(map(_lit, _TRUE))}) THEN true "
            f"WHEN {low} IN ({', '.join(map(_lit, _FALSE))}) THEN false END)"
        )
        return expr, "not true/false (use true/false, yes/no, sì/no, 1/0)"
    if col.type is ColumnType.TIMESTAMP:
        if not text:
            return f"TRY_CAST({ref} AS TIMESTAMPTZ)", "not a date/time"
        iso = f"TRY_CAST(replace({raw}, 'Z', '+00:00') AS TIMESTAMPTZ)"
        if options.dayfirst:
            formats = "[" + ", ".join(map(_lit, _DAYFIRST_FORMATS)) + "]"
            dayfirst = f"CAST(try_strptime({raw}, {formats}) AS TIMESTAMPTZ)"
            expr = f"coalesce({dayfirst}, {iso})"
            reason = "not a date/time (expected dd/mm/yyyy [hh:mm[:ss]] or ISO 8601)"
        else:
            expr = iso
            reason = (
                "not a date/time (expected ISO 8601 like 2024-03-31T14:05:00+02:00; "
                "for dd/mm/yyyy use --dayfirst)"
            )
        bounded = f"(CASE WHEN year({expr}) BETWEEN 1900 AND 2200 THEN {expr} END)"
        return bounded, reason
    return f"TRY_CAST({raw} AS JSON)", "not valid JSON"


def _struct(column: str, value: str, reason: str) -> str:
    return f"{{'column': {_lit(column)}, 'value': {value}, 'reason': {reason}}}"


def validate(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    staged: StagedSource,
    options: ImportOptions,
) -> str:
    """Build ``_checked`` and the ``_valid`` view; return the SQL that reports
    the bad rows.

    Reporting bad rows costs a pass over the source, so the caller runs it
    only when ``_checked`` holds rows flagged ``_bad``.
    """
    inner: list[str] = []
    outer: list[str] = ["_row"]
    checks: list[tuple[str, str]] = []
    for col in kind.columns:
        if col.name not in staged.columns:
            continue
        duck_type = staged.columns[col.name]
        expr, reason = _typed(col, duck_type, options)
        typed = _ident("t__" + col.name)
        inner.append(f"{expr} AS {typed}")
        outer.append(f"{typed} AS {_ident(col.name)}")
        checks.extend(
            _checks(
                col,
                _raw_text(col.name, duck_type),
                _present_test(col.name, duck_type),
                typed,
                reason,
            )
        )

    extras_expr, extras_check = _extras(kind, staged)
    if extras_check:
        checks.append(extras_check)
    outer.append(f"{extras_expr} AS {_ident(kind.extras)}")
    inner_sql = "SELECT *" + "".join(", " + e for e in inner) + " FROM _src"
    bad = " OR ".join(f"coalesce({cond}, false)" for cond, _ in checks) or "false"
    # Parsed and checked once, stored typed: everything after reads this table.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _checked AS "
        f"SELECT {', '.join(outer)}, ({bad}) AS _bad FROM ({inner_sql})"
    )
    # Keys seen twice in one source: the first row wins, later ones are reported.
    key = _ident(kind.key)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _dupkeys AS "
        f"SELECT {key} AS k, min(_row) AS first_row FROM _checked "
        f"WHERE {key} IS NOT NULL GROUP BY k HAVING count(*) > 1"
    )
    has_duplicates = bool(_scalar(con, "SELECT count(*) FROM _dupkeys"))
    if has_duplicates:
        con.execute(
            f"INSERT INTO _rejects SELECT c._row, ?, c.{key}, "
            "'duplicate ' || ? || ' in this source (first at ' || ? || ' ' || "
            "d.first_row || ')' FROM _checked c JOIN _dupkeys d "
            f"ON c.{key} = d.k WHERE c._row > d.first_row",
            [kind.key, kind.key, staged.row_label],
        )
    columns = ", ".join(_ident(c) for c in ["_row", *_present(kind, staged)])
    later_copy = (
        f" AND c._row NOT IN (SELECT c2._row FROM _checked c2 JOIN _dupkeys d "
        f"ON c2.{key} = d.k WHERE c2._row > d.first_row)"
        if has_duplicates
        else ""
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _valid AS SELECT {columns} FROM _checked c "
        f"WHERE NOT _bad{later_copy}"
    )
    problems = (
        "list_filter(["
        + ", ".join(f"CASE WHEN {cond} THEN {struct} END" for cond, struct in checks)
        + "], lambda e: e IS NOT NULL)"
    )
    return (
        'INSERT INTO _rejects SELECT _row, e."column", e.value, e.reason FROM '
        f"(SELECT _row, unnest({problems}) AS e FROM ({inner_sql}) WHERE {bad})"
        if checks
        else ""
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def _checks(
    col: Column, raw: str, present: str, typed: str, reason: str
) -> list[tuple[str, str]]:
    """(condition, problem struct) per rule; the struct is built for bad rows only."""
    found = []
    if reason:
        found.append(
            (f"{present} AND {typed} IS NULL", _struct(col.name, raw, _lit(reason)))
        )
    if col.required:
        found.append(
            (
                f"NOT ({present})",
                _struct(col.name, "NULL", _lit("required value missing")),
            )
        )
    if col.choices:
        allowed = ", ".join(map(_lit, col.choices))
        text = "must be one of: " + ", ".join(col.choices)
        found.append(
            (f"{typed} NOT IN ({allowed})", _struct(col.name, raw, _lit(text)))
        )
    if col.minimum is not None or col.maximum is not None:
        cond = []
        if col.minimum is not None:
            cond.append(f"{typed} < {col.minimum}")
        if col.maximum is not None:
            cond.append(f"{typed} > {col.maximum}")
        if col.maximum is None:
            text = f"must be at least {_num(col.minimum)}"
        elif col.minimum is None:
            text = f"must be at most {_num(col.maximum)}"
        else:
            text = f"must be between {_num(col.minimum)} and {_num(col.maximum)}"
        found.append((" OR ".join(cond), _struct(col.name, raw, _lit(text))))
    return found


def _present(kind: Kind, staged: StagedSource) -> list[str]:
    return [c.name for c in kind.columns if c.name in staged.columns] + [kind.extras]


def _num(value: float | None) -> str:
    assert value is not None
    return str(int(value)) if float(value).is_integer() else str(value)


def _extras(kind: Kind, staged: StagedSource) -> tuple[str, tuple[str, str] | None]:
    """One JSON object from the source's extra columns (and its own extras column)."""
    extra = [
        name
        for name in staged.columns
        if name not in kind.column_names and name != kind.extras
    ]
    built = None
    if extra:
        pairs = ", ".join(f"{_lit(n)}, {_ident(n)}" for n in extra)
        built = f"json_object({pairs})"
    given = None
    check = None
    if kind.extras in staged.columns:
        raw = _raw_text(kind.extras, staged.columns[kind.extras])
        given = f"TRY_CAST({raw} AS JSON)"
        ok = f"json_type({given}) = 'OBJECT'"
        check = (
            f"{raw} IS NOT NULL AND NOT coalesce({ok}, false)",
            _struct(kind.extras, raw, _lit("not a JSON object")),
        )
    if not built and not given:
        return "CAST(NULL AS JSON)", check
    # A merge patch drops members whose value is null (blank cells, absent keys).
    merged = f"json_merge_patch(coalesce({given or 'NULL'}, '{{}}'::JSON), "
    merged += f"{built or chr(39) + '{}' + chr(39) + '::JSON'})"
    return f"NULLIF({merged}, '{{}}'::JSON)", check
