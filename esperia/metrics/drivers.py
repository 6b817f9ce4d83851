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

from typing import Any

import numpy as np

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
) -> list[dict[str, Any]]:
    """Drivers of ``target`` with importance, performance and quadrant."""
    if target not in TARGETS:
        raise InvalidInput(f"drivers explain {' or '.join(TARGETS)}, not {target!r}")
    if kind not in DRIVER_KINDS:
        raise InvalidInput(f"unknown driver kind {kind!r}: {', '.join(DRIVER_KINDS)}")
    if query.by:
        raise InvalidInput("drivers are computed over all answers: no --by grouping")
    with metrics_backend(store) as con:
        if kind == "items":
            y, names, x, perf = _item_matrix(con, query, target)
        else:
            y, names, x, perf = _behaviour_matrix(con, query, target, kind)
    return _analyse(y, names, x, perf, query, max_drivers, bootstrap, seed, kind)


# --------------------------------------------------------------- behaviour


def _behaviour_matrix(
    con: Any, query: Query, target: str, kind: str
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    import ibis

    fb = feedback_frame(con, query, extra=("customer_id", target))
    fb = fb.filter(fb[target].notnull(), fb.customer_id.notnull())
    units = fb.group_by("customer_id").aggregate(y=fb[target].mean())
    it = con.table("interactions")
    if query.since is not None:
        it = it.filter(it.occurred_at >= query.since.isoformat())
    tp = con.table("touchpoints").select(
        "touchpoint_id", "stage", "promise_metric", "promise_target"
    )
    tp = tp.rename(tp_id="touchpoint_id")
    it = it.select("customer_id", "touchpoint_id", "occurred_at", "outcome",
                   "wait_s", "duration_s")  # fmt: skip
    it = it.semi_join(units, it.customer_id == units.customer_id)
    if query.until is not None:
        it = it.filter(it.occurred_at < _day_after(query.until))
    j = it.left_join(tp, it.touchpoint_id == tp.tp_id)
    broke = ibis.cases(
        ((j.promise_metric == "wait_s") & (j.wait_s > j.promise_target), True),
        ((j.promise_metric == "duration_s") & (j.duration_s > j.promise_target), True),
        else_=False,
    )
    problem = j.outcome.isin(PROBLEM_OUTCOMES) | broke
    driver = j.touchpoint_id if kind == "touchpoints" else j.stage
    j = j.mutate(driver=driver, problem=problem).filter(lambda t: t.driver.notnull())
    long = j.group_by(["customer_id", "driver"]).aggregate(
        problems=j.problem.sum(), total=j.driver.count()
    )
    u = fetch_columns(units.order_by("customer_id"))
    cells = fetch_columns(long)
    ids = {cid: i for i, cid in enumerate(u["customer_id"])}
    y = np.asarray(u["y"], dtype=np.float64)
    names = sorted({str(d) for d in cells["driver"]})
    col = {name: i for i, name in enumerate(names)}
    rows = np.fromiter((ids[c] for c in cells["customer_id"]), dtype=np.int64)
    cols = np.fromiter((col[str(d)] for d in cells["driver"]), dtype=np.int64)
    x = np.zeros((len(y), len(names)))
    np.add.at(x, (rows, cols), cells["problems"])
    totals = np.zeros(len(names))
    np.add.at(totals, cols, cells["total"])
    problems = x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        perf = 100 * (1 - problems / totals)
    return y, names, x, perf


# -------------------------------------------------------------------- items


def _item_matrix(
    con: Any, query: Query, target: str
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    other = "csat" if target == "nps" else "nps"
    fb = feedback_frame(con, query, extra=(target, "csat", "ces", "nps"))
    fb = fb.filter(fb[target].notnull())
    base = fb.select("feedback_id", y=fb[target])
    u = fetch_columns(base.order_by("feedback_id"))
    ids = {fid: i for i, fid in enumerate(u["feedback_id"])}
    y = np.asarray(u["y"], dtype=np.float64)
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    scores = fetch_columns(fb.select("feedback_id", "csat", "ces", "nps"))
    rows = np.fromiter((ids[f] for f in scores["feedback_id"]), dtype=np.int64)
    scales = {"csat": (1.0, 4.0), "ces": (1.0, 6.0), "nps": (0.0, 10.0)}
    for name in ("csat", "ces") if other == "csat" else ("nps", "ces"):
        low, span = scales[name]
        series[name] = (rows, (np.asarray(scores[name]) - low) / span * 100)
    fi = con.table("feedback_items")
    fi = fi.filter(
        fi.value.notnull(), fi.scale_max > fi.scale_min,
        ~fi.item.startswith("expectation."),
    )  # fmt: skip
    fi = fi.select(
        fi_id=fi.feedback_id,
        name=fi.item,
        v=(fi.value - fi.scale_min) / (fi.scale_max - fi.scale_min) * 100,
    )
    items = base.inner_join(fi, base.feedback_id == fi.fi_id)
    parts = [fetch_columns(items.select("feedback_id", "name", "v"))]
    if table_exists(con, "feedback_aspects"):
        fa = con.table("feedback_aspects").filter(lambda t: t.sentiment.notnull())
        fa = fa.group_by(["feedback_id", "aspect"]).aggregate(s=fa.sentiment.mean())
        fa = fa.select(fa_id=fa.feedback_id, name="aspect." + fa.aspect,
                       v=(fa.s + 1) * 50)  # fmt: skip
        asp = base.inner_join(fa, base.feedback_id == fa.fa_id)
        parts.append(fetch_columns(asp.select("feedback_id", "name", "v")))
    for part in parts:
        by_name: dict[str, list[int]] = {}
        for pos, name in enumerate(part.get("name", [])):
            by_name.setdefault(str(name), []).append(pos)
        values = np.asarray(part.get("v", []), dtype=np.float64)
        for name, positions in by_name.items():
            pos = np.asarray(positions)
            unit = np.fromiter(
                (ids[part["feedback_id"][p]] for p in positions), dtype=np.int64
            )
            series[name] = (unit, values[pos])
    names = sorted(series)
    x = np.full((len(y), len(names)), np.nan)
    for j, name in enumerate(names):
        unit, values = series[name]
        x[unit, j] = values
    with np.errstate(invalid="ignore"):
        perf = (
            np.nanmean(np.where(np.isnan(x), np.nan, x), axis=0)
            if len(y)
            else (np.zeros(len(names)))
        )
    return y, names, x, perf


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
