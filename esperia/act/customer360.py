"""A customer's 360° view for the agent handling their case.

Only for viewers allowed to see the customer (:mod:`esperia.act.access`), and
every read is written to the audit log. Feedback text is shown redacted when
text analytics has produced ``feedback_text.text_redacted``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from esperia.act.access import Viewer
from esperia.act.sqlparts import columns_of
from esperia.auth import audit
from esperia.errors import NotFound

if TYPE_CHECKING:
    from esperia.store import Connection, Store

__all__ = ["customer_view"]


def customer_view(
    store: Store, viewer: Viewer, customer_id: str, *, limit: int = 50
) -> dict[str, Any]:
    """Profile, persona, journey timeline, feedback, orders, value, open cases."""
    with store.connect() as conn:
        viewer.check_customer(conn, customer_id)
        rows = conn.fetch_dicts(
            "SELECT customer_id, name, email, phone, city, region, country, language, "
            "segment, first_seen_at, consent_marketing, consent_analytics "
            "FROM customers WHERE customer_id = ?",
            (customer_id,),
        )
        if not rows:
            raise NotFound(f"no customer {customer_id!r}")
        timeline = conn.fetch_dicts(
            "SELECT i.interaction_id, i.occurred_at, i.type, i.outcome, "
            "i.touchpoint_id, t.name AS touchpoint, t.stage FROM interactions i "
            "LEFT JOIN touchpoints t ON t.touchpoint_id = i.touchpoint_id "
            "WHERE i.customer_id = ? ORDER BY i.occurred_at DESC LIMIT ?",
            (customer_id, limit),
        )
        feedback = conn.fetch_dicts(
            "SELECT f.feedback_id, f.received_at, f.source, f.touchpoint_id, f.nps, "
            "f.csat, f.ces, f.rating, coalesce(x.text_redacted, f.text) AS text, "
            "x.text_redacted IS NOT NULL AS redacted, x.polarity FROM feedback f "
            "LEFT JOIN feedback_text x ON x.feedback_id = f.feedback_id "
            "WHERE f.customer_id = ? ORDER BY f.received_at DESC LIMIT ?",
            (customer_id, limit),
        )
        orders = conn.fetch_dicts(
            "SELECT order_id, ordered_at, revenue, currency, touchpoint_id, items "
            "FROM orders WHERE customer_id = ? ORDER BY ordered_at DESC LIMIT ?",
            (customer_id, limit),
        )
        totals = conn.fetchone(
            "SELECT count(*), coalesce(sum(revenue), 0) FROM orders "
            "WHERE customer_id = ?",
            (customer_id,),
        )
        where, params = viewer.team_filter("team")
        cases = conn.fetch_dicts(
            "SELECT case_id, reason, status, priority, team, due_at FROM act_cases "
            f"WHERE customer_id = ? AND {where} ORDER BY case_id DESC",
            [customer_id, *params],
        )
        value: dict[str, Any] | None = None
        if conn.table_exists("customer_value"):
            wanted = [
                c for c in ("clv", "p_alive") if c in columns_of(conn, "customer_value")
            ]
            if wanted:
                found = conn.fetch_dicts(
                    f"SELECT {', '.join(wanted)} FROM customer_value "
                    "WHERE customer_id = ?",
                    (customer_id,),
                )
                value = found[0] if found else None
        persona = _persona(conn, customer_id)
        audit.record(conn, viewer.actor, "customer_viewed", customer_id)
    return {
        "customer": rows[0],
        "timeline": timeline,
        "feedback": feedback,
        "orders": orders,
        "order_count": int(totals[0]) if totals else 0,
        "revenue": float(totals[1]) if totals else 0.0,
        "value": value,
        "persona": persona,
        "cases": cases,
    }


def _persona(conn: Connection, customer_id: str) -> dict[str, Any] | None:
    """The customer's persona in the newest version (None before any build)."""
    if not conn.table_exists("persona_members"):
        return None
    rows = conn.fetch_dicts(
        "SELECT p.version, p.persona, p.name_it, p.name_en FROM persona_members m "
        "JOIN personas p ON p.version = m.version AND p.persona = m.persona "
        "WHERE m.customer_id = ? AND m.version = (SELECT max(version) FROM "
        "persona_versions)",
        (customer_id,),
    )
    return rows[0] if rows else None
