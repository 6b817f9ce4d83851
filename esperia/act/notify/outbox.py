"""The durable outbox: every notification is a row before anyone tries to send it.

A message is written in the same database as the change it announces, then a
worker delivers it (:mod:`esperia.act.notify.deliver`). When the mail server or
a webhook receiver is down the row stays pending and is retried with
exponential backoff; after ``notify_max_attempts`` it moves to the dead letters,
from where an admin can retry it. ``dedup_key`` is unique, so announcing the
same thing twice queues it once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from esperia.act.sqlparts import placeholders
from esperia.auth import audit
from esperia.errors import NotFound

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Connection, Store

__all__ = [
    "STATUSES",
    "enqueue",
    "enqueue_case_event",
    "list_messages",
    "outbox_counts",
    "retry_message",
]

#: pending → sending → sent; or → dead after too many failures; ``held`` waits
#: for its team's digest and becomes ``digested`` when the digest is queued.
STATUSES = ("held", "pending", "sending", "sent", "dead", "digested")

_INSERT = (
    "INSERT INTO act_outbox (message_id, created_at, channel, target, event, "
    "subject, body, dedup_key, status, attempts, next_attempt_at, case_id) "
    "VALUES (nextval('act_outbox_seq'), current_timestamp, ?, ?, ?, ?, ?, ?, ?, 0, "
    "current_timestamp, ?) ON CONFLICT (dedup_key) DO NOTHING"
)


def enqueue(
    conn: Connection,
    *,
    channel: str,
    target: str,
    event: str,
    body: str,
    dedup_key: str,
    subject: str | None = None,
    held: bool = False,
    case_id: int | None = None,
) -> None:
    """Queue one message on ``conn`` (inside the caller's transaction).

    ``case_id`` names the case a notice is about, so erasing its customer
    removes the notice too.
    """
    status = "held" if held else "pending"
    conn.execute(
        _INSERT, (channel, target, event, subject, body, dedup_key, status, case_id)
    )


def _case_payloads(conn: Connection, case_ids: list[int]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        rows.extend(
            conn.fetch_dicts(
                "SELECT k.case_id, k.customer_id, k.reason, k.priority, k.team, "
                "k.owner, k.status, k.touchpoint_id, k.due_at, k.money_at_risk, "
                "k.rule_id, tm.email AS team_email, coalesce(tm.digest, FALSE) AS "
                "digest FROM act_cases k LEFT JOIN act_teams tm ON tm.team = k.team "
                f"WHERE k.case_id IN ({placeholders(chunk)}) ORDER BY k.case_id",
                chunk,
            )
        )
    return rows


def _subscribed(events: str, event: str) -> bool:
    wanted = {e.strip() for e in events.split(",") if e.strip()}
    return "*" in wanted or event in wanted


def enqueue_case_event(
    store: Store, settings: Settings, case_ids: list[int], event: str
) -> int:
    """Queue webhook posts and team e-mails announcing ``event`` on these cases.

    Personal data stays out: a notice carries the case and customer ids and
    a link, and the recipient opens the case in Esperia (where access is checked
    and audited).
    """
    if not case_ids:
        return 0
    base = settings.public_url.rstrip("/")
    queued = 0
    with store.write_lock, store.connect() as conn, conn.transaction():
        hooks = conn.fetch_dicts(
            "SELECT webhook_id, events FROM act_webhooks WHERE active"
        )
        hooks = [h for h in hooks if _subscribed(str(h["events"]), event)]
        for case in _case_payloads(conn, case_ids):
            payload = {
                "event": event,
                "case": {
                    k: (v.isoformat() if isinstance(v, datetime) else v)
                    for k, v in case.items()
                    if k not in ("team_email", "digest")
                },
                "url": f"{base}/cases/{case['case_id']}",
            }
            body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
            key = f"{event}:{case['case_id']}:{case['status']}:{case['owner'] or ''}"
            for hook in hooks:
                enqueue(
                    conn, channel="webhook", target=str(hook["webhook_id"]),
                    event=event, body=body, dedup_key=f"{key}:wh{hook['webhook_id']}",
                    case_id=int(case["case_id"]),
                )  # fmt: skip
                queued += 1
            recipients = []
            if case["team_email"] and event == "case.created":
                recipients.append((str(case["team_email"]), bool(case["digest"])))
            if case["owner"] and event == "case.assigned":
                recipients.append((str(case["owner"]), False))
            for address, held in recipients:
                subject = (
                    f"[Esperia] case {case['case_id']} {event.split('.')[-1]}: "
                    f"{case['reason']} ({case['priority']})"
                )
                text = (
                    f"Case {case['case_id']} ({case['reason']}, priority "
                    f"{case['priority']}, team {case['team']}, due {case['due_at']})."
                    f"\n\nOpen it: {payload['url']}\n"
                )
                enqueue(
                    conn, channel="email", target=address, event=event, body=text,
                    subject=subject, dedup_key=f"{key}:mail:{address}", held=held,
                    case_id=int(case["case_id"]),
                )  # fmt: skip
                queued += 1
    return queued


def list_messages(
    store: Store, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Outbox rows, newest first (``status='dead'`` is the dead-letter list)."""
    sql = (
        "SELECT message_id, created_at, channel, target, event, subject, status, "
        "attempts, next_attempt_at, last_error, sent_at FROM act_outbox"
    )
    params: list[Any] = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    sql += " ORDER BY message_id DESC LIMIT ?"
    params.append(int(limit))
    with store.connect() as conn:
        return conn.fetch_dicts(sql, params)


def outbox_counts(store: Store) -> dict[str, int]:
    with store.connect() as conn:
        rows = conn.fetchall("SELECT status, count(*) FROM act_outbox GROUP BY status")
    return {str(s): int(n) for s, n in rows}


def retry_message(store: Store, message_id: int, *, actor: str) -> None:
    """Send a dead letter again (attempts start over)."""
    with store.write_lock, store.connect() as conn, conn.transaction():
        done = conn.execute_count(
            "UPDATE act_outbox SET status = 'pending', attempts = 0, "
            "next_attempt_at = current_timestamp WHERE message_id = ? "
            "AND status = 'dead'",
            (message_id,),
        )
        if not done:
            raise NotFound(f"no dead message {message_id}")
        audit.record(conn, actor, "notification_retried", str(message_id))
