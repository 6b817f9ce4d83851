"""Real-time lookups: a customer's context and next best actions.

Each request reads one precomputed row of ``nba_context`` through a connection
kept open per server thread, and formats it; reasons are rendered in the
customer's (or the caller's) language. A customer the last scoring run has not
seen is scored on the spot with the same SQL, restricted to them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from esperia.errors import InvalidInput, NotFound
from esperia.nba.catalogue import Catalogue, load_catalogue, render_reason
from esperia.nba.context import ContextWindow, context_select, tier_cutoffs
from esperia.nba.jobs import job_state
from esperia.nba.scoring import (
    CONTEXT_COLUMNS,
    PAYLOAD_COLUMNS,
    SEPARATOR,
    TIMESTAMPS,
    rank_context,
)
from esperia.nba.snapshot import UNKNOWN, snapshot_payload, snapshot_state

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Store

__all__ = [
    "actions_from_row",
    "context_from_row",
    "customer_context",
    "lookup",
    "memory_row",
    "next_best_actions",
    "scoring_status",
    "stored_row",
]

_LOOKUP = "SELECT payload FROM nba_context WHERE customer_id = ?"
_INTS = frozenset({
    "tenure_days", "persona", "persona_version", "orders_total", "days_since_order",
    "days_since_feedback", "nps_last", "bad_experiences_recent",
    "negative_feedback_recent", "open_cases", "events_attended", "relate_mentions",
})  # fmt: skip
_FLOATS = frozenset({
    "clv", "p_alive", "churn_risk", "margin_rate", "revenue_12m", "avg_order_value",
    "last_sentiment",
})  # fmt: skip
_BOOLS = frozenset({"consent_marketing", "consent_analytics", "holdout"})
_LABELS = {
    "it": {
        "high": "alto", "medium": "medio", "low": "basso", "promoter": "promotore",
        "passive": "passivo", "detractor": "detrattore",
    },
}  # fmt: skip
_catalogues: dict[tuple[str, float], Catalogue] = {}


def _catalogue(settings: Settings) -> Catalogue:
    """The catalogue, re-read only when its file changes."""
    path = settings.nba_catalogue or settings.workspace / "nba_actions.yaml"
    stamp = path.stat().st_mtime if path.is_file() else 0.0
    key = (str(path), stamp)
    found = _catalogues.get(key)
    if found is None:
        found = load_catalogue(settings)
        _catalogues.clear()
        _catalogues[key] = found
    return found


def lookup(store: Store, settings: Settings, customer_id: str) -> dict[str, Any]:
    """The stored context row of a customer, or one computed now; NotFound for
    a customer the store does not hold."""
    row = stored_row(store, settings, customer_id)
    return row if row is not None else _live(store, settings, customer_id)


def stored_row(
    store: Store, settings: Settings, customer_id: str
) -> dict[str, Any] | None:
    """The row the last scoring run stored for a customer, or ``None`` when it
    has none: from the in-memory copy when it can say, else one indexed point
    read on a pooled connection."""
    payload = snapshot_payload(store, settings, customer_id)
    if payload is UNKNOWN:
        with store.pooled() as conn:
            rows = conn.fetchall(_LOOKUP, (customer_id,))
        payload = str(rows[0][0]) if rows else None
    return None if payload is None else _unpack(customer_id, payload, settings)


def memory_row(
    store: Store, settings: Settings, customer_id: str
) -> dict[str, Any] | None:
    """The stored row from the in-memory copy only (no database call, so safe
    on the event loop), or ``None`` when the copy cannot give it."""
    payload = snapshot_payload(store, settings, customer_id)
    if payload is UNKNOWN or payload is None:
        return None
    return _unpack(customer_id, payload, settings)


def _unpack(customer_id: str, payload: str, settings: Settings) -> dict[str, Any]:
    """The stored row back from its packed text (see PAYLOAD_COLUMNS)."""
    zone = ZoneInfo(settings.timezone)
    row: dict[str, Any] = {"customer_id": customer_id, "scored": True}
    for name, text in zip(PAYLOAD_COLUMNS, payload.split(SEPARATOR), strict=True):
        if text == "":
            row[name] = "" if name == "ranked" else None
        elif name in _INTS:
            row[name] = int(float(text))
        elif name in _FLOATS:
            row[name] = float(text)
        elif name in _BOOLS:
            row[name] = text.lower() in ("true", "t")
        elif name in TIMESTAMPS:
            row[name] = datetime.fromtimestamp(float(text), zone)
        else:
            row[name] = text
    return row


def _live(store: Store, settings: Settings, customer_id: str) -> dict[str, Any]:
    from esperia.act.rules.engine import data_clock
    from esperia.nba.measure import current_effects

    catalogue = _catalogue(settings)
    with store.connect() as conn:
        if (
            conn.scalar("SELECT 1 FROM customers WHERE customer_id = ?", (customer_id,))
            is None
        ):
            raise NotFound(f"no customer {customer_id!r}")
        last = conn.fetchone(
            "SELECT as_of, effects FROM nba_runs ORDER BY run_id DESC LIMIT 1"
        )
        if last is not None:
            body = json.loads(last[1])
            effects, average = body["effects"], float(body["average_clv"])
            tiers = (float(body["tiers"][0]), float(body["tiers"][1]))
        else:
            clock = data_clock(conn) or datetime.now(UTC)
            effects = current_effects(conn, settings, catalogue, clock)
            tiers = tier_cutoffs(conn, settings)
            average = float(
                conn.scalar("SELECT avg(clv) FROM customer_value WHERE clv > 0") or 0
            )
        clock = data_clock(conn) or datetime.now(UTC)
        clock = clock if clock.tzinfo else clock.replace(tzinfo=UTC)
        window = ContextWindow(
            clock, settings.nba_recent_days, tiers, settings.clv_default_margin
        )
        sql, params = context_select(conn.dialect, window, settings, customer_id)
        conn.execute("DROP TABLE IF EXISTS _nba_ctx")
        conn.execute(f"CREATE TEMP TABLE _nba_ctx AS {sql}", params)
        rank_context(conn, settings, catalogue, effects, clock, average)
        rows = conn.fetchall(
            f"SELECT {', '.join('c.' + c for c in CONTEXT_COLUMNS)}, r.ranked "
            "FROM _nba_ctx c LEFT JOIN _nba_rank r ON r.customer_id = c.customer_id"
        )
        for table in ("_nba_ctx", "_nba_cand", "_nba_last", "_nba_rank"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    row = dict(zip((*CONTEXT_COLUMNS, "ranked"), rows[0], strict=True))
    row.update(as_of=clock, scored=False)
    return row


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _num(value: Any, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _language(row: dict[str, Any], settings: Settings, lang: str | None) -> str:
    if lang is not None:
        if lang not in ("it", "en"):
            raise InvalidInput(f"lang {lang!r}: use it or en")
        return lang
    own = (row.get("language") or "").lower()[:2]
    if own in ("it", "en"):
        return own
    first = settings.languages[0] if settings.languages else "en"
    return first if first in ("it", "en") else "en"


def _context_dict(row: dict[str, Any], lang: str) -> dict[str, Any]:
    persona = None
    if row["persona"] is not None:
        persona = {
            "id": int(row["persona"]),
            "version": int(row["persona_version"]),
            "name": row[f"persona_name_{lang}"],
        }
    return {
        "customer_id": row["customer_id"],
        "scored": row["scored"],
        "as_of": _iso(row["as_of"]),
        "holdout": bool(row["holdout"]),
        "persona": persona,
        "value": {
            "tier": row["value_tier"],
            "clv": _num(row["clv"]),
            "p_alive": _num(row["p_alive"], 4),
            "churn_risk": _num(row["churn_risk"], 4),
            "revenue_12m": _num(row["revenue_12m"]),
            "orders": int(row["orders_total"] or 0),
            "days_since_order": row["days_since_order"],
            "tenure_days": row["tenure_days"],
        },
        "open_cases": int(row["open_cases"] or 0),
        "last_experience": None if row["last_feedback_at"] is None else {
            "at": _iso(row["last_feedback_at"]),
            "touchpoint_id": row["last_touchpoint"],
            "sentiment": _num(row["last_sentiment"], 3),
            "polarity": row["last_polarity"],
        },
        "recent": {
            "bad_experiences": int(row["bad_experiences_recent"] or 0),
            "negative_feedback": int(row["negative_feedback_recent"] or 0),
        },
        "nps": {"last": row["nps_last"], "class": row["nps_class"]},
        "preferences": {
            "language": row["language"],
            "segment": row["segment"],
            "events_attended": int(row["events_attended"] or 0),
            "community_mentions": int(row["relate_mentions"] or 0),
        },
        "consent": {
            "marketing": row["consent_marketing"],
            "analytics": row["consent_analytics"],
        },
        "last_action_at": _iso(row["last_action_at"]),
    }  # fmt: skip


def customer_context(
    store: Store, settings: Settings, customer_id: str, lang: str | None = None
) -> dict[str, Any]:
    """Persona, value tier, CLV, churn risk, open cases, last experience and its
    sentiment, preferences and consent of one customer."""
    return context_from_row(lookup(store, settings, customer_id), settings, lang)


def context_from_row(
    row: dict[str, Any], settings: Settings, lang: str | None = None
) -> dict[str, Any]:
    """:func:`customer_context` of a row already read (see :func:`lookup`)."""
    return _context_dict(row, _language(row, settings, lang))


def _actions(
    row: dict[str, Any], catalogue: Catalogue, lang: str
) -> list[dict[str, Any]]:
    fill = dict(row)
    labels = _LABELS.get(lang, {})
    for key in ("value_tier", "nps_class"):
        fill[key] = labels.get(fill.get(key) or "", fill.get(key))
    for key in ("clv", "churn_risk", "last_sentiment"):
        if fill.get(key) is not None:
            fill[key] = float(fill[key])
    out = []
    for rank, item in enumerate((row["ranked"] or "").split(";"), start=1):
        if not item:
            continue
        action_id, effect, stake, cost, ev = item.split("|")
        action = catalogue.by_id.get(action_id)
        if action is None:  # the catalogue changed since scoring
            continue
        out.append({
            "rank": rank,
            "action_id": action_id,
            "name": action.name[lang],
            "channel": action.channel,
            "effect": float(effect),
            "value_at_stake": float(stake),
            "cost": float(cost),
            "expected_value": float(ev),
            "recommended": float(ev) > 0,
            "reason": render_reason(action.reason[lang], fill),
        })  # fmt: skip
    return out


def next_best_actions(
    store: Store, settings: Settings, customer_id: str, lang: str | None = None
) -> dict[str, Any]:
    """The ranked actions with their EV and reason; none for holdout customers."""
    return actions_from_row(lookup(store, settings, customer_id), settings, lang)


def actions_from_row(
    row: dict[str, Any], settings: Settings, lang: str | None = None
) -> dict[str, Any]:
    """:func:`next_best_actions` of a row already read (see :func:`lookup`)."""
    customer_id = row["customer_id"]
    language = _language(row, settings, lang)
    holdout = bool(row["holdout"])
    actions = [] if holdout else _actions(row, _catalogue(settings), language)
    next_contact = None
    if row["last_action_at"] is not None:
        last = row["last_action_at"]
        next_contact = _iso(last + timedelta(days=settings.nba_contact_days))
    return {
        "customer_id": customer_id,
        "language": language,
        "scored": row["scored"],
        "as_of": _iso(row["as_of"]),
        "holdout": holdout,
        "actions": actions,
        "next_contact_from": next_contact,
    }


def scoring_status(store: Store) -> dict[str, Any]:
    """The newest scoring run, what this process holds in memory of it, and
    its scoring job (running, progress, how the last one ended)."""
    with store.connect() as conn:
        row = conn.fetchone(
            "SELECT run_id, scored_at, as_of, customers, with_action, holdout, "
            "seconds FROM nba_runs ORDER BY run_id DESC LIMIT 1"
        )
    last = None
    if row is not None:
        last = {
            "run_id": int(row[0]),
            "scored_at": _iso(row[1]),
            "as_of": _iso(row[2]),
            "customers": int(row[3]),
            "with_action": int(row[4]),
            "holdout": int(row[5]),
            "seconds": round(float(row[6]), 2),
        }
    return {"last_run": last, "memory": snapshot_state(store), "job": job_state(store)}
