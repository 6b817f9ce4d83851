"""``esperia users``: dashboard accounts from the command line."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer

from esperia.auth.passwords import generate_password
from esperia.auth.users import (
    ROLES,
    create_user,
    list_users,
    set_active,
    set_password,
)
from esperia.cli.app import app, print_columns, print_json, state
from esperia.errors import InvalidInput
from esperia.workspace import open_workspace

__all__ = ["users_app"]

users_app = typer.Typer(
    help="Accounts that log in to the web dashboard (roles: " + ", ".join(ROLES) + ").",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

_WARNING = "Store this password now: it is not shown again."

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin."
    ),
]
Generate = Annotated[
    bool,
    typer.Option("--generate", help="Generate a password and print it once."),
]


def _read_password(from_stdin: bool, generate: bool) -> tuple[str, bool]:
    """The password to set and whether it was generated (so must be printed)."""
    if from_stdin and generate:
        raise InvalidInput("use either --password-stdin or --generate, not both")
    if generate:
        return generate_password(), True
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidInput("--password-stdin: stdin held no password")
        return password, False
    password = typer.prompt(
        "Password (leave empty to generate one)",
        default="",
        show_default=False,
        hide_input=True,
    )
    if not password:
        return generate_password(), True
    if typer.prompt("Repeat the password", hide_input=True) != password:
        raise InvalidInput("the two passwords differ: nothing was changed")
    return password, False


def _show_generated(email: str, password: str) -> None:
    typer.echo(f"Password for {email}: {password}")
    typer.secho(_WARNING, fg=typer.colors.YELLOW, err=True)


@users_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="The login e-mail address.")],
    role: Annotated[
        str, typer.Option("--role", "-r", help="One of: " + ", ".join(ROLES) + ".")
    ],
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="The name shown in the menu.")
    ] = None,
    password_stdin: PasswordStdin = False,
    generate: Generate = False,
    as_json: JsonFlag = False,
) -> None:
    """Create an account (the password is prompted, read from stdin or generated)."""
    password, generated = _read_password(password_stdin, generate)
    store = open_workspace(state().settings())
    try:
        user = create_user(store, email, password, role, name, actor="cli")
    finally:
        store.close()
    if as_json:
        data = user.to_dict()
        if generated:
            data["password"] = password
        print_json(data)
        return
    typer.echo(f"Created user {user.email} ({user.role}).")
    if generated:
        _show_generated(user.email, password)


@users_app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List accounts (never their passwords)."""
    store = open_workspace(state().settings())
    try:
        users = list_users(store)
    finally:
        store.close()
    if as_json:
        print_json([user.to_dict() for user in users])
        return
    rows = [("ID", "E-MAIL", "NAME", "ROLE", "STATE", "CREATED", "LAST LOGIN")]
    rows += [
        (
            str(user.user_id),
            user.email,
            user.name or "-",
            user.role,
            "active" if user.active else "disabled",
            _when(user.created_at),
            _when(user.last_login_at),
        )
        for user in users
    ]
    print_columns(rows)


@users_app.command("set-password")
def set_password_(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    password_stdin: PasswordStdin = False,
    generate: Generate = False,
) -> None:
    """Give an account a new password; its open web sessions end."""
    password, generated = _read_password(password_stdin, generate)
    store = open_workspace(state().settings())
    try:
        user = set_password(store, email, password, actor="cli")
    finally:
        store.close()
    typer.echo(f"New password set for {user.email}.")
    if generated:
        _show_generated(user.email, password)


@users_app.command("disable")
def disable(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
) -> None:
    """Stop an account from logging in (the last active admin stays)."""
    _set_active(email, False)


@users_app.command("enable")
def enable(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
) -> None:
    """Let a disabled account log in again."""
    _set_active(email, True)


def _set_active(email: str, active: bool) -> None:
    store = open_workspace(state().settings())
    try:
        user = set_active(store, email, active, actor="cli")
    finally:
        store.close()
    typer.echo(f"User {user.email} is {'active' if user.active else 'disabled'}.")


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"
