"""`esperia serve`: the API and the web dashboard on one local server."""

from __future__ import annotations

from typing import Annotated

import typer

from esperia.cli.app import app, state
from esperia.config import Settings


def run_server(settings: Settings, banner: str | None = None) -> None:
    """Serve the workspace until interrupted (shared by `serve` and `demo`)."""
    import uvicorn

    from esperia.api import create_app

    application = create_app(settings)
    url = f"http://{settings.host}:{settings.port}/"
    typer.echo(f"Esperia is running at {url}  (API: {url}api/v1/docs; Ctrl+C stops)")
    if banner:
        typer.echo(banner)
    uvicorn.run(
        application, host=settings.host, port=settings.port, log_level="warning"
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Start the web dashboard and the REST API."""
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    run_server(state().settings(**overrides))
