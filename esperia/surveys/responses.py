"""Answering a survey: screens, skip logic, answers kept per step, completion.

Answers are saved after every screen (so a respondent who leaves can come back
to where they were), and a skipped optional question is stored as an empty
answer so the flow knows it was seen. On the last screen the response becomes
one ``feedback`` row (source ``survey``, linked to the customer, interaction and
touchpoint of the invitation) plus ``feedback_items`` rows, in one transaction
that also closes the token: a link takes one response.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from esperia.errors import Conflict, InvalidInput, NotFound
from esperia.store import Connection, Store
from esperia.surveys.catalog import get_survey
from esperia.surveys.model import LANGS, SCALED_TYPES, Question, Survey

__all__ = [
    "MAX_TEXT",
    "Response",
    "load_response",
    "set_language",
    "submit_screen",
]

#: Longest free-text answer kept, in characters.
MAX_TEXT = 5000


@dataclass
class Response:
    """One token's response in progress (or done)."""

    token: str
    survey: Survey
    language: str
    kind: str
    customer_id: str | None
    interaction_id: str | None
    touchpoint_id: str | None
    completed: bool
    feedback_id: str | None
    #: question id → answer (None for seen but skipped).
    answers: dict[str, Any] = field(default_factory=dict)

    def visible(self, screen: list[Question]) -> list[Question]:
        return [q for q in screen if q.visible(self.answers)]

    def current_step(self) -> int | None:
        """Index of the first screen still waiting for answers; None when done."""
        for n, screen in enumerate(self.survey.groups()):
            shown = self.visible(screen)
            if shown and any(q.id not in self.answers for q in shown):
                return n
        return None

    def steps(self) -> list[int]:
        """Indexes of the screens this respondent sees, given answers so far."""
        return [n for n, s in enumerate(self.survey.groups()) if self.visible(s)]


def load_response(store: Store, token: str, *, mark_opened: bool = True) -> Response:
    """The response behind ``token``; :class:`NotFound` for an unknown token."""
    with store.connect() as conn:
        row = conn.fetchone(
            "SELECT survey_id, language, kind, customer_id, interaction_id, "
            "touchpoint_id, completed_at, feedback_id, opened_at "
            "FROM survey_invitations WHERE token = ?",
            (token,),
        )
        if row is None:
            raise NotFound("this survey link is not valid")
        answers = {
            qid: json.loads(value) if value is not None else None
            for qid, value in conn.fetchall(
                "SELECT question_id, value FROM survey_answers WHERE token = ?",
                (token,),
            )
        }
        if mark_opened and row[8] is None:
            conn.execute(
                "UPDATE survey_invitations SET opened_at = current_timestamp "
                "WHERE token = ? AND opened_at IS NULL",
                (token,),
            )
    survey = get_survey(store, row[0])
    lang = row[1] if row[1] in LANGS else survey.default_language
    return Response(
        token=token, survey=survey, language=lang, kind=row[2], customer_id=row[3],
        interaction_id=row[4], touchpoint_id=row[5], completed=row[6] is not None,
        feedback_id=row[7], answers=answers,
    )  # fmt: skip


def _parse(question: Question, raw: list[str]) -> tuple[Any, str | None]:
    """(answer, error key) for one question's submitted form values."""
    values = [v.strip() for v in raw if v is not None and v.strip()]
    if not values:
        return None, "survey.required" if question.required else None
    if question.type in SCALED_TYPES:
        scale = question.scale
        assert scale is not None
        try:
            number = int(values[0])
        except ValueError:
            return None, "survey.invalid"
        if not scale[0] <= number <= scale[1]:
            return None, "survey.invalid"
        return number, None
    allowed = [o.value for o in question.options]
    if question.type == "single":
        return (values[0], None) if values[0] in allowed else (None, "survey.invalid")
    if question.type == "multiple":
        if any(v not in allowed for v in values):
            return None, "survey.invalid"
        return [v for v in allowed if v in values], None
    text = values[0]
    if len(text) > MAX_TEXT:
        return None, "survey.too_long"
    return text, None


