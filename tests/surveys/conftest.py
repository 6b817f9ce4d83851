"""Fixtures for surveys: a tiny bookshop loaded through the importer, the examples."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from support.surveys_time import NOW

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Store


def _customers() -> list[dict[str, Any]]:
    rows = []
    for i in range(12):
        rows.append(
            {
                "customer_id": f"c{i:02d}",
                "email": f"c{i:02d}@example.org",
                "language": "en" if i % 3 == 0 else "it",
                # c10: no marketing consent; c11: refused analytics.
                "consent_marketing": i != 10,
                "consent_analytics": i != 11,
            }
        )
    rows.append({"customer_id": "c12", "email": "c12@example.org"})  # consent unknown
    return rows


def _interactions() -> list[dict[str, Any]]:
    rows = []
    n = 0
    for i in range(13):
        # Two deliveries per customer, two days apart, and one shop visit.
        for days_ago in (3, 5):
            rows.append(
                {
                    "interaction_id": f"i{n:03d}",
                    "customer_id": f"c{i:02d}",
                    "touchpoint_id": "TP-COURIER",
                    "occurred_at": (NOW - timedelta(days=days_ago)).isoformat(),
                    "type": "delivery",
                    "outcome": "late" if i % 4 == 0 else "ok",
                }
            )
            n += 1
        rows.append(
            {
                "interaction_id": f"i{n:03d}",
                "customer_id": f"c{i:02d}",
                "touchpoint_id": "TP-STORE-MI",
                "occurred_at": (NOW - timedelta(days=4)).isoformat(),
                "type": "visit",
                "outcome": "ok",
            }
        )
        n += 1
    # Too recent for a one-day delay.
    rows.append(
        {
            "interaction_id": "i-fresh",
            "customer_id": "c01",
            "touchpoint_id": "TP-COURIER",
            "occurred_at": (NOW - timedelta(hours=2)).isoformat(),
            "type": "delivery",
            "outcome": "ok",
        }
    )
    return rows


@pytest.fixture
def bookshop(store: Store, settings: Settings) -> Store:
    """13 customers, 40 interactions, and the three example surveys stored."""
    from esperia.ingest import import_records
    from esperia.surveys import import_examples

    touchpoints = [
        {"touchpoint_id": tp, "name": tp, "channel": ch}
        for tp, ch in (("TP-COURIER", "delivery"), ("TP-STORE-MI", "store"))
    ]
    for kind, rows in (
        ("touchpoints", touchpoints),
        ("customers", _customers()),
        ("interactions", _interactions()),
    ):
        summary = import_records(store, settings, kind, rows)
        assert summary.loaded == len(rows), summary
    import_examples(store)
    return store
