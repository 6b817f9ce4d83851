"""The catalogue of actions: YAML data, validated at the door, compiled to SQL.

Eligibility is a list of conditions over the customer's context columns
(:data:`FIELDS`), all of which must hold; ``any:`` groups alternatives. Each
condition becomes a parameterised SQL predicate, so a whole catalogue scores a
million customers in the engine and a user's YAML can never inject SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from esperia.errors import InvalidInput

if TYPE_CHECKING:
    from esperia.config import Settings

__all__ = [
    "FIELDS",
    "Action",
    "Catalogue",
    "load_catalogue",
    "parse_catalogue",
    "render_reason",
]

#: Context columns a condition may test, and their kind (number or text).
FIELDS: dict[str, str] = {
    "persona": "number",
    "persona_name_en": "text",
    "persona_name_it": "text",
    "language": "text",
    "segment": "text",
    "value_tier": "text",
    "clv": "number",
    "p_alive": "number",
    "churn_risk": "number",
    "revenue_12m": "number",
    "orders_total": "number",
    "avg_order_value": "number",
    "days_since_order": "number",
    "tenure_days": "number",
    "last_sentiment": "number",
    "last_polarity": "text",
    "last_touchpoint": "text",
    "days_since_feedback": "number",
    "nps_last": "number",
    "nps_class": "text",
    "bad_experiences_recent": "number",
    "negative_feedback_recent": "number",
    "open_cases": "number",
    "events_attended": "number",
    "relate_mentions": "number",
}

_OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_CONSENTS = ("service", "marketing")
_OUTCOMES = ("active", "purchase", "feedback", "event")
_BASES = ("clv", "clv_at_risk", "order_margin", "average_clv", "fixed")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([^{}]*))?\}")
_FORMAT = re.compile(r"^[+]?\.?\d*[f%]?$")
PACKAGED = "actions.yaml"
WORKSPACE_FILE = "nba_actions.yaml"


@dataclass(frozen=True)
class Action:
    """One action a company can take for a customer."""

    action_id: str
    name: dict[str, str]
    channel: str
    consent: str
    cost: float
    cooldown_days: int
    outcome: str
    prior_effect: float
    value_base: str
    value_factor: float
    value_amount: float
    when: tuple[Any, ...]
    reason: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.action_id,
            "name": self.name,
            "channel": self.channel,
            "consent": self.consent,
            "cost": self.cost,
            "cooldown_days": self.cooldown_days,
            "outcome": self.outcome,
            "prior_effect": self.prior_effect,
            "value": {
                "base": self.value_base,
                "factor": self.value_factor,
                "amount": self.value_amount,
            },
            "when": list(self.when),
            "reason": self.reason,
        }

    def eligibility_sql(self, alias: str = "c") -> tuple[str, list[Any]]:
        """The conditions as one SQL predicate over the context table ``alias``."""
        params: list[Any] = []
        parts = [_condition_sql(cond, alias, params) for cond in self.when]
        return (" AND ".join(parts) if parts else "TRUE"), params


@dataclass(frozen=True)
class Catalogue:
    actions: tuple[Action, ...]
    source: str
    by_id: dict[str, Action] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_id.update({a.action_id: a for a in self.actions})

    def get(self, action_id: str) -> Action:
        if action_id not in self.by_id:
            raise InvalidInput(
                f"unknown action {action_id!r}: the catalogue ({self.source}) has "
                f"{', '.join(self.by_id)}"
            )
        return self.by_id[action_id]

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "actions": [a.to_dict() for a in self.actions]}


def _condition_sql(cond: Any, alias: str, params: list[Any]) -> str:
    ((name, test),) = cond.items()
    if name == "any":
        return "(" + " OR ".join(_condition_sql(c, alias, params) for c in test) + ")"
    column = f"{alias}.{name}"
    if not isinstance(test, dict):
        test = {"eq": test}
    parts = []
    for op, value in test.items():
        if op == "missing":
            parts.append(f"{column} IS {'' if value else 'NOT '}NULL")
        elif op in ("in", "not_in"):
            marks = ", ".join("?" for _ in value)
            params.extend(value)
            neg = "NOT " if op == "not_in" else ""
            parts.append(f"{column} {neg}IN ({marks})")
        else:
            params.append(value)
            parts.append(f"{column} {_OPS[op]} ?")
    return "(" + " AND ".join(parts) + ")"


def _check_condition(cond: Any, where: str) -> Any:
    if not isinstance(cond, dict) or len(cond) != 1:
        raise InvalidInput(f"{where}: a condition is one 'field: test' pair")
    ((name, test),) = cond.items()
    if name == "any":
        if not isinstance(test, list) or not test:
            raise InvalidInput(f"{where}: 'any' needs a list of conditions")
        return {"any": [_check_condition(c, where) for c in test]}
    if name not in FIELDS:
        raise InvalidInput(
            f"{where}: unknown field {name!r}; use one of {', '.join(FIELDS)}"
        )
    kind = FIELDS[name]
    tests = test if isinstance(test, dict) else {"eq": test}
    if not tests:
        raise InvalidInput(f"{where}: {name} has no test")
    for op, value in tests.items():
        if op == "missing":
            if not isinstance(value, bool):
                raise InvalidInput(f"{where}: {name}.missing must be true or false")
            continue
        if op in ("in", "not_in"):
            values = value if isinstance(value, list) else None
            if not values:
                raise InvalidInput(f"{where}: {name}.{op} needs a list")
            for v in values:
                _check_value(v, kind, name, where)
            continue
        if op not in _OPS:
            raise InvalidInput(
                f"{where}: unknown test {op!r} on {name}; use "
                f"{', '.join([*_OPS, 'in', 'not_in', 'missing'])}"
            )
        _check_value(value, kind, name, where)
    return {name: tests}


def _check_value(value: Any, kind: str, name: str, where: str) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if (kind == "number") != number or (kind == "text" and not isinstance(value, str)):
        raise InvalidInput(f"{where}: {name} compares with a {kind}, not {value!r}")


def _text(raw: Any, key: str, where: str) -> dict[str, str]:
    value = raw.get(key)
    if not isinstance(value, dict) or not all(
        isinstance(value.get(lang), str) and value.get(lang) for lang in ("it", "en")
    ):
        raise InvalidInput(f"{where}: {key} needs an 'it' and an 'en' text")
    return {"it": value["it"], "en": value["en"]}


def _number(raw: Any, key: str, where: str, lo: float, hi: float) -> float:
    value = raw.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InvalidInput(f"{where}: {key} must be a number")
    if not lo <= float(value) <= hi:
        raise InvalidInput(f"{where}: {key} must be between {lo:g} and {hi:g}")
    return float(value)


def _action(raw: Any, where: str) -> Action:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: an action is a mapping")
    action_id = raw.get("id")
    if not isinstance(action_id, str) or not _ID.match(action_id):
        raise InvalidInput(f"{where}: id must be lower_case_with_underscores")
    where = f"{where} ({action_id})"
    for key, allowed in (
        ("consent", _CONSENTS),
        ("outcome", _OUTCOMES),
    ):
        if raw.get(key) not in allowed:
            raise InvalidInput(f"{where}: {key} must be one of {', '.join(allowed)}")
    value = raw.get("value")
    if not isinstance(value, dict) or value.get("base") not in _BASES:
        raise InvalidInput(f"{where}: value.base must be one of {', '.join(_BASES)}")
    when = raw.get("when") or []
    if not isinstance(when, list):
        raise InvalidInput(f"{where}: when is a list of conditions")
    reason = _text(raw, "reason", where)
    for lang, text in reason.items():
        for name, fmt in _PLACEHOLDER.findall(text):
            if name not in FIELDS or not _FORMAT.match(fmt or ""):
                raise InvalidInput(
                    f"{where}: reason.{lang} has an unknown placeholder {{{name}}}"
                )
    channel = raw.get("channel")
    if not isinstance(channel, str) or not channel:
        raise InvalidInput(f"{where}: channel is required")
    cooldown = _number(raw, "cooldown_days", where, 0, 3650)
    return Action(
        action_id=action_id,
        name=_text(raw, "name", where),
        channel=channel,
        consent=str(raw["consent"]),
        cost=_number(raw, "cost", where, 0, 1e6),
        cooldown_days=int(cooldown),
        outcome=str(raw["outcome"]),
        prior_effect=_number(raw, "prior_effect", where, 0, 1),
        value_base=str(value["base"]),
        value_factor=_number({"f": value.get("factor", 1.0)}, "f", where, 0, 100),
        value_amount=_number({"a": value.get("amount", 0.0)}, "a", where, 0, 1e7),
        when=tuple(_check_condition(c, where) for c in when),
        reason=reason,
    )


def parse_catalogue(text: str, source: str) -> Catalogue:
    """Validate a catalogue's YAML text; errors name the file and the action."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source}: not valid YAML ({exc})") from None
    raw = data.get("actions") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(f"{source}: needs a non-empty 'actions' list")
    actions = tuple(_action(a, f"{source}, action {i + 1}") for i, a in enumerate(raw))
    seen: set[str] = set()
    for action in actions:
        if action.action_id in seen:
            raise InvalidInput(f"{source}: action {action.action_id!r} appears twice")
        seen.add(action.action_id)
    return Catalogue(actions, source)


def load_catalogue(settings: Settings) -> Catalogue:
    """The setting's file, else the workspace's nba_actions.yaml, else shipped."""
    path: Path | None = settings.nba_catalogue
    if path is None and (settings.workspace / WORKSPACE_FILE).is_file():
        path = settings.workspace / WORKSPACE_FILE
    if path is None:
        text = files("esperia.nba").joinpath(PACKAGED).read_text(encoding="utf-8")
        return parse_catalogue(text, f"esperia/nba/{PACKAGED}")
    if not path.is_file():
        raise InvalidInput(f"nba_catalogue: no file {path}")
    return parse_catalogue(path.read_text(encoding="utf-8"), str(path))


def render_reason(template: str, context: dict[str, Any]) -> str:
    """Fill ``{field}`` / ``{field:.0f}`` from the context; missing shows as '-'."""

    def fill(match: re.Match[str]) -> str:
        value = context.get(match.group(1))
        if value is None:
            return "-"
        fmt = match.group(2) or ""
        if fmt and isinstance(value, int | float) and not isinstance(value, bool):
            return format(value, fmt)
        return str(value)

    return _PLACEHOLDER.sub(fill, template)
