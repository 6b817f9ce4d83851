"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), the alternative CLV model.

While alive a customer buys at a Poisson rate drawn from gamma(r, alpha); their
lifetime is exponential with a rate drawn from gamma(s, beta), so, unlike BG/NBD,
they can leave at any moment, not only right after a purchase. Likelihood,
probability alive and conditional expectation follow Fader & Hardie's note "A
Note on Deriving the Pareto/NBD Model and Related Expressions" (2005, eq. 17,
18 and 22); the one integral they need is :mod:`esperia.value.pareto_integral`
(hyp2f1 where it is finite, quadrature where it overflows).

Like BG/NBD the fit reads the compressed (x, t_x, T) rows with weights, on
log-parameters with L-BFGS-B and the shared warm start on a sample. The
gradient is central differences (eight more likelihood evaluations): the
derivatives of 2F1 in its parameters have no closed form worth the code.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import gammaln

from esperia.errors import InvalidInput
from esperia.value.data import RFM
from esperia.value.optimise import maximise
from esperia.value.pareto_integral import Ends, log_integral

__all__ = ["MIN_REPEAT_BUYERS", "ParetoNBD", "ParetoNBDParams", "log_likelihood"]

MIN_REPEAT_BUYERS = 5
#: Largest gamma shape (r, s) the fit considers. When the data show almost no
#: spread in dropout (or purchase) rates, the likelihood keeps rising, ever
#: more slowly, as the shape and scale grow together towards a single common
#: rate; at 1,000 (coefficient of variation 3%) that limit is reached for any
#: practical purpose, and the fit stops there instead of crawling on.
MAX_SHAPE = 1e3
_BOUNDS = [(-20.0, math.log(MAX_SHAPE)), (-20.0, 20.0)] * 2
#: Step of the central differences, in log-parameters: truncation (h²) and
#: rounding (eps / h) errors both near 1e-10, so L-BFGS-B and the warm
#: start's Hessian see a smooth gradient (forward differences, half the
#: evaluations, needed three times the iterations to polish).
_STEP = 1e-5


@dataclass(frozen=True)
class ParetoNBDParams:
    r: float
    alpha: float
    s: float
    beta: float

    def as_array(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.s, self.beta])


def log_likelihood(
    p: ParetoNBDParams,
    x: np.ndarray,
    tx: np.ndarray,
    t: np.ndarray,
    ends: Ends | None = None,
) -> np.ndarray:
    """Per-row log-likelihood: alive at T, or gone unseen somewhere in (t_x, T]."""
    r, alpha, s, beta = p.r, p.alpha, p.s, p.beta
    head = gammaln(r + x) - gammaln(r) + r * math.log(alpha) + s * math.log(beta)
    log_alive = -(r + x) * np.log(alpha + t) - s * np.log(beta + t)
    log_gone = math.log(s) + log_integral(r, alpha, s, beta, x, tx, t, ends)
    return head + np.logaddexp(log_alive, log_gone)


class _Rows:
    def __init__(
        self, x: np.ndarray, tx: np.ndarray, t: np.ndarray, weight: np.ndarray
    ) -> None:
        self.x, self.tx, self.t, self.weight = x, tx, t, weight
        self.n = float(weight.sum())
        self.ends = Ends(x, tx, t)


def _mean_nll(log_p: np.ndarray, rows: _Rows) -> float:
    low, high = np.array(_BOUNDS).T
    if not np.all((log_p >= low - 1e-3) & (log_p <= high + 1e-3)):
        return math.inf  # the warm start's unbounded polish may wander off
    p = ParetoNBDParams(*(float(v) for v in np.exp(log_p)))
    with np.errstate(all="ignore"):
        ll = log_likelihood(p, rows.x, rows.tx, rows.t, rows.ends)
    value = -float(np.einsum("i,i->", rows.weight, ll)) / rows.n
    return value if math.isfinite(value) else math.inf


def neg_log_likelihood(log_p: np.ndarray, rows: _Rows) -> tuple[float, np.ndarray]:
    """Weighted mean negative log-likelihood and its central-difference gradient."""
    value = _mean_nll(log_p, rows)
    if not math.isfinite(value):
        return 1e10, np.zeros(len(log_p))
    grad = np.empty(len(log_p))
    for j in range(len(log_p)):
        step = np.zeros(len(log_p))
        step[j] = _STEP
        up, down = _mean_nll(log_p + step, rows), _mean_nll(log_p - step, rows)
        grad[j] = (up - down) / (2.0 * _STEP)
    if not np.all(np.isfinite(grad)):
        return 1e10, np.zeros(len(log_p))
    return value, grad


