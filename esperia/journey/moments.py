"""Moments of truth: the touchpoints whose bad experiences lose customers.

A *moment* is a touchpoint and a kind of bad experience there: a failed,
late, unanswered or unresolved outcome (``<type>:<outcome>``), a broken
promise (the touchpoint's ``promise_metric`` above ``promise_target``), or
negative feedback about the interaction. For each moment Esperia compares the
customers who lived it with the customers who met the same touchpoint without
a bad experience:

- **retention drop** — share still active ``horizon`` days later (normal
  experiences minus bad ones; experiences closer than ``horizon`` to the end
  of the data are left out, their future is unknown);
- **satisfaction drop** — the mean of the customer's feedback scores in the
  60 days after (NPS/10, (CSAT-1)/4, (rating-1)/4, or text sentiment mapped to
  0-1 when there is no score).

Harm = retention drop + satisfaction drop (both on a 0-1 scale); moments are
ranked by it. The comparison is observational: customers who meet a late
parcel differ from others in more than the parcel, so harm is an association.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import rankdata

from esperia.errors import InvalidInput
from esperia.journey.eventlog import EventLog
from esperia.store.database import Connection

__all__ = ["BAD_OUTCOMES", "GOOD_OUTCOMES", "experience_index", "moments_of_truth"]

#: Outcomes that mean the contact went wrong for the customer.
BAD_OUTCOMES = (
    "failed",
    "late",
    "unanswered",
    "unresolved",
    "cart_abandoned",
    "rejected",
)
#: Interactions that are the customer's voice about some other experience
#: (a negative review is not a bad moment at the review site).
VOICE_TYPES = ("review", "comment", "social_view")
#: Outcomes that mean it went right (scored 1 in the experience index).
GOOD_OUTCOMES = ("ok", "resolved", "attended", "refunded", "redeemed", "clicked")

_SCORE = """CASE
    WHEN f.nps IS NOT NULL THEN f.nps / 10.0
    WHEN f.csat IS NOT NULL THEN (f.csat - 1) / 4.0
    WHEN f.rating IS NOT NULL THEN (f.rating - 1) / 4.0
    WHEN ft.sentiment IS NOT NULL THEN (ft.sentiment + 1) / 2.0
