"""Value tests' shared data: a small simulated bookshop, imported per store."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from esperia.config import Settings
from esperia.demo import DemoData, simulate
from esperia.ingest import ImportOptions, import_arrow
from esperia.store import Store


@pytest.fixture(scope="session")
def demo_small() -> DemoData:
    """1,500 customers, seed 3: runs in well under a second."""
    return simulate(1_500, seed=3)


@pytest.fixture
def load_demo(
    demo_small: DemoData,
) -> Callable[[Store, Settings, tuple[str, ...]], None]:
    def load(store: Store, settings: Settings, kinds: tuple[str, ...]) -> None:
        for kind in kinds:
            import_arrow(
                store, settings, kind, demo_small.tables[kind], source="test",
                options=ImportOptions(all_or_nothing=True),
            )  # fmt: skip

    return load
