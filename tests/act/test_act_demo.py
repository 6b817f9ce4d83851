"""On the demo bookshop: cases for the planted bad experiences, none without consent."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from esperia.act.demo_step import demo_rules
from esperia.act.rules import run_rules
from esperia.demo import simulate
from esperia.ingest import ImportOptions, import_arrow
from esperia.store import KINDS


@pytest.fixture(scope="module")
def demo_data():
    return simulate(1_500, seed=11)


def test_rules_recover_the_planted_bad_experiences(duckdb_store, duckdb_settings,
                                                   demo_data):  # fmt: skip
    store, settings = duckdb_store, duckdb_settings
    for kind in KINDS:
        import_arrow(store, settings, kind, demo_data.tables[kind], source="demo",
                     options=ImportOptions(all_or_nothing=True))  # fmt: skip
    created = demo_rules(store, settings)
    assert created > 0
    with store.connect() as conn:
        cases = conn.fetch_dicts(
            "SELECT k.reason, k.customer_id, k.trigger_id, k.team, i.outcome, "
            "i.type, f.nps, c.consent_marketing FROM act_cases k "
            "JOIN customers c ON c.customer_id = k.customer_id "
            "LEFT JOIN interactions i ON i.interaction_id = k.interaction_id "
            "LEFT JOIN feedback f ON f.feedback_id = k.feedback_id"
        )
        hits = conn.fetch_dicts(
            "SELECT h.outcome, c.consent_marketing FROM act_rule_hits h "
            "JOIN customers c ON c.customer_id = h.customer_id"
        )
    reasons = {c["reason"] for c in cases}
    assert {"late_delivery", "unanswered_complaint", "low_nps"} <= reasons
    assert len(cases) == created
    # Every case is a real planted experience of its kind...
    for case in cases:
        if case["reason"] == "late_delivery":
            assert case["outcome"] == "late" and case["team"] == "logistics"
        if case["reason"] == "unanswered_complaint":
            assert (case["type"], case["outcome"]) == ("complaint", "unanswered")
        if case["reason"] == "low_nps":
            assert case["nps"] <= 6
    # ...and nobody without consent to be contacted got one.
    assert all(c["consent_marketing"] is True for c in cases)
    refused = [h for h in hits if h["outcome"] == "no_consent"]
    assert refused and all(h["consent_marketing"] is not True for h in refused)
    # The matched late deliveries are the simulator's late deliveries in the window.
    late_cases = {c["trigger_id"] for c in cases if c["reason"] == "late_delivery"}
    interactions = demo_data.tables["interactions"]
    late_ids = set(
        interactions.filter(pc.equal(interactions["outcome"], "late"))[
            "interaction_id"
        ].to_pylist()
    )
    assert late_cases <= late_ids
    again = run_rules(store, settings)
    assert again.created == 0 and again.matched == 0
