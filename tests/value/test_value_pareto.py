"""Pareto/NBD recovers the parameters it was simulated with."""

from __future__ import annotations

import numpy as np
import pytest

from esperia.errors import InvalidInput
from esperia.value.pareto_nbd import ParetoNBD


def _simulate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers from a known Pareto/NBD: r=0.55, alpha=10.6, s=0.6, beta=11.7."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.55, 1 / 10.6, n)
    mu = rng.gamma(0.6, 1 / 11.7, n)
    age = rng.uniform(30.0, 40.0, n)
    alive_until = np.minimum(rng.exponential(1 / mu), age)
    x = rng.poisson(lam * alive_until).astype(float)
    # The last of x uniform purchase times is alive_until * Beta(x, 1).
    tx = np.where(x > 0, alive_until * rng.random(n) ** (1 / np.maximum(x, 1)), 0.0)
    return x, tx, age


def test_pareto_nbd_recovers_simulated_parameters() -> None:
    x, tx, t = _simulate(5_000, seed=5)
    model = ParetoNBD().fit(x, tx, t)
    p = model.params
    assert p is not None
    assert p.r == pytest.approx(0.55, rel=0.15)
    assert p.alpha == pytest.approx(10.6, rel=0.2)
    assert p.s == pytest.approx(0.6, rel=0.3)
    assert p.beta == pytest.approx(11.7, rel=0.5)
    alive = model.probability_alive(x, tx, t)
    assert np.all(np.isfinite(alive)) and np.all((alive > 0) & (alive <= 1))
    # Someone who bought often and recently is more likely alive than someone
    # who bought often long ago.
    recent, old = model.probability_alive(
        np.array([5.0, 5.0]), np.array([35.0, 5.0]), np.array([36.0, 36.0])
    )
    assert recent > 0.9 > old
    expected = model.expected_purchases(52.0, x, tx, t)
    assert np.all(np.isfinite(expected)) and expected.sum() > 0


def test_pareto_nbd_refuses_what_cannot_be_fitted() -> None:
    with pytest.raises(InvalidInput, match="repeat buyers"):
        ParetoNBD().fit(np.zeros(50), np.zeros(50), np.full(50, 30.0))
    with pytest.raises(InvalidInput, match="recency"):
        ParetoNBD().fit(np.array([1.0]), np.array([40.0]), np.array([30.0]))
    with pytest.raises(InvalidInput, match="fit"):
        ParetoNBD().probability_alive(np.zeros(1), np.zeros(1), np.ones(1))
