"""Commands for the workspace itself: init, status, database migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from esperia.cli.app import app, print_json, state
from esperia.status import workspace_status
from esperia.store import open_store
from esperia.store.migrations import MIGRATIONS, current_version, pending, upgrade
from esperia.workspace import init_workspace, open_workspace

db_app = typer.Typer(
    help="The database schema: versions and upgrades.", no_args_is_help=True
)
app.add_typer(db_app, name="db")


@app.command()
def init(
    directory: Annotated[
        Path | None, typer.Argument(help="Folder to create (default: the workspace).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a workspace: settings, database, first admin account."""
    target = directory or state().settings().workspace
    result = init_workspace(target)
    if as_json:
        print_json(result.__dict__)
        return
    verb = "Created" if result.created else "Updated"
    typer.echo(f"{verb} workspace {result.workspace} (database {result.database})")
    if result.admin_password:
        typer.echo(
            f"Admin login: {result.admin_email}  password: {result.admin_password}\n"
            "Write the password down: it is shown only this once."
        )


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Counts per table and the newest timestamp of each kind."""
    store = open_workspace(state().settings())
    try:
        data = workspace_status(store)
    finally:
        store.close()
    if as_json:
        print_json(data)
        return
    table = Table(title=f"Esperia workspace ({data['engine']})")
    table.add_column("kind")
    table.add_column("rows", justify="right")
    table.add_column("newest")
    table.add_column("last loaded")
    for kind, info in data["tables"].items():
        table.add_row(
            kind,
            f"{info['count']:,}",
            _minute(info["newest"]),
            _minute(info["last_loaded_at"]),
        )
    Console().print(table)
    typer.echo(f"database: {data['database']}")


def _minute(stamp: str | None) -> str:
    """'2025-12-31T22:19:03+01:00' → '2025-12-31 22:19' for the table view."""
    return stamp[:16].replace("T", " ") if stamp else "-"


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations (safe to run any time)."""
    store = open_store(state().settings())
    try:
        applied = upgrade(store)
        version = current_version(store)
    finally:
        store.close()
    for migration in applied:
        typer.echo(f"applied {migration.version:04d} {migration.name}")
    typer.echo(f"schema at version {version} (newest {MIGRATIONS[-1].version})")


@db_app.command("version")
def db_version(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The schema version of the database and the newest this Esperia knows."""
    store = open_store(state().settings())
    try:
        version = current_version(store)
        missing = [m.version for m in pending(store)]
    finally:
        store.close()
    newest = MIGRATIONS[-1].version
    if as_json:
        print_json(
            {
                "version": version,
                "newest": newest,
                "missing": missing,
                "up_to_date": not missing,
            }
        )
        return
    behind = f"; missing {', '.join(map(str, missing))}" if missing else ""
    typer.echo(f"schema version {version} (newest {newest}{behind})")
