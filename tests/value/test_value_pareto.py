"""Pareto/NBD: parameter recovery, predictions against an independent integral,
and the quadrature that takes over where hyp2f1 overflows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gammaln, hyp2f1

from esperia.errors import InvalidInput
from esperia.value.clv import fit_rfm
from esperia.value.data import RFM
from esperia.value.pareto_integral import log_integral, log_integral_quadrature
from esperia.value.pareto_nbd import ParetoNBD, ParetoNBDParams, log_likelihood

TRUTH = ParetoNBDParams(r=0.55, alpha=10.6, s=0.6, beta=11.7)


def _simulate(
    n: int, seed: int, p: ParetoNBDParams = TRUTH, horizon: float = 52.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Customers drawn from a known Pareto/NBD, watched 30-40 weeks each, and
    their purchases in the ``horizon`` weeks after that."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(p.r, 1 / p.alpha, n)
    mu = rng.gamma(p.s, 1 / p.beta, n)
    age = rng.uniform(30.0, 40.0, n)
    death = rng.exponential(1 / mu)
    alive_until = np.minimum(death, age)
    x = rng.poisson(lam * alive_until).astype(float)
    # The last of x uniform purchase times is alive_until * Beta(x, 1).
    tx = np.where(x > 0, alive_until * rng.random(n) ** (1 / np.maximum(x, 1)), 0.0)
    later = rng.poisson(lam * np.clip(death - age, 0.0, horizon)).astype(float)
    return x, tx, age, later


def _fitted(p: ParetoNBDParams) -> ParetoNBD:
    model = ParetoNBD()
    model.params = p
    return model


def test_pareto_nbd_recovers_simulated_parameters() -> None:
    x, tx, t, later = _simulate(20_000, seed=5)
    model = ParetoNBD().fit(RFM.from_customers(x, tx, t, time_unit="weeks"))
    p = model.params
    assert p is not None
    assert p.r == pytest.approx(TRUTH.r, rel=0.1)
    assert p.alpha == pytest.approx(TRUTH.alpha, rel=0.15)
    assert p.s == pytest.approx(TRUTH.s, rel=0.25)
    assert p.beta == pytest.approx(TRUTH.beta, rel=0.35)
    assert model.info["converged"]
    # The fit beats the truth on its own sample, as a maximum must.
    assert model.log_likelihood >= float(log_likelihood(TRUTH, x, tx, t).sum())
    alive = model.probability_alive(x, tx, t)
    assert np.all(np.isfinite(alive)) and np.all((alive > 0) & (alive <= 1))
    # Someone who bought often and recently is more likely alive than someone
    # who bought often long ago.
    recent, old = model.probability_alive(
        np.array([5.0, 5.0]), np.array([35.0, 5.0]), np.array([36.0, 36.0])
    )
    assert recent > 0.9 > old
    # Predicted purchases in the 52 weeks after T against the same customers
    # simulated forward from their own (hidden) rates and lifetimes.
    expected = model.expected_purchases(52.0, x, tx, t)
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
    assert expected.sum() == pytest.approx(later.sum(), rel=0.08)
    assert np.corrcoef(expected, later)[0, 1] > 0.5


def _grid_posterior(
    p: ParetoNBDParams, x: float, tx: float, t: float, horizon: float
) -> tuple[float, float]:
    """P(alive) and E[purchases in (T, T+h]] by brute force over (λ, μ).

    Independent of the closed forms: the individual-level likelihood
    λ^x [e^-(λ+μ)T + μ/(λ+μ) (e^-(λ+μ)t_x - e^-(λ+μ)T)] times both gamma
    densities, summed on a fine grid in (log λ, log μ).
    """
    u = np.linspace(-60.0, 6.0, 2400)
    lam, mu = np.exp(u)[:, None], np.exp(u)[None, :]
    log_prior = (
        p.r * np.log(p.alpha)
        - gammaln(p.r)
        + p.r * np.log(lam)
        - p.alpha * lam
        + p.s * np.log(p.beta)
        - gammaln(p.s)
        + p.s * np.log(mu)
        - p.beta * mu
    )  # fmt: skip  (densities x the Jacobian λ μ of the log grid)
    log_alive = x * np.log(lam) - (lam + mu) * t
    gone = (
        mu / (lam + mu) * (np.exp(-(lam + mu) * tx) - np.exp(-(lam + mu) * t))
    ) * lam**x
    peak = (log_prior + log_alive).max()
    alive_w = np.exp(log_prior + log_alive - peak)
    total_w = alive_w + gone * np.exp(log_prior - peak)
    future = lam / mu * -np.expm1(-mu * horizon)
    total = total_w.sum()
    return float(alive_w.sum() / total), float((alive_w * future).sum() / total)


@pytest.mark.parametrize(
    "params",
    [TRUTH, ParetoNBDParams(r=1.3, alpha=6.0, s=0.9, beta=2.5)],
    ids=["alpha<beta", "alpha>beta"],
)
def test_predictions_match_an_independent_integral(params: ParetoNBDParams) -> None:
    model = _fitted(params)
    rows = [(0.0, 0.0, 38.0), (2.0, 30.0, 38.0), (7.0, 35.0, 39.0),
            (5.0, 5.0, 39.0), (20.0, 37.5, 38.0)]  # fmt: skip
    x, tx, t = (np.array(col) for col in zip(*rows, strict=True))
    alive = model.probability_alive(x, tx, t)
    expected = model.expected_purchases(26.0, x, tx, t)
    for i, (xi, txi, ti) in enumerate(rows):
        ref_alive, ref_expected = _grid_posterior(params, xi, txi, ti, 26.0)
        assert alive[i] == pytest.approx(ref_alive, rel=1e-5, abs=1e-9)
        assert expected[i] == pytest.approx(ref_expected, rel=1e-5, abs=1e-9)


def _reference_log_integral(p: ParetoNBDParams, x: float, tx: float, t: float) -> float:
    """log ∫_{t_x}^{T} (alpha+τ)^-(r+x) (beta+τ)^-(s+1) dτ with adaptive quadrature."""

    def scaled(tau: float) -> float:
        return float(
            np.exp(
                -(p.r + x) * np.log((p.alpha + tau) / (p.alpha + tx))
                - (p.s + 1) * np.log((p.beta + tau) / (p.beta + tx))
            )
        )

    value, _err = quad(scaled, tx, t, epsabs=0, epsrel=1e-12, limit=500)
    return float(
        np.log(value) - (p.r + x) * np.log(p.alpha + tx)
        - (p.s + 1) * np.log(p.beta + tx)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("p", "x", "tx", "t", "euler_finite"),
    [
        # A heavy buyer with alpha far below beta: z = (beta - alpha)/(beta + t_x)
        # is close to 1 and 2F1(a, r+x; a+1; z) exceeds double precision;
        # Euler's transformation takes over.
        (ParetoNBDParams(0.8, 0.5, 1.3, 400.0), [300.0, 900.0], [1.0, 2.0],
         [3.0, 9.0], True),
        # alpha far above beta and a in the hundreds: scipy answers NaN both
        # ways, and the quadrature takes over.
        (ParetoNBDParams(0.322, 947.0, 0.178, 0.0284), [644.0, 1200.0],
         [1.866, 0.05], [5.0, 40.0], False),
    ],
    ids=["euler", "quadrature"],
)  # fmt: skip
def test_where_hyp2f1_fails_the_fallbacks_take_over(
    p: ParetoNBDParams, x: list[float], tx: list[float], t: list[float],
    euler_finite: bool,
) -> None:  # fmt: skip
    xa, txa, ta = np.array(x), np.array(tx), np.array(t)
    a = p.r + p.s + xa
    big, b = (p.alpha, p.s + 1.0) if p.alpha >= p.beta else (p.beta, p.r + xa)
    z = abs(p.alpha - p.beta) / (big + txa)
    with np.errstate(all="ignore"):
        direct = hyp2f1(a, b, a + 1.0, z)
        euler = hyp2f1(1.0, a + 1.0 - b, a + 1.0, z)
    assert not np.isfinite(direct).any()
    assert bool(np.isfinite(euler).all()) is euler_finite
    got = log_integral(p.r, p.alpha, p.s, p.beta, xa, txa, ta)
    for i in range(len(xa)):
        assert got[i] == pytest.approx(
            _reference_log_integral(p, xa[i], txa[i], ta[i]), abs=1e-8
        )
    alive = _fitted(p).probability_alive(xa, txa, ta)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))


def test_closed_form_and_quadrature_agree_where_both_work() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        r, s = 10 ** rng.uniform(-1, 1, 2)
        alpha, beta = 10 ** rng.uniform(-1, 2.5, 2)
        t = 10 ** rng.uniform(0.5, 2.5, 50)
        x = rng.integers(0, 60, 50).astype(float)
        tx = np.where(x > 0, t * rng.random(50), 0.0)
        closed = log_integral(r, alpha, s, beta, x, tx, t)
        numeric = log_integral_quadrature(r, alpha, s, beta, x, tx, t)
        assert np.all(np.isfinite(closed))
        assert numeric == pytest.approx(closed, abs=1e-9)
    # Nobody can have left unseen when the last purchase is at T.
    edge = log_integral(0.5, 10.0, 0.6, 11.0, np.array([3.0]), [20.0], [20.0])
    assert edge[0] == -np.inf


def test_expected_purchases_handles_s_equal_one() -> None:
    near = _fitted(ParetoNBDParams(r=0.5, alpha=10.0, s=1.0 + 1e-7, beta=12.0))
    exact = _fitted(ParetoNBDParams(r=0.5, alpha=10.0, s=1.0, beta=12.0))
    args = (np.array([3.0]), np.array([20.0]), np.array([30.0]))
    assert exact.expected_purchases(52.0, *args) == pytest.approx(
        near.expected_purchases(52.0, *args), rel=1e-5
    )
    assert exact.expected_purchases(0.0, *args)[0] == 0.0
    with pytest.raises(InvalidInput, match="negative"):
        exact.expected_purchases(-1.0, *args)


def test_pareto_nbd_refuses_what_cannot_be_fitted() -> None:
    with pytest.raises(InvalidInput, match="repeat buyers"):
        ParetoNBD().fit(RFM.from_customers(np.zeros(50), np.zeros(50), [30.0] * 50))
    with pytest.raises(InvalidInput, match="recency"):
        RFM.from_customers(np.array([1.0]), np.array([40.0]), np.array([30.0]))
    with pytest.raises(InvalidInput, match="not fitted"):
        ParetoNBD().probability_alive(np.zeros(1), np.zeros(1), np.ones(1))
    with pytest.raises(InvalidInput, match="model 'gamma': use bg-nbd or pareto-nbd"):
        fit_rfm(RFM.from_customers(*_simulate(100, seed=1)[:3]), model="gamma")
