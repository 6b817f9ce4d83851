"""The headline scores: NPS, CSAT, CES, ratings, sentiment and response rate.

Each is one Ibis aggregation (counts, sums, variances per group) executed in
the database; intervals, small-n flags and period-over-period tests are then
computed with numpy on the few rows that come back. See docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

from esperia.errors import InvalidInput
from esperia.metrics import stats
from esperia.metrics.backend import metrics_backend, table_exists
from esperia.metrics.frame import PERIODS, Query, clean, feedback_frame, fetch_columns

__all__ = ["SCORES", "score"]

#: The scores, with what the value means.
SCORES: dict[str, str] = {
    "nps": "Net Promoter Score, -100..100 (promoters 9-10 minus detractors 0-6)",
    "csat": "CSAT top-2-box: % of answers 4 or 5 on the 1-5 scale",
    "ces": "Customer Effort Score: mean on 1-7 (7 = very easy)",
    "rating": "mean star rating (reviews)",
    "sentiment": "mean text sentiment, -1..1 (needs text analysis)",
    "response_rate": "% of survey invitations answered",
}

_INVITATIONS = "survey_invitations"
#: Scale limits an interval of a mean is kept within.
_BOUNDS = {"ces": (1.0, 7.0), "sentiment": (-1.0, 1.0)}


def score(store: Any, metric: str, query: Query) -> list[dict[str, Any]]:
    """Rows of ``metric`` per group of ``query.by``, with n, 95% CI and flags."""
    if metric not in SCORES:
        raise InvalidInput(
            f"unknown metric {metric!r}: choose one of {', '.join(SCORES)}"
        )
    keys = list(query.by)
    with metrics_backend(store) as con:
        if metric == "response_rate":
            expr = _response_expr(con, query)
        else:
            expr = _score_expr(con, metric, query)
        cols = fetch_columns(expr)
    return _rows(metric, keys, cols, query)


def _aggregate(table: Any, keys: list[str], **aggs: Any) -> Any:
    return table.group_by(keys).aggregate(**aggs) if keys else table.aggregate(**aggs)


def _score_expr(con: Any, metric: str, query: Query) -> Any:
    keys = list(query.by)
    if metric == "sentiment":
        if not table_exists(con, "feedback_text"):
            raise InvalidInput("no text analysis tables: run the text enrichment first")
        base = feedback_frame(con, query)
        ft = con.table("feedback_text").select("feedback_id", "sentiment")
        ft = ft.rename(ft_id="feedback_id")
        t = base.inner_join(ft, base.feedback_id == ft.ft_id)
        t = t.filter(t.sentiment.notnull())
        return _aggregate(t, keys, n=t.sentiment.count(), mean=t.sentiment.mean(),
                          var=t.sentiment.var())  # fmt: skip
    t = feedback_frame(con, query, extra=(metric,))
    col = t[metric]
    t = t.filter(col.notnull())
    col = t[metric]
    if metric == "nps":
        return _aggregate(
            t, keys, n=col.count(), promoters=(col >= 9).sum(),
            detractors=(col <= 6).sum(),
        )  # fmt: skip
    if metric == "csat":
        return _aggregate(
            t, keys, n=col.count(), top2=(col >= 4).sum(), mean=col.mean(),
            var=col.var(),
        )  # fmt: skip
    return _aggregate(t, keys, n=col.count(), mean=col.mean(), var=col.var())


def _response_expr(con: Any, query: Query) -> Any:
    """Invitations sent and answered, from the surveys feature's table."""
    if not table_exists(con, _INVITATIONS):
        raise InvalidInput(
            "no survey invitations in this workspace: response rate needs "
            "invitations sent through Esperia's surveys"
        )
    inv = con.table(_INVITATIONS)
    names = set(inv.columns)
    if "sent_at" in names and int(inv.sent_at.notnull().sum().execute() or 0) == 0:
        # The surveys feature creates the table empty: nothing sent yet.
        raise InvalidInput(
            "no survey invitations in this workspace: response rate needs "
            "invitations sent through Esperia's surveys"
        )
    if "sent_at" not in names or not names & {"feedback_id", "responded_at"}:
        raise InvalidInput(
            f"{_INVITATIONS} lacks sent_at and feedback_id/responded_at columns"
        )
    for dim in query.by:
        if dim in ("language", "source"):
            raise InvalidInput(f"response rate cannot be grouped by {dim}")
    answered = (
        inv.feedback_id.notnull()
        if "feedback_id" in names
        else inv.responded_at.notnull()
    )
    if query.since is not None:
        inv = inv.filter(inv.sent_at >= query.since.isoformat())
    if query.until is not None:
        inv = inv.filter(
            inv.sent_at < date.fromordinal(query.until.toordinal() + 1).isoformat()
        )
    cols: dict[str, Any] = {"answered": answered}
    for dim in query.by:
        if dim == "touchpoint":
            cols[dim] = inv.touchpoint_id
        elif dim == "customer":
            cols[dim] = inv.customer_id
        elif dim == "period":
            cols[dim] = inv.sent_at.truncate(PERIODS[query.period]).date()
    tp_dims = [d for d in query.by if d in ("channel", "stage", "contact", "medium")]
    if tp_dims:
        tp = con.table("touchpoints").rename(tp_id="touchpoint_id")
        inv = inv.left_join(tp.select("tp_id", *tp_dims), inv.touchpoint_id == tp.tp_id)
        cols.update({d: inv[d] for d in tp_dims})
    if "segment" in query.by:
        cu = con.table("customers").select("customer_id", "segment")
        cu = cu.rename(cu_id="customer_id")
        inv = inv.left_join(cu, inv.customer_id == cu.cu_id)
        cols["segment"] = inv.segment
    t = inv.select(**cols)
    return _aggregate(t, list(query.by), n=t.answered.count(), k=t.answered.sum())


