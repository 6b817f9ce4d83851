"""Top paths from the paths spelled at build time equal the exact computation
(and the hashed one), at every level, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from esperia.config import Settings
from esperia.journey.build import build_journeys
from esperia.journey.eventlog import JourneyOptions, workspace_log
from esperia.journey.flows import top_paths
from esperia.store import Store


def _variants(result: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {
        (tuple(p["path"]), p["cases"], p["median_seconds"]) for p in result["paths"]
    }


@pytest.mark.parametrize("level", ["touchpoint", "stage"])
def test_stored_paths_equal_exact_and_hashed(
    level: str, store: Store, settings: Settings,
    load_journey_demo: Callable[[Store, Settings], None],
) -> None:  # fmt: skip
    load_journey_demo(store, settings)
    build_journeys(store, JourneyOptions())
    with store.connect() as conn:
        log = workspace_log(conn, JourneyOptions(level=level))
        assert log.path_column.endswith(f"{level}_path")
        stored = top_paths(log, limit=100_000)
        exact = top_paths(replace(log, path_column="", prepared=False), limit=100_000)
        assert stored["cases"] == exact["cases"] > 1000
        assert stored["variants"] == exact["variants"] == len(stored["paths"])
        assert _variants(stored) == _variants(exact)
        top = top_paths(log, limit=5)["paths"]
        assert [p["cases"] for p in top] == [p["cases"] for p in exact["paths"][:5]]
        if store.dialect == "duckdb":
            hashed = top_paths(replace(log, path_column=""), limit=100_000)
            assert _variants(hashed) == _variants(exact)
        # A filtered log cannot use the per-journey paths: computed on the fly.
        since = workspace_log(conn, JourneyOptions(level=level, since="2024-06-01"))
        assert since.path_column == ""
        assert top_paths(since, limit=3)["cases"] < stored["cases"]
