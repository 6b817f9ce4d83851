"""Shared fixtures: both store backends, a workspace, a live server, a browser.

Import scheme: ``tests/`` holds no ``__init__.py`` files except the helper
package ``tests/support``. pytest puts this folder (the conftest's own) on
``sys.path``, and so does the line below for other import modes, so tests
import helpers as ``from support.postgres import PostgresCluster``. Test file
names must therefore be unique across ``tests/``.

Fixtures:

- ``backend`` — ``"duckdb"`` or ``"postgresql"``: a test using ``settings`` or
  ``store`` runs once per backend (ids ``duckdb``/``postgresql``; the
  PostgreSQL run is marked ``postgres``, so ``-m "not postgres"`` leaves it out).
- ``settings`` / ``store`` — a workspace folder under ``tmp_path`` on that
  backend (a fresh PostgreSQL database per test), migrated; closed afterwards.
- ``duckdb_settings`` / ``duckdb_store`` — the same, embedded store only.
- ``workspace`` — ``init_workspace`` result with the admin password
  :data:`ADMIN_PASSWORD`; ``workspace_settings`` / ``workspace_store`` on it.
- ``live_server`` — base URL of ``create_app(workspace_settings,
  workspace_store)`` served by uvicorn on 127.0.0.1.
- ``postgres_cluster`` / ``postgres_url`` (support/postgres.py), ``browser`` /
  ``page`` / ``console_errors`` (support/browser.py).

PostgreSQL and Chromium are found on the machine; when missing their tests
skip, or fail under ``CI=true``. ``ESPERIA_*`` variables of the caller's shell
are hidden from the tests (except ``ESPERIA_TEST_*``, which configure the suite).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.server import serve_app

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Store
    from esperia.workspace import InitResult

pytest_plugins = ["support.postgres", "support.browser"]

#: The admin password of the ``workspace`` fixture.
ADMIN_PASSWORD = "test-admin-pw"


@pytest.fixture(scope="session", autouse=True)
def _hermetic_environment() -> Iterator[None]:
    """Keep the developer's ``ESPERIA_*`` settings out of the tests."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("ESPERIA_") and not name.startswith("ESPERIA_TEST_"):
                patch.delenv(name)
        yield


@pytest.fixture(
    params=[
        pytest.param("duckdb", id="duckdb"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    """The store engine a test runs on."""
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for a workspace under ``tmp_path`` on ``backend``."""
    from esperia.config import load_settings

    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    return load_settings(tmp_path / "ws", database_url=url)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """A migrated store on ``backend``, closed after the test."""
    yield from _open_migrated(settings)


@pytest.fixture
def duckdb_settings(tmp_path: Path) -> Settings:
    """Settings for a workspace under ``tmp_path`` on the embedded DuckDB."""
    from esperia.config import load_settings

    return load_settings(tmp_path / "ws", database_url=None)


@pytest.fixture
def duckdb_store(duckdb_settings: Settings) -> Iterator[Store]:
    """A migrated DuckDB store, closed after the test."""
    yield from _open_migrated(duckdb_settings)


def _open_migrated(settings: Settings) -> Iterator[Store]:
    from esperia.store import open_store, upgrade

    opened = open_store(settings)
    try:
        upgrade(opened)
        yield opened
    finally:
        opened.close()


@pytest.fixture
def workspace(tmp_path: Path) -> InitResult:
    """A workspace made by ``init_workspace``, admin password :data:`ADMIN_PASSWORD`."""
    from esperia.workspace import init_workspace

    return init_workspace(tmp_path / "ws", admin_password=ADMIN_PASSWORD)


@pytest.fixture
def workspace_settings(workspace: InitResult) -> Settings:
    """Settings of the ``workspace`` fixture."""
    from esperia.config import load_settings

    return load_settings(workspace.workspace)


@pytest.fixture
def workspace_store(workspace_settings: Settings) -> Iterator[Store]:
    """The open store of the ``workspace`` fixture, closed after the test."""
    from esperia.workspace import open_workspace

    opened = open_workspace(workspace_settings)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def live_server(workspace_settings: Settings, workspace_store: Store) -> Iterator[str]:
    """Base URL of the whole app serving the ``workspace`` fixture."""
    from esperia.api import create_app

    app = create_app(workspace_settings, workspace_store)
    with serve_app(app) as url:
        yield url
