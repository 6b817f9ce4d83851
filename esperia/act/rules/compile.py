"""Rules into SQL: one SELECT per rule, evaluated by the engine a column at a time.

Every SELECT yields the same candidate columns (:data:`CANDIDATE_COLUMNS`), so
the engine can pool the matches of all rules in one temporary table and decide
consent, cooldown and de-duplication for all of them in a few statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from esperia.act.rules.model import Rule
from esperia.act.sqlparts import (
    columns_of,
    json_number,
    minutes,
    placeholders,
    plain_name,
)
from esperia.store import Connection

__all__ = [
    "ANSWERED_OUTCOMES",
    "CANDIDATE_COLUMNS",
    "REPLY_TYPES",
    "Compiled",
    "compile_rule",
]

#: A complaint whose own outcome is one of these was answered on the spot.
ANSWERED_OUTCOMES = ("resolved", "unresolved", "ok", "answered")
#: A later interaction of one of these types with a reached outcome answers it.
REPLY_TYPES = ("callback", "reply", "call", "email", "chat")
_NOT_REACHED = ("unanswered", "failed")
#: Interaction columns a touchpoint's ``promise_metric`` may name directly;
#: any other name is read from the interaction's ``properties``.
_METRIC_COLUMNS = ("wait_s", "duration_s", "value")

CANDIDATE_COLUMNS = (
    "rule_id TEXT, rule_rank INTEGER, cooldown_days INTEGER, "
    "sla_hours DOUBLE PRECISION, team_override TEXT, priority_override TEXT, "
    "reason TEXT, trigger_kind TEXT, trigger_id TEXT, customer_id TEXT, "
    "touchpoint_id TEXT, feedback_id TEXT, interaction_id TEXT, "
    "triggered_at TIMESTAMPTZ, detail TEXT"
)


@dataclass
class Compiled:
    """A rule's SELECT and parameters, or the notice saying why it was skipped."""

    sql: str = ""
    params: list[Any] = field(default_factory=list)
    notice: str | None = None


def _head(rule: Rule) -> tuple[str, list[Any]]:
    sql = (
        "SELECT CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS INTEGER), "
        "CAST(? AS DOUBLE PRECISION), CAST(? AS TEXT), CAST(? AS TEXT), "
        "CAST(? AS TEXT), "
    )
    override = None if rule.priority == "auto" else rule.priority
    params = [
        rule.id,
        rule.rank,
        rule.cooldown_days,
        rule.sla_hours,
        rule.team,
        override,
        rule.the_reason,
    ]
    return sql, params


def _touchpoint_filters(rule: Rule, where: list[str], params: list[Any]) -> None:
    if rule.when.touchpoint_in:
        where.append(f"t.touchpoint_id IN ({placeholders(rule.when.touchpoint_in)})")
        params.extend(rule.when.touchpoint_in)
    if rule.when.stage_in:
        where.append(f"t.stage IN ({placeholders(rule.when.stage_in)})")
        params.extend(s.lower() for s in rule.when.stage_in)


def _like(words: list[str]) -> list[str]:
    escaped = (
        w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words
    )
    return [f"%{w}%" for w in escaped]


