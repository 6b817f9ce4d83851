"""What the assistant writes to the store, and the reads the agent view needs.

Conversations keep their dialogue state in the database (not in a process), so
any server process can continue any chat. Only redacted text is stored. When a
conversation ends it becomes experience data like any other contact: an
``interactions`` row (when the customer is known) and a ``feedback`` row with
source ``assistant`` carrying the CSAT answer and the customer's own words.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from esperia.store import Connection, Store

__all__ = [
    "HANDOVER_REASONS",
    "HANDOVER_STATUSES",
    "StaleConversation",
    "Turn",
    "add_example",
    "append_turn",
    "append_turns",
    "close_conversation",
    "conversation",
    "correct_intent",
    "corrections",
    "create_handover",
    "ensure_conversation",
    "handover",
    "handovers",
    "link_case",
    "list_conversations",
    "load_conversation",
    "messages",
    "new_conversation",
    "record_appointment",
    "save_state",
    "set_handover_status",
]

#: Why a chat went to a person.
HANDOVER_REASONS = (
    "complaint",
    "speak_to_person",
    "unsure",
    "verification_failed",
    "appointment_request",
)
#: A handover's life: waiting in the inbox, taken by an agent, done.
HANDOVER_STATUSES = ("open", "taken", "closed")


def _now() -> datetime:
    return datetime.now(UTC)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _decode(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Turn:
    """One message of a conversation, as stored (already redacted)."""

    role: str  #: customer | assistant
    text_redacted: str
    language: str | None = None
    intent: str | None = None
    confidence: float | None = None
    out_of_scope: bool | None = None
    citations: tuple[str, ...] = ()


class StaleConversation(Exception):
    """The conversation changed since it was read (another process or request)."""


def load_conversation(conn: Connection, conversation_id: str) -> dict[str, Any] | None:
    """The conversation's row, state decoded; None when it does not exist yet."""
    rows = conn.fetch_dicts(
        "SELECT conversation_id, started_at, channel, language, customer_id, "
        "status, messages, state FROM assistant_conversations "
        "WHERE conversation_id = ?",
        (conversation_id,),
    )
    if not rows:
        return None
    row = rows[0]
    row["state"] = _decode(row["state"]) or {}
    row["_stored_messages"] = int(row["messages"] or 0)
    return row


def new_conversation(
    conversation_id: str, channel: str, client_hash: str | None
) -> dict[str, Any]:
    """A conversation's first row, written with its first message's state."""
    return {
        "conversation_id": conversation_id,
        "started_at": _now(),
        "channel": channel,
        "client_hash": client_hash,
        "status": "open",
        "messages": 0,
        "customer_id": None,
        "language": None,
        "state": {},
        "_stored_messages": None,
    }


def ensure_conversation(
    conn: Connection, conversation_id: str, channel: str, client_hash: str | None
) -> dict[str, Any]:
    """The conversation's row (state decoded), or a new one not yet written."""
    found = load_conversation(conn, conversation_id)
    return found or new_conversation(conversation_id, channel, client_hash)


def append_turn(conn: Connection, conversation_id: str, seq: int, turn: Turn) -> None:
    append_turns(conn, conversation_id, [(seq, turn)])


def append_turns(
    conn: Connection, conversation_id: str, turns: Sequence[tuple[int, Turn]]
) -> None:
    """Several turns in one statement (one round trip per message, not two)."""
    if not turns:
        return
    now = _now()
    params: list[Any] = []
    for seq, turn in turns:
        params += [
            conversation_id,
            seq,
            now,
            turn.role,
            turn.text_redacted,
            turn.language,
            turn.intent,
            turn.confidence,
            turn.out_of_scope,
            ";".join(turn.citations) or None,
        ]
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(turns))
    try:
        conn.execute(
            "INSERT INTO assistant_messages (conversation_id, seq, sent_at, role, "
            "text_redacted, language, intent, confidence, out_of_scope, citations) "
            f"VALUES {values}",
            params,
        )
    except Exception as exc:
        # A taken (conversation, seq): the chat moved on since it was read.
        if _unique_violation(exc):
            raise StaleConversation(conversation_id) from exc
        raise


def _unique_violation(exc: BaseException) -> bool:
    import duckdb

    if isinstance(exc, duckdb.ConstraintException):
        return True
    try:
        from psycopg import errors
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, errors.UniqueViolation)


