"""``esperia users`` through the CLI runner, on a real workspace."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

import esperia.cli.users  # noqa: F401 - registers the sub-command
from esperia.auth.users import authenticate, get_user
from esperia.cli.app import app
from esperia.config import load_settings
from esperia.errors import Conflict, InvalidInput, NotAuthenticated
from esperia.workspace import open_workspace


@pytest.fixture
def run(workspace):
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(
            app, ["--workspace", str(workspace.workspace), *args], input=stdin
        )

    return invoke


@pytest.fixture
def check_login(workspace):
    def check(email: str, password: str):
        store = open_workspace(load_settings(workspace.workspace))
        try:
            return authenticate(store, email, password)
        finally:
            store.close()

    return check


def test_add_with_password_from_stdin_then_list(run, check_login, workspace):
    added = run(
        "users", "add", "Ada@Example.it", "--role", "analyst", "--name", "Ada Rossi",
        "--password-stdin", stdin="from-stdin-pw\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Created user ada@example.it (analyst)." in added.output
    assert "from-stdin-pw" not in added.output
    assert check_login("ada@example.it", "from-stdin-pw").name == "Ada Rossi"

    listed = run("users", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["email"], r["role"]) for r in rows] == [
        (workspace.admin_email, "admin"),
        ("ada@example.it", "analyst"),
    ]
    assert all("password_hash" not in r and "password" not in r for r in rows)
    table = run("users", "list")
    assert re.search(r"ada@example\.it\s+Ada Rossi\s+analyst\s+active", table.stdout)


def test_add_with_an_empty_prompt_generates_and_prints_once(run, check_login):
    added = run("users", "add", "bob@example.it", "-r", "agent", stdin="\n")
    assert added.exit_code == 0, added.output
    found = re.search(r"Password for bob@example\.it: (\S+)", added.stdout)
    assert found, added.output
    assert check_login("bob@example.it", found.group(1)).role == "agent"
    again = run("users", "list")
    assert found.group(1) not in again.stdout


def test_prompted_password_must_be_typed_twice(run, workspace):
    differ = run(
        "users", "add", "cleo@example.it", "-r", "viewer", stdin="one-pw-1\nother-pw\n"
    )
    assert isinstance(differ.exception, InvalidInput)
    same = run(
        "users",
        "add",
        "cleo@example.it",
        "-r",
        "viewer",
        stdin="same-pw-1\nsame-pw-1\n",
    )
    assert same.exit_code == 0, same.output
    duplicate = run("users", "add", "cleo@example.it", "-r", "viewer", "--generate")
    assert isinstance(duplicate.exception, Conflict)


def test_set_password_and_disable(run, check_login, workspace):
    email = workspace.admin_email
    changed = run(
        "users", "set-password", email, "--password-stdin", stdin="brand-new-pw\n"
    )
    assert changed.exit_code == 0, changed.output
    assert check_login(email, "brand-new-pw").is_admin
    with pytest.raises(NotAuthenticated):
        check_login(email, workspace.admin_password)
    generated = run("users", "set-password", email, "--generate")
    assert generated.exit_code == 0
    password = re.search(r"Password for \S+: (\S+)", generated.stdout).group(1)
    assert check_login(email, password).is_admin

    run("users", "add", "dan@example.it", "-r", "viewer", "--generate")
    assert run("users", "disable", "dan@example.it").exit_code == 0
    store = open_workspace(load_settings(workspace.workspace))
    try:
        assert not get_user(store, "dan@example.it").active
    finally:
        store.close()
    last_admin = run("users", "disable", email)
    assert isinstance(last_admin.exception, Conflict)
    assert "is active" in run("users", "enable", "dan@example.it").stdout
