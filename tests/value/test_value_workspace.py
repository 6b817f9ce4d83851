"""CLV on a workspace: fit on the orders, store predictions, read them back."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from esperia.config import Settings
from esperia.errors import NotFound
from esperia.store import Store
from esperia.value.evaluate import evaluate_summary
from esperia.value.service import (
    customer_values,
    holdout_calibration_end,
    latest_fit,
    predict_workspace,
    workspace_summary,
)

Loader = Callable[[Store, Settings, tuple[str, ...]], None]


def test_predict_stores_one_finite_row_per_buyer(
    store: Store, settings: Settings, load_demo: Loader
) -> None:
    load_demo(store, settings, ("customers", "touchpoints", "orders"))
    run = predict_workspace(store, settings)
    with store.connect() as conn:
        buyers = conn.scalar("SELECT count(DISTINCT customer_id) FROM orders")
        stored = conn.scalar("SELECT count(*) FROM customer_value")
        bad = conn.scalar(
            "SELECT count(*) FROM customer_value WHERE NOT (p_alive BETWEEN 0 AND 1) "
            "OR clv < 0 OR expected_purchases < 0 OR margin_rate <= 0 "
            "OR clv IS NULL OR p_alive IS NULL"
        )
        single = conn.fetch_dicts(
            "SELECT p_alive, clv FROM customer_value WHERE frequency = 0 LIMIT 5"
        )
    assert stored == buyers == run.fit.customers
    assert bad == 0
    assert single and all(r["p_alive"] == 1.0 and r["clv"] > 0 for r in single)
    # The demo's orders carry margins (about a quarter of revenue): CLV uses them
    # rather than the 30% default.
    rates = [r["margin_rate"] for r in customer_values(store, limit=200)]
    assert 0.15 < sum(rates) / len(rates) < 0.35
    top = customer_values(store, order="clv", limit=5)
    assert [r["clv"] for r in top] == sorted((r["clv"] for r in top), reverse=True)
    fit = latest_fit(store)
    assert fit["fit_id"] == run.fit_id and fit["time_unit"] == "weeks"
    for name in ("r", "alpha", "a", "b", "p", "q", "gamma"):
        assert math.isfinite(fit[name]) and fit[name] > 0
    # A second run replaces the predictions instead of adding to them.
    predict_workspace(store, settings, horizon_months=24)
    with store.connect() as conn:
        assert conn.scalar("SELECT count(*) FROM customer_value") == buyers


def test_holdout_evaluation_is_close_in_total(
    store: Store, settings: Settings, load_demo: Loader
) -> None:
    load_demo(store, settings, ("customers", "touchpoints", "orders"))
    cal = holdout_calibration_end(store, 180)
    summary = workspace_summary(store, settings, calibration_end=cal)
    result = evaluate_summary(summary).to_dict()
    assert result["holdout"] == pytest.approx(180 / 7)
    assert result["actual_total"] > 0
    # The demo's churn is not BG/NBD's, so the fit is not exact; a model that
    # tracks the holdout stays within a third of the actual total.
    assert abs(result["error_total_pct"]) < 33
    heavy = next(g for g in result["groups"] if g["frequency"] == "7+")
    light = next(g for g in result["groups"] if g["frequency"] == "0")
    assert heavy["predicted"] > light["predicted"]
    assert heavy["actual"] > light["actual"]


def test_no_orders_is_not_found(store: Store, settings: Settings) -> None:
    with pytest.raises(NotFound, match="no orders"):
        predict_workspace(store, settings)
    with pytest.raises(NotFound, match="clv predict"):
        latest_fit(store)
