"""Results of one survey: reach, answer distributions, NPS/CSAT/CES as plain counts.

Only completed responses count. These are the survey's own figures, simple on
purpose; confidence intervals, trends and combined programmes are the metrics
engine's job (it reads the same answers from ``feedback``/``feedback_items``).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from esperia.store import Store
from esperia.surveys.catalog import get_survey
from esperia.surveys.model import SCALED_TYPES, Question

__all__ = ["list_responses", "survey_results"]


def _reach(store: Store, survey_id: str) -> dict[str, Any]:
    sql = """
        SELECT kind, count(*) AS total, count(sent_at) AS sent,
               count(opened_at) AS opened, count(completed_at) AS completed
        FROM survey_invitations WHERE survey_id = ? GROUP BY kind
    """
    with store.connect() as conn:
        rows = {r["kind"]: r for r in conn.fetch_dicts(sql, (survey_id,))}
    inv = rows.get("invitation", {})
    total = int(inv.get("total", 0))
    completed = int(inv.get("completed", 0))
    return {
        "invitations": total,
        "sent": int(inv.get("sent", 0)),
        "opened": int(inv.get("opened", 0)),
        "completed": completed,
        "response_rate": completed / total if total else None,
        "open_link_responses": int(rows.get("open", {}).get("completed", 0)),
    }


def _summary(question: Question, counts: Counter[Any]) -> dict[str, Any]:
    n = sum(counts.values())
    out: dict[str, Any] = {}
    if not n or question.type not in SCALED_TYPES:
        return out
    total = sum(int(v) * c for v, c in counts.items())
    out["mean"] = total / n
    if question.type == "nps":
        promoters = sum(c for v, c in counts.items() if int(v) >= 9)
        detractors = sum(c for v, c in counts.items() if int(v) <= 6)
        out.update(
            promoters=promoters,
            passives=n - promoters - detractors,
            detractors=detractors,
            nps=100.0 * (promoters - detractors) / n,
        )
    elif question.type == "csat":
        satisfied = sum(c for v, c in counts.items() if int(v) >= 4)
        out.update(satisfied=satisfied, csat=100.0 * satisfied / n)
    elif question.type == "ces":
        out["ces"] = out["mean"]
    return out


def survey_results(store: Store, survey_id: str) -> dict[str, Any]:
    """Reach and, per question, the count of each answer and the headline score."""
    survey = get_survey(store, survey_id)
    sql = """
        SELECT a.question_id, a.value, count(*) AS n
        FROM survey_answers a JOIN survey_invitations i ON i.token = a.token
        WHERE i.survey_id = ? AND i.completed_at IS NOT NULL AND a.value IS NOT NULL
        GROUP BY a.question_id, a.value
    """
    with store.connect() as conn:
        rows = conn.fetchall(sql, (survey_id,))
    per_question: dict[str, Counter[Any]] = {q.id: Counter() for q in survey.questions}
    texts: dict[str, list[str]] = {}
    for qid, raw, n in rows:
        if qid not in per_question:
            continue  # a question since removed from the survey
        value = json.loads(raw)
        if isinstance(value, list):
            for choice in value:
                per_question[qid][choice] += int(n)
        elif survey.question(qid).type == "text":
            texts.setdefault(qid, []).append(str(value))
            per_question[qid]["answered"] += int(n)
        else:
            per_question[qid][value] += int(n)
    questions = []
    for q in survey.questions:
        counts = per_question[q.id]
        if q.type in SCALED_TYPES:
            scale = q.scale
            assert scale is not None
            keys: list[Any] = list(range(scale[0], scale[1] + 1))
        elif q.options:
            keys = [o.value for o in q.options]
        else:
            keys = ["answered"]
        questions.append(
            {
                "id": q.id,
                "type": q.type,
                "item": q.item_name(survey.id),
                "n": sum(counts.values()) if q.type != "multiple" else None,
                "distribution": [{"value": k, "count": counts.get(k, 0)} for k in keys],
                "texts": texts.get(q.id, [])[:50],
                **_summary(q, counts),
            }
        )
    return {"survey_id": survey.id, **_reach(store, survey_id), "questions": questions}


def list_responses(
    store: Store, survey_id: str, *, limit: int = 1000
) -> list[dict[str, Any]]:
    """Completed responses of a survey, newest first, with their answers."""
    get_survey(store, survey_id)
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT token, kind, feedback_id, customer_id, interaction_id, "
            "touchpoint_id, language, completed_at FROM survey_invitations "
            "WHERE survey_id = ? AND completed_at IS NOT NULL "
            "ORDER BY completed_at DESC, token LIMIT ?",
            (survey_id, int(limit)),
        )
        answers: dict[str, dict[str, Any]] = {}
        if rows:
            found = conn.fetchall(
                "SELECT a.token, a.question_id, a.value FROM survey_answers a "
                "JOIN survey_invitations i ON i.token = a.token "
                "WHERE i.survey_id = ? AND i.completed_at IS NOT NULL",
                (survey_id,),
            )
            for token, qid, value in found:
                answers.setdefault(token, {})[qid] = (
                    json.loads(value) if value is not None else None
                )
    for row in rows:
        row["completed_at"] = row["completed_at"].isoformat()
        row["answers"] = answers.get(row.pop("token"), {})
    return rows
