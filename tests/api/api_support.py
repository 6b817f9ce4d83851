"""The whole app in-process (TestClient) on a real store, with one key per scope."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from esperia.api import create_app
from esperia.auth.api_keys import SCOPES, create_key
from esperia.config import Settings
from esperia.store import Store

__all__ = ["Api", "error_of", "serve_api"]


@dataclass
class Api:
    """An app, its client and store, and a token for each scope."""

    app: FastAPI
    client: TestClient
    store: Store
    tokens: dict[str, str]

    def headers(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[scope]}"}

    def limit(self, **changes: Any) -> None:
        """Change settings the routes read (limits) for the rest of the test."""
        settings: Settings = self.app.state.settings
        self.app.state.settings = settings.model_copy(update=changes)

    def count(self, table: str, where: str = "") -> int:
        with self.store.connect() as conn:
            sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
            return int(conn.scalar(sql))


def serve_api(settings: Settings, store: Store) -> Iterator[Api]:
    app = create_app(settings, store)
    tokens = {scope: create_key(store, f"test-{scope}", [scope])[1] for scope in SCOPES}
    with TestClient(app) as client:
        yield Api(app=app, client=client, store=store, tokens=tokens)


def error_of(response: Any, status: int) -> dict[str, Any]:
    """The error object of an answer, after checking status and shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert set(error) <= {"code", "message", "details"}
    return dict(error)
