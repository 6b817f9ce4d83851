"""IEEE XES event logs: a streaming reader and a writer.

The reader walks the XML with ``iterparse`` and clears each trace once read, so
memory holds the columns being built, never the document tree. Trace attributes
become ``case:<key>`` columns (``case:concept:name`` is the case id), event
attributes keep their keys. Nested attributes (children of an attribute) are
not columns: process-mining tools rarely use them and they have no flat form.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import quoteattr

import pyarrow as pa

from esperia.errors import InvalidInput

__all__ = ["read_xes", "write_xes"]

_TYPES = {"string", "date", "int", "float", "boolean", "id"}
_ARROW = {
    "string": pa.string(),
    "id": pa.string(),
    "date": pa.string(),  # cast to TIMESTAMPTZ by the engine, which reads offsets
    "int": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _convert(kind: str, raw: str | None, where: str) -> Any:
    if raw is None:
        return None
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise InvalidInput(f"{where}: {raw!r} is not a valid {kind}") from None
    if kind == "boolean":
        return raw.strip().lower() == "true"
    return raw


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


class _Columns:
    """Columns filled row by row; a key first seen late is back-filled with nulls."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {}
        self.kinds: dict[str, str] = {}
        self.rows = 0

    def add(self, row: dict[str, tuple[str, Any]]) -> None:
        for key, (kind, value) in row.items():
            column = self.values.get(key)
            if column is None:
                column = self.values[key] = [None] * self.rows
                self.kinds[key] = kind
            elif self.kinds[key] != kind:
                # Mixed types for one key: keep the text, which every type has.
                self.kinds[key] = "string"
            column.append(value)
        self.rows += 1
        for column in self.values.values():
            if len(column) < self.rows:
                column.append(None)

    def table(self) -> pa.Table:
        arrays = {}
        for key, column in self.values.items():
            kind = self.kinds[key]
            if kind == "string":
                column = [None if v is None else str(v) for v in column]
            arrays[key] = pa.array(column, type=_ARROW[kind])
        return pa.table(arrays)


def _attrs(elem: ET.Element, where: str) -> dict[str, tuple[str, Any]]:
    """The direct typed attributes of ``elem`` (nested ones are left out)."""
    found: dict[str, tuple[str, Any]] = {}
    for child in elem:
        kind = _local(child.tag)
        key = child.get("key")
        if kind in _TYPES and key is not None:
            found[key] = (kind, _convert(kind, child.get("value"), f"{where} {key!r}"))
    return found


def _iter_traces(
    stream: IO[bytes], path: Path
) -> Iterator[tuple[dict[str, tuple[str, Any]], list[dict[str, tuple[str, Any]]]]]:
    events: list[dict[str, tuple[str, Any]]] = []
    traces = 0
    try:
        for _, elem in ET.iterparse(stream, events=("end",)):
            tag = _local(elem.tag)
            if tag == "event":
                where = f"{path}: trace {traces + 1}, event {len(events) + 1},"
                events.append(_attrs(elem, where))
                elem.clear()
            elif tag == "trace":
                traces += 1
                yield _attrs(elem, f"{path}: trace {traces},"), events
                events = []
                elem.clear()
    except ET.ParseError as exc:
        raise InvalidInput(f"{path}: not a valid XES (XML) file: {exc}") from None


def read_xes(path: Path | str) -> pa.Table:
    """One row per event, in file order; trace attributes prefixed ``case:``."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    columns = _Columns()
    with _open(path) as stream:
        for trace_attrs, events in _iter_traces(stream, path):
            case = {f"case:{k}": v for k, v in trace_attrs.items()}
            for event in events:
                columns.add({**case, **event})
    if columns.rows == 0:
        raise InvalidInput(f"{path}: the XES file holds no events")
    return columns.table()


def _attribute(key: str, value: Any) -> str:
    if isinstance(value, datetime):
        return f"<date key={quoteattr(key)} value={quoteattr(value.isoformat())}/>"
    if isinstance(value, bool):
        text = "true" if value else "false"
        return f"<boolean key={quoteattr(key)} value={quoteattr(text)}/>"
    if isinstance(value, int):
        return f"<int key={quoteattr(key)} value={quoteattr(str(value))}/>"
    if isinstance(value, float):
        return f"<float key={quoteattr(key)} value={quoteattr(repr(value))}/>"
    return f"<string key={quoteattr(key)} value={quoteattr(str(value))}/>"


def write_xes(
    out: IO[str],
    events: Iterable[tuple[str, dict[str, Any]]],
    *,
    trace_attributes: dict[str, dict[str, Any]] | None = None,
) -> int:
    """Write ``(case_id, event attributes)`` pairs, grouped by case, as XES.

    Events must come ordered by case (then time); returns the number of traces.
    """
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(
        '<log xes.version="1.0" xes.features="nested-attributes" '
        'xmlns="http://www.xes-standard.org/">\n'
        '  <extension name="Concept" prefix="concept" '
        'uri="http://www.xes-standard.org/concept.xesext"/>\n'
        '  <extension name="Time" prefix="time" '
        'uri="http://www.xes-standard.org/time.xesext"/>\n'
        '  <extension name="Organizational" prefix="org" '
        'uri="http://www.xes-standard.org/org.xesext"/>\n'
    )
    current: str | None = None
    traces = 0
    extra = trace_attributes or {}
    for case_id, attrs in events:
        if case_id != current:
            if current is not None:
                out.write("  </trace>\n")
            out.write(f"  <trace>\n    {_attribute('concept:name', case_id)}\n")
            for key, value in extra.get(case_id, {}).items():
                if value is not None:
                    out.write(f"    {_attribute(key, value)}\n")
            current = case_id
            traces += 1
        body = "".join(_attribute(k, v) for k, v in attrs.items() if v is not None)
        out.write(f"    <event>{body}</event>\n")
    if current is not None:
        out.write("  </trace>\n")
    out.write("</log>\n")
    return traces
