"""Notifications: queued while receivers are down, delivered exactly once after."""

from __future__ import annotations

import json
import time
from email import message_from_bytes

import pytest
from support.act_data import seed_world
from support.receivers import SmtpSink, WebhookSink, free_port

from esperia.act.notify import (
    compose_digests,
    create_webhook,
    deliver_due,
    list_messages,
    outbox_counts,
    retry_message,
    sign,
    verify_signature,
)
from esperia.act.rules import parse_rules, run_rules, save_rules
from esperia.auth.teams import create_team

RULES = """
- {id: late, on: interaction, when: {broken_promise: true, stage_in: [delivery]}}
- {id: unanswered, on: interaction, when: {complaint_unanswered_hours: 48}}
- {id: detractor, on: feedback, when: {nps_at_most: 6}}
"""


@pytest.fixture
def sinks():
    smtp, hook = SmtpSink(free_port()), WebhookSink(free_port())
    yield smtp, hook
    smtp.stop()
    hook.stop()


def test_down_receivers_queue_then_deliver_exactly_once(store, settings, sinks):
    smtp, hook = sinks
    settings = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_starttls": False,
            "notify_backoff_s": 0.0,
            "smtp_timeout_s": 2.0,
        }
    )
    seed_world(store, settings)
    create_team(store, "logistics", email="logistica@example.it")
    create_team(store, "customer_care", email="care@example.it")
    subscription = create_webhook(store, hook.url, ["case.created"], actor="test")
    save_rules(store, parse_rules(RULES))
    result = run_rules(store, settings)
    assert result.created == 3
    queued = outbox_counts(store)
    # 3 webhook posts; e-mails for the two teams that have an address (the
    # detractor's shop team, store_ops, has none).
    assert queued == {"pending": 5}

    down = deliver_due(store, settings)
    assert down.sent == 0 and down.failed == 5
    assert outbox_counts(store) == {"pending": 5}
    assert all(m["attempts"] == 1 and m["last_error"] for m in list_messages(store))

    smtp.start()
    hook.start()
    up = deliver_due(store, settings)
    assert up.sent == 5 and up.failed == 0
    again = deliver_due(store, settings)
    assert again.sent == 0
    assert outbox_counts(store) == {"sent": 5}
    assert len(smtp.messages) == 2
    assert len(hook.requests) == 3
    recipients = sorted(message_from_bytes(m)["To"] for m in smtp.messages)
    assert recipients == ["care@example.it", "logistica@example.it"]
    cases = set()
    for request in hook.requests:
        headers = request["headers"]
        assert verify_signature(
            subscription["secret"], headers["X-Esperia-Timestamp"], request["body"],
            headers["X-Esperia-Signature"],
        )  # fmt: skip
        assert not verify_signature(
            "another-secret", headers["X-Esperia-Timestamp"], request["body"],
            headers["X-Esperia-Signature"],
        )  # fmt: skip
        payload = json.loads(request["body"])
        assert payload["event"] == "case.created"
        cases.add(payload["case"]["case_id"])
    assert cases == set(result.case_ids)


def test_the_documented_verification_recipe():
    """docs/act.md's recipe, written out with hmac/hashlib only."""
    import hashlib
    import hmac

    secret, body, stamp = "s3cret", b'{"event": "case.created"}', int(time.time())
    header = sign(secret, stamp, body)
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    assert header == "sha256=" + mac.hexdigest()
    assert verify_signature(secret, str(stamp), body, header)
    assert not verify_signature(secret, str(stamp), body + b" ", header)
    assert not verify_signature(secret, str(stamp - 3600), body, header)


def test_failures_back_off_then_go_to_dead_letters(store, settings, sinks):
    _, hook = sinks
    settings = settings.model_copy(
        update={"notify_backoff_s": 0.0, "notify_max_attempts": 2}
    )
    seed_world(store, settings)
    create_webhook(store, hook.url, ["*"], actor="test")
    save_rules(store, parse_rules(RULES))
    run_rules(store, settings)
    first = deliver_due(store, settings)
    assert first.failed == 3
    second = deliver_due(store, settings)
    assert second.dead == 3
    dead = list_messages(store, "dead")
    assert len(dead) == 3 and all("webhook" in d["last_error"] for d in dead)
    hook.start()
    assert deliver_due(store, settings).sent == 0  # dead letters stay put
    retry_message(store, int(dead[0]["message_id"]), actor="test")
    assert deliver_due(store, settings).sent == 1
    assert len(hook.requests) == 1


def test_backoff_waits_before_the_next_attempt(store, settings, sinks):
    _, hook = sinks
    settings = settings.model_copy(update={"notify_backoff_s": 3600.0})
    seed_world(store, settings)
    create_webhook(store, hook.url, ["*"], actor="test")
    save_rules(store, parse_rules(RULES))
    run_rules(store, settings)
    assert deliver_due(store, settings).failed == 3
    hook.start()
    assert deliver_due(store, settings).sent == 0  # not due for an hour
    assert hook.requests == []


def test_digest_folds_a_teams_notices_into_one_mail(store, settings, sinks):
    smtp, _ = sinks
    settings = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_starttls": False,
        }
    )
    seed_world(store, settings)
    create_team(store, "logistics", email="logistica@example.it", digest=True)
    create_team(store, "customer_care", email="care@example.it", digest=True)
    create_team(store, "store_ops", email="shops@example.it", digest=False)
    save_rules(store, parse_rules(RULES))
    run_rules(store, settings)
    assert outbox_counts(store) == {"held": 2, "pending": 1}
    assert compose_digests(store, settings) == 0  # not an hour old yet
    assert compose_digests(store, settings, force=True) == 2
    smtp.start()
    assert deliver_due(store, settings).sent == 3
    subjects = sorted(message_from_bytes(m)["Subject"] for m in smtp.messages)
    assert subjects[0].startswith("[Esperia] case")
    assert subjects[1] == "[Esperia] digest: 1 notices"
    assert outbox_counts(store) == {"digested": 2, "sent": 3}
