"""The browser builder's form state: flat text fields to and from a survey.

The builder is a plain HTML form (it works without JavaScript): every button
posts the whole form, the server applies the action (add, move, remove a
question) and draws the form again; *save* validates and stores it. These
functions turn that flat state into the survey dictionary the YAML holds, and
back, so the builder saves exactly what a YAML file would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from esperia.surveys.definition import survey_to_dict
from esperia.surveys.model import LANGS, QUESTION_TYPES, Survey

__all__ = [
    "QUESTION_FIELDS",
    "SURVEY_FIELDS",
    "apply_action",
    "blank_question",
    "form_from_survey",
    "form_to_dict",
    "read_form",
]

#: Per-question fields of the form (named ``q<index>_<field>``).
QUESTION_FIELDS: tuple[str, ...] = (
    "id", "type", "text_it", "text_en", "help_it", "help_en", "required",
    "min", "max", "target", "options", "group", "low_it", "low_en", "high_it",
    "high_en", "cond_question", "cond_op", "cond_value",
)  # fmt: skip

#: Survey-level fields of the form.
SURVEY_FIELDS: tuple[str, ...] = (
    "id", "title_it", "title_en", "intro_it", "intro_en", "thanks_it", "thanks_en",
    "topic", "language", "open_link", "subject_it", "subject_en", "body_it",
    "body_en", "trigger_touchpoints", "trigger_types", "trigger_outcomes",
    "trigger_delay", "trigger_sample", "trigger_seed", "trigger_window",
)  # fmt: skip

_TARGET_KEY = {"pyramid": "level", "module": "module"}


def blank_question(qtype: str, taken: list[str]) -> dict[str, str]:
    """A new question of ``qtype`` with a free id (q1, q2, …)."""
    n = 1
    while f"q{n}" in taken:
        n += 1
    state = dict.fromkeys(QUESTION_FIELDS, "")
    state.update(id=f"q{n}", type=qtype if qtype in QUESTION_TYPES else "text")
    if qtype == "rating":
        state.update(min="1", max="5")
    if qtype == "pyramid":
        state["target"] = "needs"
    if qtype == "module":
        state["target"] = "sense"
    return state


def _words(data: Mapping[str, Any] | None, lang: str) -> str:
    return str((data or {}).get(lang, ""))


def form_from_survey(survey: Survey) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The builder's fields for a stored survey."""
    data = survey_to_dict(survey)
    head = dict.fromkeys(SURVEY_FIELDS, "")
    head["id"] = survey.id
    for lang in LANGS:
        head[f"title_{lang}"] = _words(data.get("title"), lang)
        head[f"intro_{lang}"] = _words(data.get("intro"), lang)
        head[f"thanks_{lang}"] = _words(data.get("thanks"), lang)
        head[f"subject_{lang}"] = _words(data.get("email", {}).get("subject"), lang)
        head[f"body_{lang}"] = _words(data.get("email", {}).get("body"), lang)
    head["topic"] = survey.topic or ""
    head["language"] = survey.default_language
    head["open_link"] = "1" if survey.open_link else ""
    trigger = data.get("trigger")
    if trigger:
        head["trigger_touchpoints"] = ", ".join(trigger.get("touchpoints", []))
        head["trigger_types"] = ", ".join(trigger.get("types", []))
        head["trigger_outcomes"] = ", ".join(trigger.get("outcomes", []))
        head["trigger_delay"] = str(trigger.get("delay", ""))
        head["trigger_sample"] = str(trigger.get("sample", ""))
        head["trigger_seed"] = str(trigger.get("seed", ""))
        head["trigger_window"] = str(trigger.get("window_days", ""))
    questions = []
    for q in data["questions"]:
        state = dict.fromkeys(QUESTION_FIELDS, "")
        state.update(id=q["id"], type=q["type"])
        for lang in LANGS:
            for key in ("text", "help", "low", "high"):
                state[f"{key}_{lang}"] = _words(q.get(key), lang)
        state["required"] = "1" if q.get("required") else ""
        if q["type"] == "rating":
            state["min"], state["max"] = str(q["min"]), str(q["max"])
        key = _TARGET_KEY.get(q["type"], "dimension")
        state["target"] = str(q.get(key, ""))
        state["options"] = "\n".join(
            f"{o['value']} | {o.get('it', '')} | {o.get('en', '')}"
            for o in q.get("options", [])
        )
        state["group"] = str(q.get("group") or "")
        conditions = q.get("show_if") or []
        if conditions:
            cond = conditions[0]
            value = cond.get("value")
            state["cond_question"] = str(cond["question"])
            state["cond_op"] = str(cond["op"])
            state["cond_value"] = (
                ", ".join(str(v) for v in value)
                if isinstance(value, list)
                else ("" if value is None else str(value))
            )
        questions.append(state)
    return head, questions


