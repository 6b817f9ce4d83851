"""Erasure and export of one customer cover every table of the registry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.privacy_data import PEOPLE, seed_people

from esperia.config import Settings
from esperia.customers import erase_customer, export_customer
from esperia.customers.personal_data import PERSONAL
from esperia.customers.privacy import rows_about
from esperia.errors import NotFound
from esperia.store import Store
from esperia.store.database import Connection

ERASE, KEEP = "C-ERASE", "C-KEEP"


def _tables(conn: Connection) -> dict[str, list[str]]:
    rows = conn.fetchall(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_name = c.table_name "
        "AND t.table_schema = c.table_schema WHERE c.table_schema = "
        "current_schema() AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name, c.ordinal_position"
    )
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(str(table), []).append(str(column))
    return out


def _about(conn: Connection, customer_id: str) -> dict[str, int]:
    counts = {}
    for entry in PERSONAL:
        where, params = rows_about(entry, customer_id)
        counts[entry.table] = int(
            conn.scalar(f"SELECT count(*) FROM {entry.table} WHERE {where}", params)
        )
    return counts


def _totals(conn: Connection) -> dict[str, int]:
    return {
        table: int(conn.scalar(f"SELECT count(*) FROM {table}"))
        for table in _tables(conn)
    }


def _mentions(conn: Connection) -> list[str]:
    """Every id of C-ERASE's rows that is text: none may survive the erasure."""
    found = {ERASE, PEOPLE[ERASE]}
    for sql, params in (
        (
            "SELECT feedback_id FROM feedback WHERE customer_id = ? OR interaction_id "
            "IN (SELECT interaction_id FROM interactions WHERE customer_id = ?)",
            (ERASE, ERASE),
        ),
        ("SELECT token FROM survey_invitations WHERE customer_id = ?", (ERASE,)),
        (
            "SELECT conversation_id FROM assistant_conversations "
            "WHERE conversation_id LIKE 'CONV-ERASE-%'",
            (),
        ),
    ):
        found |= {str(r[0]) for r in conn.fetchall(sql, params)}
    return sorted(found)


def _leftovers(conn: Connection, needles: list[str]) -> dict[str, int]:
    """Rows of any table (but the audit log) whose text mentions a needle."""
    out = {}
    for table, columns in _tables(conn).items():
        if table == "audit_log":
            continue
        checks = " OR ".join(
            f"strpos(CAST({c} AS TEXT), ?) > 0" for c in columns for _ in needles
        )
        params = [n for _ in columns for n in needles]
        hits = int(conn.scalar(f"SELECT count(*) FROM {table} WHERE {checks}", params))
        if hits:
            out[table] = hits
    return out


@pytest.fixture
def people(store: Store, settings: Settings) -> dict[str, int]:
    return seed_people(store, settings)


def test_the_world_fills_every_registered_table_for_both(
    store: Store, people: dict[str, int]
) -> None:
    with store.connect() as conn:
        for customer_id in PEOPLE:
            empty = [t for t, n in _about(conn, customer_id).items() if n == 0]
            assert not empty, f"{customer_id} has no rows in {empty}"


def test_erasure_removes_every_row_about_the_customer_and_only_those(
    store: Store, people: dict[str, int]
) -> None:
    with store.connect() as conn:
        before_erase = _about(conn, ERASE)
        before_keep = _about(conn, KEEP)
        totals = _totals(conn)
        needles = _mentions(conn)
        assert _leftovers(conn, needles)  # the scan finds them before erasure
    removed = erase_customer(store, ERASE, actor="dpo@example.com")
    assert removed == before_erase
    assert list(removed)[-1] == "customers"
    with store.connect() as conn:
        assert set(_about(conn, ERASE).values()) == {0}
        assert _leftovers(conn, needles) == {}
        erased_case = people[ERASE]
        for table in ("act_cases", "act_case_events", "act_followups", "act_outbox"):
            assert not conn.scalar(
                f"SELECT count(*) FROM {table} WHERE case_id = ?", (erased_case,)
            ), table
        assert _about(conn, KEEP) == before_keep
        after = _totals(conn)
        for table, total in totals.items():
            if table == "audit_log":
                continue
            assert after[table] == total - removed.get(table, 0), table
        assert (
            conn.scalar("SELECT count(*) FROM category_spend WHERE segment = 'gold'")
            == 1
        )
        audit = conn.fetch_dicts(
            "SELECT actor, subject, details FROM audit_log "
            "WHERE action = 'customer.erase'"
        )
    assert len(audit) == 1 and audit[0]["subject"] == ERASE
    details = audit[0]["details"]
    details = json.loads(details) if isinstance(details, str) else details
    assert details == removed  # counts only: no e-mail, no text
    with pytest.raises(NotFound):
        erase_customer(store, ERASE)


def test_export_holds_every_registered_table_as_plain_json(
    store: Store, people: dict[str, int]
) -> None:
    data = export_customer(store, ERASE)
    again = export_customer(store, ERASE)
    assert data["customer"]["email"] == PEOPLE[ERASE]
    for entry in PERSONAL:
        if entry.table == "customers":
            continue
        rows: list[dict[str, Any]] = data[entry.table]
        assert rows, f"export lacks {entry.table}"
        assert rows == again[entry.table]  # deterministic order
    text = json.dumps(data)  # JSON-ready without a default= hook
    assert KEEP not in text and PEOPLE[KEEP] not in text
    survey_feedback = [f for f in data["feedback"] if f["source"] == "survey"]
    assert len(survey_feedback) == 1
    assert {a["token"] for a in data["survey_answers"]} == {
        i["token"] for i in data["survey_invitations"]
    }
    assert {f["feedback_id"] for f in data["feedback"]} >= {"F-ERASE-0", "F-ERASE-anon"}
    assert isinstance(data["assistant_conversations"][0]["state"], dict)


def test_a_failure_mid_erasure_rolls_everything_back(
    store: Store, people: dict[str, int]
) -> None:
    # A foreign key the registry does not know makes deleting the customer's
    # case fail after its events, hits and notices were already deleted.
    with store.connect() as conn:
        conn.execute(
            "CREATE TABLE legal_hold (case_id BIGINT REFERENCES act_cases (case_id))"
        )
        conn.execute("INSERT INTO legal_hold (case_id) VALUES (?)", (people[ERASE],))
        before = _totals(conn)
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        erase_customer(store, ERASE)
    with store.connect() as conn:
        assert _totals(conn) == before
        assert not conn.scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'customer.erase'"
        )
        conn.execute("DROP TABLE legal_hold")
    assert erase_customer(store, ERASE)["customers"] == 1
