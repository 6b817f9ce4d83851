"""Key drivers of NPS or CSAT: what explains the score, and what to fix first.

Three kinds of driver, each on its own unit of analysis:

- ``touchpoints`` / ``stages`` (behaviour): one unit per customer who gave
  the target score; y = their mean score; one driver per touchpoint (stage):
  the number of *problems* they met there — interactions whose outcome is a
  failure (:data:`PROBLEM_OUTCOMES`) or that broke the touchpoint's promise on
  ``wait_s``/``duration_s``. Performance = % of interactions there without a
  problem.
- ``items`` (voice): one unit per answer with the target score; drivers are
  the other scores and items of the same answer (CSAT, CES, ``pyramid.*``,
  ``module.*``, ``perception.*``, other numeric questions, rescaled 0-100)
  and the sentiment of each aspect its text mentions (``aspect.<name>``);
  gaps are filled with the driver's mean. Performance = the driver's mean.

Importance is each driver's exact Shapley share of R² (:mod:`shapley`), as a
% of the explained variance; ``direction`` is the sign of its correlation
with the score. The quadrant crosses importance (above or below the average
share, 100/k) with performance (above or below the drivers' median):
``fix_first`` = important and weak; ``strength`` = important and strong;
``watch`` = minor and weak; ``maintain`` = minor and strong. Intervals are
percentile bootstrap intervals over units (seeded).
"""

from __future__ import annotations

import uuid
import warnings
from typing import Any

import numpy as np
import pyarrow as pa

from esperia.errors import InvalidInput
from esperia.metrics.backend import metrics_backend, table_exists
from esperia.metrics.frame import Query, clean, feedback_frame, fetch_columns
from esperia.metrics.shapley import shapley_r2

__all__ = ["DRIVER_KINDS", "PROBLEM_OUTCOMES", "drivers"]

DRIVER_KINDS = ("touchpoints", "stages", "items")
TARGETS = ("nps", "csat")
#: Interaction outcomes that count as a problem the customer met.
PROBLEM_OUTCOMES = (
    "failed",
    "late",
    "unresolved",
    "unanswered",
    "cancelled",
    "lost",
    "damaged",
    "cart_abandoned",
)
_MIN_UNITS = 10


def drivers(
    store: Any,
    query: Query,
    *,
    target: str = "nps",
    kind: str = "touchpoints",
    max_drivers: int = 12,
    bootstrap: int = 100,
    seed: int = 0,
    max_units: int | None = None,
) -> list[dict[str, Any]]:
    """Drivers of ``target`` with importance, performance and quadrant.

    ``max_units`` bounds behaviour drivers to the customers who answered most
    recently (the dashboard uses it to stay fast on large stores).
    """
    if target not in TARGETS:
        raise InvalidInput(f"drivers explain {' or '.join(TARGETS)}, not {target!r}")
    if kind not in DRIVER_KINDS:
        raise InvalidInput(f"unknown driver kind {kind!r}: {', '.join(DRIVER_KINDS)}")
    if query.by:
        raise InvalidInput("drivers are computed over all answers: no --by grouping")
    with metrics_backend(store) as con:
        if kind == "items":
            y, names, x, perf = _item_matrix(con, query, target, max_drivers)
        else:
            y, names, x, perf = _behaviour_matrix(
                con, query, target, kind, max_drivers, max_units
            )
    return _analyse(y, names, x, perf, query, max_drivers, bootstrap, seed, kind)


# --------------------------------------------------------------- behaviour


