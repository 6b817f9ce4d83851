"""Fixtures for the assistant: one intent model trained per session, shared."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from esperia.assistant import Assistant, IntentClassifier
from esperia.assistant.service import builtin_examples
from esperia.config import Settings
from esperia.store import Store


@pytest.fixture(scope="session")
def intent_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "intents.pkl"
    IntentClassifier().fit(*builtin_examples()).save(path)
    return path


@pytest.fixture
def assistant(
    settings: Settings, store: Store, intent_model_file: Path
) -> Iterator[Assistant]:
    """The assistant of a fresh store holding one customer with one delivered order."""
    folder = settings.workspace / "assistant"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(intent_model_file, folder / "intents.pkl")
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO customers (customer_id, name, email, phone) VALUES "
            "('C1', 'Anna Rossi', 'anna.rossi@example.it', '+39 333 111 2222'), "
            "('C2', 'Marco Bianchi', 'marco@example.com', '+39 347 999 8888')"
        )
        conn.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at, revenue, items) "
            "VALUES ('O00000042', 'C1', TIMESTAMPTZ '2024-03-02 10:00:00+00', 31.5, 2),"
            " ('O00000077', 'C2', TIMESTAMPTZ '2024-03-05 10:00:00+00', 12.0, 1)"
        )
        conn.execute(
            "INSERT INTO interactions (interaction_id, customer_id, touchpoint_id, "
            "occurred_at, type, outcome, properties) VALUES ('I1', 'C1', 'TP-COURIER', "
            "TIMESTAMPTZ '2024-03-05 09:00:00+00', 'delivery', 'late', "
            '\'{"order_id": "O00000042"}\')'
        )
    yield Assistant(settings, store)
