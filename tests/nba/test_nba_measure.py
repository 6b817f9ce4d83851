"""Measurement: a campaign with holdout controls, outcomes from the store, and
the measured uplift replacing the prior once enough customers are in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from esperia.config import Settings
from esperia.demo import simulate
from esperia.errors import NotFound
from esperia.ingest import ImportOptions, import_arrow, import_records
from esperia.nba import assign_actions, measure_uplift, score_customers
from esperia.nba.scoring import CONTEXT_COLUMNS
from esperia.store import KINDS, Store


def test_uplift_recovers_a_planted_effect(settings: Settings, store: Store) -> None:
    data = simulate(1_000, seed=11)
    for kind in KINDS:
        import_arrow(store, settings, kind, data.tables[kind], source="test",
                     options=ImportOptions(all_or_nothing=True))  # fmt: skip
    tuned = settings.model_copy(
        update={"nba_holdout_share": 0.3, "nba_min_measured": 20}
    )
    with pytest.raises(NotFound):
        assign_actions(store, tuned, actor="t")
    with store.connect() as conn:
        end = conn.scalar("SELECT max(occurred_at) FROM interactions")
    start = end - timedelta(days=90)
    first = score_customers(store, tuned, as_of=start)
    assert first["customers"] == 1_000 and first["holdout"] > 200
    given = assign_actions(store, tuned, actor="t")
    assert given["treated"] > 0 and given["holdout"] > 0
    # A second campaign at the same clock gives nothing (contact rule).
    again = assign_actions(store, tuned, actor="t")
    assert again["treated"] == again["holdout"] == 0
    with store.connect() as conn:
        top = conn.fetchone(
            "SELECT action_id, count(*) FROM nba_given WHERE NOT holdout "
            "GROUP BY action_id ORDER BY 2 DESC, 1 LIMIT 1"
        )
        action = str(top[0])
        treated = [r[0] for r in conn.fetchall(
            "SELECT customer_id FROM nba_given WHERE action_id = ? AND NOT holdout",
            (action,),
        )]  # fmt: skip
        ids = conn.fetchall("SELECT count(*), count(DISTINCT given_id) FROM nba_given")
        no_channel = conn.scalar("SELECT count(*) FROM nba_given WHERE channel IS NULL")
    assert no_channel == 0
    assert ids[0][0] == ids[0][1] == given["treated"] + given["holdout"]
    before = {a["action_id"]: a for a in measure_uplift(store, tuned)["actions"]}
    # Plant the effect: every treated customer answers and buys within a week.
    import_records(store, settings, "orders", [
        {"order_id": f"PLANT-{c}", "customer_id": c, "revenue": 10.0,
         "ordered_at": (start + timedelta(days=7)).isoformat()} for c in treated
    ], ImportOptions(all_or_nothing=True), source="test")  # fmt: skip
    import_records(store, settings, "feedback", [
        {"feedback_id": f"PLANT-{c}", "customer_id": c, "source": "survey",
         "received_at": (start + timedelta(days=7)).isoformat(), "nps": 9}
        for c in treated
    ], ImportOptions(all_or_nothing=True), source="test")  # fmt: skip
    after = {a["action_id"]: a for a in measure_uplift(store, tuned)["actions"]}
    planted = after[action]
    assert planted["n_treated"] == len(treated) == before[action]["n_treated"]
    assert planted["rate_treated"] == 1.0
    assert planted["uplift"] == pytest.approx(1.0 - planted["rate_holdout"], abs=1e-3)
    assert planted["ci_low"] <= planted["uplift"] <= planted["ci_high"]
    assert planted["n_holdout"] >= 20 and planted["source"] == "measured"
    assert planted["effect"] == planted["uplift"] > 0.5
    rescored = score_customers(store, tuned, as_of=end)
    assert rescored["effects"][action]["source"] == "measured"
    assert all(a["source"] == "prior" or a["n_holdout"] >= 20 for a in after.values())
    assert len(CONTEXT_COLUMNS) == len(set(CONTEXT_COLUMNS))
