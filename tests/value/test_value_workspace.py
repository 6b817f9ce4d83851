"""CLV on a workspace: fit on the orders, store predictions, read them back."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest

from esperia.config import Settings
from esperia.errors import InvalidInput, NotFound
from esperia.store import Store
from esperia.value.evaluate import evaluate_summary
from esperia.value.service import (
    customer_values,
    evaluate_workspace,
    holdout_calibration_end,
    latest_fit,
    predict_workspace,
    saved_comparison,
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


def test_pareto_nbd_predictions_are_stored_like_bg_nbd(
    store: Store, settings: Settings, load_demo: Loader
) -> None:
    load_demo(store, settings, ("customers", "touchpoints", "orders"))
    bg = predict_workspace(store, settings)
    with store.connect() as conn:
        bg_rows = conn.fetch_dicts(
            "SELECT customer_id, p_alive, expected_purchases, clv FROM customer_value "
            "ORDER BY customer_id"
        )
    # The setting picks the model when the caller does not.
    pareto_settings = settings.model_copy(update={"clv_model": "pareto-nbd"})
    run = predict_workspace(store, pareto_settings)
    assert run.fit.model == "pareto-nbd" and bg.fit.model == "bg-nbd"
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT customer_id, p_alive, expected_purchases, clv FROM customer_value "
            "ORDER BY customer_id"
        )
        models = conn.fetch_dicts(
            "SELECT model, params FROM clv_fits ORDER BY fitted_at"
        )
    assert [r["customer_id"] for r in rows] == [r["customer_id"] for r in bg_rows]
    for r in rows:
        assert 0 < r["p_alive"] <= 1 and r["expected_purchases"] >= 0
        assert math.isfinite(r["clv"]) and r["clv"] >= 0
    # Two models, two sets of figures, close in total on the same customers.
    total_bg = sum(r["expected_purchases"] for r in bg_rows)
    total_pn = sum(r["expected_purchases"] for r in rows)
    assert total_pn != total_bg
    assert total_pn == pytest.approx(total_bg, rel=0.25)
    assert [m["model"] for m in models] == ["bg-nbd", "pareto-nbd"]
    fit = latest_fit(store)
    assert fit["model"] == "pareto-nbd" and fit["fit_id"] == run.fit_id
    for name in ("r", "alpha", "s", "beta", "log_likelihood"):
        assert math.isfinite(fit[name])
    assert "a" not in fit


def test_workspace_evaluation_of_both_models(
    store: Store, settings: Settings, load_demo: Loader
) -> None:
    load_demo(store, settings, ("customers", "touchpoints", "orders"))
    both = evaluate_workspace(store, settings, holdout_days=180, model="all")
    assert [r["model"] for r in both["table"]] == ["bg-nbd", "pareto-nbd"]
    assert saved_comparison(store) == json.loads(json.dumps(both, default=str))
    one = evaluate_workspace(store, settings, holdout_days=180, model="pareto-nbd")
    assert one["model"] == "pareto-nbd"
    assert one["mae_per_customer"] == pytest.approx(
        both["table"][1]["mae_per_customer"]
    )
    with pytest.raises(InvalidInput, match="model 'x'"):
        evaluate_workspace(store, settings, model="x")