@dataclass
class ParetoNBD:
    """The Pareto/NBD model: ``fit`` on an :class:`RFM` summary, then predict."""

    params: ParetoNBDParams | None = None
    log_likelihood: float = math.nan
    customers: int = 0
    unique_rows: int = 0
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def fit(self, rfm: RFM) -> ParetoNBD:
        """Maximum likelihood on the compressed (x, t_x, T) rows of ``rfm``."""
        started = time.perf_counter()
        x, tx, t, w = rfm.compressed()
        if w.sum() == 0:
            raise InvalidInput("no customers to fit the Pareto/NBD model on")
        repeaters = float(w[x > 0].sum())
        if repeaters < MIN_REPEAT_BUYERS:
            raise InvalidInput(
                f"only {repeaters:.0f} customers bought more than once; the "
                f"Pareto/NBD model needs at least {MIN_REPEAT_BUYERS} repeat buyers"
            )
        if float(t.max()) <= 0:
            raise InvalidInput(
                "every customer's first purchase is at the calibration end: the "
                "observation period is empty"
            )
        mean_rate = float((w * x).sum() / max((w * t).sum(), 1e-9))
        scale = 1.0 / max(mean_rate, 1e-6)
        opt = maximise(
            neg_log_likelihood,
            lambda i: _Rows(x[i], tx[i], t[i], w[i]),
            len(x),
            [np.log([1.0, scale, 1.0, scale]), np.zeros(4)],
            bounds=_BOUNDS,
        )
        if not np.all(np.isfinite(opt.log_params)) or not opt.mean_nll < 1e10:
            raise InvalidInput("the Pareto/NBD fit did not converge on this data")
        r, alpha, s, beta = (float(v) for v in np.exp(opt.log_params))
        self.params = ParetoNBDParams(r=r, alpha=alpha, s=s, beta=beta)
        self.log_likelihood = -opt.mean_nll * float(w.sum())
        self.customers = int(w.sum())
        self.unique_rows = len(x)
        self.info = {
            "iterations": opt.iterations,
            "evaluations": opt.evaluations,
            "converged": opt.converged,
            # A shape at its bound: that rate is (nearly) the same for everyone.
            "common_purchase_rate": r >= MAX_SHAPE * 0.999,
            "common_dropout_rate": s >= MAX_SHAPE * 0.999,
        }
        self.seconds = time.perf_counter() - started
        return self

    def _p(self) -> ParetoNBDParams:
        if self.params is None:
            raise InvalidInput("the Pareto/NBD model is not fitted yet")
        return self.params

    def probability_alive(
        self, x: np.ndarray, tx: np.ndarray, t: np.ndarray
    ) -> np.ndarray:
        """P(still a customer at T | x, t_x, T) (Fader & Hardie 2005, eq. 18)."""
        p = self._p()
        x, tx, t = (np.asarray(v, dtype=float) for v in (x, tx, t))
        log_odds = (
            math.log(p.s)
            + log_integral(p.r, p.alpha, p.s, p.beta, x, tx, t)
            + (p.r + x) * np.log(p.alpha + t)
            + p.s * np.log(p.beta + t)
        )
        return 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0)))

    def expected_purchases(
        self, horizon: float, x: np.ndarray, tx: np.ndarray, t: np.ndarray
    ) -> np.ndarray:
        """Expected purchases in (T, T + horizon] given each history (eq. 22).

        E = P(alive) (r+x)/(alpha+T) L with the expected time alive in the
        horizon L = (beta+T)/(s-1) [1 - ((beta+T)/(beta+T+h))^(s-1)], whose
        s → 1 limit is (beta+T) log((beta+T+h)/(beta+T)).
        """
        p = self._p()
        if horizon < 0:
            raise InvalidInput("the prediction horizon must not be negative")
        x, tx, t = (np.asarray(v, dtype=float) for v in (x, tx, t))
        if horizon == 0:
            return np.zeros_like(x)
        rate = (p.r + x) / (p.alpha + t)
        bt = p.beta + t
        if abs(p.s - 1.0) < 1e-9:
            life = bt * np.log1p(horizon / bt)
        else:
            life = bt / (p.s - 1.0) * -np.expm1((p.s - 1.0) * -np.log1p(horizon / bt))
        return rate * life * self.probability_alive(x, tx, t)

    def expected_purchases_new(self, horizon: float) -> float:
        """Expected purchases of a new customer in ``horizon`` time units (eq. 9)."""
        p = self._p()
        if abs(p.s - 1.0) < 1e-9:
            return float(p.r * p.beta / p.alpha * math.log1p(horizon / p.beta))
        return float(
            p.r * p.beta / (p.alpha * (p.s - 1.0))
            * (1.0 - (p.beta / (p.beta + horizon)) ** (p.s - 1.0))
        )  # fmt: skip
