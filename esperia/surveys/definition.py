"""Survey definitions as YAML: read with line numbers, validate, write back.

Every problem is reported as ``file:line: path: message`` (for example
``delivery.yaml:14: questions[2].text.en: missing``), so a person editing the
file by hand finds it at once. The builder and the API produce the same
dictionaries, so they share this validation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from esperia.errors import InvalidInput
from esperia.surveys.model import (
    CONDITION_OPS,
    LANGS,
    PYRAMID_ITEMS,
    QUESTION_TYPES,
    Condition,
    Option,
    Question,
    Survey,
    Trigger,
)
from esperia.vocabulary import MODULES

__all__ = [
    "load_survey_file",
    "parse_survey",
    "survey_from_dict",
    "survey_to_dict",
    "survey_to_yaml",
]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DIMENSION = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hd])\s*$")

Path_ = tuple[str | int, ...]


def _compose(text: str) -> tuple[Any, dict[Path_, int]]:
    """The YAML as Python data plus the line (1-based) of every key and item."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"{line}not valid YAML: {problem}") from None
    lines: dict[Path_, int] = {}

    def walk(n: Any, path: Path_) -> Any:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key, value in n.value:
                name = str(key.value)
                lines[(*path, name)] = key.start_mark.line + 1
                out[name] = walk(value, (*path, name))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [walk(item, (*path, i)) for i, item in enumerate(n.value)]
        return yaml.SafeLoader(text).construct_object(n, deep=True)

    if node is None:
        return None, lines
    return walk(node, ()), lines


class _Problems:
    """Collects every problem of a definition, so one run reports them all."""

    def __init__(self, source: str, lines: dict[Path_, int]) -> None:
        self.source = source
        self.lines = lines
        self.items: list[dict[str, Any]] = []

    def add(self, path: Path_, message: str) -> None:
        line = None
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                line = self.lines[path[:cut]]
                break
        self.items.append(
            {
                "file": self.source,
                "line": line,
                "field": _dotted(path),
                "message": message,
            }
        )

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        where = first["file"] + (f":{first['line']}" if first["line"] else "")
        more = f" (and {len(self.items) - 1} more)" if len(self.items) > 1 else ""
        raise InvalidInput(
            f"{where}: {first['field'] or 'survey'}: {first['message']}{more}",
            details=self.items,
        )


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _words(
    data: Any, path: Path_, problems: _Problems, *, required: bool = True
) -> dict[str, str]:
    """Wording per language: a mapping with a non-empty text for it and en."""
    if data is None:
        if required:
            problems.add(path, "missing: give the wording in it and en")
        return {}
    if not isinstance(data, dict):
        problems.add(path, "must be a mapping with it: and en: wording")
        return {}
    out: dict[str, str] = {}
    for lang in LANGS:
        value = data.get(lang)
        if value is None or not str(value).strip():
            problems.add((*path, lang), f"missing {lang} wording")
        else:
            out[lang] = str(value).strip()
    for extra in data:
        if extra not in LANGS:
            problems.add((*path, extra), f"unknown language {extra!r} (use it, en)")
    return out


def _int(value: Any, path: Path_, problems: _Problems) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add(path, f"must be a whole number, not {value!r}")
        return None
    if isinstance(value, float) and not value.is_integer():
        problems.add(path, f"must be a whole number, not {value!r}")
        return None
    return int(value)


def _strings(value: Any, path: Path_, problems: _Problems) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(path, "must be a list of words")
        return ()
    return tuple(value)


_QUESTION_KEYS = {
    "id", "type", "text", "required", "help", "min", "max", "low", "high",
    "options", "level", "module", "dimension", "show_if", "group",
}  # fmt: skip


