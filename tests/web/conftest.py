"""Fixtures for the dashboard: the whole app in-process, a logged-in client, data.

The app is the real ``create_app`` on the shared ``workspace`` fixture (DuckDB,
admin password set); the live-server and browser fixtures come from
``tests/conftest.py`` and ``tests/support``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Store
    from esperia.workspace import InitResult

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

#: What ``seeded`` loads: 3 touchpoints, 7 customers, 4 feedback.
SEED_COUNTS = {"touchpoints": 3, "customers": 7, "feedback": 4}
SEED_TEXT = "Il meccanico <b>gentile</b> e veloce"


@dataclass
class WebClient:
    """A browser-like client: keeps cookies, finds the CSRF token, logs in."""

    client: TestClient

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path)
        found = _CSRF.search(page.text)
        assert found, f"no CSRF token on {path} (status {page.status_code})"
        return found.group(1)

    def post_form(
        self, path: str, data: dict[str, str], *, token_from: str = "/login"
    ) -> Any:
        form = {**data, "csrf_token": self.csrf(token_from)}
        return self.client.post(path, data=form, follow_redirects=False)

    def login(self, email: str, password: str, next_path: str = "/") -> Any:
        return self.post_form(
            "/login", {"email": email, "password": password, "next": next_path}
        )


@pytest.fixture
def app(workspace_settings: Settings, workspace_store: Store) -> Any:
    from esperia.api import create_app

    return create_app(workspace_settings, workspace_store)


@pytest.fixture
def web(app: Any) -> Iterator[WebClient]:
    """An anonymous visitor."""
    with TestClient(app) as client:
        yield WebClient(client)


@pytest.fixture
def admin_web(web: WebClient, workspace: InitResult) -> WebClient:
    """A visitor logged in as the workspace's first admin."""
    assert workspace.admin_email and workspace.admin_password
    answer = web.login(workspace.admin_email, workspace.admin_password)
    assert answer.status_code == 303, answer.text
    return web


@pytest.fixture
def new_client(app: Any) -> Iterator[Any]:
    """A factory of further independent visitors (their own cookies)."""
    clients: list[TestClient] = []

    def make() -> WebClient:
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return WebClient(client)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def seeded(workspace_settings: Settings, workspace_store: Store) -> dict[str, int]:
    """A few rows of real data loaded through the importer."""
    from esperia.ingest import import_records

    touchpoints = [
        {"touchpoint_id": f"tp{i}", "name": f"Sportello {i}", "channel": "store"}
        for i in range(SEED_COUNTS["touchpoints"])
    ]
    customers = [{"customer_id": f"c{i}"} for i in range(SEED_COUNTS["customers"])]
    feedback = [
        {
            "feedback_id": f"f{i}",
            "received_at": f"2025-03-0{i + 1}T10:00:00",
            "source": "survey",
            "customer_id": f"c{i}",
            "touchpoint_id": "tp0",
            "nps": 9 - i,
            "text": SEED_TEXT if i == 3 else f"Commento numero {i}",
        }
        for i in range(SEED_COUNTS["feedback"])
    ]
    for kind, rows in (
        ("touchpoints", touchpoints),
        ("customers", customers),
        ("feedback", feedback),
    ):
        summary = import_records(workspace_store, workspace_settings, kind, rows)
        assert summary.loaded == len(rows), summary
    return SEED_COUNTS
