"""Move validated rows into the store: references, idempotency, one transaction.

Runs on the target database with portable SQL, reading the temporary table
``_incoming`` (validated rows with their ``_row``). The caller owns the
transaction, so a failure anywhere leaves the store as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from esperia.ingest.readers import _ident
from esperia.store.database import Connection
from esperia.store.schema import KINDS, Kind

__all__ = ["MergeResult", "explain_shortfall", "merge_incoming", "record_import"]

Policy = Literal["reject", "create", "keep"]


@dataclass
class MergeResult:
    loaded: int = 0
    updated: int = 0
    duplicates: int = 0
    created_references: int = 0
    #: (row, column, value, reason) for rows refused for an unknown reference.
    rejects: list[tuple[int, str, str, str]] = field(default_factory=list)


def _absent(target: Kind, column: str, dialect: str) -> str:
    """True for rows of _incoming whose ``column`` names no row of ``target``.

    DuckDB keeps no key index, so it is written as a semi-join driven by the
    incoming rows: a batch of a thousand rows then probes a table of millions
    without hashing all its keys. PostgreSQL plans NOT EXISTS as an anti-join on
    the primary key index, while its NOT IN over a large subquery degrades to a
    row-by-row scan, so each engine gets its own form.
    """
    col = _ident(column)
    key = _ident(target.key)
    if dialect == "postgresql":
        return (
            f"NOT EXISTS (SELECT 1 FROM {target.table} x "
            f"WHERE x.{key} = _incoming.{col})"
        )
    return (
        f"{col} NOT IN (SELECT x.{key} FROM {target.table} x "
        f"WHERE x.{key} IN (SELECT {col} FROM _incoming))"
    )


def _unknown(ref: Kind, column: str, dialect: str) -> str:
    """Rows of _incoming whose ``column`` is set and names no row of ``ref``."""
    return f"{_ident(column)} IS NOT NULL AND {_absent(ref, column, dialect)}"


def _create_placeholders(
    conn: Connection, kind: Kind, columns: list[str], import_id: int, now: datetime
) -> int:
    """Insert a bare row for every unknown customer or touchpoint referenced."""
    created = 0
    for column in kind.columns:
        # An interaction cannot be invented: "create" keeps such links as they are.
        if column.references in (None, "interactions") or column.name not in columns:
            continue
        ref = KINDS[str(column.references)]
        col = _ident(column.name)
        extra_cols = "".join(f", {_ident(c)}" for c in ref.placeholder)
        extra_vals = "".join(
            f", {col}" if v == "{id}" else f", '{v}'" for v in ref.placeholder.values()
        )
        created += conn.execute_count(
            f"INSERT INTO {ref.table} ({_ident(ref.key)}{extra_cols}, import_id, "
            f"loaded_at) SELECT DISTINCT {col}{extra_vals}, CAST(? AS BIGINT), "
            f"CAST(? AS TIMESTAMPTZ) FROM _incoming "
            f"WHERE {_unknown(ref, column.name, conn.dialect)}",
            (import_id, now),
        )
    return created


def _reference_columns(kind: Kind, columns: list[str]) -> list[tuple[str, Kind]]:
    return [
        (c.name, KINDS[c.references])
        for c in kind.columns
        if c.references is not None and c.name in columns
    ]


def merge_incoming(
    conn: Connection,
    kind: Kind,
    columns: list[str],
    *,
    policy: Policy,
    update: bool,
    import_id: int,
) -> MergeResult:
    """Insert the rows of ``_incoming`` into the kind's table in one statement.

    Rows naming unknown references (under the reject policy) and rows already
    stored are left out; :func:`explain_shortfall` says which, when needed,
    so a clean load costs a single pass.
    """
    now = datetime.now(UTC)
    result = MergeResult()
    if policy == "create":
        result.created_references = _create_placeholders(
            conn, kind, columns, import_id, now
        )
    known = ""
    if policy == "reject":
        known = "".join(
            f" AND NOT ({_unknown(ref, name, conn.dialect)})"
            for name, ref in _reference_columns(kind, columns)
        )
    key = _ident(kind.key)
    if update:
        result.updated = conn.execute_count(
            f"DELETE FROM {kind.table} WHERE {key} IN "
            f"(SELECT {key} FROM _incoming WHERE true{known})"
        )
    json_type = "JSONB" if conn.dialect == "postgresql" else "JSON"
    names = [_ident(c) for c in columns]
    values = [
        f"CAST({n} AS {json_type})" if c == kind.extras else n
        for c, n in zip(columns, names, strict=True)
    ]
    conflict = (
        f" ON CONFLICT ({key}) DO NOTHING" if conn.dialect == "postgresql" else ""
    )
    inserted = conn.execute_count(
        f"INSERT INTO {kind.table} ({', '.join(names)}, import_id, loaded_at) "
        f"SELECT {', '.join(values)}, CAST(? AS BIGINT), CAST(? AS TIMESTAMPTZ) "
        f"FROM _incoming WHERE {_absent(kind, kind.key, conn.dialect)}"
        f"{known}{conflict}",
        (import_id, now),
    )
    result.loaded = inserted - result.updated
    return result


def explain_shortfall(
    conn: Connection,
    kind: Kind,
    columns: list[str],
    result: MergeResult,
    *,
    policy: Policy,
    expected: int,
) -> None:
    """Sort the valid rows that were not inserted into refused and duplicates."""
    inserted = result.loaded + result.updated
    if inserted < expected and policy == "reject":
        for name, ref in _reference_columns(kind, columns):
            reason = f"unknown {name}: not in {ref.name}"
            found = conn.fetchall(
                f"SELECT _row, {_ident(name)} FROM _incoming "
                f"WHERE {_unknown(ref, name, conn.dialect)}"
            )
            result.rejects.extend((int(r), name, str(v), reason) for r, v in found)
    refused = len({r[0] for r in result.rejects})
    result.duplicates = expected - inserted - refused


def record_import(conn: Connection, values: dict[str, Any]) -> None:
    """Write the import's bookkeeping row (in the same transaction as the data)."""
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    conn.execute(
        f"INSERT INTO imports ({cols}) VALUES ({marks})", list(values.values())
    )