def _behaviour_matrix(
    con: Any,
    query: Query,
    target: str,
    kind: str,
    max_drivers: int,
    max_units: int | None = None,
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    import ibis

    fb = feedback_frame(con, query, extra=("customer_id", "received_at", target))
    fb = fb.filter(fb[target].notnull(), fb.customer_id.notnull())
    units = fb.group_by("customer_id").aggregate(
        y=fb[target].mean(), last=fb.received_at.max()
    )
    if max_units:
        # The customers who answered most recently: a bounded, repeatable sample.
        units = units.order_by([ibis.desc("last"), "customer_id"]).limit(max_units)
    # Units numbered in the engine (small integers instead of customer ids
    # in the big join and group-by), and kept as a temporary table so the
    # join and the scores read them without computing them twice.
    units = units.select("customer_id", "y")
    units = units.mutate(u=ibis.row_number().over(order_by="customer_id"))
    # A temporary table of this connection (gone when it closes).
    name = f"esperia_driver_units_{uuid.uuid4().hex[:12]}"
    units = con.create_table(name, units, temp=True)
    it = con.table("interactions")
    if query.since is not None:
        it = it.filter(it.occurred_at >= query.since.isoformat())
    if query.until is not None:
        it = it.filter(it.occurred_at < _day_after(query.until))
    tp = con.table("touchpoints").select(
        "touchpoint_id", "stage", "promise_metric", "promise_target"
    )
    tp = tp.rename(tp_id="touchpoint_id")
    it = it.select("customer_id", "touchpoint_id", "outcome", "wait_s", "duration_s")
    keyed = units.select(unit_id="customer_id", u="u")
    it = it.inner_join(keyed, it.customer_id == keyed.unit_id)
    j = it.left_join(tp, it.touchpoint_id == tp.tp_id)
    broke = ibis.cases(
        ((j.promise_metric == "wait_s") & (j.wait_s > j.promise_target), True),
        ((j.promise_metric == "duration_s") & (j.duration_s > j.promise_target), True),
        else_=False,
    )
    problem = ibis.cases((j.outcome.isin(PROBLEM_OUTCOMES) | broke, 1), else_=0)
    driver = j.touchpoint_id if kind == "touchpoints" else j.stage
    j = j.select("u", driver=driver, problem=problem)
    j = j.filter(j.driver.notnull())
    # One pass over the interactions: problems and interactions per unit and
    # driver (a long table, a few rows per customer); everything else in numpy.
    per = j.group_by(["u", "driver"]).aggregate(p=j.problem.sum(), t=j.problem.count())
    table = per.to_pyarrow()
    y = fetch_columns(units.order_by("u").select("y")).get("y", np.zeros(0))
    y = np.asarray(y, dtype=np.float64)
    coded = table.column("driver").combine_chunks().cast(pa.string())
    coded = coded.dictionary_encode()
    found = [str(d) for d in coded.dictionary.to_pylist()]
    drv = coded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    who = np.asarray(table.column("u").to_numpy(), dtype=np.int64)
    p = np.asarray(table.column("p").to_numpy(), dtype=np.float64)
    t = np.asarray(table.column("t").to_numpy(), dtype=np.float64)
    hit = np.bincount(drv, weights=(p > 0).astype(np.float64), minlength=len(found))
    problems_all = np.bincount(drv, weights=p, minlength=len(found))
    totals_all = np.bincount(drv, weights=t, minlength=len(found))
    # Which drivers: those most customers met a problem at (they vary).
    order = sorted(range(len(found)), key=lambda k: (-hit[k], found[k]))
    order = order[:max_drivers]
    names = [found[k] for k in order]
    if not names:
        return np.zeros(0), [], np.zeros((0, 0)), np.zeros(0)
    # One row per customer, one column per driver.
    full = np.zeros((len(y), len(found)))
    np.add.at(full, (who, drv), p)
    x = full[:, order]
    with np.errstate(divide="ignore", invalid="ignore"):
        problems = problems_all[order]
        perf = 100 * (1 - problems / totals_all[order])
    return y, names, x.astype(np.float64), perf


# -------------------------------------------------------------------- items


def _item_matrix(
    con: Any, query: Query, target: str, max_drivers: int
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    import ibis

    scales = {"csat": (1.0, 4.0), "ces": (1.0, 6.0), "nps": (0.0, 10.0)}
    scores = ("csat", "ces") if target == "nps" else ("nps", "ces")
    fb = feedback_frame(con, query, extra=("csat", "ces", "nps"))
    fb = fb.filter(fb[target].notnull())
    base = fb.select(
        "feedback_id", y=fb[target],
        **{s: (fb[s] - scales[s][0]) / scales[s][1] * 100 for s in scores},
    )  # fmt: skip
    fi = con.table("feedback_items")
    fi = fi.filter(
        fi.value.notnull(), fi.scale_max > fi.scale_min,
        ~fi.item.startswith("expectation."),
    )  # fmt: skip
    long = fi.select(
        lid=fi.feedback_id,
        name=fi.item,
        v=(fi.value - fi.scale_min) / (fi.scale_max - fi.scale_min) * 100,
    )
    if table_exists(con, "feedback_aspects"):
        fa = con.table("feedback_aspects").filter(lambda t: t.sentiment.notnull())
        fa = fa.select(lid=fa.feedback_id, name="aspect." + fa.aspect,
                       v=(fa.sentiment + 1) * 50)  # fmt: skip
        # Same column types on both sides (nullability differs between tables).
        shape = {"lid": "string", "name": "string", "v": "float64"}
        long = ibis.union(long.cast(shape), fa.cast(shape))
    long = long.semi_join(base, long.lid == base.feedback_id)
    room = max(max_drivers - len(scores), 0)
    top = long.group_by("name").aggregate(c=long.lid.nunique())
    top = fetch_columns(top.order_by([ibis.desc("c"), "name"]).limit(room))
    names = [str(n) for n in top.get("name", [])]
    wide = base
    if names:
        pivot = long.group_by("lid").aggregate(
            **{f"d{i}": long.v.mean(where=long.name == n)
               for i, n in enumerate(names)}
        )  # fmt: skip
        wide = base.left_join(pivot, base.feedback_id == pivot.lid)
    columns = [*scores, *(f"d{i}" for i in range(len(names)))]
    cols = fetch_columns(wide.select("y", *columns))
    y = np.asarray(cols["y"], dtype=np.float64)
    x = np.column_stack([np.asarray(cols[c], dtype=np.float64) for c in columns])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        perf = np.nanmean(x, axis=0) if len(y) else np.zeros(len(columns))
    return y, [*scores, *names], x, perf


# ----------------------------------------------------------------- analysis


def _corr(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    # A resample can leave a driver constant: its correlations are then 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.corrcoef(np.column_stack([y, x]), rowvar=False)


def _analyse(
    y: np.ndarray,
    names: list[str],
    x: np.ndarray,
    perf: np.ndarray,
    query: Query,
    max_drivers: int,
    bootstrap: int,
    seed: int,
    kind: str,
) -> list[dict[str, Any]]:
    if len(y) < _MIN_UNITS or not names:
        return []
    coverage = np.sum(~np.isnan(x), axis=0)
    # Missing answers take the driver's mean: they add no information.
    means = np.nanmean(np.where(coverage > 0, x, 0.0), axis=0)
    x = np.where(np.isnan(x), means, x)
    spread = x.std(axis=0)
    usable = np.flatnonzero((spread > 0) & (coverage > 0))
    if kind == "items":
        rank = coverage[usable]
    else:
        rank = np.count_nonzero(x[:, usable] > 0, axis=0).astype(np.float64)
    keep = usable[np.argsort(-rank, kind="stable")[:max_drivers]]
    keep = np.sort(keep)
    if len(keep) == 0 or np.std(y) == 0:
        return []
    xs = x[:, keep]
    corr = _corr(y, xs)
    values, r2 = shapley_r2(corr)
    low = high = np.full(len(keep), np.nan)
    if bootstrap > 0:
        rng = np.random.default_rng(seed)
        draws = np.empty((bootstrap, len(keep)))
        for b in range(bootstrap):
            pick = rng.integers(0, len(y), len(y))
            c = np.nan_to_num(_corr(y[pick], xs[pick]))
            np.fill_diagonal(c, 1.0)
            v, total = shapley_r2(c)
            draws[b] = 100 * v / total if total > 0 else 0.0
        alpha = (1 - query.confidence) / 2
        low = np.quantile(draws, alpha, axis=0)
        high = np.quantile(draws, 1 - alpha, axis=0)
    share = 100 * values / r2 if r2 > 0 else np.zeros(len(keep))
    kept_perf = np.asarray(perf, dtype=np.float64)[keep]
    perf_cut = float(np.nanmedian(kept_perf)) if np.any(np.isfinite(kept_perf)) else 0
    imp_cut = 100 / len(keep)
    rows = []
    for pos, j in enumerate(keep):
        important = share[pos] >= imp_cut
        strong = bool(kept_perf[pos] >= perf_cut)
        quadrant = (
            ("strength" if strong else "fix_first")
            if important
            else ("maintain" if strong else "watch")
        )
        rows.append(
            {
                "driver": names[j],
                "kind": kind,
                "n": len(y),
                "coverage": int(coverage[j]),
                "importance": clean(share[pos], 2),
                "ci_low": clean(low[pos], 2),
                "ci_high": clean(high[pos], 2),
                "shapley_r2": clean(values[pos], 5),
                "r2": clean(r2, 4),
                "direction": "+" if corr[0, pos + 1] >= 0 else "-",
                "performance": clean(kept_perf[pos], 2),
                "quadrant": quadrant,
                "low_n": bool(len(y) < query.min_n),
            }
        )
    rows.sort(key=lambda r: -(r["importance"] or 0.0))
    return rows


def _day_after(day: Any) -> str:
    from datetime import date

    return date.fromordinal(day.toordinal() + 1).isoformat()