# ----------------------------------------------------------------- assembly


def _figures(metric: str, cols: dict[str, Any], conf: float) -> dict[str, np.ndarray]:
    n = np.asarray(cols["n"], dtype=np.float64)
    if metric == "nps":
        value, low, high, var = stats.nps_ci(
            n, cols["promoters"], cols["detractors"], conf
        )
        passives = n - cols["promoters"] - cols["detractors"]
        return {
            "value": value, "low": low, "high": high, "var": var,
            "promoters": 100 * cols["promoters"] / n,
            "passives": 100 * passives / n,
            "detractors": 100 * cols["detractors"] / n,
        }  # fmt: skip
    if metric in ("csat", "response_rate"):
        k = cols["top2"] if metric == "csat" else cols["k"]
        p, low, high = stats.wilson_ci(n, k, conf)
        out = {"value": 100 * p, "low": 100 * low, "high": 100 * high, "k": k}
        if metric == "csat":
            out["mean"] = cols["mean"]
        return out
    low, high = stats.mean_ci(n, cols["mean"], cols["var"], conf)
    bounds = _BOUNDS.get(metric)
    if bounds is not None:
        low, high = np.clip(low, *bounds), np.clip(high, *bounds)
    return {"value": cols["mean"], "low": low, "high": high, "var": cols["var"]}


def _rows(
    metric: str, keys: list[str], cols: dict[str, Any], query: Query
) -> list[dict[str, Any]]:
    n = np.asarray(cols.get("n", []), dtype=np.float64)
    if len(n) == 0 or (not keys and n[0] == 0):
        return []
    fig = _figures(metric, cols, query.confidence)
    order = sorted(
        range(len(n)), key=lambda i: tuple(_sort_key(cols[k][i]) for k in keys)
    )
    rows: list[dict[str, Any]] = []
    for i in order:
        row: dict[str, Any] = {k: clean(cols[k][i]) for k in keys}
        row["n"] = int(n[i])
        row[metric] = clean(fig["value"][i], 2)
        row["ci_low"] = clean(fig["low"][i], 2)
        row["ci_high"] = clean(fig["high"][i], 2)
        row["low_n"] = bool(n[i] < query.min_n)
        if metric == "nps":
            for part in ("promoters", "passives", "detractors"):
                row[part] = clean(fig[part][i], 2)
        if metric == "csat":
            row["mean"] = clean(fig["mean"][i], 3)
        rows.append(row)
    if "period" in keys:
        _add_changes(metric, keys, rows, fig, order, cols, query.period)
    return rows


def _sort_key(value: Any) -> tuple[int, Any]:
    return (1, "") if value is None else (0, value)


def previous_period(start: date, period: str) -> date:
    """The first day of the period before the one starting at ``start``."""
    if period == "day":
        return date.fromordinal(start.toordinal() - 1)
    if period == "week":
        return date.fromordinal(start.toordinal() - 7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    index = start.year * 12 + start.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _add_changes(
    metric: str,
    keys: list[str],
    rows: list[dict[str, Any]],
    fig: dict[str, np.ndarray],
    order: Sequence[int],
    cols: dict[str, Any],
    period: str,
) -> None:
    """Change against the previous calendar period of the same group, with a test."""
    others = [k for k in keys if k != "period"]
    where: dict[tuple[Any, ...], int] = {}
    for pos, i in enumerate(order):
        start = cols["period"][i]
        where[(*(rows[pos][k] for k in others), str(start))] = pos
    n = np.asarray(cols["n"], dtype=np.float64)
    for pos, i in enumerate(order):
        start = cols["period"][i]
        rows[pos]["change"] = None
        rows[pos]["change_p"] = None
        rows[pos]["change_significant"] = None
        if not isinstance(start, date):
            continue
        prev_key = (
            *(rows[pos][k] for k in others),
            str(previous_period(start, period)),
        )
        j_pos = where.get(prev_key)
        if j_pos is None:
            continue
        j = order[j_pos]
        if metric == "nps":
            p = stats.nps_diff_test(
                fig["value"][i], fig["var"][i], fig["value"][j], fig["var"][j]
            )
        elif metric in ("csat", "response_rate"):
            p = stats.proportion_diff_test(n[i], fig["k"][i], n[j], fig["k"][j])
        else:
            p = stats.welch_test(
                n[i],
                fig["value"][i],
                fig["var"][i],
                n[j],
                fig["value"][j],
                fig["var"][j],
            )
        change = fig["value"][i] - fig["value"][j]
        if metric in ("csat", "response_rate", "nps"):
            change = round(float(change), 2)
        rows[pos]["change"] = clean(change, 3)
        p_value = clean(float(p), 4)
        rows[pos]["change_p"] = p_value
        rows[pos]["change_significant"] = None if p_value is None else p_value < 0.05
