"""Money at risk of recovery cases: expected CLV lost per incident (act's hook)."""

from __future__ import annotations

import json

import pytest
from support.act_data import seed_world

from esperia.act import system_viewer
from esperia.act.cases import create_case
from esperia.act.rules import parse_rules, run_rules, save_rules
from esperia.config import Settings
from esperia.store import Store

ADMIN = system_viewer("tester")

RULES = """
rules:
  - id: late
    on: interaction
    when: {broken_promise: true, stage_in: [delivery]}
    reason: late_delivery
  - id: detractor
    on: feedback
    when: {nps_at_most: 6}
    reason: low_nps
"""


def _clv(store: Store, values: dict[str, float]) -> None:
    with store.connect() as conn:
        conn.execute("DELETE FROM customer_value")
        for customer, clv in values.items():
            conn.execute(
                "INSERT INTO customer_value (customer_id, fit_id, frequency, recency, "
                "age, mean_spend, revenue, margin_rate, p_alive, expected_purchases, "
                "expected_spend, clv, computed_at) VALUES (?, 'f', 1, 1, 2, 10, 10, "
                "0.3, 0.9, 1, 10, ?, current_timestamp)",
                (customer, clv),
            )


def _report(store: Store, effects: list[dict[str, float | str]]) -> None:
    body = json.dumps({"model": {"effects": effects}, "at_risk": {}})
    with store.connect() as conn:
        conn.execute("DELETE FROM value_reports WHERE name = 'at_risk'")
        conn.execute(
            "INSERT INTO value_reports VALUES ('at_risk', current_timestamp, ?)",
            (body,),
        )


EFFECTS: list[dict[str, float | str]] = [
    # Clear harm: its own loss fraction prices the incident.
    {"covariate": "late_delivery", "hazard_ratio": 2.0, "ci_low": 1.6,
     "ci_high": 2.4, "loss_fraction": 0.4},
    # Unclear (interval across 1): the documented share instead.
    {"covariate": "negative_feedback", "hazard_ratio": 1.1, "ci_low": 0.9,
     "ci_high": 1.3, "loss_fraction": 0.05},
    {"covariate": "unanswered_complaint", "hazard_ratio": 3.0, "ci_low": 2.5,
     "ci_high": 3.5, "loss_fraction": 0.6},
]  # fmt: skip


def _money(store: Store) -> dict[str, tuple[float, str]]:
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT trigger_id, money_at_risk, priority FROM act_cases"
        )
    return {str(t): (float(m), str(p)) for t, m, p in rows}


def _complaint_case(store: Store, settings: Settings) -> dict[str, object]:
    return create_case(
        store, settings, ADMIN, customer_id="C-COMPLAINT",
        reason="unanswered_complaint", touchpoint_id="TP-PHONE",
    )  # fmt: skip


def test_rule_cases_are_priced_by_clv_and_the_incident_hazard(
    store: Store, settings: Settings
) -> None:
    seed_world(store, settings)
    _clv(store, {"C-LATE": 1000.0, "C-NPS": 100.0})
    _report(store, EFFECTS)
    save_rules(store, parse_rules(RULES))
    run_rules(store, settings)
    money = _money(store)
    # 1000 € CLV x 0.4 (late delivery's loss fraction); revenue alone said 270 €.
    assert money["I-LATE"] == (pytest.approx(400.0), "high")
    # Negative feedback's effect is unclear: 100 € x the 0.2 share.
    assert money["F-DETRACTOR"] == (pytest.approx(20.0), "low")


def test_priority_follows_the_customers_clv(store: Store, settings: Settings) -> None:
    seed_world(store, settings)
    _clv(store, {"C-LATE": 100.0, "C-COMPLAINT": 2000.0})
    save_rules(store, parse_rules(RULES))
    run_rules(store, settings)
    # No value-at-risk report yet: CLV x the share for every incident. The
    # 900 € buyer with a small CLV drops from high (revenue) to low.
    assert _money(store)["I-LATE"] == (pytest.approx(20.0), "low")
    big = _complaint_case(store, settings)
    assert big["money_at_risk"] == pytest.approx(400.0)
    assert big["priority"] == "high"
    _report(store, EFFECTS)
    again = _complaint_case(store, settings)
    assert again["money_at_risk"] == pytest.approx(2000.0 * 0.6)


def test_customers_without_clv_fall_back_to_revenue(
    store: Store, settings: Settings
) -> None:
    seed_world(store, settings)
    _clv(store, {"C-COMPLAINT": 2000.0})
    case = create_case(store, settings, ADMIN, customer_id="C-NPS", reason="low_nps")
    # 100 € of revenue in the last 12 months x act_base_loss_rate 0.3.
    assert case["money_at_risk"] == pytest.approx(30.0)
    nothing = create_case(store, settings, ADMIN, customer_id="C-HAPPY", reason="x")
    assert nothing["money_at_risk"] == 0.0 and nothing["priority"] == "low"


def test_the_revenue_fallback_can_be_chosen(store: Store, settings: Settings) -> None:
    chosen = settings.model_copy(
        update={"act_money_at_risk": "esperia.act.priority:fallback_money_at_risk"}
    )
    seed_world(store, chosen)
    _clv(store, {"C-LATE": 10.0})
    case = create_case(store, chosen, ADMIN, customer_id="C-LATE", reason="late")
    assert case["money_at_risk"] == pytest.approx(270.0)
