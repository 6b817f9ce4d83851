"""``esperia keys``: create prints the token once, list hides secrets, revoke works."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import esperia.cli.keys  # noqa: F401 - registers the `keys` commands
from esperia.auth.api_keys import verify_token
from esperia.cli.app import app
from esperia.config import load_settings
from esperia.errors import InvalidInput, NotAuthenticated, NotFound
from esperia.workspace import InitResult, open_workspace


def _run(workspace: InitResult, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["--workspace", str(workspace.workspace), "keys", *args]
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_create_list_revoke(workspace: InitResult) -> None:
    code, out, err = _run(workspace, "create", "crm", "--scope", "ingest", "-s", "read")
    assert code == 0
    lines = out.strip().splitlines()
    token = lines[-1]
    assert token.startswith("esp_") and "ingest,read" in lines[0]
    assert "cannot be shown again" in err

    code, out, _ = _run(workspace, "create", "ops", "--scope", "admin", "--json")
    created = json.loads(out)
    assert created["scopes"] == ["admin"] and created["token"].startswith("esp_")
    assert "cannot be shown again" in created["warning"]

    settings = load_settings(workspace.workspace)
    store = open_workspace(settings)
    try:
        key = verify_token(store, token)
    finally:
        store.close()
    assert key.name == "crm"

    code, out, _ = _run(workspace, "list", "--json")
    listed = json.loads(out)
    assert [k["name"] for k in listed] == ["crm", "ops"]
    assert token not in out and created["token"] not in out

    code, out, _ = _run(workspace, "list")
    assert "KEY ID" in out and key.key_id in out and "active" in out
    assert token not in out

    code, out, _ = _run(workspace, "revoke", key.key_id)
    assert code == 0 and f"Revoked API key {key.key_id}" in out
    code, out, _ = _run(workspace, "list", "--active", "--json")
    assert [k["name"] for k in json.loads(out)] == ["ops"]

    store = open_workspace(settings)
    try:
        with pytest.raises(NotAuthenticated, match="revoked"):
            verify_token(store, token)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        (("create", "nobody"), InvalidInput, "at least one scope"),
        (("create", "x", "--scope", "root"), InvalidInput, "unknown scope root"),
        (("revoke", "missing"), NotFound, "no API key"),
    ],
)
def test_bad_input_raises_esperia_errors(
    workspace: InitResult, args: tuple[str, ...], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        _run(workspace, *args)