def save_state(
    conn: Connection,
    row: dict[str, Any],
    state: dict[str, Any],
    *,
    messages: int,
    language: str | None,
    customer_id: str | None,
    status: str,
) -> None:
    """Write the conversation's state: one INSERT for a new conversation, else
    one UPDATE guarded by the message count read (optimistic concurrency: a
    row changed meanwhile raises :class:`StaleConversation`)."""
    conversation_id = str(row["conversation_id"])
    now = _now()
    expected = row.get("_stored_messages")
    if expected is None:
        conn.execute(
            "INSERT INTO assistant_conversations (conversation_id, started_at, "
            "updated_at, channel, language, customer_id, status, client_hash, "
            "messages, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                row.get("started_at") or now,
                now,
                row.get("channel") or "api",
                language,
                customer_id,
                status,
                row.get("client_hash"),
                messages,
                _json(state),
            ),
        )
    elif not conn.execute_count(
        "UPDATE assistant_conversations SET state = ?, messages = ?, language = ?, "
        "customer_id = ?, status = ?, updated_at = ? "
        "WHERE conversation_id = ? AND messages = ?",
        (
            _json(state),
            messages,
            language,
            customer_id,
            status,
            now,
            conversation_id,
            expected,
        ),
    ):
        raise StaleConversation(conversation_id)
    row.update(
        state=state,
        messages=messages,
        language=language,
        customer_id=customer_id,
        status=status,
        _stored_messages=messages,
    )


def create_handover(
    conn: Connection,
    conversation_id: str,
    reason: str,
    *,
    language: str | None,
    customer_id: str | None,
    context: dict[str, Any],
) -> str:
    """A durable record for the agent inbox (the case inbox picks up ``open`` ones)."""
    handover_id = f"HO-{uuid.uuid4().hex[:12]}"
    lines = conn.fetchall(
        "SELECT role, text_redacted FROM assistant_messages "
        "WHERE conversation_id = ? ORDER BY seq",
        (conversation_id,),
    )
    transcript = "\n".join(f"{role}: {text}" for role, text in lines)
    now = _now()
    conn.execute(
        "INSERT INTO assistant_handovers (handover_id, conversation_id, created_at, "
        "reason, language, customer_id, context, transcript, status, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
        (
            handover_id,
            conversation_id,
            now,
            reason,
            language,
            customer_id,
            _json(context),
            transcript,
            now,
        ),
    )
    return handover_id


def _ensure_touchpoint(conn: Connection, touchpoint_id: str) -> None:
    if conn.scalar(
        "SELECT count(*) FROM touchpoints WHERE touchpoint_id = ?", (touchpoint_id,)
    ):
        return
    conn.execute(
        "INSERT INTO touchpoints (touchpoint_id, name, channel, contact, medium, "
        "stage, owner_team, promise, loaded_at) VALUES "
        "(?, 'Assistente virtuale', 'chat', 'direct', 'digital', 'service', "
        "'customer_care', 'an answer at any hour', ?)",
        (touchpoint_id, _now()),
    )


def record_appointment(
    conn: Connection,
    *,
    customer_id: str,
    touchpoint_id: str,
    conversation_id: str,
    details: dict[str, Any],
) -> str:
    """An appointment request as an interaction of the customer."""
    _ensure_touchpoint(conn, touchpoint_id)
    interaction_id = f"AST-APPT-{uuid.uuid4().hex[:12]}"
    conn.execute(
        "INSERT INTO interactions (interaction_id, customer_id, touchpoint_id, "
        "occurred_at, type, outcome, properties, loaded_at) "
        "VALUES (?, ?, ?, ?, 'appointment', 'requested', ?, ?)",
        (
            interaction_id,
            customer_id,
            touchpoint_id,
            _now(),
            _json({**details, "conversation_id": conversation_id}),
            _now(),
        ),
    )
    return interaction_id


def close_conversation(
    conn: Connection,
    row: dict[str, Any],
    *,
    touchpoint_id: str,
    outcome: str,
    csat: int | None,
    customer_text: str,
    intents: list[str],
    sentiment: float | None,
) -> tuple[str | None, str]:
    """End the chat: an interaction (known customer) and a feedback row."""
    conversation_id = str(row["conversation_id"])
    customer_id = row.get("customer_id")
    now = _now()
    started = row.get("started_at") or now
    duration = max(0.0, (now - started).total_seconds()) if started else None
    _ensure_touchpoint(conn, touchpoint_id)
    interaction_id = None
    props = {
        "conversation_id": conversation_id,
        "intents": intents,
        "channel": row.get("channel"),
        "reason": intents[0] if intents else None,
    }
    if customer_id:
        interaction_id = f"AST-{conversation_id}"
        conn.execute(
            "INSERT INTO interactions (interaction_id, customer_id, touchpoint_id, "
            "occurred_at, type, outcome, duration_s, wait_s, properties, loaded_at) "
            "VALUES (?, ?, ?, ?, 'chat', ?, ?, 0, ?, ?)",
            (
                interaction_id,
                customer_id,
                touchpoint_id,
                started,
                outcome,
                duration,
                _json(props),
                now,
            ),
        )
    feedback_id = f"AST-{conversation_id}"
    feedback_props = {**props, "outcome": outcome}
    if sentiment is not None:
        feedback_props["sentiment"] = sentiment
    conn.execute(
        "INSERT INTO feedback (feedback_id, received_at, source, customer_id, "
        "touchpoint_id, interaction_id, csat, text, language, properties, loaded_at) "
        "VALUES (?, ?, 'assistant', ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            feedback_id,
            now,
            customer_id,
            touchpoint_id,
            interaction_id,
            csat,
            customer_text or None,
            row.get("language"),
            _json(feedback_props),
            now,
        ),
    )
    conn.execute(
        "UPDATE assistant_conversations SET ended_at = ?, outcome = ?, csat = ?, "
        "interaction_id = ?, feedback_id = ?, status = 'closed', updated_at = ? "
        "WHERE conversation_id = ?",
        (now, outcome, csat, interaction_id, feedback_id, now, conversation_id),
    )
    return interaction_id, feedback_id