def _question(
    data: Any, path: Path_, problems: _Problems, seen: list[str]
) -> Question | None:
    if not isinstance(data, dict):
        problems.add(path, "each question must be a mapping (id:, type:, text:)")
        return None
    for key in data:
        if key not in _QUESTION_KEYS:
            problems.add((*path, key), f"unknown field {key!r}")
    qid = str(data.get("id") or "")
    if not _ID.match(qid):
        problems.add(
            (*path, "id"),
            "needs an id of lower-case letters, digits, - or _ (at most 64)",
        )
    elif qid in seen:
        problems.add((*path, "id"), f"the id {qid!r} is used twice")
    qtype = str(data.get("type") or "")
    if qtype not in QUESTION_TYPES:
        problems.add(
            (*path, "type"),
            f"unknown type {qtype!r}: choose one of {', '.join(QUESTION_TYPES)}",
        )
        return None
    text = _words(data.get("text"), (*path, "text"), problems)
    help_ = _words(data.get("help"), (*path, "help"), problems, required=False)
    low = _words(data.get("low"), (*path, "low"), problems, required=False)
    high = _words(data.get("high"), (*path, "high"), problems, required=False)
    required = data.get("required", False)
    if not isinstance(required, bool):
        problems.add((*path, "required"), "must be true or false")
        required = False
    scale_min = scale_max = None
    if qtype == "rating":
        scale_min = _int(data.get("min", 1), (*path, "min"), problems)
        scale_max = _int(data.get("max", 5), (*path, "max"), problems)
        bounded = scale_min is not None and scale_max is not None
        if bounded and not 0 <= scale_min < scale_max <= 100:  # type: ignore[operator]
            problems.add((*path, "max"), "needs 0 <= min < max <= 100")
    elif "min" in data or "max" in data:
        problems.add((*path, "min"), f"a {qtype} question has a fixed scale")
    options: list[Option] = []
    if qtype in ("single", "multiple"):
        raw = data.get("options")
        if not isinstance(raw, list) or len(raw) < 2:
            problems.add((*path, "options"), "needs a list of at least 2 options")
        else:
            for i, opt in enumerate(raw):
                opath = (*path, "options", i)
                if not isinstance(opt, dict):
                    problems.add(opath, "an option is a mapping: value:, it:, en:")
                    continue
                value = str(opt.get("value") or "")
                if not _ID.match(value):
                    problems.add((*opath, "value"), "needs a short code as value")
                elif value in {o.value for o in options}:
                    problems.add((*opath, "value"), f"value {value!r} used twice")
                label = _words(
                    {k: v for k, v in opt.items() if k != "value"}, opath, problems
                )
                options.append(Option(value, label))
    elif "options" in data:
        problems.add((*path, "options"), f"a {qtype} question takes no options")
    target = _target(qtype, data, path, problems)
    conditions = _conditions(data.get("show_if"), (*path, "show_if"), problems)
    group = data.get("group")
    if qid:
        seen.append(qid)
    return Question(
        id=qid, type=qtype, text=text, required=required, help=help_,
        scale_min=scale_min, scale_max=scale_max, low_label=low, high_label=high,
        options=tuple(options), target=target, show_if=conditions,
        group=str(group) if group is not None else None,
    )  # fmt: skip


def _target(qtype: str, data: dict[str, Any], path: Path_, p: _Problems) -> str | None:
    wanted = {"pyramid": "level", "module": "module"}.get(qtype)
    if qtype in ("expectation", "perception"):
        wanted = "dimension"
    for key in ("level", "module", "dimension"):
        if key in data and key != wanted:
            p.add((*path, key), f"a {qtype} question takes no {key}")
    if wanted is None:
        return None
    value = str(data.get(wanted) or "")
    if wanted == "level" and value == "needs_met":
        value = "needs"  # the vocabulary's name for the same level
    allowed = {"level": PYRAMID_ITEMS, "module": MODULES}.get(wanted)
    if allowed is not None and value not in allowed:
        p.add((*path, wanted), f"choose one of {', '.join(allowed)}, not {value!r}")
    elif allowed is None and not _DIMENSION.match(value):
        p.add((*path, wanted), "needs a dimension name (lower-case word, e.g. speed)")
    return value


