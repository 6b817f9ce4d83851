"""What an agent does with the customer: log a callback or an e-mail, ask for a
follow-up survey. Contacts become interactions, so they show in the journey
and answer a pending complaint like any other reply.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from esperia.act.access import Viewer
from esperia.act.cases.service import _history, _load, _responded
from esperia.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Connection, Store

__all__ = ["CONTACT_KINDS", "CONTACT_OUTCOMES", "log_contact", "request_followup"]

#: Contact kind → (interaction type, touchpoint id, touchpoint channel).
CONTACT_KINDS: dict[str, tuple[str, str, str]] = {
    "callback": ("callback", "esperia-recovery-phone", "phone"),
    "email": ("email", "esperia-recovery-email", "email"),
}
CONTACT_OUTCOMES = ("answered", "no_answer", "left_message")


def _ensure_touchpoint(
    conn: Connection, touchpoint_id: str, channel: str, team: str
) -> None:
    if conn.scalar(
        "SELECT count(*) FROM touchpoints WHERE touchpoint_id = ?", (touchpoint_id,)
    ):
        return
    conn.execute(
        "INSERT INTO touchpoints (touchpoint_id, name, channel, contact, medium, "
        "stage, owner_team, loaded_at) VALUES (?, ?, ?, 'direct', 'digital', "
        "'service', ?, current_timestamp)",
        (touchpoint_id, f"Recovery {channel} (Esperia cases)", channel, team),
    )


def log_contact(
    store: Store,
    viewer: Viewer,
    case_id: int,
    kind: str,
    *,
    outcome: str = "answered",
    note: str | None = None,
) -> dict[str, Any]:
    """Record a callback or e-mail to the customer as an interaction."""
    viewer.require_write()
    if kind not in CONTACT_KINDS:
        raise InvalidInput(f"contact {kind!r}: choose {', '.join(CONTACT_KINDS)}")
    if outcome not in CONTACT_OUTCOMES:
        raise InvalidInput(f"outcome {outcome!r}: choose {', '.join(CONTACT_OUTCOMES)}")
    interaction_type, touchpoint_id, channel = CONTACT_KINDS[kind]
    with store.write_lock, store.connect() as conn, conn.transaction():
        case = _load(conn, case_id)
        viewer.check_team(str(case["team"]))
        if case["status"] == "closed":
            raise Conflict("the case is closed")
        _ensure_touchpoint(conn, touchpoint_id, channel, str(case["team"]))
        serial = int(conn.scalar("SELECT nextval('act_event_seq')"))
        interaction_id = f"case-{case_id}-{serial}"
        properties = json.dumps({"case_id": int(case_id), "by": viewer.actor})
        conn.execute(
            "INSERT INTO interactions (interaction_id, customer_id, touchpoint_id, "
            "occurred_at, type, outcome, properties, loaded_at) VALUES (?, ?, ?, "
            "current_timestamp, ?, ?, ?, current_timestamp)",
            (interaction_id, case["customer_id"], touchpoint_id, interaction_type,
             outcome, properties),
        )  # fmt: skip
        conn.execute(
            "UPDATE act_cases SET updated_at = current_timestamp WHERE case_id = ?",
            (int(case_id),),
        )
        _responded(conn, case)
        summary = f"{kind} ({outcome}) {note or ''}".strip()
        _history(conn, int(case_id), viewer.actor, "contact", "interaction",
                 None, interaction_id, summary)  # fmt: skip
    return {
        "interaction_id": interaction_id,
        "type": interaction_type,
        "outcome": outcome,
    }


def request_followup(
    store: Store, settings: Settings, viewer: Viewer, case_id: int
) -> dict[str, Any]:
    """Ask the customer, after resolution, how it went.

    When a survey service is installed (``esperia.surveys`` with
    ``followup_link(store, settings, customer_id, case_id)``) the link it makes
    is kept; otherwise the request is recorded for whoever sends surveys.
    """
    viewer.require_write()
    with store.write_lock, store.connect() as conn, conn.transaction():
        case = _load(conn, case_id)
        viewer.check_team(str(case["team"]))
        if case["status"] not in ("resolved", "closed"):
            raise Conflict("a follow-up survey is sent after the case is resolved")
        if conn.scalar(
            "SELECT count(*) FROM act_followups WHERE case_id = ?", (case_id,)
        ):
            raise Conflict("a follow-up was already requested for this case")
    link = _survey_link(store, settings, str(case["customer_id"]), int(case_id))
    status = "link_created" if link else "requested"
    with store.write_lock, store.connect() as conn, conn.transaction():
        conn.execute(
            "INSERT INTO act_followups (case_id, requested_at, requested_by, link, "
            "status) VALUES (?, current_timestamp, ?, ?, ?)",
            (int(case_id), viewer.actor, link, status),
        )
        _history(conn, int(case_id), viewer.actor, "followup", "followup", None, status)
    return {"case_id": int(case_id), "status": status, "link": link}


def _survey_link(
    store: Store, settings: Settings, customer_id: str, case_id: int
) -> str | None:
    try:
        from esperia import surveys
    except ImportError:
        return None
    maker = getattr(surveys, "followup_link", None)
    if maker is None:
        return None
    link = maker(store, settings, customer_id, case_id)
    return str(link) if link else None
