"""What an import was asked to do and what it did."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["MAX_REJECT_DETAILS", "ImportOptions", "ImportSummary", "Reject"]

#: How many rejected rows a summary carries in memory; the rejects file has them all.
MAX_REJECT_DETAILS = 1_000

FileFormat = Literal["csv", "jsonl", "parquet", "xlsx"]


@dataclass
class ImportOptions:
    """How to read and load one source. Every field has a safe default."""

    #: Their column name → our column name.
    mapping: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str | None = None
    decimal: Literal[".", ","] = "."
    dayfirst: bool = False
    #: None means the workspace setting ``unknown_references``.
    unknown_references: Literal["reject", "create", "keep"] | None = None
    #: Replace stored rows that have the same id instead of skipping them.
    update: bool = False
    #: Any bad row rejects the whole load (the API's default).
    all_or_nothing: bool = False
    rejects_path: Path | None = None
    sheet: str | None = None
    file_format: FileFormat | None = None


@dataclass
class Reject:
    """One problem with one row: where, which column, what value, why."""

    row: int
    column: str | None
    value: str | None
    reason: str


@dataclass
class ImportSummary:
    kind: str
    source: str
    import_id: int | None = None
    read: int = 0
    loaded: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    created_references: int = 0
    rejects_file: str | None = None
    rejects: list[Reject] = field(default_factory=list)
    #: Feedback texts analysed right after the import (``text_enrich_on_import``).
    enriched: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data
