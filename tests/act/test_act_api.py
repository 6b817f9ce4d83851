"""The close-the-loop API with keys: rules, cases, plans, webhooks, audit, ingestion."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from support.act_data import seed_world

from esperia.api import create_app
from esperia.auth.api_keys import create_key

RULES = """
rules:
  - {id: late, on: interaction, when: {broken_promise: true}, reason: late_delivery}
  - {id: detractor, on: feedback, when: {nps_at_most: 6}, reason: low_nps}
"""


@pytest.fixture
def api(settings, store) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    seed_world(store, settings)
    fast = settings.model_copy(update={"act_worker_interval_s": 0.2})
    app = create_app(fast, store)
    tokens = {
        s: create_key(store, f"k-{s}", [s])[1] for s in ("read", "admin", "ingest")
    }
    headers = {s: {"Authorization": f"Bearer {t}"} for s, t in tokens.items()}
    with TestClient(app) as client:
        yield client, headers


def test_rules_cases_and_plans_through_the_api(api):
    client, h = api
    yaml_admin = {**h["admin"], "Content-Type": "application/yaml"}
    bad = client.put(
        "/api/v1/rules", content="- {id: x, on: feedback, when: {}}", headers=yaml_admin
    )
    assert bad.status_code == 400 and "at least one condition" in bad.text
    put = client.put("/api/v1/rules", content=RULES, headers=yaml_admin)
    assert put.json() == {"created": 2, "updated": 0, "removed": 0}
    assert (
        client.put("/api/v1/rules", content=RULES, headers=h["read"]).status_code == 403
    )
    assert [r["id"] for r in client.get("/api/v1/rules", headers=h["read"]).json()] == [
        "detractor", "late",
    ]  # fmt: skip
    run = client.post("/api/v1/rules/run", headers=h["admin"]).json()
    # The late parcel, the phone complaint that waited 900 s against a 120 s
    # promise (also a broken promise), and the detractor.
    assert run["created"] == 3
    assert client.post("/api/v1/rules/run", headers=h["admin"]).json()["created"] == 0
    cases = client.get("/api/v1/cases", headers=h["read"]).json()
    late = next(c for c in cases if c["touchpoint_id"] == "TP-COURIER")
    moved = client.post(f"/api/v1/cases/{late['case_id']}/status",
                        json={"status": "resolved"}, headers=h["admin"])  # fmt: skip
    assert moved.status_code == 409
    client.post(f"/api/v1/cases/{late['case_id']}/status",
                json={"status": "in_progress"}, headers=h["admin"])  # fmt: skip
    done = client.post(
        f"/api/v1/cases/{late['case_id']}/status", headers=h["admin"],
        json={"status": "resolved", "resolution": "refund", "root_cause": "courier"},
    )  # fmt: skip
    assert done.json()["status"] == "resolved"
    shown = client.get(f"/api/v1/cases/{late['case_id']}", headers=h["read"]).json()
    assert [e["new_value"] for e in shown["history"] if e["field"] == "status"] == [
        "new", "in_progress", "resolved",
    ]  # fmt: skip
    plan = client.post("/api/v1/action-plans", headers=h["admin"], json={
        "touchpoint_id": "TP-COURIER", "root_cause": "courier", "title": "New courier",
        "metric": "promise_kept", "expected_effect": "+20 points",
    })  # fmt: skip
    assert plan.status_code == 201
    plan_id = plan.json()["plan_id"]
    client.post(f"/api/v1/action-plans/{plan_id}/fixed", headers=h["admin"],
                json={"fixed_at": "2025-03-05T10:30:00+00:00"})  # fmt: skip
    effect = client.get(f"/api/v1/action-plans/{plan_id}/effect?window_days=30",
                        headers=h["read"]).json()  # fmt: skip
    assert effect["before"]["n"] == 2
    causes = client.get("/api/v1/root-causes", headers=h["read"]).json()
    assert {"courier", "low_nps"} <= {c["cause"] for c in causes}
    outcomes = client.get("/api/v1/outcomes?by=reason", headers=h["read"]).json()
    assert outcomes["rows"][0]["group"] == "all"
    csv_text = client.get("/api/v1/audit?format=csv", headers=h["admin"]).text
    assert "case_status" in csv_text
    assert client.get("/api/v1/audit", headers=h["read"]).status_code == 403


def test_webhook_subscriptions(api):
    client, h = api
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["case.created"]}
    made = client.post("/api/v1/webhooks", headers=h["admin"], json=hook)
    assert made.status_code == 201 and len(made.json()["secret"]) > 30
    listed = client.get("/api/v1/webhooks", headers=h["admin"]).json()
    assert listed[0]["events"] == ["case.created"] and "secret" not in listed[0]
    wrong = client.post("/api/v1/webhooks", headers=h["admin"],
                        json={"url": "ftp://x", "events": ["*"]})  # fmt: skip
    assert wrong.status_code == 400
    gone = client.delete(
        f"/api/v1/webhooks/{listed[0]['webhook_id']}", headers=h["admin"]
    )
    assert gone.status_code == 204


def test_api_ingestion_wakes_the_worker_that_runs_the_rules(api, store):
    client, h = api
    client.put("/api/v1/rules", content=RULES,
               headers={**h["admin"], "Content-Type": "application/yaml"})  # fmt: skip
    batch = [{"feedback_id": "F-API", "received_at": "2025-03-10T11:30:00+00:00",
              "source": "survey", "customer_id": "C-HAPPY", "nps": 2}]  # fmt: skip
    sent = client.post("/api/v1/feedback", json=batch, headers=h["ingest"])
    assert sent.status_code == 200 and sent.json()["loaded"] == 1
    deadline = time.monotonic() + 20
    found = 0
    while time.monotonic() < deadline and not found:
        with store.connect() as conn:
            found = conn.scalar(
                "SELECT count(*) FROM act_cases WHERE trigger_id = 'F-API'"
            )
        time.sleep(0.1)
    assert found == 1
