"""The outer loop: root causes across cases become action plans on touchpoints.

A plan names a touchpoint, the root cause, an owner, a due date, the expected
effect and the metric to watch. Once it is marked fixed, :func:`plan_effect`
compares the metric in equal windows before and after the fix date: Welch's t
test for mean scores (NPS, CSAT), a two-proportion z test for rates (promise
kept, failures), both from aggregates the engine computes.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from scipy import stats

from esperia.act.sqlparts import json_number
from esperia.auth import audit
from esperia.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from esperia.store import Connection, Store

__all__ = [
    "METRICS",
    "create_plan",
    "list_plans",
    "mark_fixed",
    "plan_effect",
    "root_causes",
]

#: metric → (kind, description)
METRICS = {
    "nps": ("mean", "mean NPS of feedback on the touchpoint"),
    "csat": ("mean", "mean CSAT of feedback on the touchpoint"),
    "promise_kept": ("rate", "share of interactions within the touchpoint's promise"),
    "failure_rate": (
        "rate",
        "share of interactions failed, late, unanswered or unresolved",
    ),
}
_FAILED = "('failed', 'late', 'unanswered', 'unresolved')"


def root_causes(store: Store, *, days: int = 90) -> list[dict[str, Any]]:
    """Cases by touchpoint and root cause (or reason), with negative aspects."""
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT coalesce(k.touchpoint_id, '-') AS touchpoint_id, "
            "max(t.name) AS touchpoint, max(t.owner_team) AS owner_team, "
            "coalesce(k.root_cause, k.reason) AS cause, count(*) AS cases, "
            "sum(CASE WHEN k.status IN ('new', 'in_progress', 'waiting_customer') "
            "THEN 1 ELSE 0 END) AS open_cases, "
            "sum(coalesce(k.money_at_risk, 0)) AS money_at_risk "
            "FROM act_cases k LEFT JOIN touchpoints t ON t.touchpoint_id = "
            "k.touchpoint_id GROUP BY 1, 4 ORDER BY cases DESC, 1, 4 LIMIT 100"
        )
        aspects = conn.fetchall(
            "SELECT f.touchpoint_id, a.aspect, count(*) FROM feedback_aspects a "
            "JOIN feedback f ON f.feedback_id = a.feedback_id "
            "WHERE a.polarity = 'negative' AND f.received_at > "
            "(SELECT max(received_at) FROM feedback) - "
            f"INTERVAL '{int(days)} days' GROUP BY 1, 2"
        )
    by_tp: dict[str, list[tuple[str, int]]] = {}
    for tp, aspect, n in aspects:
        by_tp.setdefault(str(tp), []).append((str(aspect), int(n)))
    for row in rows:
        top = sorted(by_tp.get(row["touchpoint_id"], []), key=lambda x: -x[1])[:3]
        row["negative_aspects"] = [{"aspect": a, "mentions": n} for a, n in top]
        row["money_at_risk"] = round(float(row["money_at_risk"] or 0), 2)
    return rows


def create_plan(
    store: Store,
    *,
    touchpoint_id: str,
    root_cause: str,
    title: str,
    metric: str,
    owner: str | None = None,
    due_at: datetime | None = None,
    expected_effect: str | None = None,
    actor: str,
) -> dict[str, Any]:
    """Record an action plan on a touchpoint."""
    if metric not in METRICS:
        raise InvalidInput(f"metric {metric!r}: choose {', '.join(METRICS)}")
    if not title.strip() or not root_cause.strip():
        raise InvalidInput("a plan needs a title and a root cause")
    with store.write_lock, store.connect() as conn, conn.transaction():
        if not conn.scalar(
            "SELECT count(*) FROM touchpoints WHERE touchpoint_id = ?",
            (touchpoint_id,),
        ):
            raise NotFound(f"no touchpoint {touchpoint_id!r}")
        plan_id = int(conn.scalar("SELECT nextval('act_plan_seq')"))
        conn.execute(
            "INSERT INTO act_action_plans (plan_id, touchpoint_id, root_cause, "
            "title, owner, due_at, expected_effect, metric, status, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', current_timestamp, ?)",
            (plan_id, touchpoint_id, root_cause.strip(), title.strip(), owner,
             due_at, expected_effect, metric, actor),
        )  # fmt: skip
        audit.record(conn, actor, "plan_created", str(plan_id), {"tp": touchpoint_id})
        return _plan(conn, plan_id)


def _plan(conn: Connection, plan_id: int) -> dict[str, Any]:
    rows = conn.fetch_dicts(
        "SELECT plan_id, touchpoint_id, root_cause, title, owner, due_at, "
        "expected_effect, metric, status, fixed_at, created_at, created_by "
        "FROM act_action_plans WHERE plan_id = ?",
        (int(plan_id),),
    )
    if not rows:
        raise NotFound(f"no action plan {plan_id}")
    return rows[0]


def list_plans(store: Store) -> list[dict[str, Any]]:
    with store.connect() as conn:
        ids = [r[0] for r in conn.fetchall("SELECT plan_id FROM act_action_plans")]
        return [_plan(conn, int(i)) for i in sorted(ids)]


def mark_fixed(
    store: Store, plan_id: int, fixed_at: datetime, *, actor: str
) -> dict[str, Any]:
    """Record when the fix went live: the before/after split point."""
    with store.write_lock, store.connect() as conn, conn.transaction():
        _plan(conn, plan_id)
        conn.execute(
            "UPDATE act_action_plans SET status = 'fixed', fixed_at = ? "
            "WHERE plan_id = ?",
            (fixed_at, int(plan_id)),
        )
        audit.record(conn, actor, "plan_fixed", str(plan_id), {"at": fixed_at})
        return _plan(conn, plan_id)


def _window_sql(conn: Connection, metric: str) -> str:
    if metric in ("nps", "csat"):
        return (
            f"SELECT count(f.{metric}) AS n, avg(CAST(f.{metric} AS DOUBLE PRECISION)) "
            f"AS mean, var_samp(CAST(f.{metric} AS DOUBLE PRECISION)) AS var "
            "FROM feedback f WHERE f.touchpoint_id = ? AND f.received_at >= ? "
            "AND f.received_at < ?"
        )
    if metric == "failure_rate":
        hit = f"CASE WHEN i.outcome IN {_FAILED} THEN 1.0 ELSE 0.0 END"
        where = "TRUE"
    else:
        names = [
            str(r[0])
            for r in conn.fetchall(
                "SELECT DISTINCT promise_metric FROM touchpoints "
                "WHERE promise_metric IS NOT NULL"
            )
        ]
        arms = " ".join(
            f"WHEN '{n}' THEN "
            + (
                f"i.{n}"
                if n in ("wait_s", "duration_s", "value")
                else json_number(conn.dialect, "i.properties", n)
            )
            for n in names
            if n.isidentifier()
        )
        value = f"CASE t.promise_metric {arms} END" if arms else "NULL"
        hit = f"CASE WHEN ({value}) <= t.promise_target THEN 1.0 ELSE 0.0 END"
        where = f"({value}) IS NOT NULL"
    return (
        f"SELECT count(*) AS n, avg({hit}) AS mean, NULL AS var FROM interactions i "
        "JOIN touchpoints t ON t.touchpoint_id = i.touchpoint_id "
        f"WHERE i.touchpoint_id = ? AND i.occurred_at >= ? AND i.occurred_at < ? "
        f"AND {where}"
    )


def plan_effect(store: Store, plan_id: int, *, window_days: int = 60) -> dict[str, Any]:
    """The plan's metric in the windows before and after the fix, with a test."""
    with store.connect() as conn:
        plan = _plan(conn, plan_id)
        if plan["fixed_at"] is None:
            raise InvalidInput(f"plan {plan_id} has no fix date yet: mark it fixed")
        fixed = plan["fixed_at"]
        span = timedelta(days=window_days)
        sql = _window_sql(conn, plan["metric"])
        tp = plan["touchpoint_id"]
        before = conn.fetch_dicts(sql, (tp, fixed - span, fixed))[0]
        after = conn.fetch_dicts(sql, (tp, fixed, fixed + span))[0]
    result: dict[str, Any] = {
        "plan_id": plan_id,
        "metric": plan["metric"],
        "window_days": window_days,
        "before": _summary(before),
        "after": _summary(after),
        "change": None,
        "p_value": None,
        "test": None,
    }
    n0, n1 = result["before"]["n"], result["after"]["n"]
    if n0 < 2 or n1 < 2:
        result["note"] = "too few observations on one side for a test"
        return result
    m0, m1 = result["before"]["mean"], result["after"]["mean"]
    result["change"] = round(m1 - m0, 4)
    if METRICS[plan["metric"]][0] == "mean":
        v0, v1 = float(before["var"] or 0), float(after["var"] or 0)
        if v0 == 0 and v1 == 0:
            result["note"] = "no variation on either side"
            return result
        test = stats.ttest_ind_from_stats(
            m0, math.sqrt(v0), n0, m1, math.sqrt(v1), n1, equal_var=False
        )
        result["test"] = "welch_t"
        result["p_value"] = float(test.pvalue)
    else:
        pooled = (m0 * n0 + m1 * n1) / (n0 + n1)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
        if se == 0:
            result["note"] = "no variation on either side"
            return result
        z = (m1 - m0) / se
        result["test"] = "two_proportion_z"
        result["p_value"] = float(2 * stats.norm.sf(abs(z)))
    result["significant"] = result["p_value"] < 0.05
    return result


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    mean = row["mean"]
    return {"n": int(row["n"] or 0), "mean": None if mean is None else float(mean)}
