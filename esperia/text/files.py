"""Analyse a text column of any CSV, Parquet or JSON Lines file into a new file.

The file is streamed in batches (memory stays flat in the number of rows) and
every input column is kept; the analysis columns are appended. In CSV, lists
are ``;``-joined strings; Parquet and JSON Lines keep real lists.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from esperia.errors import InvalidInput
from esperia.text.model import Analyzer, TextAnalysis

__all__ = ["OUTPUT_COLUMNS", "analyze_file", "file_format"]

OUTPUT_COLUMNS = (
    "language",
    "sentiment",
    "polarity",
    "emotions",
    "aspects",
    "aspect_sentiments",
    "modules",
    "pyramid_level",
    "text_redacted",
)
_LIST_COLUMNS = {"emotions", "aspects", "aspect_sentiments", "modules"}
_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}

Progress = Callable[[int, int | None], None]


def file_format(path: Path) -> str:
    """csv | parquet | jsonl, from the file name."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    kind = _FORMATS.get(suffixes[-1] if suffixes else "")
    if kind is None:
        raise InvalidInput(f"{path}: unknown file type; use .csv, .parquet or .jsonl")
    return kind


def _csv_bytes(path: Path) -> bytes:
    """The file as valid UTF-8 (undecodable bytes dropped, BOM removed)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        data = data.decode("utf-8", errors="replace").encode("utf-8")
    return data.removeprefix(b"\xef\xbb\xbf")


def _csv_batches(path: Path, batch_size: int) -> tuple[Iterator[pa.RecordBatch], int]:
    data = _csv_bytes(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    first = data[: data.find(b"\n") + 1 or len(data)].decode("utf-8")
    header = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    if not header:
        raise InvalidInput(f"{path}: the file is empty (no header row)")
    reader = pacsv.open_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(block_size=1 << 20),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=False,
        ),
    )
    return _rebatch(iter(reader), batch_size), data.count(b"\n") - 1


def _rebatch(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        for start in range(0, batch.num_rows, size):
            yield batch.slice(start, size)


def _batches(
    path: Path, kind: str, batch_size: int
) -> tuple[Iterator[pa.RecordBatch], int | None]:
    try:
        if kind == "csv":
            return _csv_batches(path, batch_size)
        if kind == "parquet":
            parquet = pq.ParquetFile(path)
            return (
                parquet.iter_batches(batch_size=batch_size),
                parquet.metadata.num_rows,
            )
        table = pajson.read_json(path)
        return iter(table.to_batches(max_chunksize=batch_size)), table.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(f"{path}: cannot read as {kind}: {exc}") from exc


def _columns(results: list[TextAnalysis], joined: bool) -> dict[str, list[Any]]:
    def as_list(values: list[str]) -> Any:
        return ";".join(values) if joined else values

    out: dict[str, list[Any]] = {name: [] for name in OUTPUT_COLUMNS}
    for r in results:
        aspects = list(dict.fromkeys(a.aspect for a in r.aspects))
        details = [f"{a.aspect}:{a.sentiment:+.2f}" for a in r.aspects]
        emotions = sorted(r.emotions, key=lambda e: -r.emotions[e])
        out["language"].append(r.language)
        out["sentiment"].append(r.sentiment)
        out["polarity"].append(r.polarity)
        out["emotions"].append(as_list(emotions))
        out["aspects"].append(as_list(aspects))
        out["aspect_sentiments"].append(as_list(details))
        out["modules"].append(as_list(list(r.modules)))
        out["pyramid_level"].append(r.pyramid_level or ("" if joined else None))
        out["text_redacted"].append(r.text_redacted)
    return out


def _texts(batch: pa.RecordBatch, column: str, path: Path) -> list[str]:
    if column not in batch.schema.names:
        raise InvalidInput(
            f"{path}: no column {column!r}; columns are {', '.join(batch.schema.names)}"
        )
    values = batch.column(column).to_pylist()
    return ["" if v is None else v if isinstance(v, str) else str(v) for v in values]


class _Writer:
    def __init__(self, path: Path, kind: str) -> None:
        self.path, self.kind = path, kind
        self._arrow: Any = None
        self._fh: io.TextIOWrapper | None = None

    def write(self, batch: pa.RecordBatch, extra: dict[str, list[Any]]) -> None:
        names = list(batch.schema.names)
        arrays = list(batch.columns)
        for name in OUTPUT_COLUMNS:
            if name in names:  # keep the input's column under another name
                names[names.index(name)] = f"{name}_input"
        for name, values in extra.items():
            names.append(name)
            if name in _LIST_COLUMNS and self.kind != "csv":
                arrays.append(pa.array(values, type=pa.list_(pa.string())))
            elif name == "sentiment":
                arrays.append(pa.array(values, type=pa.float64()))
            else:
                arrays.append(pa.array(values, type=pa.string()))
        table = pa.Table.from_arrays(arrays, names=names)
        if self.kind == "jsonl":
            if self._fh is None:
                self._fh = self.path.open("w", encoding="utf-8")
            for row in table.to_pylist():
                self._fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            return
        if self._arrow is None:
            if self.kind == "csv":
                self._arrow = pacsv.CSVWriter(self.path, table.schema)
            else:
                self._arrow = pq.ParquetWriter(self.path, table.schema)
        self._arrow.write_table(table)

    def close(self) -> None:
        if self._arrow is not None:
            self._arrow.close()
        if self._fh is not None:
            self._fh.close()


def analyze_file(
    path: Path,
    output: Path,
    *,
    text_column: str,
    analyzer: Analyzer,
    language: str = "auto",
    batch_size: int = 2_000,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Analyse ``text_column`` of ``path`` into ``output``; return a summary."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    in_kind, out_kind = file_format(path), file_format(output)
    if output.resolve() == path.resolve():
        raise InvalidInput(f"{output}: the output would overwrite the input")
    batches, total = _batches(path, in_kind, batch_size)
    lang = None if language == "auto" else language
    writer = _Writer(output, out_kind)
    rows = 0
    seconds = 0.0
    languages: Counter[str] = Counter()
    polarities: Counter[str] = Counter()
    aspects: Counter[str] = Counter()
    try:
        for batch in batches:
            texts = _texts(batch, text_column, path)
            started = time.perf_counter()
            results = analyzer.analyze(texts, language=lang)
            seconds += time.perf_counter() - started
            for r in results:
                languages[r.language] += 1
                polarities[r.polarity] += 1
                aspects.update({a.aspect for a in r.aspects})
            writer.write(batch, _columns(results, joined=out_kind == "csv"))
            rows += len(texts)
            if progress is not None:
                progress(rows, total)
    finally:
        writer.close()
    if rows == 0 and not output.exists():
        output.write_text("", encoding="utf-8")
    return {
        "input": str(path),
        "output": str(output),
        "rows": rows,
        "analyzer": analyzer.name,
        "analysis_seconds": round(seconds, 3),
        "texts_per_second": round(rows / seconds, 1) if seconds > 0 else None,
        "languages": dict(languages.most_common()),
        "polarity": dict(polarities.most_common()),
        "aspects": dict(aspects.most_common()),
    }
