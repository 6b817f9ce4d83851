"""`esperia demo` builds a whole workspace, reuses it, never touches real data."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from esperia.config import load_settings
from esperia.demo.build import build_demo
from esperia.errors import InvalidInput, WorkspaceError
from esperia.status import workspace_status
from esperia.store import open_store
from esperia.workspace import init_workspace


def test_build_load_everything_and_reuse(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    first = build_demo(folder, customers=1_000, seed=7)
    assert not first.reused
    assert first.counts["customers"] == 1_000
    assert first.counts["interactions"] > 10_000
    assert first.counts["feedback"] > 1_000

    store = open_store(load_settings(folder))
    try:
        status = workspace_status(store)
        with store.connect() as conn:
            imports = conn.fetchall("SELECT kind, rejected_rows FROM imports")
            # Journeys are built once by the demo: every interaction is in one.
            journeys = conn.fetchone(
                "SELECT interactions, journeys FROM journey_builds"
            )
    finally:
        store.close()
    assert {k: v["count"] for k, v in status["tables"].items()} == first.counts
    assert all(rejected == 0 for _, rejected in imports)
    assert journeys is not None and journeys[0] == first.counts["interactions"]
    assert 1_000 <= journeys[1] < journeys[0]

    truth = json.loads((folder / "ground_truth.json").read_text())
    assert truth["demo"] == {"customers": 1_000, "seed": 7}
    personas = pq.read_table(folder / "ground_truth_customers.parquet")
    assert personas.num_rows == 1_000

    again = build_demo(folder, customers=1_000, seed=7)
    assert again.reused and again.counts == first.counts

    other = build_demo(folder, customers=1_000, seed=8)
    assert not other.reused
    assert other.counts["customers"] == 1_000
    assert other.counts["interactions"] != first.counts["interactions"]


def test_refuses_a_real_workspace_and_bad_sizes(tmp_path: Path) -> None:
    real = tmp_path / "real"
    init_workspace(real, admin_password="real-admin-pw")
    with pytest.raises(WorkspaceError, match="not a demo"):
        build_demo(real, customers=1_000)
    with pytest.raises(InvalidInput, match="between 1,000 and 1,000,000"):
        build_demo(tmp_path / "x", customers=10)
