"""The example surveys fit the demo bookshop: their triggers find its interactions."""

from __future__ import annotations

from datetime import UTC, datetime

from esperia.demo import simulate
from esperia.ingest import ImportOptions, import_arrow
from esperia.store import KINDS
from esperia.surveys import create_invitations, import_examples, list_invitations


def test_example_triggers_on_the_simulated_bookshop(duckdb_store, duckdb_settings):
    data = simulate(1_000, seed=3)
    for kind in KINDS:
        import_arrow(
            duckdb_store, duckdb_settings, kind, data.tables[kind], source="demo",
            options=ImportOptions(all_or_nothing=True),
        )  # fmt: skip
    assert import_examples(duckdb_store) == ["post-care", "post-delivery", "post-event"]
    since = datetime(2025, 10, 1, tzinfo=UTC)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    results = {
        survey: create_invitations(
            duckdb_store, duckdb_settings, survey, since=since, now=now
        )
        for survey in ("post-delivery", "post-event", "post-care")
    }
    for result in results.values():
        assert result.candidates > 50, result
        assert 0 < result.created < result.candidates - result.no_consent, result
    delivery = results["post-delivery"]
    with duckdb_store.connect() as conn:
        expected = conn.fetchone(
            "SELECT count(*), count(*) FILTER (WHERE NOT (c.consent_marketing "
            "AND c.consent_analytics)) FROM interactions i JOIN customers c USING "
            "(customer_id) WHERE i.touchpoint_id IN ('TP-COURIER', 'TP-LOCKER') "
            "AND i.type = 'delivery' AND i.occurred_at >= ? AND i.occurred_at <= ?",
            (since, datetime(2025, 12, 31, tzinfo=UTC)),
        )
    assert (delivery.candidates, delivery.no_consent) == expected
    share = delivery.sampled_out / (delivery.candidates - delivery.no_consent)
    assert 0.4 < share < 0.6  # sample: 0.5
    with duckdb_store.connect() as conn:
        refused = conn.scalar(
            "SELECT count(*) FROM survey_invitations v JOIN customers c "
            "ON c.customer_id = v.customer_id WHERE NOT coalesce(c.consent_marketing, "
            "FALSE) OR NOT coalesce(c.consent_analytics, TRUE)"
        )
        closest = conn.scalar(
            "SELECT min(gap) FROM (SELECT due_at - lag(due_at) OVER "
            "(PARTITION BY customer_id ORDER BY due_at) AS gap FROM survey_invitations)"
        )
    assert refused == 0
    assert closest.days >= duckdb_settings.survey_min_days_between
    assert len(list_invitations(duckdb_store, duckdb_settings, "post-event")) == (
        results["post-event"].created
    )