def read_form(
    get: Callable[[str], str | None],
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The builder's state from a posted form (``get(name)`` → value or None)."""
    head = {name: (get(name) or "").strip() for name in SURVEY_FIELDS}
    try:
        count = min(int(get("question_count") or 0), 200)
    except ValueError:
        count = 0
    questions = []
    for i in range(count):
        state = {name: (get(f"q{i}_{name}") or "").strip() for name in QUESTION_FIELDS}
        if state["type"]:
            questions.append(state)
    return head, questions


def apply_action(action: str, questions: list[dict[str, str]]) -> list[dict[str, str]]:
    """Add (``add:<type>``), move (``up:<i>``, ``down:<i>``) or remove a question."""
    verb, _, arg = action.partition(":")
    out = list(questions)
    if verb == "add":
        out.append(blank_question(arg, [q["id"] for q in out]))
        return out
    try:
        i = int(arg)
    except ValueError:
        return out
    if not 0 <= i < len(out):
        return out
    if verb == "remove":
        out.pop(i)
    elif verb == "up" and i > 0:
        out[i - 1], out[i] = out[i], out[i - 1]
    elif verb == "down" and i < len(out) - 1:
        out[i + 1], out[i] = out[i], out[i + 1]
    return out


def _pair(state: Mapping[str, str], key: str) -> dict[str, str] | None:
    words = {lang: state.get(f"{key}_{lang}", "") for lang in LANGS}
    return words if any(words.values()) else None


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _number(text: str) -> Any:
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def form_to_dict(
    head: Mapping[str, str], questions: list[dict[str, str]]
) -> dict[str, Any]:
    """The survey dictionary (as in YAML) the form describes; validation is separate."""
    data: dict[str, Any] = {"id": head.get("id", ""), "title": _pair(head, "title")}
    for key in ("intro", "thanks"):
        if (words := _pair(head, key)) is not None:
            data[key] = words
    if head.get("topic"):
        data["topic"] = head["topic"]
    data["language"] = head.get("language") or "it"
    data["open_link"] = head.get("open_link") == "1"
    email = {k: w for k in ("subject", "body") if (w := _pair(head, k)) is not None}
    if email:
        data["email"] = email
    if head.get("trigger_touchpoints") or head.get("trigger_types"):
        trigger: dict[str, Any] = {
            "touchpoints": _list(head.get("trigger_touchpoints", "")),
            "types": _list(head.get("trigger_types", "")),
            "outcomes": _list(head.get("trigger_outcomes", "")),
        }
        if head.get("trigger_delay"):
            trigger["delay"] = head["trigger_delay"]
        for key, name in (
            ("sample", "sample"),
            ("seed", "seed"),
            ("window", "window_days"),
        ):
            if head.get(f"trigger_{key}"):
                trigger[name] = _number(head[f"trigger_{key}"])
        data["trigger"] = trigger
    data["questions"] = [_question_dict(q) for q in questions]
    return data


def _question_dict(state: Mapping[str, str]) -> dict[str, Any]:
    qtype = state.get("type", "")
    item: dict[str, Any] = {"id": state.get("id", ""), "type": qtype}
    item["text"] = _pair(state, "text")
    for key in ("help", "low", "high"):
        if (words := _pair(state, key)) is not None:
            item[key] = words
    if state.get("required") == "1":
        item["required"] = True
    if qtype == "rating":
        item["min"] = _number(state.get("min") or "1")
        item["max"] = _number(state.get("max") or "5")
    if qtype in ("pyramid", "module", "expectation", "perception"):
        item[_TARGET_KEY.get(qtype, "dimension")] = state.get("target", "")
    if qtype in ("single", "multiple"):
        options = []
        for line in state.get("options", "").splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            parts += [""] * (3 - len(parts))
            options.append({"value": parts[0], "it": parts[1], "en": parts[2]})
        item["options"] = options
    if state.get("group"):
        item["group"] = state["group"]
    if state.get("cond_question"):
        op = state.get("cond_op") or "eq"
        cond: dict[str, Any] = {"question": state["cond_question"], "op": op}
        raw = state.get("cond_value", "")
        if op in ("in", "not_in"):
            cond["value"] = [_number(v) for v in _list(raw)]
        elif op not in ("answered", "not_answered"):
            cond["value"] = _number(raw) if raw else None
        item["show_if"] = cond
    return item
