"""Personas over HTTP: versions, cards, one card, errors in the one JSON shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from esperia.api import create_app
from esperia.auth.api_keys import create_key
from esperia.config import Settings
from esperia.demo import simulate
from esperia.ingest import ImportOptions, import_arrow
from esperia.personas import build_personas
from esperia.store import KINDS, Store


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    return dict(body["error"])


def test_api_lists_versions_and_serves_cards(settings: Settings, store: Store) -> None:
    headers = {"Authorization": f"Bearer {create_key(store, 't', ['read'])[1]}"}
    with TestClient(create_app(settings, store)) as client:
        missing = client.get("/api/v1/personas", headers=headers)
        assert _error(missing, 404)["code"]
        data = simulate(1_000, seed=3)
        for kind in KINDS:
            import_arrow(store, settings, kind, data.tables[kind], source="test",
                         options=ImportOptions(all_or_nothing=True))  # fmt: skip
        built = build_personas(store, seed=5, k=4)
        answer = client.get("/api/v1/personas", headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["version"] == built["version"] == 1 and body["k"] == 4
        assert [v["version"] for v in body["versions"]] == [1]
        assert sum(c["size"] for c in body["personas"]) == 1_000
        card = client.get("/api/v1/personas/1/2", headers=headers).json()
        assert card["persona"] == 2 and card["version"] == 1
        assert card["name"] == body["personas"][2]["name"]
        assert _error(client.get("/api/v1/personas/1/9", headers=headers), 404)[
            "message"
        ].startswith("persona 9")
        assert client.get("/api/v1/personas").status_code == 401
