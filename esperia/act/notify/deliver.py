"""Delivering the outbox: SMTP e-mail and signed webhook posts, with retries.

Each message is claimed (``pending`` → ``sending``) with a conditional UPDATE,
so two workers never send the same row; it becomes ``sent`` only after the
server accepted it. A failure schedules the next attempt after
``notify_backoff_s x 2^(attempts-1)`` seconds. A worker that dies mid-send
leaves a ``sending`` row; after ten minutes it is released and sent again,
and its stable Message-ID / ``X-Esperia-Delivery`` lets receivers drop the
rare duplicate.
"""

from __future__ import annotations

import hashlib
import smtplib
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from esperia.act.notify.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Store

__all__ = ["DeliveryReport", "compose_digests", "deliver_due"]

_STALE_SENDING_MIN = 10


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "dead": self.dead,
            "digests": self.digests,
            "errors": self.errors[:20],
        }


class DeliveryError(Exception):
    """The receiver could not be reached or refused the message."""


def _send_email(settings: Settings, row: dict[str, Any]) -> None:
    if not settings.smtp_host:
        raise DeliveryError("smtp_host is not set")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = row["target"]
    message["Subject"] = row["subject"] or f"[Esperia] {row['event']}"
    message["Date"] = formatdate(localtime=True)
    digest = hashlib.sha256(str(row["dedup_key"]).encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@esperia>"
    message.set_content(row["body"])
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user and settings.smtp_password is not None:
                smtp.login(
                    settings.smtp_user, settings.smtp_password.get_secret_value()
                )
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(
            f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}"
        ) from exc


def _send_webhook(
    settings: Settings, row: dict[str, Any], hook: dict[str, Any]
) -> None:
    body = str(row["body"]).encode("utf-8")
    stamp = int(time.time())
    request = urllib.request.Request(
        str(hook["url"]),
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Esperia-Webhook/1",
            "X-Esperia-Event": str(row["event"]),
            "X-Esperia-Delivery": str(row["message_id"]),
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: sign(str(hook["secret"]), stamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.smtp_timeout_s) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook {hook['url']}: HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"webhook {hook['url']}: {exc}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook {hook['url']}: HTTP {status}")


def _claim(store: Store, message_id: int) -> bool:
    with store.write_lock, store.connect() as conn:
        return bool(
            conn.execute_count(
                "UPDATE act_outbox SET status = 'sending', attempts = attempts + 1 "
                "WHERE message_id = ? AND status = 'pending'",
                (message_id,),
            )
        )


def _finish(
    store: Store, settings: Settings, row: dict[str, Any], error: str | None
) -> str:
    attempts = int(row["attempts"]) + 1
    with store.write_lock, store.connect() as conn:
        if error is None:
            conn.execute(
                "UPDATE act_outbox SET status = 'sent', sent_at = current_timestamp, "
                "last_error = NULL WHERE message_id = ?",
                (row["message_id"],),
            )
            return "sent"
        if attempts >= settings.notify_max_attempts:
            conn.execute(
                "UPDATE act_outbox SET status = 'dead', last_error = ? "
                "WHERE message_id = ?",
                (error[:500], row["message_id"]),
            )
            return "dead"
        delay = settings.notify_backoff_s * 2 ** (attempts - 1)
        conn.execute(
            "UPDATE act_outbox SET status = 'pending', last_error = ?, "
            "next_attempt_at = current_timestamp + "
            "CAST(CAST(round(?) AS BIGINT) || ' milliseconds' AS INTERVAL) "
            "WHERE message_id = ?",
            (error[:500], float(delay) * 1000.0, row["message_id"]),
        )
        return "failed"


def deliver_due(store: Store, settings: Settings, limit: int = 200) -> DeliveryReport:
    """Send every pending message whose time has come (oldest first)."""
    report = DeliveryReport()
    with store.write_lock, store.connect() as conn:
        conn.execute(
            "UPDATE act_outbox SET status = 'pending' WHERE status = 'sending' AND "
            f"next_attempt_at < current_timestamp - INTERVAL '{_STALE_SENDING_MIN} "
            "minutes'"
        )
        rows = conn.fetch_dicts(
            "SELECT message_id, channel, target, event, subject, body, dedup_key, "
            "attempts FROM act_outbox WHERE status = 'pending' AND next_attempt_at "
            "<= current_timestamp ORDER BY message_id LIMIT ?",
            (int(limit),),
        )
        hooks = {
            str(h["webhook_id"]): h
            for h in conn.fetch_dicts(
                "SELECT webhook_id, url, secret FROM act_webhooks"
            )
        }
    for row in rows:
        if row["channel"] == "email" and not settings.smtp_host:
            continue  # kept pending, no attempt used, until SMTP is configured
        if not _claim(store, int(row["message_id"])):
            continue
        error = None
        try:
            if row["channel"] == "email":
                _send_email(settings, row)
            else:
                hook = hooks.get(str(row["target"]))
                if hook is None:
                    raise DeliveryError(f"webhook {row['target']} no longer exists")
                _send_webhook(settings, row, hook)
        except DeliveryError as exc:
            error = str(exc)
            report.errors.append(f"message {row['message_id']}: {error}")
        outcome = _finish(store, settings, row, error)
        if outcome == "sent":
            report.sent += 1
        elif outcome == "dead":
            report.dead += 1
        else:
            report.failed += 1
    return report


def compose_digests(store: Store, settings: Settings, *, force: bool = False) -> int:
    """Fold held messages into one digest e-mail per address when they are due.

    A digest is due when its oldest held message has waited
    ``notify_digest_minutes`` (``force`` sends every held message now).
    """
    made = 0
    wait = f"INTERVAL '{int(settings.notify_digest_minutes)} minutes'"
    with store.write_lock, store.connect() as conn, conn.transaction():
        due = conn.fetchall(
            "SELECT target, max(message_id) FROM act_outbox WHERE status = 'held' "
            "AND channel = 'email' GROUP BY target"
            + (
                ""
                if force
                else f" HAVING min(created_at) <= current_timestamp - {wait}"
            )
        )
        for target, newest in due:
            held = conn.fetch_dicts(
                "SELECT message_id, subject FROM act_outbox WHERE status = 'held' "
                "AND target = ? AND message_id <= ? ORDER BY message_id",
                (target, newest),
            )
            lines = "\n".join(f"- {h['subject']}" for h in held)
            body = (
                f"{len(held)} notices since the last digest:\n\n{lines}\n\n"
                f"Open the inbox: {settings.public_url.rstrip('/')}/cases\n"
            )
            conn.execute(
                "INSERT INTO act_outbox (message_id, created_at, channel, target, "
                "event, subject, body, dedup_key, status, attempts, next_attempt_at) "
                "VALUES (nextval('act_outbox_seq'), current_timestamp, 'email', ?, "
                "'digest', ?, ?, ?, 'pending', 0, current_timestamp)",
                (
                    target,
                    f"[Esperia] digest: {len(held)} notices",
                    body,
                    f"digest:{target}:{newest}",
                ),
            )
            digest_id = conn.scalar(
                "SELECT message_id FROM act_outbox WHERE dedup_key = ?",
                (f"digest:{target}:{newest}",),
            )
            conn.execute(
                "UPDATE act_outbox SET status = 'digested', digest_of = ? "
                "WHERE status = 'held' AND target = ? AND message_id <= ?",
                (digest_id, target, newest),
            )
            made += 1
    return made
