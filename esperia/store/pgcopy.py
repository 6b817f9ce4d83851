"""Bulk transfer of an Arrow table into a PostgreSQL temporary table with COPY."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

__all__ = ["copy_arrow", "pg_type"]

_CHUNK_ROWS = 200_000


def pg_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type for an Arrow type."""
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "DOUBLE PRECISION"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    if pa.types.is_date(arrow_type):
        return "DATE"
    return "TEXT"


def _prepare(data: pa.Table) -> pa.Table:
    """Make every column something COPY's CSV reads back exactly."""
    columns = []
    for column, field in zip(data.columns, data.schema, strict=True):
        if pa.types.is_timestamp(field.type):
            tz = field.type.tz
            column = pc.cast(column, pa.timestamp("us", tz=tz))
        elif not (
            pa.types.is_boolean(field.type)
            or pa.types.is_integer(field.type)
            or pa.types.is_floating(field.type)
            or pa.types.is_date(field.type)
            or pa.types.is_string(field.type)
            or pa.types.is_large_string(field.type)
        ):
            column = pc.cast(column, pa.string())
        columns.append(column)
    return pa.table(columns, names=data.column_names)


def copy_arrow(conn: Any, table: str, data: pa.Table) -> None:
    """Create temp ``table`` like ``data`` and fill it with COPY (CSV, streamed)."""
    data = _prepare(data)
    cols = ", ".join(
        f'"{f.name}" {pg_type(f.type)}' for f in data.schema
    )
    conn.execute(f'DROP TABLE IF EXISTS "{table}"')
    conn.execute(f'CREATE TEMP TABLE "{table}" ({cols})')
    if data.num_rows == 0:
        return
    names = ", ".join(f'"{n}"' for n in data.column_names)
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with conn.cursor().copy(
        f'COPY "{table}" ({names}) FROM STDIN (FORMAT csv)'
    ) as copy:
        for start in range(0, data.num_rows, _CHUNK_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(data.slice(start, _CHUNK_ROWS), buffer, options)
            copy.write(buffer.getvalue())