def _feedback(rule: Rule, since: datetime, as_of: datetime) -> Compiled:
    w = rule.when
    head, params = _head(rule)
    where = [
        "f.customer_id IS NOT NULL",
        "f.received_at > CAST(? AS TIMESTAMPTZ)",
        "f.received_at <= CAST(? AS TIMESTAMPTZ)",
    ]
    wparams: list[Any] = [since, as_of]
    for column, limit in (
        ("nps", w.nps_at_most),
        ("csat", w.csat_at_most),
        ("ces", w.ces_at_most),
        ("rating", w.rating_at_most),
    ):
        if limit is not None:
            where.append(f"f.{column} <= ?")
            wparams.append(limit)
    if w.source_in:
        where.append(f"f.source IN ({placeholders(w.source_in)})")
        wparams.extend(s.lower() for s in w.source_in)
    if w.text_contains:
        where.append(
            "("
            + " OR ".join("f.text ILIKE ? ESCAPE '\\'" for _ in w.text_contains)
            + ")"
        )
        wparams.extend(_like(w.text_contains))
    if w.negative_aspect:
        where.append(
            "EXISTS (SELECT 1 FROM feedback_aspects a WHERE a.feedback_id = "
            f"f.feedback_id AND a.aspect IN ({placeholders(w.negative_aspect)}) "
            "AND (a.polarity = 'negative' OR a.sentiment < 0))"
        )
        wparams.extend(a.lower() for a in w.negative_aspect)
    if w.sentiment_below is not None:
        where.append(
            "EXISTS (SELECT 1 FROM feedback_text x WHERE x.feedback_id = "
            "f.feedback_id AND x.sentiment < ?)"
        )
        wparams.append(w.sentiment_below)
    _touchpoint_filters(rule, where, wparams)
    detail = (
        "concat_ws('; ', 'NPS ' || CAST(f.nps AS TEXT), 'CSAT ' || CAST(f.csat AS "
        "TEXT), 'CES ' || CAST(f.ces AS TEXT), substr(f.text, 1, 140))"
    )
    sql = (
        f"{head}'feedback', f.feedback_id, f.customer_id, f.touchpoint_id, "
        f"f.feedback_id, f.interaction_id, f.received_at, {detail} "
        "FROM feedback f LEFT JOIN touchpoints t ON t.touchpoint_id = f.touchpoint_id "
        f"WHERE {' AND '.join(where)}"
    )
    return Compiled(sql, params + wparams)


def _promise_metric(conn: Connection) -> str | None:
    """CASE reading each touchpoint's promise metric from its interactions."""
    names = [
        str(r[0])
        for r in conn.fetchall(
            "SELECT DISTINCT promise_metric FROM touchpoints "
            "WHERE promise_metric IS NOT NULL AND promise_target IS NOT NULL"
        )
    ]
    arms = []
    for name in sorted(names):
        try:
            plain_name(name, "promise_metric")
        except ValueError:
            continue
        expr = (
            f"i.{name}"
            if name in _METRIC_COLUMNS
            else json_number(conn.dialect, "i.properties", name)
        )
        arms.append(f"WHEN '{name}' THEN {expr}")
    if not arms:
        return None
    return f"CASE t.promise_metric {' '.join(arms)} END"


