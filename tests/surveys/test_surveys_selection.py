"""The set-wise invitation rules pick exactly what the one-by-one rule picks."""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from esperia.ingest import import_arrow
from esperia.surveys import create_invitations, get_survey, save_survey
from esperia.surveys.selection import greedy_spacing, new_tokens

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def _one_by_one(
    rows: list[tuple[Any, ...]],
    existing: dict[str, list[datetime]],
    *,
    seed: int,
    survey_id: str,
    share: float,
    delay: timedelta,
    gap: timedelta,
) -> tuple[set[tuple[str, datetime]], dict[str, int]]:
    """The rule as first written: candidates in time order, a greedy check each."""
    counts = {"no_consent": 0, "sampled_out": 0, "too_frequent": 0}
    dates = {k: sorted(v) for k, v in existing.items()}
    chosen = set()
    for interaction, customer, occurred, may in rows:
        if not may:
            counts["no_consent"] += 1
            continue
        digest = hashlib.blake2b(f"{seed}:{survey_id}:{interaction}".encode(),
                                 digest_size=8).digest()  # fmt: skip
        if share < 1 and int.from_bytes(digest, "big") / float(2**64) >= share:
            counts["sampled_out"] += 1
            continue
        due = occurred + delay
        mine = dates.setdefault(customer, [])
        at = bisect.bisect_left(mine, due)
        if gap and any(abs(due - d) < gap for d in mine[max(at - 1, 0) : at + 1]):
            counts["too_frequent"] += 1
            continue
        bisect.insort(mine, due)
        chosen.add((interaction, due))
    return chosen, counts


@pytest.fixture
def crowd(store, settings):  # type: ignore[no-untyped-def]
    """300 customers, 3,000 deliveries over 60 days, invitations of another survey."""
    from esperia.surveys import import_examples

    rng = np.random.default_rng(7)
    n_cust, n_int = 300, 3000
    consent = rng.random(n_cust) < 0.8
    customers = pa.table({
        "customer_id": [f"c{i}" for i in range(n_cust)],
        "email": [f"c{i}@example.org" for i in range(n_cust)],
        "language": rng.choice(["it", "en", "fr"], n_cust).tolist(),
        "consent_marketing": consent.tolist(),
    })  # fmt: skip
    # Whole minutes, and repeated times, so ties and exact gaps occur.
    minutes = rng.integers(0, 60 * 24 * 60 // 30, n_int) * 30
    occurred = [NOW - timedelta(days=62) + timedelta(minutes=int(m)) for m in minutes]
    interactions = pa.table({
        "interaction_id": [f"i{k:05d}" for k in range(n_int)],
        "customer_id": [f"c{int(c)}" for c in rng.integers(0, n_cust, n_int)],
        "touchpoint_id": ["TP-COURIER"] * n_int,
        "occurred_at": pa.array(occurred, pa.timestamp("us", tz="UTC")),
        "type": ["delivery"] * n_int,
    })  # fmt: skip
    tps = pa.table({"touchpoint_id": ["TP-COURIER"], "name": ["Courier"],
                    "channel": ["delivery"]})  # fmt: skip
    for kind, table in (("touchpoints", tps), ("customers", customers),
                        ("interactions", interactions)):  # fmt: skip
        import_arrow(store, settings, kind, table, source="test")
    import_examples(store)
    survey = get_survey(store, "post-delivery")
    assert survey.trigger is not None
    trigger = dataclasses.replace(survey.trigger, sample=0.6, seed=99)
    save_survey(store, dataclasses.replace(survey, trigger=trigger))
    # Earlier invitations of another survey, before and after the new ones.
    other_due = [NOW - timedelta(days=70) + timedelta(hours=int(h))
                 for h in rng.integers(0, 80 * 24, 400)]  # fmt: skip
    other = pa.table({
        "token": new_tokens(400),
        "customer_id": [f"c{int(c)}" for c in rng.integers(0, n_cust, 400)],
        "due_at": pa.array(other_due, pa.timestamp("us", tz="UTC")),
    })  # fmt: skip
    with store.connect() as conn:
        conn.load_arrow("_other", other)
        conn.execute(
            "INSERT INTO survey_invitations (token, survey_id, survey_version, kind, "
            "customer_id, created_at, due_at) SELECT token, 'post-visit', 1, "
            "'invitation', customer_id, current_timestamp, due_at FROM _other"
        )
        conn.execute("DROP TABLE _other")
    return store


@pytest.mark.parametrize("days", [0, 3, 10])
def test_same_invitations_as_the_one_by_one_rule(crowd, settings, days) -> None:  # type: ignore[no-untyped-def]
    rules = settings.model_copy(update={"survey_min_days_between": days})
    survey = get_survey(crowd, "post-delivery")
    assert survey.trigger is not None
    delay = timedelta(hours=survey.trigger.delay_hours)
    since = NOW - timedelta(days=90)
    with crowd.connect() as conn:
        rows = conn.fetchall(
            "SELECT i.interaction_id, i.customer_id, i.occurred_at, "
            "coalesce(c.consent_marketing, FALSE) AND "
            "coalesce(c.consent_analytics, TRUE) FROM interactions i "
            "JOIN customers c USING (customer_id) WHERE i.occurred_at >= ? "
            "AND i.occurred_at <= ? ORDER BY i.occurred_at, i.interaction_id",
            (since, NOW - delay),
        )
        existing: dict[str, list[datetime]] = {}
        for customer, due in conn.fetchall(
            "SELECT customer_id, due_at FROM survey_invitations"
        ):
            existing.setdefault(customer, []).append(due)
    want, counts = _one_by_one(
        rows, existing, seed=99, survey_id="post-delivery", share=0.6,
        delay=delay, gap=timedelta(days=days),
    )  # fmt: skip
    result = create_invitations(crowd, rules, "post-delivery", since=since, now=NOW)
    with crowd.connect() as conn:
        got = set(conn.fetchall(
            "SELECT interaction_id, due_at FROM survey_invitations "
            "WHERE survey_id = 'post-delivery'"
        ))  # fmt: skip
        tokens = conn.fetchall(
            "SELECT count(DISTINCT token), min(length(token)), max(length(token)) "
            "FROM survey_invitations WHERE survey_id = 'post-delivery'"
        )[0]
    assert got == want
    assert result.candidates == len(rows)
    assert {k: getattr(result, k) for k in counts} == counts
    assert result.created == len(want) > 100
    if days:
        assert counts["too_frequent"] > 50  # the rule did bite
    assert tokens == (len(want), 24, 24)


def test_greedy_spacing_keeps_chains_per_customer() -> None:
    customers = np.array([0, 1, 0, 0, 1, 0, 0])
    due = np.array([0, 5, 3, 10, 6, 13, 21])
    # Customer 0 at 0, 3, 10, 13, 21 with gap 10 keeps 0, 10, 21; customer 1: 5.
    kept = greedy_spacing(customers, due, 10)
    assert kept.tolist() == [True, True, False, True, False, False, True]
    assert greedy_spacing(customers, due, 0).all()
    assert greedy_spacing(np.array([], dtype=int), np.array([], dtype=int), 5).size == 0
