"""Maximum likelihood search shared by the CLV models.

L-BFGS-B on log-parameters with an analytic gradient. On large inputs the
search first runs on a seeded sample of the rows (weights kept), which lands
close to the optimum in a fraction of the time. The sample's Hessian there
(finite differences of the analytic gradient, on the small sample) then
rescales the parameters so that the full problem looks like a unit sphere,
and the full data needs only a few iterations: L-BFGS restarted without that
curvature would need as many as from scratch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

__all__ = ["Optimum", "maximise"]

#: Above this many rows, warm-start on a sample of :data:`SAMPLE_ROWS` rows.
WARM_START_ROWS = 50_000
SAMPLE_ROWS = 20_000
GRADIENT_TOLERANCE = 1e-6

Objective = Callable[[np.ndarray, Any], tuple[float, np.ndarray]]


@dataclass
class Optimum:
    log_params: np.ndarray
    mean_nll: float
    iterations: int
    evaluations: int
    converged: bool


Bounds = Sequence[tuple[float, float]]


def _search(
    fun: Objective, start: np.ndarray, rows: Any, ftol: float, bounds: Bounds | None
) -> Any:
    return minimize(
        fun, start, args=(rows,), jac=True, method="L-BFGS-B",
        bounds=bounds or [(-20.0, 20.0)] * len(start),
        options={"maxiter": 2000, "ftol": ftol, "gtol": 1e-10},
    )  # fmt: skip


def maximise(
    fun: Objective,
    make_rows: Callable[[np.ndarray], Any],
    n_rows: int,
    starts: Sequence[np.ndarray],
    bounds: Bounds | None = None,
) -> Optimum:
    """Minimise ``fun`` (mean negative log-likelihood) over all rows.

    ``make_rows(index)`` builds the objective's data for a subset of the rows
    (``index`` selects them); ``starts`` are tried in turn until one converges.
    ``bounds`` limit the log-parameters (default: ±20 each).
    """
    everything = make_rows(np.arange(n_rows))
    starts = list(starts)
    evaluations = 0
    if n_rows > WARM_START_ROWS:
        pick = np.random.default_rng(0).choice(n_rows, SAMPLE_ROWS, replace=False)
        sample = make_rows(np.sort(pick))
        rough = _search(fun, starts[0], sample, 1e-12, bounds)
        polished = _preconditioned(fun, np.asarray(rough.x), sample, everything)
        if polished is not None:
            return polished
    best = None
    for start in starts:
        res = _search(fun, start, everything, 1e-15, bounds)
        evaluations += int(res.nfev)
        if best is None or res.fun < best.fun:
            best = res
        if _converged(res):
            break
    assert best is not None
    return Optimum(
        log_params=np.asarray(best.x),
        mean_nll=float(best.fun),
        iterations=int(best.nit),
        evaluations=evaluations,
        converged=_converged(best) and math.isfinite(float(best.fun)),
    )


def _hessian(fun: Objective, at: np.ndarray, rows: Any) -> np.ndarray:
    """Forward differences of the analytic gradient, symmetrised."""
    step = 1e-5
    base = fun(at, rows)[1]
    cols = []
    for j in range(len(at)):
        moved = at.copy()
        moved[j] += step
        cols.append((fun(moved, rows)[1] - base) / step)
    h = np.column_stack(cols)
    return (h + h.T) / 2.0


def _preconditioned(
    fun: Objective, centre: np.ndarray, sample: Any, everything: Any
) -> Optimum | None:
    """Polish ``centre`` on all rows in coordinates where the Hessian is ~ I."""
    if not np.all(np.isfinite(centre)):
        return None
    values, vectors = np.linalg.eigh(_hessian(fun, centre, sample))
    if not np.all(np.isfinite(values)) or values.max() <= 0:
        return None
    values = np.maximum(values, values.max() * 1e-8)
    scale = vectors / np.sqrt(values)  # theta = centre + scale @ z

    def in_z(z: np.ndarray, rows: Any) -> tuple[float, np.ndarray]:
        value, grad = fun(centre + scale @ z, rows)
        return value, scale.T @ grad

    res = minimize(
        in_z, np.zeros(len(centre)), args=(everything,), jac=True,
        method="L-BFGS-B", options={"maxiter": 500, "ftol": 1e-13, "gtol": 1e-8},
    )  # fmt: skip
    theta = centre + scale @ res.x
    value, grad = fun(theta, everything)
    if not (math.isfinite(value) and np.abs(grad).max() < GRADIENT_TOLERANCE):
        return None
    return Optimum(theta, value, int(res.nit), int(res.nfev) + 1, True)


def _converged(res: Any) -> bool:
    return bool(res.success or np.abs(res.jac).max() < GRADIENT_TOLERANCE)
