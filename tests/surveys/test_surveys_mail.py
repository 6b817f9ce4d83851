"""Invitations sent through a real SMTP server (aiosmtpd on a free local port)."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from support.surveys_time import NOW

from esperia.errors import InvalidInput
from esperia.surveys import (
    MailError,
    create_invitations,
    get_survey,
    list_invitations,
    save_survey,
    send_invitations,
)


class _Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _mail_settings(settings, port):
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "smtp_from": "Libreria Esperia <ciao@libreria.example>",
            "public_url": "https://feedback.libreria.example/",
        }
    )


def test_due_invitations_are_sent_once_in_the_customers_language(
    bookshop, settings, smtp
):
    inbox, port = smtp
    survey = get_survey(bookshop, "post-delivery")
    assert survey.trigger is not None
    trigger = dataclasses.replace(survey.trigger, sample=1.0)
    save_survey(bookshop, dataclasses.replace(survey, trigger=trigger))
    mail = _mail_settings(settings, port)
    created = create_invitations(bookshop, mail, "post-delivery", now=NOW).created
    assert created == 10
    result = send_invitations(bookshop, mail, "post-delivery", now=NOW)
    assert (result.sent, result.failed) == (created, [])
    assert len(inbox.messages) == created
    invited = {r["email"]: r for r in list_invitations(bookshop, mail, "post-delivery")}
    for message, (sender, rcpts) in zip(inbox.messages, inbox.envelopes, strict=True):
        row = invited[rcpts[0]]
        assert sender == "ciao@libreria.example"
        assert message["To"] == row["email"]
        body = message.get_body().get_content()
        assert f"https://feedback.libreria.example/s/{row['token']}" in body
        if row["language"] == "en":
            assert message["Subject"] == "Libreria Esperia: how did the delivery go?"
        else:
            assert message["Subject"] == "Libreria Esperia: com'è andata la consegna?"
    assert all(r["sent_at"] for r in invited.values())
    again = send_invitations(bookshop, mail, "post-delivery", now=NOW)
    assert again.sent == 0
    assert len(inbox.messages) == created


def test_invitations_not_yet_due_wait(bookshop, settings, smtp):
    inbox, port = smtp
    mail = _mail_settings(settings, port)
    create_invitations(bookshop, mail, "post-delivery", now=NOW)
    early = NOW.replace(year=2024)
    assert send_invitations(bookshop, mail, "post-delivery", now=early).sent == 0
    assert inbox.messages == []


def test_no_smtp_server_configured(bookshop, settings):
    create_invitations(bookshop, settings, "post-delivery", now=NOW)
    with pytest.raises(InvalidInput, match="no SMTP server configured"):
        send_invitations(bookshop, settings, "post-delivery", now=NOW)


def test_unreachable_smtp_server(bookshop, settings):
    mail = _mail_settings(settings, _free_port())
    create_invitations(bookshop, mail, "post-delivery", now=NOW)
    with pytest.raises(MailError, match=r"cannot use the SMTP server 127\.0\.0\.1"):
        send_invitations(bookshop, mail, "post-delivery", now=NOW)