# ------------------------------------------------------------------ agent reads
def list_conversations(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return conn.fetch_dicts(
            "SELECT conversation_id, started_at, updated_at, channel, language, "
            "customer_id, status, outcome, csat, messages FROM assistant_conversations "
            "ORDER BY updated_at DESC LIMIT ?",
            (max(1, int(limit)),),
        )


def conversation(store: Store, conversation_id: str) -> dict[str, Any] | None:
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT conversation_id, started_at, updated_at, ended_at, channel, "
            "language, customer_id, status, outcome, csat, messages, interaction_id, "
            "feedback_id FROM assistant_conversations WHERE conversation_id = ?",
            (conversation_id,),
        )
    return rows[0] if rows else None


def messages(store: Store, conversation_id: str) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return conn.fetch_dicts(
            "SELECT seq, sent_at, role, text_redacted, language, intent, confidence, "
            "out_of_scope, citations, corrected_intent FROM assistant_messages "
            "WHERE conversation_id = ? ORDER BY seq",
            (conversation_id,),
        )


def handovers(
    store: Store, status: str | None = "open", limit: int = 100
) -> list[dict[str, Any]]:
    sql = (
        "SELECT handover_id, conversation_id, created_at, reason, language, "
        "customer_id, context, transcript, status, taken_by, case_id, updated_at "
        "FROM assistant_handovers"
    )
    params: list[Any] = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    sql += " ORDER BY created_at DESC LIMIT ?"
    params.append(max(1, int(limit)))
    with store.connect() as conn:
        rows = conn.fetch_dicts(sql, params)
    for row in rows:
        row["context"] = _decode(row["context"]) or {}
    return rows


def handover(store: Store, handover_id: str) -> dict[str, Any] | None:
    """One handover with its context, transcript and case."""
    with store.pooled() as conn:
        rows = conn.fetch_dicts(
            "SELECT handover_id, conversation_id, created_at, reason, language, "
            "customer_id, context, transcript, status, taken_by, case_id, updated_at "
            "FROM assistant_handovers WHERE handover_id = ?",
            (handover_id,),
        )
    if not rows:
        return None
    rows[0]["context"] = _decode(rows[0]["context"]) or {}
    return rows[0]


def link_case(store: Store, handover_id: str, case_id: str) -> None:
    """Record the close-the-loop case opened for a handover."""
    with store.write_lock, store.pooled() as conn:
        conn.execute(
            "UPDATE assistant_handovers SET case_id = ?, updated_at = ? "
            "WHERE handover_id = ?",
            (case_id, _now(), handover_id),
        )


def set_handover_status(
    store: Store, handover_id: str, status: str, actor: str, case_id: str | None = None
) -> bool:
    with store.connect() as conn:
        return (
            conn.execute_count(
                "UPDATE assistant_handovers SET status = ?, taken_by = ?, "
                "case_id = coalesce(?, case_id), updated_at = ? WHERE handover_id = ?",
                (status, actor, case_id, _now(), handover_id),
            )
            > 0
        )


def add_example(
    conn: Connection,
    text: str,
    label: str,
    language: str | None,
    source: str,
    actor: str | None,
) -> str:
    example_id = f"EX-{uuid.uuid4().hex[:12]}"
    conn.execute(
        "INSERT INTO assistant_examples (example_id, text, label, language, source, "
        "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (example_id, text, label, language, source, _now(), actor),
    )
    return example_id


def correct_intent(
    store: Store, conversation_id: str, seq: int, label: str, actor: str
) -> str | None:
    """Mark a customer message's right intent and keep it as a training example."""
    with store.write_lock, store.connect() as conn, conn.transaction():
        row = conn.fetchone(
            "SELECT text_redacted, language FROM assistant_messages "
            "WHERE conversation_id = ? AND seq = ? AND role = 'customer'",
            (conversation_id, seq),
        )
        if row is None:
            return None
        conn.execute(
            "UPDATE assistant_messages SET corrected_intent = ? "
            "WHERE conversation_id = ? AND seq = ?",
            (label, conversation_id, seq),
        )
        return add_example(conn, row[0], label, row[1], "correction", actor)


def corrections(store: Store) -> list[tuple[str, str]]:
    """Every stored training example (text, label), oldest first."""
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT text, label FROM assistant_examples ORDER BY created_at"
        )
    return [(str(t), str(label)) for t, label in rows]
