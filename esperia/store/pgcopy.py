"""Bulk transfer of an Arrow table into a PostgreSQL temporary table with COPY."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

__all__ = ["copy_arrow", "copy_batches", "copy_out", "pg_type"]

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
    copy_batches(
        conn, table, pa.RecordBatchReader.from_batches(data.schema, data.to_batches())
    )


def copy_batches(conn: Any, table: str, reader: pa.RecordBatchReader) -> None:
    """Create temp ``table`` with the reader's columns and COPY every batch in."""
    first = True
    names = ""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with conn.cursor() as cursor:
        for batch in _batches(reader):
            data = _prepare(pa.Table.from_batches([batch]))
            if first:
                cols = ", ".join(f'"{f.name}" {pg_type(f.type)}' for f in data.schema)
                cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
                cursor.execute(f'CREATE TEMP TABLE "{table}" ({cols})')
                names = ", ".join(f'"{n}"' for n in data.column_names)
                first = False
            if data.num_rows == 0:
                continue
            buffer = io.BytesIO()
            pacsv.write_csv(data, buffer, options)
            with cursor.copy(
                f'COPY "{table}" ({names}) FROM STDIN (FORMAT csv)'
            ) as copy:
                copy.write(buffer.getvalue())
        if first:  # no batch at all: still create the (empty) table
            data = _prepare(reader.schema.empty_table())
            cols = ", ".join(f'"{f.name}" {pg_type(f.type)}' for f in data.schema)
            cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
            cursor.execute(f'CREATE TEMP TABLE "{table}" ({cols})')


def copy_out(conn: Any, select: str, schema: pa.Schema) -> pa.Table:
    """The rows of ``select`` as an Arrow table with ``schema``: COPY … TO
    STDOUT as CSV, parsed column-wise by Arrow (no Python object per row)."""
    buffer = io.BytesIO()
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT csv)") as copy,
    ):
        for chunk in copy:
            buffer.write(chunk)
    if buffer.tell() == 0:
        return schema.empty_table()
    buffer.seek(0)
    return pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=schema.names),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _batches(reader: pa.RecordBatchReader) -> Any:
    for batch in reader:
        for start in range(0, batch.num_rows or 1, _CHUNK_ROWS):
            yield batch.slice(start, _CHUNK_ROWS)
