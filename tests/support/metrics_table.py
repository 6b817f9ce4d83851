"""A small hand-written workspace for the metrics tests: every figure countable.

Two touchpoints, four customers in two segments, feedback in January and
February 2025 (Rome time), plus survey items and text-analysis rows.
"""

from __future__ import annotations

from typing import Any

TOUCHPOINTS = [
    {"touchpoint_id": "TP-SHOP", "name": "Shop", "channel": "store",
     "contact": "direct", "medium": "physical", "stage": "purchase"},
    {"touchpoint_id": "TP-WEB", "name": "Web", "channel": "web", "contact": "indirect",
     "medium": "digital", "stage": "consideration", "promise_metric": "wait_s",
     "promise_target": 60},
]  # fmt: skip
CUSTOMERS = [
    {"customer_id": "C1", "segment": "gold"},
    {"customer_id": "C2", "segment": "gold"},
    {"customer_id": "C3", "segment": "basic"},
    {"customer_id": "C4", "segment": "basic"},
]
#: (touchpoint, month, nps, csat, ces) per answer.
SHOP_JAN = [
    (10, 5, 7), (10, 5, 6), (9, 4, 6), (9, 4, 5), (8, 3, 4),
    (7, 2, 3), (6, 1, 2), (3, 5, 7), (0, 4, 1), (10, 3, 5),
]  # fmt: skip
WEB_FEB = [
    (9, 4, 6), (10, 5, 7), (6, 2, 3), (5, 2, 2), (7, 3, 4), (8, 4, 5),
    (9, 5, 6), (2, 1, 1), (10, 5, 7), (10, 4, 6), (9, 4, 5), (1, 1, 1),
]  # fmt: skip
SHOP_FEB = [(9, 4, 6), (4, 2, 3), (8, 4, 5), (10, 5, 6)]


def feedback_rows() -> list[dict[str, Any]]:
    rows = []
    plan = [("TP-SHOP", "2025-01", SHOP_JAN), ("TP-WEB", "2025-02", WEB_FEB),
            ("TP-SHOP", "2025-02", SHOP_FEB)]  # fmt: skip
    i = 0
    for tp, month, answers in plan:
        for nps, csat, ces in answers:
            i += 1
            rows.append(
                {
                    "feedback_id": f"F{i:03d}",
                    # 23:30 UTC on the last day of the month before is already
                    # the 1st in Rome: periods are cut in local time.
                    "received_at": f"{month}-{(i % 27) + 1:02d}T10:00:00+01:00",
                    "source": "survey" if i % 3 else "review",
                    "customer_id": f"C{i % 4 + 1}",
                    "touchpoint_id": tp,
                    "nps": nps,
                    "csat": csat,
                    "ces": ces,
                    "language": "it" if i % 2 else "en",
                }
            )
    rows.append(
        {"feedback_id": "F-EDGE", "received_at": "2025-01-31T23:30:00+00:00",
         "source": "survey", "touchpoint_id": "TP-WEB", "nps": 10}
    )  # fmt: skip
    return rows


def load_table(store: Any, settings: Any) -> None:
    """Import the hand table into ``store``."""
    from esperia.ingest import import_records

    for kind, rows in (
        ("touchpoints", TOUCHPOINTS),
        ("customers", CUSTOMERS),
        ("feedback", feedback_rows()),
    ):
        summary = import_records(store, settings, kind, rows)
        assert summary.rejected == 0, (kind, summary)


def insert(store: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join("?" * len(rows[0]))
    with store.connect() as conn:
        for row in rows:
            conn.execute(f"INSERT INTO {table} VALUES ({marks})", row)
