"""Gamma-Gamma: how much a customer spends per purchase.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves"; Fader &
Hardie (2013), note 025. Each purchase's value is gamma(p, nu) distributed,
and the customer's nu is gamma(q, gamma) across customers; the model reads
repeat buyers' number of repeat purchases ``x`` and their mean value ``m``.
Like BG/NBD it fits the unique (x, m) rows, weighted, with an analytic gradient
on log-parameters.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from esperia.errors import InvalidInput
from esperia.value.data import RFM, dot
from esperia.value.optimise import maximise

__all__ = ["GammaGamma", "GammaGammaParams"]

MIN_REPEAT_BUYERS = 5


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float


class _Rows:
    """Compressed (x, m) rows; functions of x alone are computed per distinct x."""

    def __init__(self, x: np.ndarray, m: np.ndarray, weight: np.ndarray) -> None:
        self.ux, ix = np.unique(x, return_inverse=True)
        self.weight_x = np.bincount(ix, weights=weight, minlength=len(self.ux))
        self.mx = m * x
        self.weight = weight
        self.wx = weight * x
        self.n = float(weight.sum())
        # Constant in the parameters: ln m and ln x enter multiplied by p x only.
        self.wx_log_mx = dot(self.wx, np.log(self.mx))
        self.w_log_m = dot(weight, np.log(m))


def neg_log_likelihood(log_p: np.ndarray, rows: _Rows) -> tuple[float, np.ndarray]:
    """Weighted mean negative log-likelihood and its gradient in log-parameters.

    ln L = ln Gamma(px+q) - ln Gamma(px) - ln Gamma(q) + q ln gamma
           + (px-1) ln m + px ln x - (px+q) ln(gamma + m x)
    """
    p, q, g = np.exp(log_p)
    ux, wx_u = rows.ux, rows.weight_x
    pxq_u = p * ux + q
    psi_u = digamma(pxq_u)
    log_gmx = np.log(g + rows.mx)
    inv_gmx = 1.0 / (g + rows.mx)
    wx_log = float(dot(rows.wx, log_gmx))
    w_log = float(dot(rows.weight, log_gmx))
    ll = (
        dot((gammaln(pxq_u) - gammaln(p * ux)), wx_u)
        + rows.n * (q * math.log(g) - gammaln(q))
        + p * rows.wx_log_mx - rows.w_log_m - p * wx_log - q * w_log
    )  # fmt: skip
    d_p = dot(ux * (psi_u - digamma(p * ux)), wx_u) + rows.wx_log_mx - wx_log
    d_q = dot(psi_u, wx_u) + rows.n * (math.log(g) - digamma(q)) - w_log
    d_g = (
        rows.n * q / g
        - p * float(dot(rows.wx, inv_gmx))
        - q * float(dot(rows.weight, inv_gmx))
    )
    grads = np.array([d_p, d_q, d_g])
    return -float(ll) / rows.n, -grads * np.exp(log_p) / rows.n


@dataclass
class GammaGamma:
    """The Gamma-Gamma spend model: ``fit`` on repeat buyers, then predict."""

    params: GammaGammaParams | None = None
    log_likelihood: float = math.nan
    customers: int = 0
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def fit(self, rfm: RFM) -> GammaGamma:
        started = time.perf_counter()
        x, m, w = rfm.spend_x, rfm.spend_m, rfm.spend_weight
        keep = m > 0  # a repeat buyer who spent nothing carries no spend signal
        x, m, w = x[keep], m[keep], w[keep]
        if w.sum() < MIN_REPEAT_BUYERS:
            raise InvalidInput(
                f"only {w.sum():.0f} repeat buyers with a positive spend; the "
                f"Gamma-Gamma model needs at least {MIN_REPEAT_BUYERS}"
            )
        if len(np.unique(m)) < 2:
            raise InvalidInput(
                "every repeat buyer spends the same amount: the Gamma-Gamma model "
                "cannot tell customers apart"
            )
        mean_m = float((w * m).sum() / w.sum())
        start = np.log([2.0, 3.0, max(mean_m, 1e-6)])
        opt = maximise(
            neg_log_likelihood,
            lambda i: _Rows(x[i], m[i], w[i]),
            len(x),
            [start, np.zeros(3)],
        )
        if not np.all(np.isfinite(opt.log_params)) or not math.isfinite(opt.mean_nll):
            raise InvalidInput("the Gamma-Gamma fit did not converge on this data")
        p, q, g = (float(v) for v in np.exp(opt.log_params))
        self.params = GammaGammaParams(p=p, q=q, gamma=g)
        self.log_likelihood = -opt.mean_nll * float(w.sum())
        self.customers = int(w.sum())
        self.info = {
            "iterations": opt.iterations,
            "evaluations": opt.evaluations,
            "converged": opt.converged,
        }
        self.seconds = time.perf_counter() - started
        return self

    def expected_spend(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Expected value of a customer's next purchase given (x, m).

        Customers without a repeat purchase get the population mean p * gamma / (q - 1),
        never NaN.
        """
        if self.params is None:
            raise InvalidInput("the Gamma-Gamma model is not fitted yet")
        p, q, g = self.params.p, self.params.q, self.params.gamma
        if q <= 1.0:
            raise InvalidInput(
                f"the fitted Gamma-Gamma q = {q:.3g} ≤ 1: mean spend is unbounded "
                "on this data"
            )
        x = np.asarray(x, dtype=float)
        m = np.asarray(m, dtype=float)
        population = p * g / (q - 1.0)
        conditional = p * (g + x * m) / (p * x + q - 1.0)
        return np.where(x > 0, conditional, population)
