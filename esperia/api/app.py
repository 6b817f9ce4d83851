"""The application factory: one FastAPI app serving the API and the dashboard."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from esperia import __version__
from esperia.act.worker_app import start_worker
from esperia.workspace import open_workspace

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from esperia.config import Settings
    from esperia.store import Store

__all__ = ["create_app"]


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """Build the app for a workspace; ``store`` lets tests share an open store."""
    owns_store = store is None
    the_store = store if store is not None else open_workspace(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from esperia.ingest import warm_up
        from esperia.metrics.background import wait_for_refresh
        from esperia.nba.jobs import start_schedule, wait_for_scoring
        from esperia.nba.snapshot import start_snapshot, stop_snapshot

        warm_up()
        start_snapshot(the_store, settings)  # real-time reads from memory
        schedule = start_schedule(the_store, settings)
        worker = start_worker(app, the_store, settings)
        yield
        if worker is not None:
            worker.stop()
        if schedule is not None:
            schedule.stop()
        wait_for_scoring(the_store)  # a run asked for over the API
        stop_snapshot(the_store)
        wait_for_refresh(the_store, timeout=60)  # a metrics refresh writes there
        if owns_store:
            the_store.close()

    app = FastAPI(
        title="Esperia",
        version=__version__,
        description="Customer experience management: listen, understand, act.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = the_store

    from esperia.api.errors import install_error_handlers
    from esperia.api.routes import router as api_router
    from esperia.api.routes.assistant import ChatCORS
    from esperia.web import install_web

    install_error_handlers(app)
    app.add_middleware(ChatCORS, settings=settings)
    app.include_router(api_router, prefix="/api/v1")
    install_web(app)
    return app
