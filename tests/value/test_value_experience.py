"""Retention and the money behind experiences, on the simulated bookshop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from esperia.config import Settings, load_settings
from esperia.demo import simulate
from esperia.ingest import ImportOptions, import_arrow
from esperia.store import Store, open_store, upgrade
from esperia.value.experience import expected_loss_per_incident, fit_experience_model
from esperia.value.retention import churn_status, retention_report, window_retention
from esperia.value.service import value_at_risk_report

Loader = Callable[[Store, Settings, tuple[str, ...]], None]
KINDS = ("customers", "touchpoints", "interactions", "orders", "feedback")


@pytest.fixture(scope="module")
def bookshop(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Store, Settings]]:
    """5,000 simulated customers (seed 42) in a DuckDB workspace."""
    data = simulate(5_000, seed=42)
    settings = load_settings(tmp_path_factory.mktemp("shop") / "ws")
    store = open_store(settings)
    upgrade(store)
    for kind in KINDS:
        import_arrow(
            store, settings, kind, data.tables[kind], source="test",
            options=ImportOptions(all_or_nothing=True),
        )  # fmt: skip
    try:
        yield store, settings
    finally:
        store.close()


def test_planted_churn_effects_are_found(bookshop: tuple[Store, Settings]) -> None:
    store, settings = bookshop
    model = fit_experience_model(store, settings)
    effects = {e["covariate"]: e for e in model.to_dict()["effects"]}
    unanswered = effects["unanswered_complaint"]
    late = effects["late_delivery"]
    event = effects["event"]
    # Planted (docs/demo.md): x3 per unanswered complaint, x2 per late
    # delivery, x0.5 from the first event on; each within its 95% interval.
    for effect, planted in (
        (unanswered, 3.0),
        (late, 2.0),
        (event, 0.5),
    ):
        assert effect["ci_low"] < planted < effect["ci_high"], effect
    # And clearly away from "no effect".
    assert unanswered["ci_low"] > 1.5 and late["ci_low"] > 1.5
    assert event["ci_high"] < 0.75
    # The first 90 days of a new relationship are planted at twice the
    # hazard: the next tenure band comes out at about half the first.
    onboarding = effects["tenure_13_26w"]
    assert onboarding["ci_low"] < 0.5 < onboarding["ci_high"]
    # Experiences with no planted effect stay near 1.
    assert 0.6 < effects["failed"]["hazard_ratio"] < 1.6
    assert model.churned > 500 and model.customer_days > 700_000


def test_value_at_risk_prices_incidents(bookshop: tuple[Store, Settings]) -> None:
    store, settings = bookshop
    report = value_at_risk_report(store, settings, months=6)
    by_tp = {r["touchpoint_id"]: r for r in report["at_risk"]["by_touchpoint"]}
    # Late parcels are the courier's: the most value at risk, and positive.
    top = report["at_risk"]["by_touchpoint"][0]
    assert top["touchpoint_id"] == "TP-COURIER" and top["per_month"] > 0
    assert "TP-EVENT-AUTHOR" not in by_tp  # good experiences are not a risk
    effects = {e["covariate"]: e for e in report["model"]["effects"]}
    assert effects["late_delivery"]["loss_per_incident"] > 0
    assert effects["event"]["loss_per_incident"] < 0  # a gain


def test_expected_loss_per_incident() -> None:
    # HR 1 costs nothing; a bigger ratio costs more; bounded by the CLV.
    assert expected_loss_per_incident(100.0, 1.0, 0.02, 0.008) == pytest.approx(0.0)
    two = expected_loss_per_incident(100.0, 2.0, 0.02, 0.008)
    three = expected_loss_per_incident(100.0, 3.0, 0.02, 0.008)
    assert 0 < two < three < 100
    # h=2%, d=0.8%: 1 - 0.028/0.048
    assert two == pytest.approx(100 * (1 - 0.028 / 0.048))


def test_retention_report(store: Store, settings: Settings, load_demo: Loader) -> None:
    load_demo(store, settings, ("customers", "touchpoints", "orders"))
    report = retention_report(store, cohort_months=6)
    periods = report["periods"]
    assert len(periods) >= 20  # two years of monthly orders
    for p in periods[:-1]:
        assert 0 < p["retention_rate"] <= 1
        assert 0 <= p["repeat_purchase_rate"] <= 1
        assert p["basket"] > 0 and p["orders_per_customer"] >= 1
    assert periods[-1]["retention_rate"] is None
    cohorts = report["cohorts"]
    assert len(cohorts) == 6
    for c in cohorts:
        assert c["retention"][0] == pytest.approx(1.0)
    churn = churn_status(store, settings)
    assert 0 < churn["churned"] < churn["customers"]
    window = window_retention(store, dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    assert 0 < window["retention_rate"] < 1


def test_churn_by_probability_alive(
    store: Store, settings: Settings, load_demo: Loader, tmp_path: Path
) -> None:
    from esperia.value.service import predict_workspace

    load_demo(store, settings, ("customers", "touchpoints", "orders"))
    predict_workspace(store, settings)
    strict = settings.model_copy(
        update={"churn_definition": "p_alive", "churn_p_alive_threshold": 0.9}
    )
    loose = settings.model_copy(
        update={"churn_definition": "p_alive", "churn_p_alive_threshold": 0.2}
    )
    assert (
        churn_status(store, strict)["churned"] > churn_status(store, loose)["churned"]
    )


def test_hazard_model_same_on_both_engines(
    store: Store, settings: Settings, duckdb_store: Store, duckdb_settings: Settings,
    load_demo: Loader,
) -> None:  # fmt: skip
    """The spells SQL gives the same cells, so the same fit, on both engines."""
    kinds = ("customers", "touchpoints", "interactions", "orders", "feedback")
    load_demo(store, settings, kinds)
    load_demo(duckdb_store, duckdb_settings, kinds)
    here = fit_experience_model(store, settings)
    reference = fit_experience_model(duckdb_store, duckdb_settings)
    assert here.customer_days == reference.customer_days > 70_000
    assert here.churned == reference.churned > 50
    assert here.covariates == reference.covariates
    assert here.fit.coef == pytest.approx(reference.fit.coef, rel=1e-6, abs=1e-9)
    assert here.hazard_ratio("late_delivery") > 1.0
