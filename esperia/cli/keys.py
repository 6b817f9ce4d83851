"""``esperia keys``: create, list and revoke API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from esperia.auth.api_keys import SCOPES, ApiKey, create_key, list_keys, revoke_key
from esperia.cli.app import app, print_columns, print_json, state
from esperia.workspace import open_workspace

__all__ = ["keys_app"]

keys_app = typer.Typer(
    help="API keys for machines that call the REST API (scopes: "
    + ", ".join(SCOPES)
    + "; admin implies the others).",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")

_WARNING = "Store this token now: it cannot be shown again."

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Who or what will use the key.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            "-s",
            help="A scope to grant (repeatable): ingest, read or admin.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a key and print its token once."""
    store = open_workspace(state().settings())
    try:
        key, token = create_key(store, name, scope or [], actor="cli")
    finally:
        store.close()
    if as_json:
        print_json({**key.to_dict(), "token": token, "warning": _WARNING})
        return
    typer.echo(f"Created API key {key.key_id} ({key.name}), scopes: {_scopes(key)}")
    typer.echo(token)
    typer.secho(_WARNING, fg=typer.colors.YELLOW, err=True)


@keys_app.command("list")
def list_(
    as_json: JsonFlag = False,
    active: Annotated[
        bool, typer.Option("--active", help="Only keys not revoked.")
    ] = False,
) -> None:
    """List keys (never their secrets)."""
    store = open_workspace(state().settings())
    try:
        keys = list_keys(store, include_revoked=not active)
    finally:
        store.close()
    if as_json:
        print_json([key.to_dict() for key in keys])
        return
    if not keys:
        typer.echo(
            "No API keys yet: create one with `esperia keys create NAME -s ingest`."
        )
        return
    rows = [("KEY ID", "NAME", "SCOPES", "CREATED", "LAST USED", "STATE")]
    rows += [
        (
            key.key_id,
            key.name,
            _scopes(key),
            _when(key.created_at),
            _when(key.last_used_at),
            "active" if key.active else f"revoked {_when(key.revoked_at)}",
        )
        for key in keys
    ]
    print_columns(rows)


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id shown by `keys list`.")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke a key at once; requests using it are refused from now on."""
    store = open_workspace(state().settings())
    try:
        key = revoke_key(store, key_id, actor="cli")
    finally:
        store.close()
    if as_json:
        print_json(key.to_dict())
        return
    typer.echo(f"Revoked API key {key.key_id} ({key.name}) at {_when(key.revoked_at)}.")


def _scopes(key: ApiKey) -> str:
    return ",".join(s for s in SCOPES if s in key.scopes)


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"
