"""Money at risk per customer: the hook the value area plugs into, and its fallback.

Contract of a money-at-risk function ``fn(conn, settings, as_of)``: the
connection holds a temporary table ``_act_who(customer_id TEXT)`` listing the
customers to price; ``fn`` must create a temporary table
``_act_money(customer_id TEXT, money_at_risk DOUBLE PRECISION)`` with at most
one row per listed customer, in SQL (no per-customer Python). Customers it
leaves out get 0.

Choose the function with the ``act_money_at_risk`` setting
(``"package.module:function"``) or :func:`register_money_at_risk` at start-up.
Without either, the default is the value area's expected CLV lost per
incident (:func:`esperia.value.recovery.clv_money_at_risk`) when the workspace
has stored CLV predictions, else the fallback. The fallback prices a customer
at their revenue of the last 12 months before ``as_of`` times
``act_base_loss_rate``: crude, but in money, ordered like the true loss for
most customers, and available on every workspace with orders.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from esperia.errors import InvalidInput

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Connection

__all__ = [
    "MoneyAtRisk",
    "band_for",
    "default_money_at_risk",
    "fallback_money_at_risk",
    "money_at_risk_function",
    "price_customers",
    "priority_sql",
    "register_money_at_risk",
]

MoneyAtRisk = Callable[["Connection", "Settings", datetime], None]

_REGISTERED: list[MoneyAtRisk] = []


def register_money_at_risk(fn: MoneyAtRisk | None) -> None:
    """Use ``fn`` for every later pricing in this process (None: back to default)."""
    _REGISTERED.clear()
    if fn is not None:
        _REGISTERED.append(fn)


def fallback_money_at_risk(
    conn: Connection, settings: Settings, as_of: datetime
) -> None:
    """Revenue of the last 12 months x ``act_base_loss_rate``."""
    conn.execute("DROP TABLE IF EXISTS _act_money")
    conn.execute(
        "CREATE TEMP TABLE _act_money AS "
        "SELECT o.customer_id, CAST(sum(o.revenue) * ? AS DOUBLE PRECISION) "
        "AS money_at_risk FROM orders o "
        "WHERE o.customer_id IN (SELECT customer_id FROM _act_who) "
        "AND o.ordered_at > CAST(? AS TIMESTAMPTZ) - INTERVAL '365 days' "
        "AND o.ordered_at <= CAST(? AS TIMESTAMPTZ) GROUP BY o.customer_id",
        (float(settings.act_base_loss_rate), as_of, as_of),
    )


def default_money_at_risk(
    conn: Connection, settings: Settings, as_of: datetime
) -> None:
    """Expected CLV lost when CLV predictions are stored, else the fallback."""
    from esperia.value.recovery import clv_money_at_risk, has_clv

    if has_clv(conn):
        clv_money_at_risk(conn, settings, as_of)
    else:
        fallback_money_at_risk(conn, settings, as_of)


def money_at_risk_function(settings: Settings) -> MoneyAtRisk:
    """The function in force: registered, else from settings, else the default."""
    if _REGISTERED:
        return _REGISTERED[0]
    target = settings.act_money_at_risk
    if not target:
        return default_money_at_risk
    module_name, _, attr = target.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError):
        raise InvalidInput(
            f"act_money_at_risk = {target!r}: no such function "
            "(write it as 'package.module:function')"
        ) from None
    if not callable(fn):
        raise InvalidInput(f"act_money_at_risk = {target!r} is not a function")
    return fn


def price_customers(conn: Connection, settings: Settings, as_of: datetime) -> None:
    """Fill ``_act_money`` for the customers in ``_act_who``."""
    money_at_risk_function(settings)(conn, settings, as_of)


def band_for(settings: Settings, money: float) -> str:
    """high / medium / low for one amount (the cut-offs of :func:`priority_sql`)."""
    medium, high = sorted(settings.act_priority_thresholds)[:2]
    return "high" if money >= high else "medium" if money >= medium else "low"


def priority_sql(settings: Settings, money: str) -> tuple[str, list[float]]:
    """A CASE turning money at risk into high / medium / low, and its parameters."""
    thresholds = sorted(settings.act_priority_thresholds)
    if len(thresholds) != 2:
        raise InvalidInput("act_priority_thresholds needs two numbers: medium, high")
    medium, high = thresholds
    sql = (
        f"CASE WHEN coalesce({money}, 0) >= ? THEN 'high' "
        f"WHEN coalesce({money}, 0) >= ? THEN 'medium' ELSE 'low' END"
    )
    return sql, [high, medium]
