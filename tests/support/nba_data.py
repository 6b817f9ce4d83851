"""A small hand-written world for the next-best-action tests.

Each customer is built to be eligible for known actions; the data's clock
ends at 2025-03-10 12:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from esperia.config import Settings
from esperia.ingest import ImportOptions, import_records
from esperia.store import Store

__all__ = ["CLOCK", "seed_world"]

CLOCK = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)

TOUCHPOINTS = [
    {"touchpoint_id": "TP-SHOP", "name": "Shop", "channel": "store"},
    {"touchpoint_id": "TP-COURIER", "name": "Courier", "channel": "delivery"},
    {"touchpoint_id": "TP-EVENT", "name": "Author talk", "channel": "event"},
]

CUSTOMERS = [
    # A promoter, happy with the last visit, who accepts marketing.
    {"customer_id": "C-PROMO", "language": "it", "consent_marketing": True,
     "first_seen_at": "2023-01-01T00:00:00+00:00"},
    # The same, without marketing consent: service actions only.
    {"customer_id": "C-PROMO-NO", "language": "en", "consent_marketing": False,
     "first_seen_at": "2023-01-01T00:00:00+00:00"},
    # Two late deliveries last month: a service recovery call.
    {"customer_id": "C-ANGRY", "language": "en", "consent_marketing": True,
     "first_seen_at": "2022-06-01T00:00:00+00:00"},
    # Refused analytics (profiling): nothing at all, although as angry.
    {"customer_id": "C-NOPROFILE", "language": "it", "consent_marketing": True,
     "consent_analytics": False, "first_seen_at": "2022-06-01T00:00:00+00:00"},
    # Arrived three weeks ago with one order: onboarding help.
    {"customer_id": "C-NEW", "language": "it", "consent_marketing": True,
     "first_seen_at": "2025-02-17T00:00:00+00:00"},
    # Goes to author talks: event invitation.
    {"customer_id": "C-EVENT", "language": "it", "consent_marketing": True,
     "first_seen_at": "2023-05-01T00:00:00+00:00"},
]  # fmt: skip

ORDERS: list[dict[str, Any]] = [
    {"order_id": f"O-{cid}-{i}", "customer_id": cid, "ordered_at": at,
     "revenue": rev}
    for cid, n, rev in (("C-PROMO", 4, 80.0), ("C-PROMO-NO", 4, 80.0),
                        ("C-ANGRY", 3, 60.0), ("C-NOPROFILE", 3, 60.0),
                        ("C-EVENT", 2, 30.0))
    for i, at in enumerate([f"2025-0{1 + k % 2}-1{k}T10:00:00+00:00"
                            for k in range(n)])
] + [{"order_id": "O-NEW", "customer_id": "C-NEW",
      "ordered_at": "2025-02-18T10:00:00+00:00", "revenue": 25.0}]  # fmt: skip

INTERACTIONS = [
    {"interaction_id": f"I-{cid}-{k}", "customer_id": cid, "touchpoint_id":
     "TP-COURIER", "occurred_at": f"2025-02-2{k}T10:00:00+00:00",
     "type": "delivery", "outcome": "late"}
    for cid in ("C-ANGRY", "C-NOPROFILE") for k in (1, 2)
] + [
    {"interaction_id": "I-EVENT", "customer_id": "C-EVENT", "touchpoint_id":
     "TP-EVENT", "occurred_at": "2025-03-01T18:00:00+00:00", "type": "event",
     "outcome": "attended"},
    {"interaction_id": "I-VISIT", "customer_id": "C-PROMO", "touchpoint_id":
     "TP-SHOP", "occurred_at": "2025-03-10T12:00:00+00:00", "type": "visit",
     "outcome": "ok"},
]  # fmt: skip

FEEDBACK = [
    {"feedback_id": f"F-{cid}", "customer_id": cid, "received_at":
     "2025-03-02T10:00:00+00:00", "source": "survey", "touchpoint_id": "TP-SHOP",
     "nps": nps}
    for cid, nps in (("C-PROMO", 10), ("C-PROMO-NO", 9), ("C-ANGRY", 2),
                     ("C-NOPROFILE", 2), ("C-EVENT", 8))
]  # fmt: skip


def seed_world(store: Store, settings: Settings) -> None:
    options = ImportOptions(all_or_nothing=True)
    for kind, rows in (
        ("touchpoints", TOUCHPOINTS),
        ("customers", CUSTOMERS),
        ("orders", ORDERS),
        ("interactions", INTERACTIONS),
        ("feedback", FEEDBACK),
    ):
        import_records(store, settings, kind, rows, options, source="test")
