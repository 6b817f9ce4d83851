"""A discrete-time proportional hazard model, fitted by Newton/IRLS.

Customer-months with the covariates in force that month, and whether the
customer left in it. With the complementary log-log link,
P(leave in month | still here) = 1 - exp(-exp(x'b)), exp(b) is exactly a hazard
ratio of the underlying continuous-time proportional hazard model (the demo's
churn is one). Rows with the same covariates are grouped (trials, events), so a
few hundred thousand customer-months are a few thousand rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from esperia.errors import InvalidInput

__all__ = ["HazardFit", "fit_cloglog"]


@dataclass
class HazardFit:
    names: list[str]
    coef: np.ndarray
    se: np.ndarray
    iterations: int
    log_likelihood: float
    trials: float
    events: float

    def hazard_ratio(self, name: str) -> float:
        return float(np.exp(self.coef[self.names.index(name)]))

    def monthly_hazard(self, x: np.ndarray) -> np.ndarray:
        """P(leave this month) for covariate rows ``x`` (without the intercept)."""
        eta = self.coef[0] + np.asarray(x, dtype=float) @ self.coef[1:]
        return -np.expm1(-np.exp(eta))

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


def fit_cloglog(
    names: list[str],
    x: np.ndarray,
    trials: np.ndarray,
    events: np.ndarray,
    *,
    max_iter: int = 50,
) -> HazardFit:
    """Maximum likelihood for grouped binomial data with the cloglog link."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(trials, dtype=float)
    y = np.asarray(events, dtype=float)
    if n.sum() <= 0 or y.sum() < len(names) + 1:
        raise InvalidInput(
            f"only {y.sum():.0f} churn events: too few to estimate "
            f"{len(names)} effects; widen the data or the churn definition"
        )
    design = np.column_stack([np.ones(len(n)), x])
    rate = y.sum() / n.sum()
    beta = np.zeros(design.shape[1])
    beta[0] = math.log(-math.log1p(-min(rate, 0.99)))
    ll_old = -np.inf
    info = np.eye(design.shape[1])
    it = 0
    while it < max_iter:
        it += 1
        eta = np.clip(design @ beta, -30, 5)
        e = np.exp(eta)
        p = np.clip(-np.expm1(-e), 1e-300, 1 - 1e-15)
        dp = e * np.exp(-e)  # dp/deta
        score_w = dp * (y - n * p) / (p * (1 - p))
        w = n * dp * dp / (p * (1 - p))
        grad = design.T @ score_w
        info = design.T @ (design * w[:, None])
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            raise InvalidInput(
                "the churn model cannot be fitted: some covariate never varies"
            ) from None
        beta = beta + step
        ll = float(np.sum(y * np.log(p) + (n - y) * np.log1p(-p)))
        if abs(ll - ll_old) < 1e-10 * (1 + abs(ll)) and np.abs(step).max() < 1e-8:
            break
        ll_old = ll
    cov = np.linalg.inv(info)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    if not np.all(np.isfinite(beta)) or not np.all(np.isfinite(se)):
        raise InvalidInput("the churn model did not converge on this data")
    return HazardFit(
        names=["intercept", *names], coef=beta, se=se, iterations=it,
        log_likelihood=ll_old, trials=float(n.sum()), events=float(y.sum()),
    )  # fmt: skip
