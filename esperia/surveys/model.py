"""What a survey is: questions with their scales, wording in two languages, skip logic.

A survey is plain data (frozen dataclasses) so the YAML loader, the builder
form, the respondent pages and the results all read one shape. The CX model
items (pyramid levels, module agreement, expectation/perception per value
dimension) are question types of their own, so their answers land in
``feedback_items`` under the namespaced item names the metrics read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AGREEMENT_SCALE",
    "CONDITION_OPS",
    "LANGS",
    "PYRAMID_ITEMS",
    "QUESTION_TYPES",
    "SCALED_TYPES",
    "Condition",
    "Option",
    "Question",
    "Survey",
    "Trigger",
]

#: Languages every piece of wording must carry.
LANGS: tuple[str, ...] = ("it", "en")

#: Every question type and, for scored ones, its fixed scale (None: set per question).
QUESTION_TYPES: dict[str, tuple[int, int] | None] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "rating": None,
    "single": None,
    "multiple": None,
    "text": None,
    "pyramid": (1, 7),
    "module": (1, 7),
    "expectation": (1, 7),
    "perception": (1, 7),
}

#: Types answered with one number on a scale.
SCALED_TYPES = frozenset(
    {"nps", "csat", "ces", "rating", "pyramid", "module", "expectation", "perception"}
)

#: Pyramid levels as item names (``pyramid.needs`` = needs met).
PYRAMID_ITEMS: tuple[str, ...] = ("needs", "ease", "enjoyment")

#: The 1-7 agreement scale of the model items.
AGREEMENT_SCALE = (1, 7)

#: Comparison operators a skip condition may use.
CONDITION_OPS: tuple[str, ...] = (
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "not_in",
    "answered",
    "not_answered",
)


@dataclass(frozen=True)
class Option:
    """One choice of a single or multiple choice question."""

    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class Condition:
    """``question op value``: show a question only when an earlier answer says so."""

    question: str
    op: str
    value: Any = None

    def holds(self, answers: dict[str, Any]) -> bool:
        """True when the condition is met by ``answers`` (question id → answer)."""
        given = answers.get(self.question)
        missing = given is None or given == "" or given == []
        if self.op == "answered":
            return not missing
        if self.op == "not_answered":
            return missing
        if missing:
            return False
        values = given if isinstance(given, list) else [given]
        if self.op in ("in", "not_in"):
            wanted = {_norm(v) for v in (self.value or [])}
            hit = any(_norm(v) in wanted for v in values)
            return hit if self.op == "in" else not hit
        if self.op in ("eq", "ne"):
            hit = any(_norm(v) == _norm(self.value) for v in values)
            return hit if self.op == "eq" else not hit
        try:
            left, right = float(str(values[0])), float(str(self.value))
        except (TypeError, ValueError):
            return False
        return {
            "lt": left < right,
            "le": left <= right,
            "gt": left > right,
            "ge": left >= right,
        }[self.op]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"question": self.question, "op": self.op}
        if self.op not in ("answered", "not_answered"):
            data["value"] = self.value
        return data


def _norm(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()


@dataclass(frozen=True)
class Question:
    """One question: its type, wording per language, scale, choices, condition."""

    id: str
    type: str
    text: dict[str, str]
    required: bool = False
    help: dict[str, str] = field(default_factory=dict)
    scale_min: int | None = None
    scale_max: int | None = None
    #: Lowest and highest scale labels, per language ("not at all" … "fully").
    low_label: dict[str, str] = field(default_factory=dict)
    high_label: dict[str, str] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    #: pyramid: needs|ease|enjoyment; module: sense|…; expectation/perception: a
    #: value dimension (free word such as ``delivery_speed``).
    target: str | None = None
    #: Every condition must hold for the question to be shown.
    show_if: tuple[Condition, ...] = ()
    #: Questions sharing a group are shown on one screen.
    group: str | None = None

    @property
    def scale(self) -> tuple[int, int] | None:
        if self.scale_min is not None and self.scale_max is not None:
            return (self.scale_min, self.scale_max)
        return QUESTION_TYPES.get(self.type)

    def visible(self, answers: dict[str, Any]) -> bool:
        return all(c.holds(answers) for c in self.show_if)

    def item_name(self, survey_id: str) -> str:
        """The ``feedback_items.item`` this question's answer is stored under."""
        if self.type == "pyramid":
            return f"pyramid.{self.target}"
        if self.type == "module":
            return f"module.{self.target}"
        if self.type in ("expectation", "perception"):
            return f"{self.type}.{self.target}"
        return f"{survey_id}.{self.id}"


@dataclass(frozen=True)
class Trigger:
    """When to invite: after an interaction at a touchpoint, with filters and rules."""

    touchpoints: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    #: Hours after the interaction before the invitation is due.
    delay_hours: float = 24.0
    #: Share of eligible interactions invited (deterministic per interaction).
    sample: float = 1.0
    seed: int = 0
    #: Interactions older than this many days are not invited by default.
    window_days: int = 30


@dataclass(frozen=True)
class Survey:
    """A whole survey definition, as stored in the workspace."""

    id: str
    title: dict[str, str]
    questions: tuple[Question, ...]
    intro: dict[str, str] = field(default_factory=dict)
    thanks: dict[str, str] = field(default_factory=dict)
    topic: str | None = None
    default_language: str = "it"
    trigger: Trigger | None = None
    #: Whether the anonymous open link (/s/open/<id>) takes answers.
    open_link: bool = False
    #: Mail subject and body wording per language ({link} is replaced).
    email_subject: dict[str, str] = field(default_factory=dict)
    email_body: dict[str, str] = field(default_factory=dict)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def groups(self) -> list[list[Question]]:
        """Questions in screens: consecutive questions of one group share a screen."""
        screens: list[list[Question]] = []
        last: str | None = None
        for q in self.questions:
            if screens and q.group is not None and q.group == last:
                screens[-1].append(q)
            else:
                screens.append([q])
            last = q.group
        return screens
