"""Sending invitations by e-mail through the SMTP server the settings name."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from esperia.config import Settings
from esperia.errors import EsperiaError, InvalidInput
from esperia.store import Store
from esperia.surveys.catalog import get_survey
from esperia.surveys.invitations import invitation_link
from esperia.surveys.model import Survey

__all__ = ["MailError", "SendResult", "compose_invitation", "send_invitations"]

_DEFAULT_BODY = {
    "it": "Buongiorno,\n\nci dedica due minuti per dirci com'è andata?\n\n{link}\n\n"
    "Il link è personale e vale per una sola risposta.",
    "en": "Hello,\n\nwould you spare two minutes to tell us how it went?\n\n{link}\n\n"
    "The link is personal and takes one answer.",
}


class MailError(EsperiaError, RuntimeError):
    """The SMTP server could not be reached or refused the messages."""

    status_code = 502
    code = "mail_failed"


@dataclass
class SendResult:
    survey_id: str
    sent: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compose_invitation(
    settings: Settings, survey: Survey, token: str, email: str, language: str
) -> EmailMessage:
    """The invitation e-mail in the customer's language, with the one-time link."""
    lang = language if language in survey.title else survey.default_language
    link = invitation_link(settings, token)
    message = EmailMessage()
    message["Subject"] = survey.email_subject.get(lang) or survey.title[lang]
    message["From"] = settings.smtp_from
    message["To"] = email
    message["Message-ID"] = make_msgid(domain="esperia.invalid")
    body = survey.email_body.get(lang) or _DEFAULT_BODY.get(lang, _DEFAULT_BODY["en"])
    message.set_content(body.replace("{link}", link))
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    if not settings.smtp_host:
        raise InvalidInput(
            "no SMTP server configured: set smtp_host (and smtp_port, smtp_user, "
            "smtp_password, smtp_from) in esperia.toml or ESPERIA_SMTP_HOST, or "
            "export the invitations as CSV for a mailing tool"
        )
    try:
        client = smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s
        )
        if settings.smtp_starttls:
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            password = settings.smtp_password
            client.login(
                settings.smtp_user, password.get_secret_value() if password else ""
            )
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            f"cannot use the SMTP server {settings.smtp_host}:{settings.smtp_port}: "
            f"{exc}"
        ) from None
    return client


def send_invitations(
    store: Store,
    settings: Settings,
    survey_id: str,
    *,
    now: datetime | None = None,
    limit: int | None = None,
) -> SendResult:
    """Send every due, unsent invitation that has an e-mail address.

    Each invitation is marked sent right after the server accepts it, so an
    interrupted run never sends one twice.
    """
    survey = get_survey(store, survey_id)
    now = now or datetime.now(UTC)
    sql = (
        "SELECT token, email, language FROM survey_invitations WHERE survey_id = ? "
        "AND kind = 'invitation' AND sent_at IS NULL AND completed_at IS NULL "
        "AND email IS NOT NULL AND email <> '' AND due_at <= ? ORDER BY due_at, token"
    )
    params: list[Any] = [survey_id, now]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    with store.connect() as conn:
        rows = conn.fetchall(sql, params)
    result = SendResult(survey_id)
    if not rows:
        return result
    client = _connect(settings)
    try:
        for token, email, language in rows:
            message = compose_invitation(settings, survey, token, email, language)
            try:
                client.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                result.failed.append({"email": email, "error": str(exc.recipients)})
                continue
            except smtplib.SMTPException as exc:
                raise MailError(f"the SMTP server stopped the sending: {exc}") from None
            with store.connect() as conn:
                conn.execute(
                    "UPDATE survey_invitations SET sent_at = current_timestamp "
                    "WHERE token = ?",
                    (token,),
                )
            result.sent += 1
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            client.close()
    return result
