"""The two ASGI apps the HTTP benchmark serves with uvicorn (``--factory``).

``esperia_app`` is the real application on a prepared workspace.
``naive_app`` is what a team would write in an afternoon: FastAPI validating
``list[Item]`` with a pydantic model per item, then ``executemany`` of one
parameterised INSERT. It checks types, required fields and non-negative
durations, and nothing else: no references, no in-batch duplicates, no import
record, no authentication. On PostgreSQL the primary key plus ``ON CONFLICT
DO NOTHING`` makes retries safe; DuckDB's table has no key index (see
esperia/store/migrations.py), so there a retried batch is stored twice.

Both read the store location from ``BENCH_WORKSPACE`` and
``BENCH_DATABASE_URL`` (empty: the workspace's DuckDB file). With
``BENCH_TRACE=path`` the Esperia app times every statement (see trace.py) and
writes them to ``path`` when the server exits.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

__all__ = ["InteractionIn", "esperia_app", "naive_app"]

_COLUMNS = (
    "interaction_id, customer_id, touchpoint_id, occurred_at, type, outcome, "
    "wait_s, duration_s, value"
)
_INSERT = f"INSERT INTO interactions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"


def _location() -> tuple[Path, str | None]:
    return Path(os.environ["BENCH_WORKSPACE"]), os.environ.get("BENCH_DATABASE_URL")


def esperia_app() -> Any:
    """Esperia's own app, exactly as ``esperia serve`` builds it."""
    from esperia.api import create_app
    from esperia.config import load_settings

    workspace, url = _location()
    overrides = {"database_url": url} if url else {}
    trace_to = os.environ.get("BENCH_TRACE")
    if trace_to:
        _trace_statements(Path(trace_to))
    return create_app(load_settings(workspace, **overrides))


def _trace_statements(target: Path) -> None:
    """Time every store statement; write the log to ``target`` at exit.

    ``BENCH_EXPLAIN`` (a statement prefix) also profiles matching DuckDB
    statements; their plans go to ``target`` with ``.plans.txt`` appended.
    """
    import atexit
    import json

    from benchmarks.trace import install_timers

    log: list[tuple[float, str]] = []
    plans: list[str] = []
    prefix = os.environ.get("BENCH_EXPLAIN")
    install_timers(log, (prefix,) if prefix else (), plans)

    def write() -> None:
        target.write_text(json.dumps(log))
        if plans:
            Path(f"{target}.plans.txt").write_text("\n\n".join(plans))

    atexit.register(write)


class InteractionIn(BaseModel):
    """One interaction as the naive endpoint declares it."""

    interaction_id: str
    customer_id: str
    touchpoint_id: str
    occurred_at: datetime
    type: str | None = None
    outcome: str | None = None
    wait_s: float | None = Field(default=None, ge=0)
    duration_s: float | None = Field(default=None, ge=0)
    value: float | None = None

    def row(self) -> tuple[Any, ...]:
        return (
            self.interaction_id,
            self.customer_id,
            self.touchpoint_id,
            self.occurred_at,
            self.type,
            self.outcome,
            self.wait_s,
            self.duration_s,
            self.value,
        )


def naive_app() -> FastAPI:
    """FastAPI + pydantic per item + ``executemany``: the usual first version."""
    workspace, url = _location()
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not url:
            import duckdb

            state["duck"] = duckdb.connect(str(workspace / "esperia.duckdb"))
        yield
        if "duck" in state:
            state["duck"].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/naive/interactions")
    def ingest(items: list[InteractionIn]) -> dict[str, int]:
        rows = [item.row() for item in items]
        if url:
            import psycopg

            sql = (
                _INSERT.replace("?", "%s") + " ON CONFLICT (interaction_id) DO NOTHING"
            )
            with psycopg.connect(url) as conn, conn.cursor() as cur:
                cur.executemany(sql, rows)
        else:
            cur = state["duck"].cursor()
            try:
                cur.execute("BEGIN")
                cur.executemany(_INSERT, rows)
                cur.execute("COMMIT")
            finally:
                cur.close()
        return {"received": len(rows)}

    return app
