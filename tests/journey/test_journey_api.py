"""The journey API on both backends: the same JSON as the CLI's ``--json``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from esperia.api import create_app
from esperia.auth.api_keys import create_key
from esperia.config import Settings
from esperia.journey.eventlog import JourneyOptions, workspace_log
from esperia.journey.flows import directly_follows
from esperia.store import Store
from esperia.vocabulary import STAGES

SEGMENTS = ("privato", "azienda")  # the demo's CRM segments


@pytest.fixture
def client(
    settings: Settings,
    store: Store,
    load_journey_demo: Callable[[Store, Settings], None],
) -> Iterator[tuple[TestClient, dict[str, str], dict[str, str]]]:
    load_journey_demo(store, settings)
    read = {"Authorization": f"Bearer {create_key(store, 'r', ['read'])[1]}"}
    admin = {"Authorization": f"Bearer {create_key(store, 'a', ['admin'])[1]}"}
    with TestClient(create_app(settings, store)) as c:
        yield c, read, admin


def _get(c: TestClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    answer = c.get(f"/api/v1/journey/{path}", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_dfg_filters_and_threshold(client, store: Store) -> None:
    c, read, _ = client
    full = _get(c, read, "dfg")
    edge = full["edges"][0]
    assert set(edge) == {"source", "target", "count", "median_seconds", "p90_seconds"}
    with store.connect() as conn:
        direct = directly_follows(workspace_log(conn, JourneyOptions()))
    assert full["edges"] == direct["edges"] and full["cases"] == direct["cases"]
    # The threshold hides every edge below it, and only those.
    cut = sorted(e["count"] for e in full["edges"])[len(full["edges"]) // 2]
    pruned = _get(c, read, "dfg", min_count=cut)
    assert pruned["edges"] == [e for e in full["edges"] if e["count"] >= cut]
    stages = _get(c, read, "dfg", level="stage")
    assert {e["source"] for e in stages["edges"]} <= {*STAGES, "unknown"}
    early = _get(c, read, "dfg", until="2024-06-01")
    assert 0 < early["events"] < full["events"]
    seg_events = [_get(c, read, "dfg", segment=s)["events"] for s in SEGMENTS]
    assert all(n > 0 for n in seg_events) and sum(seg_events) == full["events"]
    bad = c.get("/api/v1/journey/dfg", params={"level": "shop"}, headers=read)
    assert bad.status_code == 422


def test_paths_funnel_and_moments(client) -> None:
    c, read, _ = client
    paths = _get(c, read, "paths", limit=3)
    assert len(paths["paths"]) == 3 and paths["goal"]["goal"] == "purchase"
    assert paths["paths"][0]["cases"] >= paths["paths"][1]["cases"]
    assert 0 < paths["channel_switching"]["switch_share"] < 1
    steps = "consideration,purchase,delivery"
    result = _get(c, read, "funnel", steps=steps)
    overall = result["groups"][0]["steps"]
    assert [s["step"] for s in overall] == steps.split(",")
    assert overall[0]["journeys"] >= overall[1]["journeys"] >= overall[2]["journeys"]
    by_month = _get(c, read, "funnel", steps=steps, by="month")
    assert len(by_month["groups"]) > 2
    one = c.get("/api/v1/journey/funnel", params={"steps": "purchase"}, headers=read)
    assert one.status_code == 400 and "two steps" in one.json()["error"]["message"]
    moments = _get(c, read, "moments", min_events=5, limit=5)
    assert 0 < len(moments["moments"]) <= 5
    assert moments["experience_index"]["better"] in ("plain", "peak_end")


def test_conformance_shipped_and_stored_design(client) -> None:
    c, read, admin = client
    shipped = _get(c, read, "conformance")
    assert shipped["journeys"] > 100 and 0 < shipped["mean_fitness"] <= 1
    design = {
        "name": "Buy then get it",
        "level": "stage",
        "steps": ["purchase", {"name": "delivery", "within_hours": 1}],
    }
    path = "/api/v1/journey/designs/quick"
    assert c.put(path, json=design, headers=read).status_code == 403
    stored = c.put(path, json=design, headers=admin)
    assert stored.status_code == 200, stored.text
    names = [d["name"] for d in _get(c, read, "designs")]
    assert names == ["bookshop_online", "quick"]
    quick = _get(c, read, "conformance", design="quick")
    assert quick["design"] == "Buy then get it"
    assert [s["step"] for s in quick["steps"]] == ["purchase", "delivery"]
    # A one-hour delivery promise is broken by nearly every journey.
    assert quick["steps"][1]["late"] > 0
    missing = c.get(
        "/api/v1/journey/conformance", params={"design": "nope"}, headers=read
    )
    assert missing.status_code == 404
    broken = c.put(path, json={"steps": ["only"]}, headers=admin)
    assert (
        broken.status_code == 400 and "two steps" in broken.json()["error"]["message"]
    )
