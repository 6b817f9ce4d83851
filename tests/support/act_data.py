"""A small hand-written world for the close-the-loop tests.

Two teams (logistics owns the courier, customer_care the phone line), customers
with and without consent, and one instance of every planted bad experience.
The clock of the data ends at 2025-03-10 12:00 UTC.
"""

from __future__ import annotations

from typing import Any

from esperia.config import Settings
from esperia.ingest import ImportOptions, import_records
from esperia.store import Store

__all__ = ["CLOCK", "seed_world"]

CLOCK = "2025-03-10T12:00:00+00:00"

TOUCHPOINTS = [
    {"touchpoint_id": "TP-COURIER", "name": "Courier", "channel": "delivery",
     "stage": "delivery", "owner_team": "logistics", "promise_metric":
     "delivery_hours", "promise_target": 48},
    {"touchpoint_id": "TP-PHONE", "name": "Care phone", "channel": "phone",
     "stage": "service", "owner_team": "customer_care", "promise_metric": "wait_s",
     "promise_target": 120},
    {"touchpoint_id": "TP-SHOP", "name": "Shop", "channel": "store",
     "stage": "purchase", "owner_team": "store_ops"},
]  # fmt: skip

CUSTOMERS = [
    {"customer_id": "C-LATE", "name": "Lia Tardi", "email": "lia@example.it",
     "consent_marketing": True},
    {"customer_id": "C-COMPLAINT", "name": "Carlo Reclami", "consent_marketing": True},
    {"customer_id": "C-ANSWERED", "name": "Anna Risposta", "consent_marketing": True},
    {"customer_id": "C-NPS", "name": "Nino Voto", "consent_marketing": True},
    {"customer_id": "C-NOCONSENT", "name": "Nora Nessuno", "consent_marketing": False},
    {"customer_id": "C-UNKNOWN", "name": "Ugo Ignoto"},
    {"customer_id": "C-HAPPY", "name": "Franca Felice", "consent_marketing": True},
]  # fmt: skip

INTERACTIONS = [
    # Delivered in 80 h against a 48 h promise: broken promise.
    {"interaction_id": "I-LATE", "customer_id": "C-LATE", "touchpoint_id":
     "TP-COURIER", "occurred_at": "2025-03-05T10:00:00+00:00", "type": "delivery",
     "outcome": "late", "delivery_hours": 80},
    {"interaction_id": "I-ONTIME", "customer_id": "C-HAPPY", "touchpoint_id":
     "TP-COURIER", "occurred_at": "2025-03-05T10:00:00+00:00", "type": "delivery",
     "outcome": "ok", "delivery_hours": 20},
    # Same late delivery for a customer without consent: no case.
    {"interaction_id": "I-LATE-NC", "customer_id": "C-NOCONSENT", "touchpoint_id":
     "TP-COURIER", "occurred_at": "2025-03-05T11:00:00+00:00", "type": "delivery",
     "outcome": "late", "delivery_hours": 90},
    {"interaction_id": "I-LATE-UNK", "customer_id": "C-UNKNOWN", "touchpoint_id":
     "TP-COURIER", "occurred_at": "2025-03-05T11:00:00+00:00", "type": "delivery",
     "outcome": "late", "delivery_hours": 90},
    # A complaint nobody answered, 5 days before the clock.
    {"interaction_id": "I-COMPLAINT", "customer_id": "C-COMPLAINT", "touchpoint_id":
     "TP-PHONE", "occurred_at": "2025-03-05T09:00:00+00:00", "type": "complaint",
     "outcome": "unanswered", "wait_s": 900},
    # A complaint answered by a callback the next day.
    {"interaction_id": "I-COMPLAINT-2", "customer_id": "C-ANSWERED", "touchpoint_id":
     "TP-PHONE", "occurred_at": "2025-03-04T09:00:00+00:00", "type": "complaint",
     "outcome": "unanswered", "wait_s": 60},
    {"interaction_id": "I-CALLBACK", "customer_id": "C-ANSWERED", "touchpoint_id":
     "TP-PHONE", "occurred_at": "2025-03-05T09:00:00+00:00", "type": "callback",
     "outcome": "answered", "wait_s": 0},
    # A complaint only 10 hours old: not yet unanswered for 48 hours.
    {"interaction_id": "I-COMPLAINT-NEW", "customer_id": "C-HAPPY", "touchpoint_id":
     "TP-PHONE", "occurred_at": "2025-03-10T02:00:00+00:00", "type": "complaint",
     "outcome": "unanswered", "wait_s": 30},
    {"interaction_id": "I-SHOP", "customer_id": "C-NPS", "touchpoint_id": "TP-SHOP",
     "occurred_at": "2025-03-10T12:00:00+00:00", "type": "purchase", "outcome": "ok"},
]  # fmt: skip

FEEDBACK = [
    {"feedback_id": "F-DETRACTOR", "received_at": "2025-03-08T10:00:00+00:00",
     "source": "survey", "customer_id": "C-NPS", "touchpoint_id": "TP-SHOP",
     "nps": 3, "text": "Il commesso è stato scortese, mai più"},
    {"feedback_id": "F-PROMOTER", "received_at": "2025-03-08T10:00:00+00:00",
     "source": "survey", "customer_id": "C-HAPPY", "touchpoint_id": "TP-SHOP",
     "nps": 10, "text": "Tutto perfetto"},
    {"feedback_id": "F-NC", "received_at": "2025-03-08T10:00:00+00:00",
     "source": "survey", "customer_id": "C-NOCONSENT", "touchpoint_id": "TP-SHOP",
     "nps": 1},
    {"feedback_id": "F-OLD", "received_at": "2024-11-01T10:00:00+00:00",
     "source": "survey", "customer_id": "C-HAPPY", "touchpoint_id": "TP-SHOP",
     "nps": 0},
]  # fmt: skip

ORDERS = [
    {"order_id": "O-1", "customer_id": "C-LATE", "ordered_at":
     "2025-01-10T10:00:00+00:00", "revenue": 900.0},
    {"order_id": "O-2", "customer_id": "C-NPS", "ordered_at":
     "2025-02-10T10:00:00+00:00", "revenue": 100.0},
]  # fmt: skip


def seed_world(store: Store, settings: Settings) -> dict[str, Any]:
    """Load the world and one negative staff aspect on the detractor's text."""
    options = ImportOptions(all_or_nothing=True)
    for kind, rows in (
        ("touchpoints", TOUCHPOINTS),
        ("customers", CUSTOMERS),
        ("interactions", INTERACTIONS),
        ("orders", ORDERS),
        ("feedback", FEEDBACK),
    ):
        import_records(store, settings, kind, rows, options, source="test")
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO feedback_aspects (feedback_id, sentence, aspect, sentiment, "
            "polarity) VALUES ('F-DETRACTOR', 0, 'staff', -0.8, 'negative'), "
            "('F-PROMOTER', 0, 'staff', 0.9, 'positive')"
        )
    return {"touchpoints": len(TOUCHPOINTS), "customers": len(CUSTOMERS)}
