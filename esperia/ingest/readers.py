"""Read any supported source into a DuckDB relation with canonical column names.

Every reader leaves a temporary view ``_src`` in the given DuckDB connection:
a ``_row`` column (where the row is in the source, for error messages) and the
source's columns renamed to Esperia's names. Structural problems the reader
itself finds (a CSV line with too many fields) go into the ``_rejects`` table.
"""

from __future__ import annotations

import codecs
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from esperia.errors import InvalidInput, SchemaError
from esperia.ingest.summary import FileFormat, ImportOptions
from esperia.store.schema import Kind

__all__ = ["StagedSource", "detect_encoding", "stage_file", "stage_records"]

Progress = Callable[[str, float], None]

_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_CHUNK = 16 * 1024 * 1024
#: Columns a reader adds itself (never the user's data).
_READER_COLUMNS = frozenset({"file_row_number"})


@dataclass
class StagedSource:
    """The ``_src`` view: which canonical columns it has, and their DuckDB types."""

    columns: dict[str, str]
    source_columns: dict[str, str]
    row_label: str


def create_rejects_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rejects "
        '(_row BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR)'
    )


def normalise_name(name: str) -> str:
    """'Customer ID ' → 'customer_id': how headers are matched."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def file_format(path: Path, options: ImportOptions) -> FileFormat:
    if options.file_format:
        return options.file_format
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(
            f"{path}: cannot tell the format from the extension {path.suffix!r}; "
            "use .csv, .jsonl, .parquet or .xlsx, or say --format"
        )
    return fmt


def detect_encoding(path: Path) -> str:
    """utf-8, utf-8-sig, utf-16 (by BOM) or cp1252 (any text that is not UTF-8)."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _transcode(path: Path, encoding: str, workdir: Path) -> Path:
    """Write a UTF-8 copy of ``path`` (DuckDB reads UTF-8 only)."""
    target = workdir / (path.stem + ".utf8" + path.suffix)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as src, target.open("wb") as dst:
            while chunk := src.read(_CHUNK):
                dst.write(decoder.decode(chunk).encode("utf-8"))
            dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{path}: not readable as {encoding} (byte {exc.start}); "
            "say the encoding with --encoding"
        ) from None
    except LookupError:
        raise InvalidInput(f"unknown encoding {encoding!r}") from None
    return target


def _rename(
    kind: Kind, names: Sequence[str], options: ImportOptions, source: str
) -> dict[str, str]:
    """Map each source column to the name Esperia uses (canonical or extra)."""
    mapping = {normalise_name(k): v.strip() for k, v in options.mapping.items()}
    normalised = {
        normalise_name(n): n
        for n in names
        if not str(n).startswith("_") and n not in _READER_COLUMNS
    }
    for theirs, ours in mapping.items():
        if ours not in kind.column_names and ours != kind.extras:
            raise InvalidInput(
                f"--map {theirs}={ours}: {ours!r} is not a column of {kind.name} "
                f"(columns: {', '.join(kind.column_names)})"
            )
        if theirs not in normalised:
            raise SchemaError(
                f"{source}: --map names column {theirs!r}, which is not in the "
                f"file (columns: {', '.join(normalised.values())})"
            )
    renamed: dict[str, str] = {}
    for norm, original in normalised.items():
        ours = mapping.get(norm, norm)
        if ours in renamed:
            raise SchemaError(
                f"{source}: columns {renamed[ours]!r} and {original!r} both give "
                f"{ours!r}; map one of them elsewhere with --map"
            )
        renamed[ours] = original
    missing = [c for c in kind.required if c not in renamed]
    if missing:
        raise SchemaError(
            f"{source}: missing required column(s) {', '.join(missing)} for "
            f"{kind.name} (found: {', '.join(normalised.values()) or 'none'}); "
            "rename them with --map their_name=our_name"
        )
    return renamed


def _create_src_view(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    relation: str,
    row_expr: str,
    options: ImportOptions,
    source: str,
    row_label: str,
) -> StagedSource:
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    types = {str(r[0]): str(r[1]) for r in described}
    renamed = _rename(kind, list(types), options, source)
    select = ", ".join(
        f"{_ident(orig)} AS {_ident(ours)}" for ours, orig in renamed.items()
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _src AS SELECT {row_expr} AS _row"
        f"{', ' if select else ''}{select} FROM {relation}"
    )
    return StagedSource(
        columns={ours: types[orig] for ours, orig in renamed.items()},
        source_columns=renamed,
        row_label=row_label,
    )


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _duck_error(path: Path, exc: Exception) -> InvalidInput:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InvalidInput(f"{path}: cannot read the file: {first}")


