"""Rules: validation, each condition on a hand-made world, consent, idempotency."""

from __future__ import annotations

from datetime import datetime

import pytest
from support.act_data import CLOCK, seed_world

from esperia.act.rules import (
    EXAMPLE_RULES,
    list_rules,
    parse_rules,
    run_rules,
    save_rules,
)
from esperia.errors import InvalidInput

RULES = """
rules:
  - id: late
    on: interaction
    when: {broken_promise: true, stage_in: [delivery]}
    reason: late_delivery
    rank: 20
  - id: unanswered
    on: interaction
    when: {complaint_unanswered_hours: 48}
    reason: unanswered_complaint
    priority: high
    rank: 10
  - id: detractor
    on: feedback
    when: {nps_at_most: 6}
    reason: low_nps
  - id: staff
    on: feedback
    when: {negative_aspect: [staff]}
    reason: staff
  - id: never-again
    on: feedback
    when: {text_contains: ["mai più"]}
    reason: churn_threat
  - id: vip
    on: value
    when: {p_alive_below: 0.5}
"""


def _cases(store) -> dict[str, dict]:
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT case_id, rule_id, customer_id, trigger_id, reason, team, "
            "priority, status, money_at_risk, due_at, created_at FROM act_cases"
        )
    return {row["trigger_id"]: row for row in rows}


def test_rules_open_the_right_cases(store, settings):
    seed_world(store, settings)
    save_rules(store, parse_rules(RULES))
    result = run_rules(store, settings)
    assert result.as_of == datetime.fromisoformat(CLOCK)
    cases = _cases(store)
    # Late delivery, unanswered complaint, and one case for the detractor (whose
    # three matching rules are de-duplicated into the lowest-ranked one).
    assert set(cases) == {"I-LATE", "I-COMPLAINT", "F-DETRACTOR"}
    assert cases["I-LATE"]["team"] == "logistics"
    assert cases["I-COMPLAINT"]["team"] == "customer_care"
    assert cases["I-COMPLAINT"]["priority"] == "high"
    # 900 € of revenue x 0.3 = 270 € at risk: high priority by default thresholds.
    assert cases["I-LATE"]["money_at_risk"] == pytest.approx(270.0)
    assert cases["I-LATE"]["priority"] == "high"
    assert cases["F-DETRACTOR"]["money_at_risk"] == pytest.approx(30.0)
    assert cases["F-DETRACTOR"]["priority"] == "low"
    hours = cases["F-DETRACTOR"]["due_at"] - cases["F-DETRACTOR"]["created_at"]
    assert hours.total_seconds() == pytest.approx(72 * 3600, abs=2)
    assert all(c["status"] == "new" for c in cases.values())
    assert result.created == 3
    assert result.suppressed["no_consent"] == 3  # two late parcels, one NPS 1
    assert result.suppressed["duplicate"] == 2  # the detractor's other rules
    assert any("customer_value" in n for n in result.notices)


def test_running_twice_creates_nothing_new(store, settings):
    seed_world(store, settings)
    save_rules(store, parse_rules(RULES))
    first = run_rules(store, settings)
    second = run_rules(store, settings)
    assert first.created == 3
    assert second.created == 0 and second.matched == 0
    with store.connect() as conn:
        assert conn.scalar("SELECT count(*) FROM act_cases") == 3
        histories = conn.scalar(
            "SELECT count(*) FROM act_case_events WHERE action = 'created'"
        )
    assert histories == 3


def test_cooldown_holds_back_a_new_trigger(store, settings):
    seed_world(store, settings)
    save_rules(store, parse_rules(RULES))
    run_rules(store, settings)
    from esperia.ingest import ImportOptions, import_records

    import_records(
        store, settings, "feedback",
        [{"feedback_id": "F-AGAIN", "received_at": "2025-03-10T11:00:00+00:00",
          "source": "survey", "customer_id": "C-LATE", "nps": 2}],
        ImportOptions(all_or_nothing=True), source="test",
    )  # fmt: skip
    result = run_rules(store, settings)
    assert result.created == 0
    assert result.suppressed == {"cooldown": 1}


def test_no_consent_means_no_case_and_the_flag_is_a_setting(store, settings):
    seed_world(store, settings)
    save_rules(store, parse_rules(RULES))
    run_rules(store, settings)
    customers = {c["customer_id"] for c in _cases(store).values()}
    assert "C-NOCONSENT" not in customers and "C-UNKNOWN" not in customers
    with store.connect() as conn:
        hits = conn.fetchall(
            "SELECT customer_id, outcome FROM act_rule_hits WHERE customer_id IN "
            "('C-NOCONSENT', 'C-UNKNOWN') ORDER BY 1, 2"
        )
    assert {h[1] for h in hits} == {"no_consent"}


def test_examples_ship_valid(store, settings):
    rules = parse_rules(EXAMPLE_RULES.read_text(encoding="utf-8"))
    assert {r.on for r in rules} == {"feedback", "interaction", "value"}
    save_rules(store, rules)
    assert [r.id for r in list_rules(store)] == sorted(r.id for r in rules)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [{id: x, on: feedback, when: {nps_at_most: 11}}]", "nps_at_most"),
        ("rules: [{id: x, on: feedback, when: {broken_promise: true}}]",
         "do not apply to 'feedback'"),
        ("rules: [{id: x, on: interaction, when: {}}]", "at least one condition"),
        ("rules: [{id: 'Bad Id', on: feedback, when: {nps_at_most: 3}}]", "id must"),
        ("rules: [{id: x, on: feedback, when: {nps_at_most: 3}, colour: red}]",
         "colour"),
        ("rules: [{id: x, on: feedback, when: {nps_at_most: 3}},"
         " {id: x, on: feedback, when: {nps_at_most: 2}}]", "duplicate id"),
        ("rules: [{id: x, on: feedback", "not valid YAML"),
        ("[]", "non-empty list"),
    ],
)  # fmt: skip
def test_invalid_rules_are_refused_with_where(text, message):
    with pytest.raises(InvalidInput) as caught:
        parse_rules(text, source="my.yaml")
    assert "my.yaml" in str(caught.value)
    assert message in str(caught.value)