def _interaction(
    conn: Connection, rule: Rule, since: datetime, as_of: datetime
) -> Compiled:
    w = rule.when
    head, params = _head(rule)
    where = [
        "i.occurred_at > CAST(? AS TIMESTAMPTZ)",
        "i.occurred_at <= CAST(? AS TIMESTAMPTZ)",
    ]
    wparams: list[Any] = [since, as_of]
    when_sql = "i.occurred_at"
    detail = "concat_ws('; ', i.type, i.outcome)"
    if w.outcome_in:
        where.append(f"i.outcome IN ({placeholders(w.outcome_in)})")
        wparams.extend(o.lower() for o in w.outcome_in)
    if w.type_in:
        where.append(f"i.type IN ({placeholders(w.type_in)})")
        wparams.extend(o.lower() for o in w.type_in)
    if w.broken_promise:
        metric = _promise_metric(conn)
        if metric is None:
            return Compiled(
                notice=f"rule {rule.id}: skipped, no touchpoint names a "
                "promise_metric and promise_target"
            )
        where.append(f"({metric}) > t.promise_target")
        detail = (
            f"concat_ws('; ', i.type, i.outcome, t.promise_metric || ' ' || "
            f"CAST(round(CAST({metric} AS NUMERIC), 1) AS TEXT) || ' > ' || "
            "CAST(t.promise_target AS TEXT))"
        )
    if w.complaint_unanswered_hours is not None:
        window = minutes(str(float(w.complaint_unanswered_hours) * 60))
        where.append("i.type = 'complaint'")
        where.append(
            f"coalesce(i.outcome, '') NOT IN ({placeholders(ANSWERED_OUTCOMES)})"
        )
        wparams.extend(ANSWERED_OUTCOMES)
        where.append(f"i.occurred_at + {window} <= CAST(? AS TIMESTAMPTZ)")
        wparams.append(as_of)
        where.append(
            "NOT EXISTS (SELECT 1 FROM interactions r WHERE r.customer_id = "
            "i.customer_id AND r.occurred_at > i.occurred_at AND r.occurred_at <= "
            f"i.occurred_at + {window} AND r.type IN ({placeholders(REPLY_TYPES)}) "
            f"AND coalesce(r.outcome, '') NOT IN ({placeholders(_NOT_REACHED)}))"
        )
        wparams.extend(REPLY_TYPES)
        wparams.extend(_NOT_REACHED)
        when_sql = f"i.occurred_at + {window}"
        detail = "concat_ws('; ', 'complaint', i.outcome, 'no reply')"
    _touchpoint_filters(rule, where, wparams)
    sql = (
        f"{head}'interaction', i.interaction_id, i.customer_id, i.touchpoint_id, "
        f"NULL, i.interaction_id, {when_sql}, {detail} "
        "FROM interactions i LEFT JOIN touchpoints t "
        f"ON t.touchpoint_id = i.touchpoint_id WHERE {' AND '.join(where)}"
    )
    return Compiled(sql, params + wparams)


def _value(conn: Connection, rule: Rule, as_of: datetime) -> Compiled:
    w = rule.when
    table = w.value_table
    if not conn.table_exists(table):
        return Compiled(
            notice=f"rule {rule.id}: skipped, no table {table!r} yet "
            "(customer value scores come from the value area)"
        )
    have = columns_of(conn, table)
    needed = {"customer_id", "p_alive"} | ({"clv"} if w.clv_at_least else set())
    if not needed <= have:
        missing = ", ".join(sorted(needed - have))
        return Compiled(notice=f"rule {rule.id}: skipped, {table} lacks {missing}")
    if conn.scalar(f"SELECT 1 FROM {table} LIMIT 1") is None:
        return Compiled(
            notice=f"rule {rule.id}: skipped, {table} is empty "
            "(run `esperia clv predict` for customer value scores)"
        )
    head, params = _head(rule)
    where = ["v.customer_id IS NOT NULL", "v.p_alive IS NOT NULL"]
    wparams: list[Any] = []
    if w.p_alive_below is not None:
        where.append("v.p_alive < ?")
        wparams.append(w.p_alive_below)
    if w.clv_at_least is not None:
        where.append("v.clv >= ?")
        wparams.append(w.clv_at_least)
    # One trigger per customer and tenth of probability: a further drop opens
    # a new case, the same score seen again does not.
    band = "CAST(CAST(floor(v.p_alive * 10) AS INTEGER) AS TEXT)"
    sql = (
        f"{head}'value', v.customer_id || ':p' || {band}, v.customer_id, NULL, "
        "NULL, NULL, CAST(? AS TIMESTAMPTZ), "
        "'p(alive) ' || CAST(round(CAST(v.p_alive AS NUMERIC), 2) AS TEXT) "
        f"FROM {table} v WHERE {' AND '.join(where)}"
    )
    return Compiled(sql, [*params, as_of, *wparams])


def compile_rule(
    conn: Connection, rule: Rule, since: datetime, as_of: datetime
) -> Compiled:
    """The SELECT of candidate rows for ``rule`` between ``since`` and ``as_of``."""
    if rule.on == "feedback":
        return _feedback(rule, since, as_of)
    if rule.on == "interaction":
        return _interaction(conn, rule, since, as_of)
    return _value(conn, rule, as_of)
