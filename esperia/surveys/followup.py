"""The follow-up survey of a resolved recovery case: one invitation, one link.

Close the loop (:mod:`esperia.act.cases.contact`) calls :func:`followup_link`
when an agent asks for a follow-up. It creates a real invitation on the survey
named by ``act_followup_survey`` (default: the care example ``post-care`` when
it is stored) for the case's customer and touchpoint, due now, so the public
page answers it, `esperia surveys send` mails it and its answer is feedback
linked to the customer like any other. Consent is the surveys' rule
(marketing consent true, analytics consent not false); the contact-frequency
rule does not apply, since an agent asked for this survey after talking to the
customer. Act allows one follow-up per case.
"""

from __future__ import annotations

from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.store import Store
from esperia.surveys.invitations import invitation_link, new_token
from esperia.surveys.model import LANGS

__all__ = ["DEFAULT_FOLLOWUP_SURVEY", "followup_link"]

#: The shipped care survey ("Did we help you?"), used when none is configured.
DEFAULT_FOLLOWUP_SURVEY = "post-care"


def _survey_id(store: Store, settings: Settings) -> str | None:
    configured = settings.act_followup_survey
    wanted = configured or DEFAULT_FOLLOWUP_SURVEY
    with store.connect() as conn:
        found = conn.scalar("SELECT 1 FROM surveys WHERE survey_id = ?", (wanted,))
    if found is not None:
        return wanted
    if configured:
        raise InvalidInput(
            f"act_followup_survey = {configured!r}: no such survey "
            "(list them with `esperia surveys list`)"
        )
    return None


def followup_link(
    store: Store, settings: Settings, customer_id: str, case_id: int
) -> str | None:
    """The public link of the case's follow-up invitation (None: no survey)."""
    survey_id = _survey_id(store, settings)
    if survey_id is None:
        return None
    with store.write_lock, store.connect() as conn, conn.transaction():
        case = conn.fetchone(
            "SELECT touchpoint_id FROM act_cases WHERE case_id = ?", (int(case_id),)
        )
        who = conn.fetchone(
            "SELECT email, language, coalesce(consent_marketing, FALSE) AND "
            "coalesce(consent_analytics, TRUE) FROM customers WHERE customer_id = ?",
            (customer_id,),
        )
        if case is None or who is None:
            raise InvalidInput(f"case {case_id}: no customer {customer_id!r}")
        email, language, may_contact = who
        if not may_contact:
            raise InvalidInput(
                f"customer {customer_id!r} has not consented to be contacted "
                "(consent_marketing): no follow-up survey"
            )
        token = new_token()
        version = conn.scalar(
            "SELECT version FROM surveys WHERE survey_id = ?", (survey_id,)
        )
        conn.execute(
            "INSERT INTO survey_invitations (token, survey_id, survey_version, kind, "
            "customer_id, touchpoint_id, email, language, created_at, due_at) "
            "VALUES (?, ?, ?, 'invitation', ?, ?, ?, ?, current_timestamp, "
            "current_timestamp)",
            (
                token, survey_id, version, customer_id, case[0], email,
                language if language in LANGS else None,
            ),
        )  # fmt: skip
    return invitation_link(settings, token)