END"""


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _has_text(conn: Connection) -> bool:
    try:
        conn.scalar("SELECT count(*) FROM feedback_text WHERE 1 = 0")
    except Exception:  # the text tables are optional
        return False
    return True


def _epoch(conn: Connection, expr: str) -> str:
    if conn.dialect == "duckdb":
        return f"(epoch_us({expr}) / 1e6)"
    return f"CAST(extract(epoch FROM {expr}) AS DOUBLE PRECISION)"


def _experiences_sql(conn: Connection) -> str:
    """Per interaction: its bad kind (or NULL), the linked feedback score."""
    text_join = (
        "LEFT JOIN feedback_text ft ON ft.feedback_id = f.feedback_id"
        if _has_text(conn)
        else "LEFT JOIN (SELECT CAST(NULL AS TEXT) AS feedback_id, "
        "CAST(NULL AS DOUBLE PRECISION) AS sentiment) ft ON 1 = 0"
    )
    metric = (
        "CAST(json_extract_string(i.properties, '$.' || t.promise_metric) AS DOUBLE)"
        if conn.dialect == "duckdb"
        else "CAST(i.properties ->> t.promise_metric AS DOUBLE PRECISION)"
    )
    broken = f"""(t.promise_metric IS NOT NULL AND t.promise_target IS NOT NULL
        AND coalesce(CASE t.promise_metric WHEN 'wait_s' THEN i.wait_s
                     WHEN 'duration_s' THEN i.duration_s ELSE {metric} END,
                     -1e300) > t.promise_target)"""
    return f"""
        WITH linked AS (
            SELECT f.interaction_id, avg({_SCORE}) AS score
            FROM feedback f {text_join}
            WHERE f.interaction_id IS NOT NULL
            GROUP BY f.interaction_id
        )
        SELECT i.interaction_id, i.customer_id, i.touchpoint_id, i.occurred_at,
               CASE
                 WHEN i.outcome IN ({_list(BAD_OUTCOMES)})
                   THEN coalesce(i.type, 'contact') || ':' || i.outcome
                 WHEN {broken} THEN 'broken_promise'
                 WHEN l.score < 0.5
                      AND coalesce(i.type, '') NOT IN ({_list(VOICE_TYPES)})
                   THEN 'negative_feedback'
               END AS bad_kind,
               l.score AS linked_score,
               i.outcome
        FROM interactions i
        LEFT JOIN touchpoints t ON t.touchpoint_id = i.touchpoint_id
        LEFT JOIN linked l ON l.interaction_id = i.interaction_id"""


def moments_of_truth(
    conn: Connection,
    *,
    horizon_days: int = 90,
    min_events: int = 20,
    limit: int = 20,
) -> dict[str, Any]:
    """Moments ranked by harm (retention drop + satisfaction drop)."""
    if horizon_days < 1 or min_events < 1:
        raise InvalidInput("--horizon-days and --min-events must be at least 1")
    horizon_s = float(horizon_days) * 86400.0
    text_join = (
        "LEFT JOIN feedback_text ft ON ft.feedback_id = f.feedback_id"
        if _has_text(conn)
        else "LEFT JOIN (SELECT CAST(NULL AS TEXT) AS feedback_id, "
        "CAST(NULL AS DOUBLE PRECISION) AS sentiment) ft ON 1 = 0"
    )
    e = lambda x: _epoch(conn, x)  # noqa: E731
    sql = f"""
        WITH ex AS ({_experiences_sql(conn)}),
        last_seen AS (
            SELECT customer_id, max(occurred_at) AS last_at FROM interactions
            GROUP BY customer_id
        ),
        data_end AS (SELECT max(occurred_at) AS end_at FROM interactions),
        scored AS (
            SELECT f.customer_id, f.received_at, f.interaction_id, {_SCORE} AS score
            FROM feedback f {text_join}
            WHERE f.customer_id IS NOT NULL
        ),
        judged AS (
            SELECT ex.interaction_id, ex.touchpoint_id, ex.bad_kind,
                   CASE WHEN {e("ls.last_at")} - {e("ex.occurred_at")} > {horizon_s!r}
                        THEN 1.0 ELSE 0.0 END AS retained
            FROM ex
            JOIN last_seen ls ON ls.customer_id = ex.customer_id
            CROSS JOIN data_end d
            WHERE {e("d.end_at")} - {e("ex.occurred_at")} > {horizon_s!r}
        ),
        after AS (
            SELECT ex.interaction_id, avg(s.score) AS score_after
            FROM ex JOIN scored s ON s.customer_id = ex.customer_id
                AND s.received_at >= ex.occurred_at
                AND {e("s.received_at")} - {e("ex.occurred_at")} <= 5184000.0
            WHERE s.score IS NOT NULL
              AND (s.interaction_id IS NULL OR s.interaction_id <> ex.interaction_id)
            GROUP BY ex.interaction_id
        ),
        per_kind AS (
            SELECT j.touchpoint_id, j.bad_kind, count(*) AS n,
                   avg(j.retained) AS retention, avg(a.score_after) AS satisfaction
            FROM judged j LEFT JOIN after a ON a.interaction_id = j.interaction_id
            GROUP BY j.touchpoint_id, j.bad_kind
        )
        SELECT b.touchpoint_id, b.bad_kind, b.n, b.retention, b.satisfaction,
               g.n AS baseline_n, g.retention AS baseline_retention,
               g.satisfaction AS baseline_satisfaction, t.name, t.stage, t.channel
        FROM per_kind b
        JOIN per_kind g ON g.touchpoint_id = b.touchpoint_id AND g.bad_kind IS NULL
        LEFT JOIN touchpoints t ON t.touchpoint_id = b.touchpoint_id
        WHERE b.bad_kind IS NOT NULL AND b.n >= ? AND g.n >= ?"""
    rows = conn.fetch_dicts(sql, (min_events, min_events))
    moments = []
    for r in rows:
        retention_drop = float(r["baseline_retention"]) - float(r["retention"])
        sat_drop = None
        if r["satisfaction"] is not None and r["baseline_satisfaction"] is not None:
            sat_drop = float(r["baseline_satisfaction"]) - float(r["satisfaction"])
        harm = retention_drop + (sat_drop or 0.0)
        moments.append(
            {
                "touchpoint_id": r["touchpoint_id"],
                "touchpoint": r["name"],
                "stage": r["stage"],
                "channel": r["channel"],
                "experience": r["bad_kind"],
                "events": int(r["n"]),
                "baseline_events": int(r["baseline_n"]),
                "retention": round(float(r["retention"]), 4),
                "baseline_retention": round(float(r["baseline_retention"]), 4),
                "retention_drop": round(retention_drop, 4),
                "satisfaction_after": None
                if r["satisfaction"] is None
                else round(float(r["satisfaction"]), 4),
                "baseline_satisfaction": None
                if r["baseline_satisfaction"] is None
                else round(float(r["baseline_satisfaction"]), 4),
                "satisfaction_drop": None if sat_drop is None else round(sat_drop, 4),
                "harm": round(harm, 4),
                "customers_lost_estimate": round(
                    max(retention_drop, 0) * int(r["n"]), 1
                ),
            }
        )
    moments.sort(key=lambda m: (-m["harm"], m["touchpoint_id"], m["experience"]))
    return {
        "horizon_days": horizon_days,
        "min_events": min_events,
        "moments": moments[:limit],
        "considered": len(moments),
    }


def _auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney), ties counted half."""
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(scores)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def experience_index(log: EventLog, *, horizon_days: int = 90) -> dict[str, Any]:
    """Per journey, the plain average of experience scores and the peak-end index.

    Each scored experience is the linked feedback score (0-1) when there is
    one, else 0 for a bad experience and 1 for a good outcome. Peak-end is the
    mean of the worst and the last score of the journey (Kahneman's peak-end
    rule, with the negative peak). Retention: the customer is seen again
    within ``horizon_days`` after the journey ends (journeys ending closer to
    the end of the data are left out). AUC says how well each index ranks
    retained above lost journeys (0.5 is chance).
    """
    if not log.has("interaction_id"):
        raise InvalidInput("the experience index needs workspace journeys")
    conn = log.conn
    horizon_s = float(horizon_days) * 86400.0
    e = lambda x: _epoch(conn, x)  # noqa: E731
    rows = log.rows(
        f"""
        WITH ex AS ({_experiences_sql(conn)}),
        cut AS (SELECT max(occurred_at) AS end_at FROM interactions),
        steps AS (
            SELECT log_.case_id, log_.customer_id, log_.ts, log_.ord,
                   coalesce(ex.linked_score,
                            CASE WHEN ex.bad_kind IS NOT NULL THEN 0.0
                                 WHEN ex.outcome IN ({_list(GOOD_OUTCOMES)})
                                 THEN 1.0 END) AS score
            FROM {{log}} JOIN ex ON ex.interaction_id = log_.interaction_id
        ),
        ranked AS (
            SELECT case_id, customer_id, ts, score,
                   row_number() OVER (PARTITION BY case_id
                       ORDER BY ts DESC, ord DESC) AS back
            FROM steps WHERE score IS NOT NULL
        ),
        journeys AS (
            SELECT case_id, min(customer_id) AS customer_id, max(ts) AS ended_at,
                   avg(score) AS plain,
                   (min(score) + max(CASE WHEN back = 1 THEN score END)) / 2
                       AS peak_end
            FROM ranked GROUP BY case_id
        )
        SELECT j.plain, j.peak_end,
               CASE WHEN EXISTS (
                   SELECT 1 FROM interactions i
                   WHERE i.customer_id = j.customer_id
                     AND i.occurred_at > j.ended_at
                     AND {e("i.occurred_at")} - {e("j.ended_at")} <= {horizon_s!r}
               ) THEN 1 ELSE 0 END AS retained
        FROM journeys j CROSS JOIN cut
        WHERE {e("cut.end_at")} - {e("j.ended_at")} > {horizon_s!r}"""
    )
    if not rows:
        return {"journeys": 0, "auc_plain": None, "auc_peak_end": None, "better": None}
    data = np.asarray(rows, dtype=float)
    plain, peak_end, retained = data[:, 0], data[:, 1], data[:, 2].astype(int)
    auc_plain, auc_peak = _auc(plain, retained), _auc(peak_end, retained)
    better = None
    if auc_plain is not None and auc_peak is not None:
        better = "peak_end" if auc_peak > auc_plain else "plain"
    return {
        "journeys": len(rows),
        "retained_share": round(float(retained.mean()), 4),
        "mean_plain": round(float(plain.mean()), 4),
        "mean_peak_end": round(float(peak_end.mean()), 4),
        "auc_plain": None if auc_plain is None else round(auc_plain, 4),
        "auc_peak_end": None if auc_peak is None else round(auc_peak, 4),
        "better": better,
        "horizon_days": horizon_days,
    }
