"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), the optional CLV model.

While alive a customer buys at a Poisson rate drawn from gamma(r, alpha); their
lifetime is exponential with a rate drawn from gamma(s, beta), so, unlike
BG/NBD, they can leave at any moment, not only right after a purchase. The
likelihood follows Fader & Hardie's note "A Note on Deriving the Pareto/NBD
Model and Related Expressions" (2005): a closed form with the Gaussian
hypergeometric function, whose argument is kept in [0, 1) by choosing the
branch by alpha >= beta. Everything is computed in logs on grouped
(x, t_x, T) rows. The gradient is numerical (L-BFGS-B's finite differences):
four parameters and grouped rows keep that cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

from esperia.errors import InvalidInput

__all__ = ["ParetoNBD", "ParetoNBDParams"]


@dataclass(frozen=True)
class ParetoNBDParams:
    r: float
    alpha: float
    s: float
    beta: float


def _log_a0(
    p: ParetoNBDParams, x: np.ndarray, tx: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """log A0 of Fader & Hardie (2005), on the branch that keeps |z| < 1."""
    r, alpha, s, beta = p.r, p.alpha, p.s, p.beta
    rsx = r + s + x
    b2: float | np.ndarray
    if alpha >= beta:
        big, b2, small = alpha, s + 1.0, alpha - beta
    else:
        big, b2, small = beta, r + x, beta - alpha
    f_tx = hyp2f1(rsx, b2, rsx + 1.0, small / (big + tx))
    f_t = hyp2f1(rsx, b2, rsx + 1.0, small / (big + t))
    log_first = np.log(f_tx) - rsx * np.log(big + tx)
    log_second = np.log(f_t) - rsx * np.log(big + t)
    # A0 = first - second > 0 when tx < T; at tx == T it is 0.
    gap = np.clip(log_second - log_first, None, 0.0)
    with np.errstate(divide="ignore"):
        return log_first + np.log(-np.expm1(gap))


def log_likelihood(
    p: ParetoNBDParams, x: np.ndarray, tx: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Per-row log-likelihood."""
    r, alpha, s, beta = p.r, p.alpha, p.s, p.beta
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    log_alive = -(r + x) * np.log(alpha + t) - s * np.log(beta + t)
    log_gone = np.log(s / (r + s + x)) + _log_a0(p, x, tx, t)
    return head + np.logaddexp(log_alive, log_gone)


class ParetoNBD:
    """Fit on (x, t_x, T) rows with weights; predict P(alive) and purchases."""

    def __init__(self) -> None:
        self.params: ParetoNBDParams | None = None
        self.log_likelihood = float("nan")

    def fit(
        self,
        x: np.ndarray,
        tx: np.ndarray,
        t: np.ndarray,
        weights: np.ndarray | None = None,
    ) -> ParetoNBD:
        x, tx, t = (np.asarray(a, dtype=float) for a in (x, tx, t))
        w = np.ones(len(x)) if weights is None else np.asarray(weights, float)
        if len(x) == 0 or np.any(tx > t) or np.any(x < 0) or np.any(tx < 0):
            raise InvalidInput(
                "Pareto/NBD needs rows with 0 <= recency <= age and frequency >= 0"
            )
        if int(((x > 0) * w).sum()) < 5:
            raise InvalidInput("too few repeat buyers to fit Pareto/NBD (need 5)")
        total = w.sum()

        def nll(log_p: np.ndarray) -> float:
            p = ParetoNBDParams(*np.exp(log_p))
            ll = log_likelihood(p, x, tx, t)
            value = -float(np.dot(w, ll)) / total
            return value if np.isfinite(value) else 1e10

        best = None
        for start in (np.zeros(4), np.log([0.5, 10.0, 0.5, 10.0])):
            res = minimize(
                nll, start, method="L-BFGS-B", bounds=[(-10.0, 10.0)] * 4,
                options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
            )  # fmt: skip
            if best is None or res.fun < best.fun:
                best = res
        assert best is not None
        if not np.isfinite(best.fun) or best.fun >= 1e10:
            raise InvalidInput("Pareto/NBD did not converge on this data")
        self.params = ParetoNBDParams(*np.exp(best.x))
        self.log_likelihood = -best.fun * total
        return self

    def _p(self) -> ParetoNBDParams:
        if self.params is None:
            raise InvalidInput("fit the Pareto/NBD model first")
        return self.params

    def probability_alive(
        self, x: np.ndarray, tx: np.ndarray, t: np.ndarray
    ) -> np.ndarray:
        p = self._p()
        x, tx, t = (np.asarray(a, dtype=float) for a in (x, tx, t))
        log_ratio = (
            np.log(p.s / (p.r + p.s + x))
            + (p.r + x) * np.log(p.alpha + t)
            + p.s * np.log(p.beta + t)
            + _log_a0(p, x, tx, t)
        )
        return 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700.0)))

    def expected_purchases(
        self, horizon: float, x: np.ndarray, tx: np.ndarray, t: np.ndarray
    ) -> np.ndarray:
        """Expected purchases in (T, T + horizon], given each customer's history."""
        p = self._p()
        x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
        alive = self.probability_alive(x, tx, t)
        rate = (p.r + x) / (p.alpha + t)
        if abs(p.s - 1.0) < 1e-9:
            life = (p.beta + t) * np.log((p.beta + t + horizon) / (p.beta + t))
        else:
            life = (
                (p.beta + t)
                / (p.s - 1.0)
                * (1.0 - ((p.beta + t) / (p.beta + t + horizon)) ** (p.s - 1.0))
            )
        return rate * life * alive
