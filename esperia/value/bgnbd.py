"""BG/NBD: how often a customer buys and whether they are still alive.

Fader, Hardie & Lee (2005), "Counting your customers the easy way". Purchases
follow a Poisson process with a gamma(r, alpha) distributed rate; after each
purchase a customer drops out with a beta(a, b) distributed probability.

The likelihood only depends on (x, t_x, T), and many customers share the same
triple, so the fit works on the unique triples weighted by how many customers
hold each: a million customers are often a few hundred thousand rows or less.
The gradient is analytic and the search runs on log-parameters (all four must
be positive) with L-BFGS-B.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from esperia.errors import InvalidInput
from esperia.value.data import RFM, dot
from esperia.value.optimise import maximise

__all__ = ["BetaGeo", "BetaGeoParams"]

#: Fewer repeat buyers than this cannot identify the dropout process.
MIN_REPEAT_BUYERS = 5


@dataclass(frozen=True)
class BetaGeoParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_array(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b])


class _Rows:
    """The compressed rows, with the few distinct x, T and t_x values indexed.

    Special functions of x (and logs of alpha + T) are evaluated once per
    distinct value instead of once per row, and sums of per-x terms become
    dot products with the total weight per x: x takes a few dozen values and T
    a few hundred, so each evaluation is mostly plain arithmetic on rows.
    """

    def __init__(
        self, x: np.ndarray, tx: np.ndarray, t: np.ndarray, weight: np.ndarray
    ) -> None:
        self.ux, self.ix = np.unique(x, return_inverse=True)
        self.ut, self.it = np.unique(t, return_inverse=True)
        self.utx, self.itx = np.unique(tx, return_inverse=True)
        self.weight = weight
        self.weight_x = np.bincount(self.ix, weights=weight, minlength=len(self.ux))
        self.n = float(weight.sum())


def neg_log_likelihood(log_p: np.ndarray, rows: _Rows) -> tuple[float, np.ndarray]:
    """Weighted mean negative log-likelihood and its gradient in log-parameters.

    ln L = A1 + A3 + ln(1 + [x > 0] exp(A4 - A3)) with
    A1 = ln Gamma(r+x) - ln Gamma(r) + r ln alpha,
    A3 = ln B(a, b+x) - ln B(a, b) - (r+x) ln(alpha+T),
    A4 = ln B(a+1, b+x-1) - ln B(a, b) - (r+x) ln(alpha+t_x).
    """
    p = np.exp(log_p)
    r, alpha, a, b = p
    ux, ix, repeat_u = rows.ux, rows.ix, rows.ux > 0
    xm1 = np.where(repeat_u, ux - 1.0, 0.0)
    rx_u = r + ux
    # Per distinct x.
    a1_u = gammaln(rx_u) - gammaln(r) + r * math.log(alpha)
    b3_u = betaln(a, b + ux) - betaln(a, b)
    b43_u = np.where(repeat_u, betaln(a + 1.0, b + xm1) - betaln(a, b + ux), -np.inf)
    dab = digamma(a + b)
    dabx_u = digamma(a + b + ux)
    d_r_u = digamma(rx_u) - digamma(r) + math.log(alpha)
    da3_u = dab - dabx_u
    da4_u = digamma(a + 1.0) - dabx_u - digamma(a) + dab
    common_b = -dabx_u - digamma(b) + dab
    db3_u = digamma(b + ux) + common_b
    db4_u = digamma(b + xm1) + common_b
    # Per distinct T and t_x.
    log_at_u = np.log(alpha + rows.ut)
    log_atx_u = np.log(alpha + rows.utx)
    # Per row: only the mixing of the two terms.
    w = rows.weight
    rx = rx_u[ix]
    log_at, log_atx = log_at_u[rows.it], log_atx_u[rows.itx]
    diff = b43_u[ix] - rx * (log_atx - log_at)  # A4 - A3
    w4 = expit(diff)
    ll = float(
        dot((a1_u + b3_u), rows.weight_x)
        - dot(w, (rx * log_at))
        + dot(w, np.logaddexp(0.0, diff))
    )
    ww4 = w * w4
    w4_x = np.bincount(ix, weights=ww4, minlength=len(ux))
    w3_x = rows.weight_x - w4_x
    mix_log = log_at + w4 * (log_atx - log_at)
    inv_at = 1.0 / (alpha + rows.ut)
    inv_atx = 1.0 / (alpha + rows.utx)
    mix_inv = inv_at[rows.it] + w4 * (inv_atx[rows.itx] - inv_at[rows.it])
    d_r = dot(d_r_u, rows.weight_x) - dot(w, mix_log)
    d_alpha = r / alpha * rows.n - dot(w, (rx * mix_inv))
    d_a = dot(da3_u, w3_x) + dot(da4_u, w4_x)
    d_b = dot(db3_u, w3_x) + dot(db4_u, w4_x)
    grads = np.array([d_r, d_alpha, d_a, d_b])
    return -ll / rows.n, -grads * p / rows.n


@dataclass
class BetaGeo:
    """The BG/NBD model: ``fit`` on an :class:`RFM` summary, then predict."""

    params: BetaGeoParams | None = None
    log_likelihood: float = math.nan
    customers: int = 0
    unique_rows: int = 0
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def fit(self, rfm: RFM) -> BetaGeo:
        """Maximum likelihood on the compressed (x, t_x, T) rows of ``rfm``."""
        started = time.perf_counter()
        x, tx, t, w = rfm.compressed()
        repeaters = float(w[x > 0].sum())
        if w.sum() == 0:
            raise InvalidInput("no customers to fit the BG/NBD model on")
        if repeaters < MIN_REPEAT_BUYERS:
            raise InvalidInput(
                f"only {repeaters:.0f} customers bought more than once; the BG/NBD "
                f"model needs at least {MIN_REPEAT_BUYERS} repeat buyers"
            )
        if float(t.max()) <= 0:
            raise InvalidInput(
                "every customer's first purchase is at the calibration end: the "
                "observation period is empty"
            )
        # Start from a moment guess for the rate; the shape of the rest matters
        # little, L-BFGS-B on log-parameters is robust to it.
        mean_rate = float((w * x).sum() / max((w * t).sum(), 1e-9))
        start = np.log([1.0, 1.0 / max(mean_rate, 1e-6), 1.0, 1.0])
        opt = maximise(
            neg_log_likelihood,
            lambda i: _Rows(x[i], tx[i], t[i], w[i]),
            len(x),
            [start, np.zeros(4)],
        )
        if not np.all(np.isfinite(opt.log_params)) or not math.isfinite(opt.mean_nll):
            raise InvalidInput("the BG/NBD fit did not converge on this data")
        r, alpha, a, b = (float(v) for v in np.exp(opt.log_params))
        self.params = BetaGeoParams(r=r, alpha=alpha, a=a, b=b)
        self.log_likelihood = -opt.mean_nll * float(w.sum())
        self.customers = int(w.sum())
        self.unique_rows = len(x)
        self.info = {
            "iterations": opt.iterations,
            "evaluations": opt.evaluations,
            "converged": opt.converged,
        }
        self.seconds = time.perf_counter() - started
        return self

    def _p(self) -> BetaGeoParams:
        if self.params is None:
            raise InvalidInput("the BG/NBD model is not fitted yet")
        return self.params

    def probability_alive(
        self, x: np.ndarray, tx: np.ndarray, t: np.ndarray
    ) -> np.ndarray:
        """P(still a customer at T | x, t_x, T); exactly 1 with no repeat purchase."""
        p = self._p()
        x, tx, t = (np.asarray(v, dtype=float) for v in (x, tx, t))
        repeat = x > 0
        log_ratio = (p.r + x) * (np.log(p.alpha + t) - np.log(p.alpha + tx))
        odds = np.where(
            repeat,
            p.a / np.maximum(p.b + x - 1.0, 1e-12) * np.exp(np.minimum(log_ratio, 700)),
            0.0,
        )
        return 1.0 / (1.0 + odds)

    def expected_purchases(
        self, horizon: float, x: np.ndarray, tx: np.ndarray, t: np.ndarray
    ) -> np.ndarray:
        """Expected purchases in the next ``horizon`` time units, per customer."""
        p = self._p()
        if horizon < 0:
            raise InvalidInput("the prediction horizon must not be negative")
        x, tx, t = (np.asarray(v, dtype=float) for v in (x, tx, t))
        if horizon == 0:
            return np.zeros_like(x)
        if abs(p.a - 1.0) < 1e-9:
            raise InvalidInput("the fitted BG/NBD a = 1 makes predictions undefined")
        z = horizon / (p.alpha + t + horizon)
        ratio = np.exp(
            (p.r + x) * (np.log(p.alpha + t) - np.log(p.alpha + t + horizon))
        )
        hyp = hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1.0, z)
        first = (p.a + p.b + x - 1.0) / (p.a - 1.0) * (1.0 - ratio * hyp)
        return first * self.probability_alive(x, tx, t)

    def expected_purchases_new(self, horizon: float) -> float:
        """Expected purchases of a new customer in ``horizon`` time units."""
        p = self._p()
        z = horizon / (p.alpha + horizon)
        hyp = hyp2f1(p.r, p.b, p.a + p.b - 1.0, z)
        ratio = (p.alpha / (p.alpha + horizon)) ** p.r
        return float((p.a + p.b - 1.0) / (p.a - 1.0) * (1.0 - ratio * hyp))
