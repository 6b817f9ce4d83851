"""The audit log: who did what to whom, and when, in the store itself.

Writers pass the connection of their own transaction, so an audited change and
its audit row commit (or roll back) together.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from esperia.store import Connection, Store

__all__ = ["AUDIT_ACTIONS", "read_audit", "record"]

#: The actions Esperia writes, for readers who filter the log.
AUDIT_ACTIONS: tuple[str, ...] = (
    "login",
    "login_failed",
    "logout",
    "user_created",
    "password_set",
    "user_activated",
    "user_deactivated",
)

_INSERT = (
    "INSERT INTO audit_log (audit_id, occurred_at, actor, action, subject, details) "
    "VALUES (nextval('audit_seq'), current_timestamp, ?, ?, ?, ?)"
)


def record(
    conn_or_store: Connection | Store,
    actor: str,
    action: str,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the audit log."""
    params = (
        actor,
        action,
        subject,
        json.dumps(details, ensure_ascii=False, default=str) if details else None,
    )
    if isinstance(conn_or_store, Store):
        with conn_or_store.connect() as conn:
            conn.execute(_INSERT, params)
    else:
        conn_or_store.execute(_INSERT, params)


def read_audit(
    store: Store, limit: int = 100, *, action: str | None = None
) -> list[dict[str, Any]]:
    """The newest audit entries first, ``details`` decoded to a dict."""
    sql = "SELECT audit_id, occurred_at, actor, action, subject, details FROM audit_log"
    params: list[Any] = []
    if action is not None:
        sql += " WHERE action = ?"
        params.append(action)
    sql += " ORDER BY audit_id DESC LIMIT ?"
    params.append(max(0, int(limit)))
    with store.connect() as conn:
        rows = conn.fetch_dicts(sql, params)
    for row in rows:
        if isinstance(row["occurred_at"], datetime):
            row["occurred_at"] = row["occurred_at"].isoformat()
        details = row["details"]
        row["details"] = json.loads(details) if isinstance(details, str) else details
        row["details"] = row["details"] or {}
    return rows
