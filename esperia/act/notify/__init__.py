"""Notifications: a durable outbox, SMTP e-mail, signed webhooks, a worker."""

from esperia.act.notify.deliver import DeliveryReport, compose_digests, deliver_due
from esperia.act.notify.outbox import (
    enqueue,
    enqueue_case_event,
    list_messages,
    outbox_counts,
    retry_message,
)
from esperia.act.notify.signing import sign, verify_signature
from esperia.act.notify.webhooks import create_webhook, delete_webhook, list_webhooks
from esperia.act.notify.worker import DeliveryWorker, run_once

__all__ = [
    "DeliveryReport",
    "DeliveryWorker",
    "compose_digests",
    "create_webhook",
    "delete_webhook",
    "deliver_due",
    "enqueue",
    "enqueue_case_event",
    "list_messages",
    "list_webhooks",
    "outbox_counts",
    "retry_message",
    "run_once",
    "sign",
    "verify_signature",
]