def submit_screen(
    store: Store, token: str, step: int, form: dict[str, list[str]]
) -> tuple[Response, dict[str, str]]:
    """Save one screen's answers; complete the response after the last screen.

    Returns the response and the errors per question id (nothing is saved when
    there are errors, so the screen is shown again with them).
    """
    response = load_response(store, token, mark_opened=False)
    if response.completed:
        raise Conflict("this survey has already been answered")
    screens = response.survey.groups()
    current = response.current_step()
    if not 0 <= step < len(screens) or (current is not None and step > current):
        raise InvalidInput(f"there is no screen {step} to answer yet")
    shown = response.visible(screens[step])
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for question in shown:
        value, error = _parse(question, form.get(f"q_{question.id}", []))
        if error:
            errors[question.id] = error
        parsed[question.id] = value
    if errors:
        return response, errors
    answers = {**response.answers, **parsed}
    # Answers to questions that the new answers hide are dropped: skip logic
    # decides what was asked, and a hidden question's old answer would lie.
    stale = [
        q.id
        for q in response.survey.questions
        if q.id in answers and not q.visible(answers)
    ]
    for qid in stale:
        answers.pop(qid)
    with store.write_lock, store.connect() as conn, conn.transaction():
        done = conn.scalar(
            "SELECT completed_at FROM survey_invitations WHERE token = ?", (token,)
        )
        if done is not None:
            raise Conflict("this survey has already been answered")
        for qid in stale:
            conn.execute(
                "DELETE FROM survey_answers WHERE token = ? AND question_id = ?",
                (token, qid),
            )
        for qid, value in parsed.items():
            conn.execute(
                "INSERT INTO survey_answers (token, question_id, value, answered_at) "
                "VALUES (?, ?, ?, current_timestamp) ON CONFLICT (token, question_id) "
                "DO UPDATE SET value = excluded.value, "
                "answered_at = excluded.answered_at",
                (token, qid, None if value is None else json.dumps(value)),
            )
        response.answers = answers
        if response.current_step() is None:
            _complete(conn, response)
    return response, {}


def _complete(conn: Connection, response: Response) -> None:
    """Turn the answers into feedback + feedback_items and close the token."""
    survey = response.survey
    feedback_id = f"svy-{survey.id}-{secrets.token_hex(6)}"
    closed = conn.execute_count(
        "UPDATE survey_invitations SET completed_at = current_timestamp, "
        "feedback_id = ? WHERE token = ? AND completed_at IS NULL",
        (feedback_id, response.token),
    )
    if closed != 1:
        raise Conflict("this survey has already been answered")
    columns: dict[str, Any] = {"nps": None, "csat": None, "ces": None, "rating": None}
    texts: list[str] = []
    items: list[tuple[Any, ...]] = []
    for q in survey.questions:
        value = response.answers.get(q.id)
        if value is None or not q.visible(response.answers):
            continue
        name = q.item_name(survey.id)
        if q.type in SCALED_TYPES:
            key = q.type if q.type in columns else None
            if key is not None and columns[key] is None:
                columns[key] = value
            scale = q.scale
            assert scale is not None
            items.append((name, float(value), scale[0], scale[1], None))
        elif q.type == "single":
            position = [o.value for o in q.options].index(value) + 1
            items.append((name, float(position), 1.0, float(len(q.options)), value))
        elif q.type == "multiple":
            items.extend((name, 1.0, 0.0, 1.0, choice) for choice in value)
        else:
            texts.append(str(value))
            items.append((name, None, None, None, value))
    properties = {
        "survey_id": survey.id,
        "topic": survey.topic,
        "response": response.kind,
    }
    conn.execute(
        "INSERT INTO feedback (feedback_id, received_at, source, customer_id, "
        "touchpoint_id, interaction_id, nps, csat, ces, rating, text, language, "
        "properties, loaded_at) VALUES (?, current_timestamp, 'survey', ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, current_timestamp)",
        (
            feedback_id, response.customer_id, response.touchpoint_id,
            response.interaction_id, columns["nps"], columns["csat"], columns["ces"],
            columns["rating"], "\n\n".join(texts) or None, response.language,
            json.dumps(properties, ensure_ascii=False),
        ),
    )  # fmt: skip
    for item in items:
        conn.execute(
            "INSERT INTO feedback_items (feedback_id, item, value, scale_min, "
            "scale_max, text_value) VALUES (?, ?, ?, ?, ?, ?)",
            (feedback_id, *item),
        )
    response.completed = True
    response.feedback_id = feedback_id


def set_language(store: Store, token: str, language: str) -> None:
    """Remember the language a respondent switched to."""
    if language not in LANGS:
        return
    with store.connect() as conn:
        conn.execute(
            "UPDATE survey_invitations SET language = ? WHERE token = ?",
            (language, token),
        )
