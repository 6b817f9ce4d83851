"""GDPR rights on one customer: access/portability (export) and erasure.

Both read the data model from :mod:`esperia.store.schema`, so a new kind that
links to customers is covered without touching this module.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from esperia.auth.audit import record
from esperia.errors import NotFound
from esperia.store import KINDS, Store
from esperia.store.database import Connection

__all__ = ["erase_customer", "export_customer"]


def _linked_kinds() -> list[tuple[str, str]]:
    """(table, column) of every kind that points at a customer."""
    return [
        (kind.table, col.name)
        for kind in KINDS.values()
        for col in kind.columns
        if col.references == "customers"
    ]


def _require(conn: Connection, customer_id: str) -> None:
    found = conn.scalar(
        "SELECT count(*) FROM customers WHERE customer_id = ?", (customer_id,)
    )
    if not found:
        raise NotFound(f"no customer with id {customer_id!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def export_customer(
    store: Store, customer_id: str, actor: str = "cli"
) -> dict[str, Any]:
    """Everything stored about one customer, as plain JSON-ready data."""
    with store.connect() as conn:
        _require(conn, customer_id)
        data: dict[str, Any] = {
            "customer_id": customer_id,
            "exported_at": datetime.now(UTC).isoformat(),
        }
        customer = conn.fetch_dicts(
            "SELECT * FROM customers WHERE customer_id = ?", (customer_id,)
        )[0]
        data["customer"] = {k: _plain(v) for k, v in customer.items()}
        for table, column in _linked_kinds():
            key = KINDS[table].key
            time_col = KINDS[table].time_column or key
            rows = conn.fetch_dicts(
                f"SELECT * FROM {table} WHERE {column} = ? ORDER BY {time_col}, {key}",
                (customer_id,),
            )
            data[table] = [{k: _plain(v) for k, v in row.items()} for row in rows]
        record(conn, actor, "customer.export", customer_id)
    return data


def erase_customer(
    store: Store, customer_id: str, actor: str = "cli"
) -> dict[str, int]:
    """Delete a customer and every row about them, in one transaction."""
    with store.write_lock, store.connect() as conn:
        _require(conn, customer_id)
        removed: dict[str, int] = {}
        with conn.transaction():
            for table, column in _linked_kinds():
                removed[table] = conn.execute_count(
                    f"DELETE FROM {table} WHERE {column} = ?", (customer_id,)
                )
            removed["customers"] = conn.execute_count(
                "DELETE FROM customers WHERE customer_id = ?", (customer_id,)
            )
            # The audit row keeps the id (it proves the erasure), no personal data.
            record(conn, actor, "customer.erase", customer_id, removed)
    return removed
