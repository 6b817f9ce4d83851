"""The analytic intervals agree with a seeded bootstrap; Shapley equals brute force."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pytest

from esperia.metrics.shapley import shapley_r2
from esperia.metrics.stats import mean_ci, nps_ci, welch_test, wilson_ci

RNG_SEED = 20250101
B = 4000


def _bootstrap(values: np.ndarray, stat, seed: int = RNG_SEED) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), (B, len(values)))
    draws = stat(values[picks])
    return float(np.quantile(draws, 0.025)), float(np.quantile(draws, 0.975))


def test_nps_interval_matches_bootstrap() -> None:
    rng = np.random.default_rng(1)
    scores = rng.choice(11, 400, p=[0.03] * 7 + [0.15, 0.2, 0.22, 0.22])
    promoters, detractors = int(np.sum(scores >= 9)), int(np.sum(scores <= 6))
    value, low, high, _ = nps_ci(400, promoters, detractors)
    b_low, b_high = _bootstrap(
        scores, lambda s: 100 * ((s >= 9).mean(axis=1) - (s <= 6).mean(axis=1))
    )
    assert float(low) == pytest.approx(b_low, abs=1.5)
    assert float(high) == pytest.approx(b_high, abs=1.5)
    assert float(low) < float(value) < float(high)


def test_wilson_interval_matches_bootstrap() -> None:
    rng = np.random.default_rng(2)
    csat = rng.choice([1, 2, 3, 4, 5], 300, p=[0.05, 0.1, 0.2, 0.35, 0.3])
    top2 = csat >= 4
    _, low, high = wilson_ci(300, int(top2.sum()))
    b_low, b_high = _bootstrap(top2.astype(float), lambda s: s.mean(axis=1))
    assert float(low) == pytest.approx(b_low, abs=0.012)
    assert float(high) == pytest.approx(b_high, abs=0.012)


def test_mean_interval_matches_bootstrap() -> None:
    rng = np.random.default_rng(3)
    ces = np.clip(np.round(rng.normal(5, 1.4, 250)), 1, 7)
    low, high = mean_ci(250, ces.mean(), ces.var(ddof=1))
    b_low, b_high = _bootstrap(ces, lambda s: s.mean(axis=1))
    assert float(low) == pytest.approx(b_low, abs=0.03)
    assert float(high) == pytest.approx(b_high, abs=0.03)


def test_welch_detects_a_real_difference_only() -> None:
    rng = np.random.default_rng(4)
    a, b, c = rng.normal(5, 1, 200), rng.normal(5.4, 1.5, 150), rng.normal(5, 1, 200)
    p_diff = welch_test(200, a.mean(), a.var(ddof=1), 150, b.mean(), b.var(ddof=1))
    p_same = welch_test(200, a.mean(), a.var(ddof=1), 200, c.mean(), c.var(ddof=1))
    assert float(p_diff) < 0.05 < float(p_same)


def test_shapley_equals_brute_force_and_sums_to_r2() -> None:
    rng = np.random.default_rng(5)
    n, k = 500, 5
    x = rng.normal(size=(n, k))
    x[:, 1] += 0.8 * x[:, 0]  # correlated drivers
    y = x @ np.array([1.0, 0.5, 0.0, -0.7, 0.2]) + rng.normal(size=n)
    corr = np.corrcoef(np.column_stack([y, x]), rowvar=False)
    values, r2 = shapley_r2(corr)

    def fit(cols: tuple[int, ...]) -> float:
        if not cols:
            return 0.0
        design = np.column_stack([np.ones(n), x[:, list(cols)]])
        beta = np.linalg.lstsq(design, y, rcond=None)[0]
        return 1 - np.var(y - design @ beta) / np.var(y)

    expected = []
    for j in range(k):
        others = [i for i in range(k) if i != j]
        total = 0.0
        for size in range(k):
            w = factorial(size) * factorial(k - size - 1) / factorial(k)
            for subset in itertools.combinations(others, size):
                total += w * (fit(tuple(sorted((*subset, j)))) - fit(subset))
        expected.append(total)
    assert values == pytest.approx(expected, abs=1e-6)
    assert values.sum() == pytest.approx(r2, abs=1e-9)
    assert r2 == pytest.approx(fit(tuple(range(k))), abs=1e-6)