def stage_file(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    path: Path,
    options: ImportOptions,
    progress: Progress | None = None,
) -> StagedSource:
    """Stage a CSV, JSON Lines, Parquet or XLSX file as ``_src``."""
    if not path.is_file():
        raise InvalidInput(f"file not found: {path}")
    if path.stat().st_size == 0:
        raise InvalidInput(f"{path}: the file is empty")
    fmt = file_format(path, options)
    create_rejects_table(con)
    try:
        if fmt == "csv":
            return _stage_csv(con, kind, path, options, progress)
        if fmt == "jsonl":
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _raw AS SELECT json AS doc "
                "FROM read_json_objects(?, format = 'auto')",
                [str(path)],
            )
            return _stage_json_docs(con, kind, options, str(path), "rowid + 1", "line")
        if fmt == "parquet":
            relation = f"read_parquet('{_sql_str(path)}', file_row_number = true)"
            return _create_src_view(
                con, kind, relation, "file_row_number + 1", options, str(path), "row"
            )
        return _stage_xlsx(con, kind, path, options)
    except duckdb.Error as exc:
        raise _duck_error(path, exc) from None


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def _stage_csv(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    path: Path,
    options: ImportOptions,
    progress: Progress | None,
) -> StagedSource:
    encoding = options.encoding or detect_encoding(path)
    source = path
    tmpdir = None
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        if progress:
            progress(f"converting from {encoding}", 0.05)
        tmpdir = tempfile.TemporaryDirectory(prefix="esperia-import-")
        source = _transcode(path, encoding, Path(tmpdir.name))
    args: list[Any] = [str(source)]
    delim = ""
    if options.delimiter:
        delim = ", delim = ?"
        args.append("\t" if options.delimiter in ("\\t", "tab") else options.delimiter)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _raw AS SELECT * FROM read_csv(?, "
            "header = true, all_varchar = true, store_rejects = true, "
            "rejects_table = '_csv_rejects', rejects_scan = '_csv_scans'"
            f"{delim})",
            args,
        )
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()
    bad = con.execute("SELECT count(*) FROM _csv_rejects").fetchall()
    if bad[0][0]:
        con.execute(
            "INSERT INTO _rejects SELECT line, NULL, any_value(csv_line), "
            "'malformed line: ' || string_agg(DISTINCT error_message, '; ') "
            "FROM _csv_rejects GROUP BY line"
        )
        # Rows after a malformed line shift: count the skipped lines before each.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _skipped AS SELECT line - "
            "(row_number() OVER (ORDER BY line)) + 1 AS pos FROM "
            "(SELECT DISTINCT line FROM _csv_rejects)"
        )
        row_expr = (
            "_raw.rowid + 2 + (SELECT count(*) FROM _skipped s "
            "WHERE s.pos <= _raw.rowid + 2)"
        )
    else:
        row_expr = "rowid + 2"
    con.execute("DROP TABLE IF EXISTS _csv_rejects")
    con.execute("DROP TABLE IF EXISTS _csv_scans")
    return _create_src_view(con, kind, "_raw", row_expr, options, str(path), "row")


def _stage_xlsx(
    con: duckdb.DuckDBPyConnection, kind: Kind, path: Path, options: ImportOptions
) -> StagedSource:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        sheet = reader.load_sheet(options.sheet if options.sheet is not None else 0)
        table = sheet.to_arrow()
    except Exception as exc:  # fastexcel raises its own error types
        raise InvalidInput(f"{path}: cannot read the workbook: {exc}") from None
    con.register("_xlsx_in", _excel_as_text(table))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _raw AS SELECT * FROM _xlsx_in")
    finally:
        con.unregister("_xlsx_in")
    return _create_src_view(con, kind, "_raw", "rowid + 2", options, str(path), "row")


def _excel_as_text(table: pa.Table) -> pa.Table:
    """Excel stores ids as numbers (42.0): give whole numbers back as '42'."""
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_floating(column.type):
            as_int = pc.cast(column, pa.int64(), safe=False)
            whole = pc.equal(pc.cast(as_int, column.type), column)
            text = pc.if_else(
                whole, pc.cast(as_int, pa.string()), pc.cast(column, pa.string())
            )
            columns.append(text)
        else:
            columns.append(column)
    return pa.table(columns, names=table.column_names)


def _stage_json_docs(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    options: ImportOptions,
    source: str,
    row_expr: str,
    row_label: str,
) -> StagedSource:
    """Spread the JSON objects in ``_raw(doc)`` into text columns."""
    not_objects = con.execute(
        f"SELECT {row_expr} FROM _raw WHERE json_type(doc) <> 'OBJECT' LIMIT 1"
    ).fetchall()
    if not_objects:
        raise InvalidInput(
            f"{source}: {row_label} {not_objects[0][0]} is not a JSON object; "
            'every item must be an object like {"customer_id": "C1"}'
        )
    keys = [
        r[0]
        for r in con.execute(
            "SELECT k FROM (SELECT DISTINCT unnest(json_keys(doc)) AS k FROM _raw) "
            "ORDER BY k"
        ).fetchall()
    ]
    fields = ", ".join(f"doc -> '{_json_path(k)}' AS {_ident(k)}" for k in keys)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _docs AS SELECT "
        f"{row_expr} AS _r{', ' if fields else ''}{fields} FROM _raw"
    )
    return _create_src_view(con, kind, "_docs", "_r", options, source, row_label)


def _json_path(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace('"', '\\"').replace("'", "''")
    return f'$."{escaped}"'


def stage_records(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    records: Sequence[Any],
    options: ImportOptions,
) -> StagedSource:
    """Stage a list of JSON objects (an API batch); rows are 0-based item indexes."""
    create_rejects_table(con)
    docs = pa.array([orjson.dumps(r).decode() for r in records], type=pa.string())
    con.register("_records_in", pa.table({"doc": docs}))
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _raw AS "
            "SELECT doc::JSON AS doc FROM _records_in"
        )
    finally:
        con.unregister("_records_in")
    return _stage_json_docs(con, kind, options, "request body", "rowid", "item")
