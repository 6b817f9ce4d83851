"""GDPR rights on one customer: access/portability (export) and erasure.

Both walk the registry of :mod:`esperia.customers.personal_data`, so every
table that holds rows about a customer (imports, text analysis, cases,
surveys, the assistant, journeys, value, personas, next best action) is
exported and erased the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from esperia.auth.audit import record
from esperia.customers.personal_data import (
    PERSONAL,
    Link,
    PersonalTable,
    deletion_order,
    personal_table,
)
from esperia.errors import NotFound
from esperia.store import Store
from esperia.store.database import Connection

__all__ = [
    "count_customer_rows",
    "erase_customer",
    "export_customer",
    "export_filename",
    "on_erasure",
    "rows_about",
]


def _link_condition(link: Link, customer_id: str) -> tuple[str, list[Any]]:
    if link.direct:
        return f"{link.column} = ?", [customer_id]
    if link.parent == "customers":
        where, params = "customer_id = ?", [customer_id]
    else:
        where, params = rows_about(personal_table(link.parent), customer_id)
    key = f"CAST({link.key} AS TEXT)" if link.as_text else link.key
    column = link.column
    if link.casefold:
        key, column = f"lower({key})", f"lower({column})"
    return (
        f"{column} IN (SELECT {key} FROM {link.parent} WHERE {where} "
        f"AND {link.key} IS NOT NULL)",
        params,
    )


def rows_about(entry: PersonalTable, customer_id: str) -> tuple[str, list[Any]]:
    """The WHERE condition (and its parameters) of ``entry``'s rows about a customer.

    Links through a parent count only for rows whose direct column is empty: a
    row naming a customer belongs to that customer alone.
    """
    direct = [link for link in entry.links if link.direct]
    parts: list[str] = []
    params: list[Any] = []
    for link in direct:
        sql, more = _link_condition(link, customer_id)
        parts.append(sql)
        params.extend(more)
    through: list[str] = []
    for link in entry.links:
        if link.direct:
            continue
        sql, more = _link_condition(link, customer_id)
        through.append(sql)
        params.extend(more)
    if through:
        anyone = " OR ".join(through)
        if direct:
            empty = " AND ".join(f"{link.column} IS NULL" for link in direct)
            parts.append(f"({empty} AND ({anyone}))")
        else:
            parts.append(anyone)
    return "(" + " OR ".join(parts) + ")", params


def _require(conn: Connection, customer_id: str) -> None:
    found = conn.scalar(
        "SELECT count(*) FROM customers WHERE customer_id = ?", (customer_id,)
    )
    if not found:
        raise NotFound(f"no customer with id {customer_id!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _columns(conn: Connection, table: str) -> list[str]:
    rows = conn.fetchall(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() ORDER BY ordinal_position",
        (table,),
    )
    return [str(r[0]) for r in rows]


def _export_rows(
    conn: Connection, entry: PersonalTable, customer_id: str
) -> list[dict[str, Any]]:
    where, params = rows_about(entry, customer_id)
    columns = _columns(conn, entry.table)
    # Declared columns first, every other column after: a total, stable order.
    order = list(entry.order_by) + [c for c in columns if c not in entry.order_by]
    rows = conn.fetch_dicts(
        f"SELECT * FROM {entry.table} WHERE {where} ORDER BY {', '.join(order)}",
        params,
    )
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def export_filename(customer_id: str) -> str:
    """``customer-<id>-export.json``, the export's download name, with anything
    unsafe in a header or a file name (quotes, slashes, spaces, accents) as ``_``."""
    return f"customer-{_UNSAFE.sub('_', customer_id)}-export.json"


def export_customer(
    store: Store, customer_id: str, actor: str = "cli"
) -> dict[str, Any]:
    """Everything stored about one customer, as plain JSON-ready data.

    ``customer`` is their record; every other registered table follows under
    its own name (registry order), with an empty list when it holds nothing.
    """
    with store.connect() as conn:
        _require(conn, customer_id)
        data: dict[str, Any] = {
            "customer_id": customer_id,
            "exported_at": datetime.now(UTC).isoformat(),
        }
        for entry in PERSONAL:
            rows = _export_rows(conn, entry, customer_id)
            if entry.table == "customers":
                data["customer"] = rows[0]
            else:
                data[entry.table] = rows
        record(conn, actor, "customer.export", customer_id)
    return data


def count_customer_rows(
    store: Store, customer_id: str, actor: str | None = None
) -> dict[str, int]:
    """How many rows each registered table holds about a customer.

    The same rows an export lists and an erasure removes, counted in the
    engine, so a privacy officer sees what is stored without reading it. With
    ``actor`` the look-up is audited (``customer.lookup``).
    """
    with store.connect() as conn:
        _require(conn, customer_id)
        counts: dict[str, int] = {}
        for entry in PERSONAL:
            where, params = rows_about(entry, customer_id)
            counts[entry.table] = int(
                conn.scalar(f"SELECT count(*) FROM {entry.table} WHERE {where}", params)
            )
        if actor is not None:
            record(conn, actor, "customer.lookup", customer_id)
    return counts


def erase_customer(
    store: Store, customer_id: str, actor: str = "cli"
) -> dict[str, int]:
    """Delete a customer and every row about them, in one transaction.

    Children go before the parents they are found through. Returns the rows
    removed per registered table; rows where the customer is one contributor
    of an aggregate (persona cards, value reports, run summaries) stay.
    """
    with store.write_lock, store.connect() as conn:
        _require(conn, customer_id)
        removed: dict[str, int] = {}
        with conn.transaction():
            for entry in deletion_order():
                where, params = rows_about(entry, customer_id)
                removed[entry.table] = conn.execute_count(
                    f"DELETE FROM {entry.table} WHERE {where}", params
                )
            # The audit row keeps the id (it proves the erasure), no personal data.
            record(conn, actor, "customer.erase", customer_id, removed)
    for forget in _ERASURE_LISTENERS:
        forget(store, customer_id)
    return removed


_ERASURE_LISTENERS: list[Callable[[Store, str], None]] = []


def on_erasure(listener: Callable[[Store, str], None]) -> None:
    """Call ``listener(store, customer_id)`` after each erasure commits.

    For copies of customer data kept outside the database (the server's
    in-memory next-best-action rows): they register here, so this module
    depends on none of them.
    """
    if listener not in _ERASURE_LISTENERS:
        _ERASURE_LISTENERS.append(listener)
