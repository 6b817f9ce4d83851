"""Metrics over the API: the same rows as the CLI, the one error shape."""

from __future__ import annotations

import pytest
from api_support import Api, error_of
from support.metrics_table import load_table


@pytest.fixture
def loaded(api: Api, settings) -> Api:  # type: ignore[no-untyped-def]
    load_table(api.store, settings)
    return api


def test_metric_rows_and_overview(loaded: Api) -> None:
    client, read = loaded.client, loaded.headers("read")
    got = client.get(
        "/api/v1/metrics/nps?by=touchpoint,period&period=month", headers=read
    )
    assert got.status_code == 200, got.text
    rows = got.json()
    shop_jan = next(r for r in rows if r["period"] == "2025-01-01")
    assert shop_jan["nps"] == 20.0 and shop_jan["n"] == 10 and shop_jan["low_n"]
    assert {"ci_low", "ci_high", "change", "change_p"} <= set(shop_jan)
    ces = client.get("/api/v1/metrics/ces?by=stage", headers=read).json()
    assert {r["stage"] for r in ces} == {"purchase", "consideration"}
    heat = client.get("/api/v1/metrics/heatmap", headers=read).json()
    assert heat["TP-SHOP"]["csat"]["n"] == 14
    over = client.get("/api/v1/metrics/overview", headers=read).json()
    assert over["nps_trend"]["rows"] and "seconds" in over["drivers"]
    assert not over["drivers"]["from_summary"] and over["drivers"]["computed_at"]
    again = client.get("/api/v1/metrics/overview", headers=read).json()
    assert again["drivers"]["from_summary"]
    assert again["drivers"]["computed_at"] == over["drivers"]["computed_at"]
    assert {k: v["rows"] for k, v in again.items()} == {
        k: v["rows"] for k, v in over.items()
    }


def test_metric_errors(loaded: Api) -> None:
    client, read = loaded.client, loaded.headers("read")
    bad = client.get("/api/v1/metrics/nps?by=weather", headers=read)
    error = error_of(bad, 400)
    assert "weather" in error["message"]
    error_of(client.get("/api/v1/metrics/happiness", headers=read), 404)
    error_of(client.get("/api/v1/metrics/nps"), 401)
