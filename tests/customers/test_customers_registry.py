"""The personal-data registry matches the migrated schema, table by table.

A migration that adds a table (or a column) tying rows to a customer fails
here until the table is registered for erasure or declared not personal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from esperia.customers.personal_data import (
    NOT_PERSONAL,
    PERSONAL,
    deletion_order,
    is_linking_column,
)
from esperia.store import Store


def _schema(store: Store) -> dict[str, set[str]]:
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_name = c.table_name "
            "AND t.table_schema = c.table_schema WHERE c.table_schema = "
            "current_schema() AND t.table_type = 'BASE TABLE'"
        )
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(str(table), set()).add(str(column))
    return out


def test_every_table_with_a_linking_column_is_classified(store: Store) -> None:
    schema = _schema(store)
    assert len(schema) > 30  # the migrations ran: the check has tables to look at
    known = {e.table for e in PERSONAL} | set(NOT_PERSONAL)
    missing = {
        table: sorted(c for c in columns if is_linking_column(c))
        for table, columns in schema.items()
        if table not in known and any(is_linking_column(c) for c in columns)
    }
    assert not missing, (
        "tables that may hold a customer's data but are neither in PERSONAL nor "
        f"in NOT_PERSONAL (esperia/customers/personal_data.py): {missing}"
    )


def test_every_table_is_classified_once(store: Store) -> None:
    schema = _schema(store)
    personal = {e.table for e in PERSONAL}
    assert not personal & set(NOT_PERSONAL), "classified twice"
    unknown = sorted(set(schema) - personal - set(NOT_PERSONAL))
    assert not unknown, (
        f"unclassified tables {unknown}: add each to PERSONAL (with its links) or "
        "to NOT_PERSONAL (with the reason) in esperia/customers/personal_data.py"
    )
    stale = sorted((personal | set(NOT_PERSONAL)) - set(schema))
    assert not stale, f"the registry names tables the schema lacks: {stale}"


def test_every_link_names_real_columns(store: Store) -> None:
    schema = _schema(store)
    for entry in PERSONAL:
        for link in entry.links:
            assert link.column in schema[entry.table], (entry.table, link.column)
            assert link.key in schema[link.parent], (link.parent, link.key)
        for column in entry.order_by:
            assert column in schema[entry.table], (entry.table, column)
        # A customer id column the links ignore would survive an erasure.
        if "customer_id" in schema[entry.table]:
            assert any(link.direct for link in entry.links), entry.table


def test_children_are_deleted_before_their_parents() -> None:
    order = [e.table for e in deletion_order()]
    assert sorted(order) == sorted(e.table for e in PERSONAL)
    assert order[-1] == "customers"
    for entry in PERSONAL:
        for link in entry.links:
            if link.parent != entry.table:
                assert order.index(entry.table) < order.index(link.parent), (
                    entry.table,
                    link.parent,
                )


@pytest.mark.parametrize(
    ("column", "linking"),
    [
        ("customer_id", True),
        ("team_email", True),
        ("recipient_address", True),
        ("token", True),
        ("survey_id", False),
        ("sentiment", False),
    ],
)
def test_linking_column_names(column: str, linking: bool) -> None:
    assert is_linking_column(column) is linking


def test_the_privacy_docs_list_every_registered_table() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "import.md"
    section = docs.read_text(encoding="utf-8").split("## Privacy", 1)[1]
    missing = [e.table for e in PERSONAL if f"`{e.table}`" not in section]
    assert not missing, f"docs/import.md#privacy does not list {missing}"
