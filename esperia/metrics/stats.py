"""Confidence intervals and tests for the figures the metrics engine reports.

All functions are vectorised over numpy arrays (one element per reported row)
and return ``nan`` where a figure is undefined (n too small); callers turn
``nan`` into ``None`` before anything leaves the package.

- NPS: promoters share p, detractors share d of n answers; NPS = 100 (p - d).
  The answer is one draw of a three-way (multinomial) variable scoring +1, 0,
  -1, so Var(NPS/100) = (p + d - (p - d)^2) / n; normal interval.
- Proportions (CSAT top-2-box, response rate, shares): Wilson score interval,
  which keeps inside [0, 1] and behaves at small n and near 0 or 1.
- Means (CES, ratings, sentiment, pyramid scores): Student t interval.
- Changes: z-test on the difference of two independent NPS, two-proportion
  z-test (pooled), Welch's t-test for means.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

__all__ = [
    "mean_ci",
    "nps_ci",
    "nps_diff_test",
    "paired_t",
    "proportion_diff_test",
    "welch_test",
    "wilson_ci",
    "z_value",
]

FloatArray = np.ndarray


def z_value(confidence: float = 0.95) -> float:
    """The two-sided normal quantile for ``confidence`` (1.96 at 95%)."""
    return float(sps.norm.ppf(0.5 + confidence / 2))


def _arr(x: object) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def nps_ci(
    n: object, promoters: object, detractors: object, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """NPS, its low and high bounds (clipped to ±100) and its variance (NPS units²)."""
    n_, p_, d_ = _arr(n), _arr(promoters), _arr(detractors)
    with np.errstate(divide="ignore", invalid="ignore"):
        p, d = p_ / n_, d_ / n_
        score = 100.0 * (p - d)
        var = 1e4 * (p + d - (p - d) ** 2) / n_
    half = z_value(confidence) * np.sqrt(np.maximum(var, 0.0))
    return (
        score,
        np.clip(score - half, -100, 100),
        np.clip(score + half, -100, 100),
        var,
    )


def wilson_ci(
    n: object, successes: object, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Share of successes and its Wilson score interval, all in [0, 1]."""
    n_, k = _arr(n), _arr(successes)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n_
        denom = 1 + z * z / n_
        centre = (p + z * z / (2 * n_)) / denom
        half = z * np.sqrt(p * (1 - p) / n_ + z * z / (4 * n_ * n_)) / denom
    return p, np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def mean_ci(
    n: object, mean: object, variance: object, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Student t interval of a mean from n, mean and sample variance (n >= 2)."""
    n_, m, v = _arr(n), _arr(mean), _arr(variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(n_ >= 2, n_ - 1, np.nan)
        t = sps.t.ppf(0.5 + confidence / 2, df)
        half = t * np.sqrt(np.maximum(v, 0.0) / n_)
    return m - half, m + half


def _two_sided(z: FloatArray) -> FloatArray:
    return 2 * sps.norm.sf(np.abs(z))


def nps_diff_test(
    score_a: object, var_a: object, score_b: object, var_b: object
) -> FloatArray:
    """p-value of a z-test that two independent NPS differ."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (_arr(score_a) - _arr(score_b)) / np.sqrt(_arr(var_a) + _arr(var_b))
    return _two_sided(z)


def proportion_diff_test(
    n_a: object, k_a: object, n_b: object, k_b: object
) -> FloatArray:
    """p-value of the pooled two-proportion z-test."""
    na, ka, nb, kb = _arr(n_a), _arr(k_a), _arr(n_b), _arr(k_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (ka + kb) / (na + nb)
        se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        z = (ka / na - kb / nb) / se
    return _two_sided(z)


def welch_test(
    n_a: object,
    mean_a: object,
    var_a: object,
    n_b: object,
    mean_b: object,
    var_b: object,
) -> FloatArray:
    """p-value of Welch's t-test that two means differ (unequal variances)."""
    na, ma, va = _arr(n_a), _arr(mean_a), _arr(var_a)
    nb, mb, vb = _arr(n_b), _arr(mean_b), _arr(var_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        sa, sb = va / na, vb / nb
        t = (ma - mb) / np.sqrt(sa + sb)
        df = (sa + sb) ** 2 / (sa**2 / (na - 1) + sb**2 / (nb - 1))
        return 2 * sps.t.sf(np.abs(t), df)


def paired_t(
    n: object, mean_diff: object, var_diff: object, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Interval and p-value of a paired t-test from the differences' n, mean, var."""
    n_, m, v = _arr(n), _arr(mean_diff), _arr(var_diff)
    low, high = mean_ci(n_, m, v, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = m / np.sqrt(v / n_)
        p = 2 * sps.t.sf(np.abs(t), np.where(n_ >= 2, n_ - 1, np.nan))
    p = np.where((v == 0) & (n_ >= 2), np.where(m == 0, 1.0, 0.0), p)
    return low, high, p
