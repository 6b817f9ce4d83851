"""A piecewise-exponential proportional hazard model, fitted by Newton/IRLS.

Follow-up is cut into spells with constant covariates; each covariate cell
carries its exposure (days at risk) and its events (customers who left). With
a hazard constant within a spell, the likelihood is that of a Poisson count
with mean exposure * exp(x'b), so exp(b) is a hazard ratio in continuous time
(the demo's churn is such a model). Cells with the same covariates are summed
in the engine, so millions of customer-days are a few thousand rows, and the
gradient X'(y - mu) and Hessian X' diag(mu) X are a pair of matrix products.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from esperia.errors import InvalidInput
from esperia.value.clv import DAYS_PER_MONTH

__all__ = ["HazardFit", "fit_poisson"]


@dataclass
class HazardFit:
    names: list[str]
    coef: np.ndarray
    se: np.ndarray
    iterations: int
    log_likelihood: float
    #: Total time at risk, in days.
    exposure: float
    events: float

    def hazard_ratio(self, name: str) -> float:
        return float(np.exp(self.coef[self.names.index(name)]))

    def monthly_hazard(self, x: np.ndarray) -> np.ndarray:
        """P(leave within a month) for covariate rows ``x`` (without the intercept)."""
        eta = self.coef[0] + np.asarray(x, dtype=float) @ self.coef[1:]
        return -np.expm1(-np.exp(eta) * DAYS_PER_MONTH)

    def table(self) -> list[dict[str, float | str]]:
        z = norm.ppf(0.975)
        rows: list[dict[str, float | str]] = []
        for i, name in enumerate(self.names):
            if i == 0:
                continue
            b, s = float(self.coef[i]), float(self.se[i])
            rows.append(
                {
                    "covariate": name,
                    "hazard_ratio": math.exp(b),
                    "ci_low": math.exp(b - z * s),
                    "ci_high": math.exp(b + z * s),
                    "coef": b,
                    "se": s,
                    "p_value": float(2 * norm.sf(abs(b / s))) if s > 0 else 0.0,
                }
            )
        return rows


def _log_likelihood(eta: np.ndarray, y: np.ndarray) -> float:
    """Poisson log-likelihood without the log(y!) constant (eta has the offset)."""
    return float(np.sum(y * eta - np.exp(eta)))


def fit_poisson(
    names: list[str],
    x: np.ndarray,
    exposure: np.ndarray,
    events: np.ndarray,
    *,
    max_iter: int = 50,
) -> HazardFit:
    """Maximum likelihood for events ~ Poisson(exposure * exp(b0 + x'b)).

    Newton steps (the Hessian of the canonical link is the Fisher information),
    halved while they would lower the likelihood; Wald standard errors from the
    inverse information at the optimum.
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(exposure, dtype=float)
    y = np.asarray(events, dtype=float)
    if t.sum() <= 0 or y.sum() < len(names) + 1:
        raise InvalidInput(
            f"only {y.sum():.0f} churn events: too few to estimate "
            f"{len(names)} effects; widen the data or the churn definition"
        )
    keep = t > 0
    x, t, y = x[keep], t[keep], y[keep]
    design = np.column_stack([np.ones(len(t)), x])
    offset = np.log(t)
    beta = np.zeros(design.shape[1])
    beta[0] = math.log(y.sum() / t.sum())
    eta = np.minimum(design @ beta + offset, 700.0)
    ll = _log_likelihood(eta, y)
    it = 0
    while it < max_iter:
        it += 1
        mu = np.exp(eta)
        grad = design.T @ (y - mu)
        info = design.T @ (design * mu[:, None])
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            raise InvalidInput(
                "the churn model cannot be fitted: some covariate never varies"
            ) from None
        for _ in range(30):
            trial = np.minimum(design @ (beta + step) + offset, 700.0)
            ll_new = _log_likelihood(trial, y)
            if ll_new >= ll - 1e-12 * (1 + abs(ll)):
                break
            step = step / 2
        beta, eta = beta + step, trial
        done = abs(ll_new - ll) < 1e-12 * (1 + abs(ll)) and np.abs(step).max() < 1e-8
        ll = ll_new
        if done:
            break
    mu = np.exp(eta)
    info = design.T @ (design * mu[:, None])
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise InvalidInput(
            "the churn model cannot be fitted: some covariate never varies"
        ) from None
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    if not np.all(np.isfinite(beta)) or not np.all(np.isfinite(se)):
        raise InvalidInput("the churn model did not converge on this data")
    return HazardFit(
        names=["intercept", *names], coef=beta, se=se, iterations=it,
        log_likelihood=ll, exposure=float(t.sum()), events=float(y.sum()),
    )  # fmt: skip
