"""Journey tests' shared data: a small simulated bookshop, imported per store."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from esperia.config import Settings
from esperia.demo import DemoData, simulate
from esperia.ingest import ImportOptions, import_arrow
from esperia.store import Store

KINDS = ("customers", "touchpoints", "interactions", "orders", "feedback")


@pytest.fixture(scope="session")
def journey_demo() -> DemoData:
    """1,500 customers, seed 5: imports in about a second."""
    return simulate(1_500, seed=5)


@pytest.fixture
def load_journey_demo(journey_demo: DemoData) -> Callable[[Store, Settings], None]:
    def load(store: Store, settings: Settings) -> None:
        for kind in KINDS:
            import_arrow(
                store, settings, kind, journey_demo.tables[kind], source="test",
                options=ImportOptions(all_or_nothing=True),
            )  # fmt: skip

    return load
