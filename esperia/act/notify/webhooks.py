"""Webhook subscriptions: a URL, the events it wants, and its signing secret."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from esperia.auth import audit
from esperia.errors import InvalidInput, NotFound
from esperia.store import Store

__all__ = ["EVENTS", "create_webhook", "delete_webhook", "list_webhooks"]

#: Events a subscription may ask for ('*' means all).
EVENTS = ("case.created", "case.assigned", "case.status", "case.resolved")


def create_webhook(
    store: Store, url: str, events: list[str] | None = None, *, actor: str
) -> dict[str, Any]:
    """Subscribe ``url``; the answer carries the secret, shown this once."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"webhook url {url!r}: must be http(s)://host/path")
    chosen = events or ["*"]
    unknown = [e for e in chosen if e != "*" and e not in EVENTS]
    if unknown:
        raise InvalidInput(
            f"unknown webhook event(s) {', '.join(unknown)}: choose from "
            f"{', '.join(EVENTS)} or '*'"
        )
    secret = secrets.token_urlsafe(32)
    with store.write_lock, store.connect() as conn, conn.transaction():
        webhook_id = int(conn.scalar("SELECT nextval('act_webhook_seq')"))
        conn.execute(
            "INSERT INTO act_webhooks (webhook_id, url, secret, events, active, "
            "created_at) VALUES (?, ?, ?, ?, TRUE, current_timestamp)",
            (webhook_id, url, secret, ",".join(chosen)),
        )
        audit.record(conn, actor, "webhook_created", str(webhook_id), {"url": url})
    return {"webhook_id": webhook_id, "url": url, "events": chosen, "secret": secret}


def list_webhooks(store: Store) -> list[dict[str, Any]]:
    """Subscriptions without their secrets."""
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT webhook_id, url, events, active, created_at FROM act_webhooks "
            "ORDER BY webhook_id"
        )
    for row in rows:
        row["events"] = str(row["events"]).split(",")
    return rows


def delete_webhook(store: Store, webhook_id: int, *, actor: str) -> None:
    with store.write_lock, store.connect() as conn, conn.transaction():
        done = conn.execute_count(
            "DELETE FROM act_webhooks WHERE webhook_id = ?", (webhook_id,)
        )
        if not done:
            raise NotFound(f"no webhook {webhook_id}")
        audit.record(conn, actor, "webhook_deleted", str(webhook_id))
