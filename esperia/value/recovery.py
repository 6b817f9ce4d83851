"""Money at risk for recovery cases: the CLV an incident is expected to cost.

Close the loop (:mod:`esperia.act`) prices every customer it is about to open a
case for through a pluggable function; this is the value area's. For each
customer listed in ``_act_who`` it finds their most recent bad experience in
the ``value_case_incident_days`` before the run's clock (the incident the case
is most likely about) and prices it at

* stored CLV x the loss fraction of that kind of experience from the last
  value-at-risk report (``esperia value at-risk``), when its harm is clear
  (95% interval of the hazard ratio above 1);
* stored CLV x ``value_case_loss_share`` otherwise (no report yet, no recent
  incident, an unclear effect, or a case opened for a falling probability alive);
* act's revenue fallback for customers without a ``customer_value`` row.

Everything runs as SQL on the store's engine; Python only reads the report's
few loss fractions.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from esperia.value.experience import EXPERIENCES, NEGATIVE_FEEDBACK, NEGATIVE_SQL

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Connection

__all__ = ["clv_money_at_risk", "has_clv", "loss_fractions"]


def has_clv(conn: Connection) -> bool:
    """Whether the workspace has stored CLV predictions (``esperia clv predict``)."""
    return conn.scalar("SELECT 1 FROM customer_value LIMIT 1") is not None


def loss_fractions(conn: Connection) -> dict[str, float]:
    """Share of CLV lost per incident, by experience, from the stored report.

    Only bad experiences whose hazard ratio's 95% interval lies above 1.
    """
    body = conn.scalar("SELECT body FROM value_reports WHERE name = 'at_risk'")
    if body is None:
        return {}
    report: dict[str, Any] = json.loads(body) if isinstance(body, str) else body
    bad = {e.name for e in (*EXPERIENCES, NEGATIVE_FEEDBACK) if not e.good}
    out: dict[str, float] = {}
    for effect in report.get("model", {}).get("effects", []):
        name = str(effect.get("covariate"))
        low, fraction = effect.get("ci_low"), effect.get("loss_fraction")
        if name not in bad or low is None or fraction is None:
            continue
        if float(low) > 1.0 and 0.0 < float(fraction) <= 1.0:
            out[name] = float(fraction)
    return out


def _incident_sql() -> str:
    kinds = " ".join(
        f"WHEN {e.condition} THEN '{e.name}'" for e in EXPERIENCES if not e.good
    )
    window = "BETWEEN CAST(? AS TIMESTAMPTZ) - CAST(? AS INTEGER) * INTERVAL '1 day' "
    window += "AND CAST(? AS TIMESTAMPTZ)"
    return f"""
        SELECT customer_id, ts, kind FROM (
            SELECT customer_id, occurred_at AS ts, CASE {kinds} END AS kind
            FROM interactions
            WHERE customer_id IN (SELECT customer_id FROM _act_who)
              AND occurred_at {window}
            UNION ALL
            SELECT customer_id, received_at, '{NEGATIVE_FEEDBACK.name}'
            FROM feedback
            WHERE customer_id IN (SELECT customer_id FROM _act_who)
              AND received_at {window} AND ({NEGATIVE_SQL})
        ) i WHERE kind IS NOT NULL
    """


def clv_money_at_risk(conn: Connection, settings: Settings, as_of: datetime) -> None:
    """Fill ``_act_money`` with each listed customer's expected CLV lost.

    The contract of :mod:`esperia.act.priority`; customers without a stored CLV
    are priced by act's revenue fallback.
    """
    from esperia.act.priority import fallback_money_at_risk

    fallback_money_at_risk(conn, settings, as_of)
    for table in ("_value_fallback", "_value_loss", "_value_inc"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute("CREATE TEMP TABLE _value_fallback AS SELECT * FROM _act_money")
    conn.execute("DROP TABLE _act_money")
    conn.execute("CREATE TEMP TABLE _value_loss (kind TEXT, fraction DOUBLE PRECISION)")
    for kind, fraction in sorted(loss_fractions(conn).items()):
        conn.execute("INSERT INTO _value_loss VALUES (?, ?)", (kind, fraction))
    days = int(settings.value_case_incident_days)
    conn.execute(
        "CREATE TEMP TABLE _value_inc AS SELECT customer_id, kind FROM ("
        "SELECT customer_id, kind, row_number() OVER (PARTITION BY customer_id "
        f"ORDER BY ts DESC, kind) AS pick FROM ({_incident_sql()}) x) y "
        "WHERE pick = 1",
        (as_of, days, as_of, as_of, days, as_of),
    )
    conn.execute(
        "CREATE TEMP TABLE _act_money AS "
        "SELECT w.customer_id, CAST(CASE WHEN v.clv IS NOT NULL "
        "THEN greatest(v.clv, 0) * coalesce(l.fraction, ?) "
        "ELSE f.money_at_risk END AS DOUBLE PRECISION) AS money_at_risk "
        "FROM (SELECT DISTINCT customer_id FROM _act_who) w "
        "LEFT JOIN (SELECT customer_id, max(clv) AS clv FROM customer_value "
        "GROUP BY customer_id) v ON v.customer_id = w.customer_id "
        "LEFT JOIN _value_inc i ON i.customer_id = w.customer_id "
        "LEFT JOIN _value_loss l ON l.kind = i.kind "
        "LEFT JOIN _value_fallback f ON f.customer_id = w.customer_id "
        "WHERE v.clv IS NOT NULL OR f.money_at_risk IS NOT NULL",
        (float(settings.value_case_loss_share),),
    )
    for table in ("_value_fallback", "_value_loss", "_value_inc"):
        conn.execute(f"DROP TABLE {table}")
