"""An Ibis backend over the store's own database, set up like the store's sessions.

DuckDB: a cursor on the store's open connection (one DuckDB file can be opened
by one process only, so a second ``duckdb.connect`` would fail or see another
database); PostgreSQL: a connection to the same URL. Both get the workspace's
time zone, because periods (day, week, month…) are cut in local time. Ibis's
PostgreSQL backend switches its session to UTC when it connects, so the zone
is set again after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from esperia.store.database import configure_duckdb

if TYPE_CHECKING:
    from esperia.store import Store

__all__ = ["metrics_backend", "table_exists"]


@contextmanager
def metrics_backend(store: Store) -> Iterator[Any]:
    """An Ibis backend for one unit of analysis, released afterwards."""
    import ibis

    zone = store.settings.timezone.replace("'", "''")
    if store.dialect == "duckdb":
        backend = store.ibis()
        configure_duckdb(backend.con, store.settings)
    else:
        # From the URL (``Store.ibis`` passes it where Ibis expects a host name).
        backend = ibis.connect(store.url)
        backend.raw_sql(f"SET TIME ZONE '{zone}'")
    try:
        yield backend
    finally:
        backend.disconnect()


def table_exists(backend: Any, name: str) -> bool:
    """Whether the store holds ``name`` (tables of other features may be absent)."""
    # Asked of the catalogue directly: Ibis's list_tables trips on DuckDB 2.
    try:
        backend.table(name)
    except Exception:
        return False
    return True
