"""The server's in-memory copy of the newest scoring run: the same answers as
the table, dropped by a new run, blind to erased customers, and read again
when another process changes the table; on both engines."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from support.nba_data import CLOCK, seed_world

from esperia.api import create_app
from esperia.auth.api_keys import create_key
from esperia.config import Settings
from esperia.customers.privacy import erase_customer
from esperia.errors import NotFound
from esperia.nba import customer_context, record_action, score_customers
from esperia.nba.service import memory_row, stored_row
from esperia.nba.snapshot import (
    UNKNOWN,
    Snapshot,
    _key_sql,
    forget_snapshot,
    hide_customer,
    id_hash,
    snapshot_payload,
    snapshot_state,
    start_snapshot,
    stop_snapshot,
    wait_for_snapshot,
)
from esperia.store import Store


@pytest.fixture
def scored(settings: Settings, store: Store) -> Iterator[Settings]:
    seed_world(store, settings)
    quiet = settings.model_copy(
        update={"nba_holdout_share": 0.0, "nba_snapshot_check_seconds": 60.0}
    )
    score_customers(store, quiet)
    yield quiet
    stop_snapshot(store)


def _scored_ids(store: Store) -> list[str]:
    with store.connect() as conn:
        rows = conn.fetchall("SELECT customer_id FROM nba_context ORDER BY 1")
    return [str(r[0]) for r in rows]


def _until(condition, seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_copy_answers_exactly_as_the_table(scored: Settings, store: Store) -> None:
    ids = _scored_ids(store)
    assert len(ids) == 6
    from_table = {c: stored_row(store, scored, c) for c in ids}
    # Not started (a CLI process): the copy says nothing, the table answers.
    assert snapshot_payload(store, scored, ids[0]) is UNKNOWN
    assert memory_row(store, scored, ids[0]) is None
    assert start_snapshot(store, scored)
    assert wait_for_snapshot(store)
    state = snapshot_state(store)
    assert state["loaded"] and state["customers"] == 6 and state["loads"] == 1
    for customer in ids:
        row = memory_row(store, scored, customer)
        assert row is not None and row == from_table[customer]
        assert stored_row(store, scored, customer) == from_table[customer]
    # A customer the run did not score is known to be absent (live scoring).
    assert snapshot_payload(store, scored, "C-NOBODY") is None


def test_a_new_run_replaces_the_copy(scored: Settings, store: Store) -> None:
    start_snapshot(store, scored)
    assert wait_for_snapshot(store)
    first = snapshot_state(store)["run_id"]
    before = memory_row(store, scored, "C-ANGRY")
    assert before is not None and before["last_action_at"] is None
    record_action(store, scored, "C-ANGRY", "service_recovery_call",
                  actor="test", given_at=CLOCK - timedelta(days=1))  # fmt: skip
    score_customers(store, scored)
    # Never the old row: either the table (copy dropped) or the new copy.
    after = stored_row(store, scored, "C-ANGRY")
    assert after is not None and after["last_action_at"] is not None
    now = memory_row(store, scored, "C-ANGRY")
    assert now is None or now["last_action_at"] is not None
    assert wait_for_snapshot(store)
    state = snapshot_state(store)
    assert state["loaded"] and state["run_id"] > first
    assert memory_row(store, scored, "C-ANGRY") == after


def test_an_erased_customer_is_never_answered_from_memory(
    scored: Settings, store: Store
) -> None:
    start_snapshot(store, scored)
    assert wait_for_snapshot(store)
    assert memory_row(store, scored, "C-EVENT") is not None
    hide_customer(store, "C-EVENT")
    assert snapshot_payload(store, scored, "C-EVENT") is UNKNOWN
    assert memory_row(store, scored, "C-EVENT") is None
    forget_snapshot(store)  # a fresh copy does not bring them back
    assert wait_for_snapshot(store)
    assert snapshot_payload(store, scored, "C-EVENT") is UNKNOWN
    assert memory_row(store, scored, "C-PROMO") is not None


def test_a_change_by_another_process_is_seen(scored: Settings, store: Store) -> None:
    often = scored.model_copy(update={"nba_snapshot_check_seconds": 0.1})
    start_snapshot(store, often)
    assert wait_for_snapshot(store)
    assert snapshot_payload(store, often, "C-NEW") is not None
    # Another process (PostgreSQL) deletes a row; nothing here is told.
    with store.connect() as conn:
        conn.execute("DELETE FROM nba_context WHERE customer_id = 'C-NEW'")
    assert _until(lambda: snapshot_payload(store, often, "C-NEW") is None)
    assert snapshot_state(store)["customers"] == 5
    assert memory_row(store, often, "C-PROMO") is not None


def test_switched_off(scored: Settings, store: Store) -> None:
    off = scored.model_copy(update={"nba_memory_snapshot": False})
    assert not start_snapshot(store, off)
    assert memory_row(store, off, "C-ANGRY") is None
    assert stored_row(store, off, "C-ANGRY") is not None
    assert snapshot_state(store)["enabled"] is False


def test_the_hash_is_the_same_in_sql_and_python(store: Store) -> None:
    ids = ["C-1", "Ché-42 ü", "x" * 200]
    with store.connect() as conn:
        for customer in ids:
            got = conn.scalar(
                f"SELECT {_key_sql(conn.dialect)} FROM (SELECT ? AS customer_id) t",
                (customer,),
            )
            assert int(np.int64(got).view(np.uint64)) == id_hash(customer)


def test_colliding_hashes_are_told_apart_by_the_id() -> None:
    # Two ids on the same key (as a collision would put them), sorted by key.
    shared, other = id_hash("A-2"), id_hash("B-9")
    pairs = sorted([(shared, "A-1"), (shared, "A-2"), (other, "B-9")])
    snapshot = Snapshot(
        stamp=(1, 3),
        keys=np.array([k for k, _ in pairs], dtype=np.uint64),
        ids=pa.array([i for _, i in pairs]),
        payloads=pa.array([f"row of {i}" for _, i in pairs]),
    )
    assert snapshot.payload("A-2") == "row of A-2"
    assert snapshot.payload("B-9") == "row of B-9"
    assert snapshot.payload("A-1") is None  # its own hash is elsewhere


def test_the_server_loads_it_and_says_so(scored: Settings, store: Store) -> None:
    read = {"X-API-Key": create_key(store, "r", ["read"])[1]}
    with TestClient(create_app(scored, store)) as client:
        assert wait_for_snapshot(store)
        status = client.get("/api/v1/nba/status", headers=read)
        assert status.status_code == 200, status.text
        body = status.json()
        assert body["memory"]["loaded"] and body["memory"]["customers"] == 6
        assert body["last_run"]["customers"] == 6
        answer = client.get("/api/v1/customers/C-ANGRY/next-best-action", headers=read)
        assert answer.json()["actions"][0]["action_id"] == "service_recovery_call"
        assert client.get("/api/v1/nba/status").status_code == 401
    assert snapshot_state(store)["enabled"] is False  # stopped with the server


def test_erasure_reaches_the_copy(scored: Settings, store: Store) -> None:
    """A real erasure: the row leaves the table and the copy at once."""
    start_snapshot(store, scored)
    assert wait_for_snapshot(store)
    assert memory_row(store, scored, "C-EVENT") is not None
    removed = erase_customer(store, "C-EVENT", actor="test")
    assert removed["nba_context"] == 1
    assert snapshot_payload(store, scored, "C-EVENT") is UNKNOWN
    assert stored_row(store, scored, "C-EVENT") is None
    with pytest.raises(NotFound):
        customer_context(store, scored, "C-EVENT")
