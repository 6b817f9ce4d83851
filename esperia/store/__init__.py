"""The store: one database chosen by URL, the same schema on DuckDB and PostgreSQL."""

from esperia.store.database import Connection, Store, open_store
from esperia.store.migrations import upgrade
from esperia.store.schema import KINDS, Column, ColumnType, Kind, kind_by_name

__all__ = [
    "KINDS",
    "Column",
    "ColumnType",
    "Connection",
    "Kind",
    "Store",
    "kind_by_name",
    "open_store",
    "upgrade",
]
