"""Rules as data: the YAML a user writes, checked field by field before it is stored.

A rule watches one kind of event (``feedback``, ``interaction`` or ``value``)
and lists conditions that must all hold. Everything else (reason, cooldown,
look-back, SLA, team) has a default, so a two-line rule is a valid rule.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from esperia.errors import InvalidInput

__all__ = ["Conditions", "Rule", "parse_rules", "rules_to_yaml"]

Event = Literal["feedback", "interaction", "value"]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

#: Which conditions belong to which event.
FEEDBACK_KEYS = frozenset(
    {
        "nps_at_most",
        "csat_at_most",
        "ces_at_most",
        "rating_at_most",
        "sentiment_below",
        "negative_aspect",
        "text_contains",
        "source_in",
    }
)
INTERACTION_KEYS = frozenset(
    {"outcome_in", "type_in", "broken_promise", "complaint_unanswered_hours"}
)
VALUE_KEYS = frozenset({"p_alive_below", "clv_at_least", "value_table"})
COMMON_KEYS = frozenset({"touchpoint_in", "stage_in"})


class Conditions(BaseModel):
    """What must be true of an event; every condition given must hold (AND)."""

    model_config = ConfigDict(extra="forbid")

    nps_at_most: int | None = Field(default=None, ge=0, le=10)
    csat_at_most: int | None = Field(default=None, ge=1, le=5)
    ces_at_most: int | None = Field(default=None, ge=1, le=7)
    rating_at_most: float | None = None
    sentiment_below: float | None = Field(default=None, ge=-1, le=1)
    negative_aspect: list[str] | None = Field(default=None, min_length=1)
    text_contains: list[str] | None = Field(default=None, min_length=1)
    source_in: list[str] | None = Field(default=None, min_length=1)
    outcome_in: list[str] | None = Field(default=None, min_length=1)
    type_in: list[str] | None = Field(default=None, min_length=1)
    broken_promise: bool | None = None
    complaint_unanswered_hours: float | None = Field(default=None, gt=0, le=24 * 60)
    p_alive_below: float | None = Field(default=None, gt=0, le=1)
    clv_at_least: float | None = Field(default=None, ge=0)
    value_table: str = "customer_value"
    touchpoint_in: list[str] | None = Field(default=None, min_length=1)
    stage_in: list[str] | None = Field(default=None, min_length=1)

    def given(self) -> set[str]:
        """Names of the conditions the rule actually sets."""
        return {
            name
            for name, value in self
            if value is not None and value is not False and name != "value_table"
        }


class Rule(BaseModel):
    """One rule: an event kind, conditions, and what the case it opens looks like."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str | None = None
    on: Event
    when: Conditions
    reason: str | None = None
    enabled: bool = True
    lookback_days: int = Field(default=30, ge=1, le=3660)
    cooldown_days: int = Field(default=14, ge=0, le=3660)
    sla_hours: float | None = Field(default=None, gt=0)
    team: str | None = None
    priority: Literal["auto", "high", "medium", "low"] = "auto"
    #: Lower runs first when one customer matches several rules at once.
    rank: int = 100

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if not _ID.match(self.id):
            raise ValueError(
                "id must be 1-64 lower-case letters, digits, '-' or '_', "
                f"starting with a letter or digit (got {self.id!r})"
            )
        given = self.when.given()
        if not given - COMMON_KEYS:
            raise ValueError("'when' needs at least one condition on the event")
        allowed = {
            "feedback": FEEDBACK_KEYS,
            "interaction": INTERACTION_KEYS,
            "value": VALUE_KEYS,
        }[self.on] | COMMON_KEYS
        wrong = sorted(given - allowed)
        if wrong:
            raise ValueError(
                f"condition(s) {', '.join(wrong)} do not apply to '{self.on}' "
                f"events; use: {', '.join(sorted(allowed - {'value_table'}))}"
            )
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", self.when.value_table):
            raise ValueError("value_table must be a plain table name")
        return self

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def the_reason(self) -> str:
        return self.reason or self.id


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(rule)"


def parse_rules(text: str, source: str = "rules") -> list[Rule]:
    """Read rules from YAML (a list, or a mapping with a ``rules`` list).

    Every problem is reported with the rule's position and id and the field.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(f"{source}: not valid YAML{where}") from None
    if isinstance(data, dict) and "rules" in data:
        data = data["rules"]
    if not isinstance(data, list) or not data:
        raise InvalidInput(f"{source}: expected a non-empty list of rules")
    rules: list[Rule] = []
    problems: list[dict[str, Any]] = []
    for position, item in enumerate(data, start=1):
        if isinstance(item, dict) and True in item and "on" not in item:
            # YAML 1.1 reads a bare ``on`` key as the boolean true.
            item = {("on" if k is True else k): v for k, v in item.items()}
        ident = item.get("id") if isinstance(item, dict) else None
        try:
            rules.append(Rule.model_validate(item))
        except ValidationError as exc:
            for error in exc.errors():
                problems.append(
                    {
                        "rule": position,
                        "id": ident,
                        "field": _where(error["loc"]),
                        "reason": error["msg"].removeprefix("Value error, "),
                    }
                )
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            problems.append(
                {"rule": None, "id": rule.id, "field": "id", "reason": "duplicate id"}
            )
        seen.add(rule.id)
    if problems:
        first = problems[0]
        raise InvalidInput(
            f"{source}: rule {first['rule'] or ''} (id {first['id']!r}), field "
            f"{first['field']}: {first['reason']}"
            + (
                f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            ),
            details=problems,
        )
    return rules


def rules_to_yaml(rules: list[Rule]) -> str:
    """The rules as YAML, only the fields that differ from the defaults."""
    items = [
        r.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
        for r in rules
    ]
    for item, rule in zip(items, rules, strict=True):
        item["on"] = rule.on
        item["when"] = rule.when.model_dump(
            mode="json", exclude_defaults=True, exclude_none=True
        )
    return yaml.safe_dump({"rules": items}, sort_keys=False, allow_unicode=True)
