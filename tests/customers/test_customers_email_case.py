"""E-mail addresses match whatever their case: a message to ``Anna@X.it`` is Anna's."""

from __future__ import annotations

from esperia.act.notify import enqueue
from esperia.config import Settings
from esperia.customers import erase_customer, export_customer
from esperia.ingest import import_records
from esperia.store import Store

#: Customer id → the e-mail on their record, in mixed case.
PEOPLE = {"C-ANNA": "Anna.Rossi@Example.IT", "C-BRUNO": "bruno@example.it"}
#: Outbox targets: each customer's address written three ways.
TARGETS = {
    "C-ANNA": [
        "anna.rossi@example.it",
        "ANNA.ROSSI@EXAMPLE.IT",
        "Anna.Rossi@Example.IT",
    ],
    "C-BRUNO": ["Bruno@Example.it", "BRUNO@EXAMPLE.IT"],
}


def _seed(store: Store, settings: Settings) -> None:
    rows = [{"customer_id": cid, "email": email} for cid, email in PEOPLE.items()]
    summary = import_records(store, settings, "customers", rows)
    assert summary.loaded == len(rows), summary
    with store.write_lock, store.connect() as conn, conn.transaction():
        for cid, targets in TARGETS.items():
            for n, target in enumerate(targets):
                enqueue(
                    conn, channel="email", target=target, event="survey.reminder",
                    body="Ti ricordiamo il sondaggio.", dedup_key=f"r:{cid}:{n}",
                )  # fmt: skip


def _targets(store: Store) -> list[str]:
    with store.connect() as conn:
        rows = conn.fetchall("SELECT target FROM act_outbox ORDER BY target")
    return [str(r[0]) for r in rows]


def test_export_and_erasure_match_e_mails_in_any_case(
    store: Store, settings: Settings
) -> None:
    _seed(store, settings)
    exported = export_customer(store, "C-ANNA", actor="test")
    assert sorted(m["target"] for m in exported["act_outbox"]) == sorted(
        TARGETS["C-ANNA"]
    )
    removed = erase_customer(store, "C-ANNA", actor="test")
    assert removed["act_outbox"] == len(TARGETS["C-ANNA"])
    assert removed["customers"] == 1
    # Bruno's messages, in whatever case, are untouched.
    assert _targets(store) == sorted(TARGETS["C-BRUNO"])
