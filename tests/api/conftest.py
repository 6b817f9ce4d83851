"""Fixtures: the app on a real store (both backends, or DuckDB only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import Api, serve_api

from esperia.config import Settings
from esperia.store import Store


@pytest.fixture
def api(settings: Settings, store: Store) -> Iterator[Api]:
    """The app on each backend (DuckDB and PostgreSQL)."""
    yield from serve_api(settings, store)


@pytest.fixture
def duck_api(duckdb_settings: Settings, duckdb_store: Store) -> Iterator[Api]:
    """The app on DuckDB only, for behaviour that does not depend on the engine."""
    yield from serve_api(duckdb_settings, duckdb_store)
