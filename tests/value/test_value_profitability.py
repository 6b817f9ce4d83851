"""Profitability by segment and touchpoint: sums checked against the demo tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from esperia.config import Settings
from esperia.demo import DemoData
from esperia.errors import InvalidInput
from esperia.store import Store
from esperia.value.profitability import profitability_report

Loader = Callable[[Store, Settings, tuple[str, ...]], None]


def test_profitability_matches_the_orders(
    store: Store, settings: Settings, load_demo: Loader, demo_small: DemoData
) -> None:
    load_demo(store, settings, ("customers", "touchpoints", "interactions", "orders"))
    report = profitability_report(store, settings, cost_per_hour=30.0)
    orders = demo_small.tables["orders"]
    customers = demo_small.tables["customers"]
    total = report["total"]
    assert total["orders"] == orders.num_rows
    assert total["customers"] == customers.num_rows
    assert total["revenue"] == pytest.approx(pc.sum(orders["revenue"]).as_py())
    assert total["margin"] == pytest.approx(pc.sum(orders["margin"]).as_py())
    hours = pc.sum(demo_small.tables["interactions"]["duration_s"]).as_py() / 3600
    assert total["hours"] == pytest.approx(hours, rel=1e-6)
    assert total["cost_to_serve"] == pytest.approx(hours * 30.0, rel=1e-6)
    assert total["profit"] == pytest.approx(total["margin"] - hours * 30.0, rel=1e-6)
    # One segment, recomputed from the tables.
    business = pc.equal(customers["segment"], "azienda")
    ids = customers.filter(business)["customer_id"]
    mine = orders.filter(pc.is_in(orders["customer_id"], value_set=ids))
    row = next(r for r in report["by_segment"] if r["segment"] == "azienda")
    assert row["customers"] == len(ids)
    assert row["orders"] == mine.num_rows
    assert row["revenue"] == pytest.approx(pc.sum(mine["revenue"]).as_py())
    assert row["margin_rate"] == pytest.approx(
        pc.sum(mine["margin"]).as_py() / pc.sum(mine["revenue"]).as_py(), abs=1e-4
    )
    by_tp = {r["touchpoint_id"]: r for r in report["by_touchpoint"]}
    assert sum(r["orders"] for r in by_tp.values()) == orders.num_rows
    top = report["by_touchpoint"][0]
    assert top["margin"] == max(r["margin"] for r in by_tp.values())


def test_missing_margin_uses_the_default_and_no_rate_means_no_cost(
    store: Store, settings: Settings
) -> None:
    from esperia.ingest import import_records

    import_records(store, settings, "customers", [
        {"customer_id": "a", "segment": "x"}, {"customer_id": "b"},
    ], source="test")  # fmt: skip
    import_records(store, settings, "touchpoints", [
        {"touchpoint_id": "web", "name": "Web shop", "channel": "web"},
    ], source="test")  # fmt: skip
    loaded = import_records(store, settings, "orders", [
        {"order_id": "1", "customer_id": "a", "ordered_at": "2024-01-02T10:00:00",
         "revenue": 100.0, "margin": 40.0, "touchpoint_id": "web"},
        {"order_id": "2", "customer_id": "a", "ordered_at": "2024-02-02T10:00:00",
         "revenue": 50.0, "touchpoint_id": "web"},
    ], source="test")  # fmt: skip
    assert loaded.loaded == 2, loaded.rejects
    report = profitability_report(store, settings)
    seg = {r["segment"]: r for r in report["by_segment"]}
    assert seg["x"]["margin"] == pytest.approx(
        40.0 + 50.0 * settings.clv_default_margin
    )
    assert seg["x"]["revenue_default_margin"] == 50.0
    assert seg[""]["orders"] == 0 and seg[""]["margin_rate"] is None
    assert seg["x"]["cost_to_serve"] is None and seg["x"]["profit"] is None
    assert report["by_touchpoint"][0]["touchpoint_id"] == "web"
    with pytest.raises(InvalidInput):
        profitability_report(store, settings, cost_per_hour=-1.0)


def _run_cli(workspace: Path, *args: str) -> tuple[int, str, str]:
    from esperia.cli import commands  # noqa: F401 - registers the commands
    from esperia.cli.app import app
    from esperia.errors import EsperiaError

    result = CliRunner().invoke(app, ["--workspace", str(workspace), *args])
    if isinstance(result.exception, EsperiaError):
        return 1, result.stdout, f"error: {result.exception.message}\n"
    return result.exit_code, result.stdout, ""


def test_cli_profitability_json(
    workspace_settings: Settings, load_demo: Loader
) -> None:
    from esperia.workspace import open_workspace

    store = open_workspace(workspace_settings)
    try:
        load_demo(store, workspace_settings, ("customers", "touchpoints", "orders"))
    finally:
        store.close()
    path = workspace_settings.workspace
    code, out, err = _run_cli(path, "value", "profitability", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["total"]["orders"] > 0 and data["total"]["profit"] is None
    code, out, err = _run_cli(path, "value", "profitability", "--cost-per-hour", "20")
    assert code == 0 and "azienda" in out and "total" in out
    code, out, err = _run_cli(path, "value", "profitability", "--cost-per-hour", "-2")
    assert code == 1 and err.startswith("error: cost per hour")
