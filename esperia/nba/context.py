"""A customer's context, computed in the engine for every customer at once.

One SELECT joins per-customer aggregates of orders, interactions, feedback
(with text analytics when present), open cases, the newest persona version,
the stored CLV and the actions already given. The same SELECT, restricted to
one customer, serves a customer the last scoring run has not seen yet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from esperia.act.cases import OPEN_STATUSES

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Connection

__all__ = [
    "BAD_OUTCOMES",
    "ContextWindow",
    "context_select",
    "holdout_sql",
    "in_holdout",
    "tier_cutoffs",
]

#: Interaction outcomes that count as an experience gone wrong.
BAD_OUTCOMES = ("late", "failed", "unanswered", "unresolved")
_SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class ContextWindow:
    """The clock and windows one scoring uses."""

    as_of: datetime
    recent_days: int
    tiers: tuple[float, float]  # CLV at or above: high, medium
    margin: float

    @property
    def recent_start(self) -> datetime:
        return self.as_of - timedelta(days=self.recent_days)

    @property
    def year_start(self) -> datetime:
        return self.as_of - timedelta(days=365)


def holdout_sql(dialect: str, column: str) -> str:
    """A 32-bit bucket of md5(seed ':' customer_id), identical on both engines
    and in :func:`in_holdout`; compare it with ``share * 2**32``."""
    digest = f"substr(md5(CAST(? AS TEXT) || ':' || {column}), 1, 8)"
    if dialect == "postgresql":
        return f"(('x' || {digest})::bit(32)::bigint)"
    return f"CAST(('0x' || {digest}) AS UBIGINT)"


def in_holdout(customer_id: str, settings: Settings) -> bool:
    """Whether the customer is in the holdout (the same hash as the SQL)."""
    digest = hashlib.md5(  # a bucket, not a secret
        f"{settings.nba_holdout_seed}:{customer_id}".encode()
    ).hexdigest()
    return int(digest[:8], 16) < holdout_threshold(settings)


def holdout_threshold(settings: Settings) -> int:
    return round(settings.nba_holdout_share * 2**32)


def _days(dialect: str, start: str) -> str:
    """Whole days from ``start`` to the scoring clock (a ``?`` parameter)."""
    return (
        f"CAST(floor(extract(epoch FROM (CAST(? AS TIMESTAMPTZ) - {start})) / "
        f"{_SECONDS_PER_DAY}) AS INTEGER)"
    )


def tier_cutoffs(conn: Connection, settings: Settings) -> tuple[float, float]:
    """CLV (or 12-month revenue where no CLV is stored) at the tier boundaries."""
    high, medium = sorted(settings.nba_tier_shares)[:2]
    if conn.scalar("SELECT 1 FROM customer_value LIMIT 1") is not None:
        source = "SELECT clv AS x FROM customer_value"
    else:
        source = "SELECT sum(revenue) AS x FROM orders GROUP BY customer_id"
    row = conn.fetchone(
        "SELECT percentile_cont(?) WITHIN GROUP (ORDER BY x), "
        f"percentile_cont(?) WITHIN GROUP (ORDER BY x) FROM ({source}) s",
        (1.0 - high, 1.0 - medium),
    )
    if row is None or row[0] is None:
        return (0.0, 0.0)
    return (float(row[0]), float(row[1]))


def context_select(
    dialect: str,
    window: ContextWindow,
    settings: Settings,
    customer_id: str | None = None,
) -> tuple[str, list[Any]]:
    """The context of every customer (or one), and its parameters in order."""
    params: list[Any] = []
    one = "" if customer_id is None else " AND customer_id = ?"

    def only() -> str:
        if customer_id is not None:
            params.append(customer_id)
        return one

    as_of = window.as_of
    statuses = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    bad = ", ".join(f"'{s}'" for s in BAD_OUTCOMES)
    ctes = []
    params.extend([window.year_start, as_of])
    ctes.append(
        "o AS (SELECT customer_id, count(*) AS orders_total, min(ordered_at) AS "
        "first_order_at, max(ordered_at) AS last_order_at, sum(CASE WHEN "
        "ordered_at > ? THEN revenue ELSE 0 END) AS revenue_12m, avg(revenue) AS "
        f"avg_order_value FROM orders WHERE ordered_at <= ?{only()} "
        "GROUP BY customer_id)"
    )
    params.extend([window.recent_start, as_of])
    ctes.append(
        "i AS (SELECT customer_id, sum(CASE WHEN occurred_at > ? AND "
        f"(outcome IN ({bad}) OR type = 'complaint') THEN 1 ELSE 0 END) AS "
        "bad_recent, sum(CASE WHEN type = 'event' AND coalesce(outcome, "
        "'attended') = 'attended' THEN 1 ELSE 0 END) AS events FROM interactions "
        f"WHERE occurred_at <= ?{only()} GROUP BY customer_id)"
    )
    score = (
        "coalesce(x.sentiment, (f.nps - 5) / 5.0, (f.csat - 3) / 2.0, "
        "(f.rating - 3) / 2.0)"
    )
    params.append(as_of)
    ctes.append(
        "fb AS (SELECT f.customer_id, f.received_at, f.touchpoint_id, f.nps, "
        f"f.csat, x.polarity, {score} AS sentiment, row_number() OVER (PARTITION "
        "BY f.customer_id ORDER BY f.received_at DESC, f.feedback_id DESC) AS rn, "
        "CASE WHEN f.nps IS NULL THEN NULL ELSE row_number() OVER (PARTITION BY "
        "f.customer_id, f.nps IS NULL ORDER BY f.received_at DESC, f.feedback_id "
        "DESC) END AS nps_rn FROM feedback f LEFT JOIN feedback_text x ON "
        "x.feedback_id = f.feedback_id WHERE f.customer_id IS NOT NULL AND "
        f"f.received_at <= ?{only().replace('customer_id', 'f.customer_id')})"
    )
    params.append(window.recent_start)
    ctes.append(
        "fa AS (SELECT customer_id, max(CASE WHEN rn = 1 THEN received_at END) AS "
        "last_feedback_at, max(CASE WHEN rn = 1 THEN touchpoint_id END) AS "
        "last_touchpoint, max(CASE WHEN rn = 1 THEN sentiment END) AS "
        "last_sentiment, max(CASE WHEN rn = 1 THEN polarity END) AS last_polarity, "
        "max(CASE WHEN nps_rn = 1 THEN nps END) AS nps_last, sum(CASE WHEN "
        "received_at > ? AND (polarity = 'negative' OR nps <= 6 OR csat <= 2) "
        "THEN 1 ELSE 0 END) AS negative_recent FROM fb GROUP BY customer_id)"
    )
    ctes.append(
        "rel AS (SELECT f.customer_id, count(*) AS mentions FROM feedback_modules m "
        "JOIN feedback f ON f.feedback_id = m.feedback_id WHERE m.module = "
        f"'relate' AND coalesce(m.sentiment, 0) >= 0"
        f"{only().replace('customer_id', 'f.customer_id')} GROUP BY f.customer_id)"
    )
    ctes.append(
        "k AS (SELECT customer_id, count(*) AS open_cases FROM act_cases WHERE "
        f"status IN ({statuses}){only()} GROUP BY customer_id)"
    )
    ctes.append(
        "pm AS (SELECT m.customer_id, m.persona, m.version, p.name_it, p.name_en "
        "FROM persona_members m JOIN personas p ON p.version = m.version AND "
        "p.persona = m.persona WHERE m.version = (SELECT max(version) FROM "
        f"persona_versions){only().replace('customer_id', 'm.customer_id')})"
    )
    params.append(as_of)
    ctes.append(
        "g AS (SELECT customer_id, max(given_at) AS last_action_at FROM nba_given "
        f"WHERE given_at <= ?{only()} GROUP BY customer_id)"
    )
    ctes.append(
        "v AS (SELECT customer_id, max(clv) AS clv, max(p_alive) AS p_alive, "
        f"max(margin_rate) AS margin_rate FROM customer_value WHERE TRUE{only()} "
        "GROUP BY customer_id)"
    )
    value = "coalesce(v.clv, o.revenue_12m, 0)"
    tenure = _days(dialect, "coalesce(cu.first_seen_at, o.first_order_at)")
    # the final SELECT's parameters, in the order they appear in it
    params.extend([
        as_of,  # tenure
        window.tiers[0], window.tiers[1], window.margin,
        as_of,  # days_since_order
        as_of,  # days_since_feedback
        str(settings.nba_holdout_seed), holdout_threshold(settings),
    ])  # fmt: skip
    last_filter = only().replace("customer_id", "cu.customer_id")
    select = (
        "SELECT cu.customer_id, cu.language, cu.segment, cu.consent_marketing, "
        f"cu.consent_analytics, {tenure} AS tenure_days, pm.persona, "
        "pm.version AS persona_version, pm.name_it AS persona_name_it, "
        f"pm.name_en AS persona_name_en, {value} AS clv, v.p_alive, "
        "1 - v.p_alive AS churn_risk, "
        f"CASE WHEN {value} >= ? AND {value} > 0 THEN 'high' "
        f"WHEN {value} >= ? AND {value} > 0 THEN 'medium' ELSE 'low' END "
        "AS value_tier, coalesce(v.margin_rate, ?) AS margin_rate, "
        "coalesce(o.revenue_12m, 0) AS revenue_12m, "
        "coalesce(o.orders_total, 0) AS orders_total, o.avg_order_value, "
        f"{_days(dialect, 'o.last_order_at')} AS days_since_order, "
        "fa.last_feedback_at, fa.last_touchpoint, fa.last_sentiment, "
        "coalesce(fa.last_polarity, CASE WHEN fa.last_sentiment > 0.2 THEN "
        "'positive' WHEN fa.last_sentiment < -0.2 THEN 'negative' WHEN "
        "fa.last_sentiment IS NOT NULL THEN 'neutral' END) AS last_polarity, "
        f"{_days(dialect, 'fa.last_feedback_at')} AS days_since_feedback, "
        "fa.nps_last, CASE WHEN fa.nps_last >= 9 THEN 'promoter' WHEN "
        "fa.nps_last >= 7 THEN 'passive' WHEN fa.nps_last IS NOT NULL THEN "
        "'detractor' END AS nps_class, "
        "coalesce(i.bad_recent, 0) AS bad_experiences_recent, "
        "coalesce(fa.negative_recent, 0) AS negative_feedback_recent, "
        "coalesce(k.open_cases, 0) AS open_cases, "
        "coalesce(i.events, 0) AS events_attended, "
        "coalesce(rel.mentions, 0) AS relate_mentions, g.last_action_at, "
        f"{holdout_sql(dialect, 'cu.customer_id')} < ? AS holdout "
        "FROM customers cu "
        "LEFT JOIN o ON o.customer_id = cu.customer_id "
        "LEFT JOIN i ON i.customer_id = cu.customer_id "
        "LEFT JOIN fa ON fa.customer_id = cu.customer_id "
        "LEFT JOIN rel ON rel.customer_id = cu.customer_id "
        "LEFT JOIN k ON k.customer_id = cu.customer_id "
        "LEFT JOIN pm ON pm.customer_id = cu.customer_id "
        "LEFT JOIN g ON g.customer_id = cu.customer_id "
        "LEFT JOIN v ON v.customer_id = cu.customer_id "
        f"WHERE TRUE{last_filter}"
    )
    return "WITH " + ", ".join(ctes) + " " + select, params
