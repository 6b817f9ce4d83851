"""SQL fragments that differ between DuckDB and PostgreSQL, written in one place."""

from __future__ import annotations

import re
from collections.abc import Sequence

from esperia.errors import InvalidInput

__all__ = ["json_number", "minutes", "placeholders", "plain_name"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def plain_name(name: str, what: str = "name") -> str:
    """``name`` if it is a bare identifier (safe to put in SQL), else an error."""
    if not _NAME.match(name):
        raise InvalidInput(f"{what} {name!r} is not a plain identifier")
    return name


def json_number(dialect: str, column: str, key: str) -> str:
    """The number stored under ``key`` in a JSON column, NULL when absent or text."""
    plain_name(key, "JSON key")
    if dialect == "postgresql":
        value = f"({column} ->> '{key}')"
        return (
            # No '?' in the pattern: it is the store's parameter marker.
            f"CASE WHEN {value} ~ '^-{{0,1}}[0-9]+(\\.[0-9]+){{0,1}}$' "
            f"THEN CAST({value} AS DOUBLE PRECISION) END"
        )
    return f"TRY_CAST(json_extract_string({column}, '$.{key}') AS DOUBLE)"


def minutes(expr: str) -> str:
    """An interval of ``expr`` minutes (any numeric SQL expression)."""
    return f"CAST(CAST(round({expr}) AS BIGINT) || ' minutes' AS INTERVAL)"


def placeholders(values: Sequence[object]) -> str:
    """``?, ?, ?`` for an IN list of ``values``."""
    return ", ".join("?" for _ in values)


def columns_of(conn: object, table: str) -> set[str]:
    """The column names of ``table``."""
    rows = conn.fetchall(  # type: ignore[attr-defined]
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
        (plain_name(table, "table"),),
    )
    return {str(r[0]) for r in rows}
