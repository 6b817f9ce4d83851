"""The value chain made measurable: expectation vs perception, promise vs delivery.

- **Value gaps** (SERVQUAL-like): per dimension, the respondents who rated both
  what they expected (``expectation.<dim>``) and what they got
  (``perception.<dim>``) in the same answer; gap = perception - expectation,
  mean of the paired differences with a t interval and a paired t-test.
- **Promise gaps**: for each touchpoint whose promise names a measurable
  interaction column (``promise_metric``: ``wait_s``, ``duration_s``, ``value``,
  or a key of ``properties`` such as ``delivery_hours``) and a target, the share
  of interactions that kept it (actual <= target, Wilson interval), the exact
  median actual (interpolated, as PostgreSQL's ``percentile_cont``), and what
  breaking it costs: the change in CES and CSAT of the linked feedback per
  unit beyond the target (least-squares slope).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from esperia.errors import InvalidInput
from esperia.metrics import stats
from esperia.metrics.backend import metrics_backend
from esperia.metrics.frame import PERIODS, Query, clean, feedback_frame, fetch_columns

__all__ = ["promise_gaps", "value_gaps"]

_COLUMNS = ("wait_s", "duration_s", "value")


def _agg(t: Any, keys: list[str], **aggs: Any) -> Any:
    return t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)


def value_gaps(store: Any, query: Query) -> list[dict[str, Any]]:
    """Per group and dimension: expectation, perception, gap, interval, p-value."""
    keys = list(query.by)
    with metrics_backend(store) as con:
        base = feedback_frame(con, query)
        fi = con.table("feedback_items")
        is_exp = fi.item.startswith("expectation.")
        is_per = fi.item.startswith("perception.")
        fi = fi.filter(is_exp | is_per, fi.value.notnull())
        fi = fi.select(
            fi_id=fi.feedback_id,
            side=fi.item.split(".")[0],
            dimension=fi.item.split(".")[1],
            value=fi.value,
        )
        t = base.inner_join(fi, base.feedback_id == fi.fi_id)
        pairs = t.group_by([*keys, "feedback_id", "dimension"]).aggregate(
            exp=t.value.mean(where=t.side == "expectation"),
            per=t.value.mean(where=t.side == "perception"),
        )
        pairs = pairs.filter(pairs.exp.notnull(), pairs.per.notnull())
        diff = pairs.per - pairs.exp
        expr = _agg(
            pairs.mutate(diff=diff), [*keys, "dimension"], n=pairs.exp.count(),
            expectation=pairs.exp.mean(), perception=pairs.per.mean(),
            gap=diff.mean(), var=diff.var(),
        )  # fmt: skip
        cols = fetch_columns(expr)
    n = cols.get("n", np.zeros(0))
    low, high, p = stats.paired_t(n, cols.get("gap", []), cols.get("var", []),
                                  query.confidence)  # fmt: skip
    rows = []
    for i in range(len(n)):
        row: dict[str, Any] = {k: clean(cols[k][i]) for k in keys}
        p_value = clean(p[i], 4)
        row.update(
            dimension=cols["dimension"][i],
            n=int(n[i]),
            expectation=clean(cols["expectation"][i], 3),
            perception=clean(cols["perception"][i], 3),
            gap=clean(cols["gap"][i], 3),
            ci_low=clean(low[i], 3),
            ci_high=clean(high[i], 3),
            p_value=p_value,
            significant=None if p_value is None else p_value < 0.05,
            low_n=bool(n[i] < query.min_n),
        )
        rows.append(row)
    # Ties (equal gaps) in a fixed order: by the grouping, then the dimension.
    rows.sort(key=lambda r: (r["gap"] is None, r["gap"] or 0.0,
                             [str(r[k]) for k in (*keys, "dimension")]))  # fmt: skip
    return rows


def _promises(store: Any) -> list[tuple[str, str, float]]:
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT touchpoint_id, promise_metric, promise_target FROM touchpoints "
            "WHERE promise_metric IS NOT NULL AND promise_target IS NOT NULL "
            "ORDER BY touchpoint_id"
        )
    return [(str(r[0]), str(r[1]).strip(), float(r[2])) for r in rows]


def _actual(it: Any, metric: str) -> Any:
    if metric in _COLUMNS:
        return it[metric].cast("float64")
    if not metric.replace("_", "").isalnum():
        raise InvalidInput(f"touchpoint promise_metric {metric!r} is not a column name")
    return it.properties[metric].unwrap_as("float64")


def promise_gaps(store: Any, query: Query) -> list[dict[str, Any]]:
    """Per touchpoint with a measurable promise (and period if asked): kept share,
    median actual, and the CES/CSAT cost per unit beyond the target."""
    for dim in query.by:
        if dim not in ("touchpoint", "period"):
            raise InvalidInput(
                f"promise gaps group by touchpoint and period only, not {dim!r}"
            )
    by_period = "period" in query.by
    promises = _promises(store)
    if not promises:
        return []
    by_metric: dict[str, list[tuple[str, float]]] = {}
    for tp, metric, target in promises:
        by_metric.setdefault(metric, []).append((tp, target))
    keys = ["touchpoint", *(["period"] if by_period else [])]
    targets = {tp: target for tp, _, target in promises}
    with metrics_backend(store) as con:
        import ibis

        parts = []
        for metric, tps in by_metric.items():
            it = con.table("interactions")
            if query.since is not None:
                it = it.filter(it.occurred_at >= query.since.isoformat())
            if query.until is not None:
                it = it.filter(it.occurred_at < _next_day(query.until))
            if store.dialect == "duckdb":
                # The targets joined from the touchpoints (a few rows): cheaper
                # per interaction than a CASE over every touchpoint's id.
                tp = con.table("touchpoints")
                tp = tp.filter(tp.touchpoint_id.isin([t for t, _ in tps]))
                tp = tp.select(tp_id=tp.touchpoint_id,
                               tp_target=tp.promise_target.cast("float64"))  # fmt: skip
                it = it.inner_join(tp, it.touchpoint_id == tp.tp_id)
                target = it.tp_target
            else:
                # As before on PostgreSQL (the join measured no faster there).
                it = it.filter(it.touchpoint_id.isin([tp for tp, _ in tps]))
                target = ibis.cases(
                    *[(it.touchpoint_id == tp, value) for tp, value in tps]
                ).cast("float64")
            cols: dict[str, Any] = {
                "interaction_id": it.interaction_id,
                "touchpoint": it.touchpoint_id,
                "metric": ibis.literal(metric),
                "target": target,
                "actual": _actual(it, metric),
            }
            if by_period:
                cols["period"] = it.occurred_at.truncate(PERIODS[query.period]).date()
            parts.append(it.select(**cols))
        acts = parts[0] if len(parts) == 1 else ibis.union(*parts)
        acts = acts.filter(acts.actual.notnull())
        acts = acts.mutate(
            kept=acts.actual <= acts.target,
            beyond=ibis.greatest(acts.actual - acts.target, 0.0),
        )
        fb = feedback_frame(con, Query(since=query.since, until=query.until),
                            extra=("interaction_id", "ces", "csat"))  # fmt: skip
        fb = fb.filter(
            fb.interaction_id.notnull(), fb.ces.notnull() | fb.csat.notnull()
        )
        if store.dialect == "duckdb":
            s_cols = fetch_columns(_one_pass(acts, fb, keys))
            e_cols = _moments(s_cols)
            effort_at = {
                tuple(clean(s_cols[k][i]) for k in keys): i
                for i in range(len(s_cols.get("n", [])))
                if e_cols["n_ces"][i] or e_cols["n_csat"][i]
            }
        else:
            # PostgreSQL: the summary and the row-level join as two queries
            # (one pass measured twice as slow there: 3.0 s against 1.4 s).
            s_cols = fetch_columns(acts.group_by([*keys, "metric"]).aggregate(
                n=acts.actual.count(), kept=acts.kept.sum(),
                median=acts.actual.median(),
            ))  # fmt: skip
            e_cols = fetch_columns(_row_join(acts, fb, keys))
            effort_at = {
                tuple(clean(e_cols[k][i]) for k in keys): i
                for i in range(len(e_cols.get("n_ces", [])))
            }
    n = s_cols.get("n", np.zeros(0))
    share, low, high = stats.wilson_ci(n, s_cols.get("kept", []), query.confidence)
    rows = []
    for i in range(len(n)):
        group = tuple(clean(s_cols[k][i]) for k in keys)
        row: dict[str, Any] = dict(zip(keys, group, strict=True))
        row.update(
            metric=s_cols["metric"][i],
            target=clean(targets.get(group[0])),
            n=int(n[i]),
            kept=clean(100 * share[i], 2),
            ci_low=clean(100 * low[i], 2),
            ci_high=clean(100 * high[i], 2),
            median_actual=clean(s_cols["median"][i], 2),
            low_n=bool(n[i] < query.min_n),
        )
        row.update(_effort(e_cols, effort_at.get(group)))
        rows.append(row)
    rows.sort(key=lambda r: tuple((r[k] is None, r[k] or "") for k in keys))
    return rows


def _one_pass(acts: Any, fb: Any, keys: list[str]) -> Any:
    """DuckDB: every figure in one pass over the measured interactions.

    The linked answers are first reduced to sums per interaction, so the
    left join repeats no interaction; means, covariances and variances are
    then formed from the sums (:func:`_moments`).
    """
    per = fb.group_by(fb_interaction=fb.interaction_id).aggregate(
        c_ces=fb.ces.count(), s_ces=fb.ces.sum(),
        c_csat=fb.csat.count(), s_csat=fb.csat.sum(),
    )  # fmt: skip
    j = acts.left_join(per, acts.interaction_id == per.fb_interaction)
    sums: dict[str, Any] = {}
    for score in ("ces", "csat"):
        count = j[f"c_{score}"].fill_null(0).cast("float64")
        total = j[f"s_{score}"].fill_null(0.0)
        sums.update({
            f"n_{score}": count.sum(),
            f"{score}_y": total.sum(),
            f"{score}_x": (j.beyond * count).sum(),
            f"{score}_xy": (j.beyond * total).sum(),
            f"{score}_xx": (j.beyond * j.beyond * count).sum(),
            f"{score}_kept_s": total.sum(where=j.kept),
            f"{score}_kept_c": count.sum(where=j.kept),
            f"{score}_broken_s": total.sum(where=~j.kept),
            f"{score}_broken_c": count.sum(where=~j.kept),
        })  # fmt: skip
    return j.group_by([*keys, "metric"]).aggregate(
        n=j.actual.count(), kept=j.kept.sum(), median=j.actual.median(), **sums
    )


def _row_join(acts: Any, fb: Any, keys: list[str]) -> Any:
    """PostgreSQL: the linked answers joined row by row, statistics in SQL."""
    fb = fb.rename(fb_interaction="interaction_id")
    linked = acts.inner_join(fb, acts.interaction_id == fb.fb_interaction)
    return linked.group_by(keys).aggregate(
        n_ces=linked.ces.count(),
        ces_kept=linked.ces.mean(where=linked.kept),
        ces_broken=linked.ces.mean(where=~linked.kept),
        ces_cov=linked.ces.cov(linked.beyond, how="sample"),
        ces_xvar=linked.beyond.var(where=linked.ces.notnull()),
        n_csat=linked.csat.count(),
        csat_cov=linked.csat.cov(linked.beyond, how="sample"),
        csat_xvar=linked.beyond.var(where=linked.csat.notnull()),
    )


def _moments(cols: dict[str, Any]) -> dict[str, Any]:
    """Means, sample covariance and variance per group from the engine's sums.

    Sample statistics over the linked answers (one row per answer): ``n``
    answers, ``x`` = units beyond the target, ``y`` = the score.
    """
    out: dict[str, Any] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for score in ("ces", "csat"):
            n = np.asarray(cols.get(f"n_{score}", np.zeros(0)), dtype=np.float64)
            x, y = cols.get(f"{score}_x", n * 0), cols.get(f"{score}_y", n * 0)
            xy, xx = cols.get(f"{score}_xy", n * 0), cols.get(f"{score}_xx", n * 0)
            nan = np.full(len(n), np.nan)
            out[f"n_{score}"] = n
            out[f"{score}_cov"] = np.where(n > 1, (xy - x * y / n) / (n - 1), nan)
            xvar = np.where(n > 1, (xx - x * x / n) / (n - 1), nan)
            # A constant x leaves a rounding residue, not a spread.
            out[f"{score}_xvar"] = np.where(xvar > 1e-9 * (xx / n), xvar, 0.0)
            for side in ("kept", "broken"):
                count = cols.get(f"{score}_{side}_c", n * 0)
                out[f"{score}_{side}"] = np.where(
                    count > 0, cols.get(f"{score}_{side}_s", n * 0) / count, nan
                )
    return out


def _effort(cols: dict[str, Any], j: int | None) -> dict[str, Any]:
    """CES/CSAT when the promise was kept vs broken, and the slope beyond it."""
    if j is None:
        return {"n_ces": 0, "ces_kept": None, "ces_broken": None,
                "ces_per_unit_beyond": None, "n_csat": 0,
                "csat_per_unit_beyond": None}  # fmt: skip

    def slope(prefix: str) -> Any:
        xvar = cols[f"{prefix}_xvar"][j]
        if not np.isfinite(xvar) or xvar <= 0:
            return None
        return clean(cols[f"{prefix}_cov"][j] / xvar, 6)

    return {
        "n_ces": int(cols["n_ces"][j]),
        "ces_kept": clean(cols["ces_kept"][j], 3),
        "ces_broken": clean(cols["ces_broken"][j], 3),
        "ces_per_unit_beyond": slope("ces"),
        "n_csat": int(cols["n_csat"][j]),
        "csat_per_unit_beyond": slope("csat"),
    }


def _next_day(day: Any) -> str:
    from datetime import date

    return date.fromordinal(day.toordinal() + 1).isoformat()