def _conditions(raw: Any, path: Path_, problems: _Problems) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for i, item in enumerate(items):
        cpath = (*path, i) if isinstance(raw, list) else path
        if not isinstance(item, dict) or "question" not in item:
            problems.add(cpath, "a condition is {question: ID, op: OP, value: X}")
            continue
        op = str(item.get("op", "eq"))
        if op not in CONDITION_OPS:
            problems.add((*cpath, "op"), f"choose one of {', '.join(CONDITION_OPS)}")
            continue
        value = item.get("value")
        if op in ("in", "not_in") and not isinstance(value, list):
            problems.add((*cpath, "value"), f"{op} needs a list of values")
        elif op not in ("answered", "not_answered") and value is None:
            problems.add((*cpath, "value"), f"{op} needs a value")
        out.append(Condition(str(item["question"]), op, value))
    return tuple(out)


def _trigger(raw: Any, path: Path_, problems: _Problems) -> Trigger | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.add(path, "must be a mapping (touchpoints:, types:, delay:, …)")
        return None
    known = {
        "touchpoints",
        "types",
        "outcomes",
        "delay",
        "sample",
        "seed",
        "window_days",
    }
    for key in raw:
        if key not in known:
            problems.add((*path, key), f"unknown field {key!r}")
    delay = 24.0
    if "delay" in raw:
        found = _DELAY.match(str(raw["delay"]))
        if not found:
            problems.add((*path, "delay"), "write a delay as 12h or 1d")
        else:
            delay = float(found.group(1)) * (24 if found.group(2) == "d" else 1)
    sample = raw.get("sample", 1.0)
    if isinstance(sample, bool) or not isinstance(sample, int | float):
        problems.add((*path, "sample"), "must be a share between 0 and 1")
        sample = 1.0
    elif not 0 < float(sample) <= 1:
        problems.add((*path, "sample"), "must be a share above 0 and at most 1")
    seed = _int(raw.get("seed", 0), (*path, "seed"), problems) or 0
    window = _int(raw.get("window_days", 30), (*path, "window_days"), problems) or 30
    if window < 1:
        problems.add((*path, "window_days"), "must be at least 1")
    return Trigger(
        touchpoints=_strings(raw.get("touchpoints"), (*path, "touchpoints"), problems),
        types=_strings(raw.get("types"), (*path, "types"), problems),
        outcomes=_strings(raw.get("outcomes"), (*path, "outcomes"), problems),
        delay_hours=delay, sample=float(sample), seed=seed, window_days=window,
    )  # fmt: skip


_SURVEY_KEYS = {
    "id", "title", "intro", "thanks", "topic", "language", "trigger",
    "open_link", "email", "questions",
}  # fmt: skip


def _validate(data: Any, source: str, lines: dict[Path_, int]) -> Survey:
    problems = _Problems(source, lines)
    if not isinstance(data, dict):
        problems.add((), "a survey file is a mapping with id:, title:, questions:")
        problems.raise_if_any()
    for key in data:
        if key not in _SURVEY_KEYS:
            problems.add((key,), f"unknown field {key!r}")
    sid = str(data.get("id") or "")
    if not _ID.match(sid):
        problems.add(("id",), "needs an id of lower-case letters, digits, - or _")
    title = _words(data.get("title"), ("title",), problems)
    intro = _words(data.get("intro"), ("intro",), problems, required=False)
    thanks = _words(data.get("thanks"), ("thanks",), problems, required=False)
    language = str(data.get("language", "it"))
    if language not in LANGS:
        problems.add(("language",), f"choose one of {', '.join(LANGS)}")
    open_link = data.get("open_link", False)
    if not isinstance(open_link, bool):
        problems.add(("open_link",), "must be true or false")
        open_link = False
    email = data.get("email") or {}
    if not isinstance(email, dict):
        problems.add(("email",), "must be a mapping with subject: and body:")
        email = {}
    subject = _words(
        email.get("subject"), ("email", "subject"), problems, required=False
    )
    body = _words(email.get("body"), ("email", "body"), problems, required=False)
    raw_questions = data.get("questions")
    questions: list[Question] = []
    seen: list[str] = []
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.add(("questions",), "needs a list of at least one question")
    else:
        for i, raw in enumerate(raw_questions):
            q = _question(raw, ("questions", i), problems, seen)
            if q is not None:
                questions.append(q)
    survey = Survey(
        id=sid, title=title, questions=tuple(questions), intro=intro, thanks=thanks,
        topic=str(data["topic"]) if data.get("topic") else None,
        default_language=language if language in LANGS else "it",
        trigger=_trigger(data.get("trigger"), ("trigger",), problems),
        open_link=open_link, email_subject=subject, email_body=body,
    )  # fmt: skip
    _check_skip_logic(survey, raw_questions, problems)
    problems.raise_if_any()
    return survey


