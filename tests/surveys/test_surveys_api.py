"""Survey routes of the REST API on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.surveys_time import NOW

from esperia.auth.api_keys import create_key
from esperia.surveys import EXAMPLES, create_invitations, get_survey


@pytest.fixture
def client(
    bookshop, settings
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    from esperia.api import create_app

    app = create_app(settings, bookshop)
    headers = {
        scope: {"Authorization": f"Bearer {create_key(bookshop, scope, [scope])[1]}"}
        for scope in ("read", "ingest", "admin")
    }
    with TestClient(app) as test_client:
        yield test_client, headers


def _code(answer: Any) -> str:
    return str(answer.json()["error"]["code"])


def test_crud_with_json_and_yaml(client, bookshop):
    http, keys = client
    listed = http.get("/api/v1/surveys", headers=keys["read"]).json()
    assert [s["survey_id"] for s in listed] == [
        "post-care",
        "post-delivery",
        "post-event",
    ]
    shown = http.get("/api/v1/surveys/post-event", headers=keys["read"]).json()
    assert shown["questions"][2]["module"] == "sense"
    shown["title"]["en"] = "Did you like the event?"
    assert (
        http.post("/api/v1/surveys", json=shown, headers=keys["read"]).status_code
        == 403
    )
    saved = http.put("/api/v1/surveys/post-event", json=shown, headers=keys["admin"])
    assert saved.json() == {"survey_id": "post-event", "version": 2}
    assert get_survey(bookshop, "post-event").title["en"] == "Did you like the event?"
    text = (
        (EXAMPLES / "post-care.yaml").read_text().replace("id: post-care", "id: care-2")
    )
    made = http.post(
        "/api/v1/surveys", content=text.encode(),
        headers={**keys["admin"], "Content-Type": "application/yaml"},
    )  # fmt: skip
    assert made.status_code == 201 and made.json()["version"] == 1
    bad = http.post("/api/v1/surveys", json={"id": "x"}, headers=keys["admin"])
    assert bad.status_code == 400
    details = bad.json()["error"]["details"]
    assert {d["field"] for d in details} >= {"title", "questions"}
    assert (
        http.delete("/api/v1/surveys/care-2", headers=keys["admin"]).status_code == 204
    )
    assert (
        _code(http.get("/api/v1/surveys/care-2", headers=keys["read"])) == "not_found"
    )


def test_invitations_and_responses(client, bookshop, settings):
    http, keys = client
    create_invitations(bookshop, settings, "post-delivery", now=NOW)
    rows = http.get(
        "/api/v1/surveys/post-delivery/invitations", headers=keys["read"]
    ).json()
    assert rows and all(r["link"].endswith(r["token"]) for r in rows)
    # The trigger through the API (now: no recent interactions, nothing new).
    run = http.post("/api/v1/surveys/post-delivery/invitations", headers=keys["ingest"])
    assert run.status_code == 200 and run.json()["created"] == 0
    used = http.delete("/api/v1/surveys/post-delivery", headers=keys["admin"])
    assert _code(used) == "conflict"
    assert (
        http.get("/api/v1/surveys/post-delivery/responses", headers=keys["read"]).json()
        == []
    )
    results = http.get("/api/v1/surveys/post-delivery/results", headers=keys["read"])
    assert results.json()["invitations"] == len(rows)
