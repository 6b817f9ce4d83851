"""BG/NBD and Gamma-Gamma: gradients, recovery of known parameters, predictions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.optimize import approx_fprime

from esperia.errors import InvalidInput
from esperia.value import (
    RFM,
    BetaGeo,
    BetaGeoParams,
    ClvOptions,
    GammaGamma,
    TransactionColumns,
    bgnbd,
    fit_file,
    fit_rfm,
    gamma_gamma,
    predict,
)
from esperia.value.fitting import file_connection, summarise_source
from esperia.value.synthetic import SyntheticTruth, simulate_transactions

TRUTH = SyntheticTruth()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    table, _end = simulate_transactions(30_000, seed=11)
    path = tmp_path_factory.mktemp("clv") / "tx.parquet"
    pq.write_table(table, path)
    return path


def _small_rfm() -> RFM:
    """2,000 simulated customers, summarised in DuckDB (one row per customer)."""
    table, _end = simulate_transactions(2_000, seed=5)
    con = file_connection()
    try:
        con.register("_arrow", table)
        con.execute(
            "CREATE TEMP TABLE _tx AS SELECT customer_id, date AS day, value, "
            "CAST(NULL AS DOUBLE) AS margin FROM _arrow"
        )
        summary = summarise_source(con, "_tx", time_unit="weeks")
    finally:
        con.close()
    assert len(summary) == 2_000
    return summary.rfm()


def test_bgnbd_gradient_matches_finite_differences() -> None:
    rfm = _small_rfm()
    rows = bgnbd._Rows(*rfm.compressed())
    point = np.log([0.4, 5.0, 0.9, 2.1])
    value, grad = bgnbd.neg_log_likelihood(point, rows)
    numeric = approx_fprime(point, lambda p: bgnbd.neg_log_likelihood(p, rows)[0], 1e-7)
    assert np.isfinite(value)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def test_gamma_gamma_gradient_matches_finite_differences() -> None:
    rfm = _small_rfm()
    rows = gamma_gamma._Rows(rfm.spend_x, rfm.spend_m, rfm.spend_weight)
    point = np.log([5.0, 3.0, 12.0])
    _value, grad = gamma_gamma.neg_log_likelihood(point, rows)
    numeric = approx_fprime(
        point, lambda p: gamma_gamma.neg_log_likelihood(p, rows)[0], 1e-7
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def test_recovers_simulated_parameters(history: Path) -> None:
    fit = fit_file(
        history, TransactionColumns("customer_id", "date", "value"), time_unit="weeks"
    )
    got = fit.to_dict()
    assert got["customers"] == 30_000
    # Sampling error at 30,000 customers is a few per cent; 15% would catch a
    # wrong likelihood or a wrong time unit (a factor 7 on alpha).
    for name in ("r", "alpha", "a", "b"):
        assert got[name] == pytest.approx(getattr(TRUTH, name), rel=0.15), name
    # p and gamma trade off against each other; their implied mean spend does not.
    mean_spend = got["p"] * got["gamma"] / (got["q"] - 1)
    true_mean = TRUTH.p * TRUTH.gamma / (TRUTH.q - 1)
    assert mean_spend == pytest.approx(true_mean, rel=0.08)
    assert got["q"] == pytest.approx(TRUTH.q, rel=0.2)
    assert got["unique_rows"] < got["customers"]


def test_compressed_fit_equals_one_row_per_customer() -> None:
    rfm = _small_rfm()
    compressed = BetaGeo().fit(rfm)
    expanded = RFM(
        np.repeat(rfm.x, rfm.weight.astype(int)),
        np.repeat(rfm.tx, rfm.weight.astype(int)),
        np.repeat(rfm.t, rfm.weight.astype(int)),
        np.ones(int(rfm.weight.sum())),
        rfm.spend_x, rfm.spend_m, rfm.spend_weight,
    )  # fmt: skip
    plain = BetaGeo().fit(expanded)
    assert compressed.unique_rows < plain.unique_rows
    assert compressed.params is not None and plain.params is not None
    np.testing.assert_allclose(
        compressed.params.as_array(), plain.params.as_array(), rtol=1e-5
    )
    assert compressed.log_likelihood == pytest.approx(plain.log_likelihood)


def test_conditional_expectation_matches_hardies_spreadsheet() -> None:
    # Fader & Hardie's BG/NBD spreadsheet: 1.226 expected purchases in 39 weeks
    # for x=2, t_x=30.43, T=38.86 at the CDNOW estimates.
    model = BetaGeo(params=BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
    got = model.expected_purchases(39, np.array([2.0]), np.array([30.43]), [38.86])
    assert got[0] == pytest.approx(1.226, abs=0.002)


def test_no_nan_for_customers_without_repeat_purchases() -> None:
    rfm = _small_rfm()
    fit = fit_rfm(rfm)
    x = np.array([0.0, 0.0, 3.0])
    tx = np.array([0.0, 0.0, 10.0])
    t = np.array([30.0, 0.0, 35.0])
    m = np.array([0.0, 0.0, 20.0])
    out = predict(fit, x, tx, t, m, np.array([np.nan, 0.4, 0.25]), ClvOptions())
    for arr in (out.p_alive, out.expected_purchases, out.expected_spend, out.clv):
        assert np.all(np.isfinite(arr))
    assert out.p_alive[0] == 1.0 and out.p_alive[1] == 1.0
    assert out.clv[0] > 0
    # Default margin where the customer's is unknown.
    assert out.margin_rate[0] == pytest.approx(0.30)
    # A repeat buyer who has gone quiet is less likely alive than one just seen.
    late = fit.purchases.probability_alive(np.array([3.0]), np.array([34.0]), [35.0])
    assert out.p_alive[2] < late[0]


def test_discounting_lowers_clv() -> None:
    fit = fit_rfm(_small_rfm())
    args = (np.array([2.0]), np.array([20.0]), np.array([30.0]), np.array([25.0]))
    margin = np.array([0.3])
    low = predict(fit, *args, margin, ClvOptions(annual_discount_rate=0.0)).clv[0]
    high = predict(fit, *args, margin, ClvOptions(annual_discount_rate=0.3)).clv[0]
    longer = predict(fit, *args, margin, ClvOptions(horizon_months=24)).clv[0]
    assert 0 < high < low < longer


def test_too_few_repeat_buyers_is_a_clear_error() -> None:
    rfm = RFM.from_customers([0, 0, 1, 0], [0, 0, 2, 0], [10, 10, 10, 10])
    with pytest.raises(InvalidInput, match="repeat buyers"):
        BetaGeo().fit(rfm)
    with pytest.raises(InvalidInput, match="repeat buyers"):
        GammaGamma().fit(RFM.from_customers([1, 2], [1, 2], [5, 5], [3.0, 4.0]))


@pytest.mark.parametrize(
    ("x", "tx", "t", "m", "message"),
    [
        ([1, 2], [3, 9], [5, 8], None, "recency after the end of the period at row 2"),
        ([1, 2], [3, 4], [5, 8], [4.0, -1.0], "negative spend at row 2"),
        ([1.5, 2], [3, 4], [5, 8], None, "whole number"),
        ([1, -2], [3, 4], [5, 8], None, "frequency is negative at row 2"),
        ([0, 2], [3, 4], [5, 8], None, "recency must be 0"),
    ],
)
def test_unfittable_summaries_name_the_row(
    x: list[float], tx: list[float], t: list[float], m: list[float] | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        RFM.from_customers(x, tx, t, m)


def test_calibration_end_splits_the_history(history: Path) -> None:
    cols = TransactionColumns("customer_id", "date", "value")
    early = fit_file(history, cols, calibration_end=dt.date(2023, 9, 30))
    full = fit_file(history, cols)
    assert early.calibration_end == dt.date(2023, 9, 30)
    assert early.time_unit == "days"
    assert early.customers == 30_000  # everyone's first purchase is in the cohort
    # Daily rates: alpha is about 7 times the weekly one.
    assert full.to_dict()["alpha"] == pytest.approx(7 * TRUTH.alpha, rel=0.15)
    with pytest.raises(InvalidInput, match="before the first purchase"):
        fit_file(history, cols, calibration_end=dt.date(2020, 1, 1))
