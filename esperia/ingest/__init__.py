"""Ingestion: files and API batches into the store, validated in the engine."""

from esperia.ingest.service import import_arrow, import_file, import_records, warm_up
from esperia.ingest.summary import ImportOptions, ImportSummary, Reject

__all__ = [
    "ImportOptions",
    "ImportSummary",
    "Reject",
    "import_arrow",
    "import_file",
    "import_records",
    "warm_up",
]