def _check_skip_logic(survey: Survey, raw: Any, problems: _Problems) -> None:
    """Conditions may only look back, at questions on an earlier screen."""
    screen_of: dict[str, int] = {}
    for n, screen in enumerate(survey.groups()):
        for q in screen:
            screen_of[q.id] = n
    index = {q.id: i for i, q in enumerate(survey.questions)}
    for q in survey.questions:
        for j, cond in enumerate(q.show_if):
            path: Path_ = ("questions", index[q.id], "show_if")
            if isinstance(raw, list) and isinstance(
                raw[index[q.id]].get("show_if"), list
            ):
                path = (*path, j)
            if cond.question not in screen_of:
                problems.add((*path, "question"), f"no question {cond.question!r}")
            elif screen_of[cond.question] >= screen_of[q.id]:
                problems.add(
                    (*path, "question"),
                    f"{cond.question!r} is not on an earlier screen: a condition "
                    "can only use answers already given",
                )


def parse_survey(text: str, source: str = "<survey>") -> Survey:
    """A validated survey from YAML text; :class:`InvalidInput` says what and where."""
    try:
        data, lines = _compose(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{source}: {exc.message}") from None
    return _validate(data, source, lines)


def survey_from_dict(data: Any, source: str = "<survey>") -> Survey:
    """A validated survey from already-parsed data (API, builder)."""
    return _validate(data, source, {})


def load_survey_file(path: Path | str) -> Survey:
    """Read and validate one survey file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    return parse_survey(text, file.name)


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, {}, [], (), False)}


def survey_to_dict(survey: Survey) -> dict[str, Any]:
    """The survey as the plain data its YAML holds (round-trips through parse)."""
    questions = []
    for q in survey.questions:
        item: dict[str, Any] = {"id": q.id, "type": q.type, "text": dict(q.text)}
        if q.required:
            item["required"] = True
        if q.type == "rating":
            item["min"], item["max"] = q.scale_min, q.scale_max
        key = {"pyramid": "level", "module": "module"}.get(q.type, "dimension")
        if q.target is not None:
            item[key] = q.target
        item.update(
            _drop_empty(
                {
                    "help": dict(q.help),
                    "low": dict(q.low_label),
                    "high": dict(q.high_label),
                    "options": [{"value": o.value, **o.label} for o in q.options],
                    "show_if": [c.to_dict() for c in q.show_if],
                    "group": q.group,
                }
            )
        )
        questions.append(item)
    trigger = None
    if survey.trigger is not None:
        t = survey.trigger
        hours = t.delay_hours
        delay = f"{hours / 24:g}d" if hours % 24 == 0 else f"{hours:g}h"
        trigger = _drop_empty(
            {
                "touchpoints": list(t.touchpoints),
                "types": list(t.types),
                "outcomes": list(t.outcomes),
                "delay": delay,
                "sample": t.sample,
                "seed": t.seed,
                "window_days": t.window_days,
            }
        )
    email = _drop_empty(
        {"subject": dict(survey.email_subject), "body": dict(survey.email_body)}
    )
    head = {
        "id": survey.id,
        "title": dict(survey.title),
        "language": survey.default_language,
    }
    return {
        **head,
        **_drop_empty(
            {
                "topic": survey.topic,
                "intro": dict(survey.intro),
                "thanks": dict(survey.thanks),
                "open_link": survey.open_link,
                "trigger": trigger,
                "email": email,
            }
        ),
        "questions": questions,
    }


def survey_to_yaml(survey: Survey) -> str:
    """The survey as YAML text (stable key order, Unicode kept)."""
    return yaml.safe_dump(
        survey_to_dict(survey), sort_keys=False, allow_unicode=True, width=88
    )
