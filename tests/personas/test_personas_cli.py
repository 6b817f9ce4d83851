"""`esperia personas build|list|show --json` on a demo-sized DuckDB workspace."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import esperia.cli.personas  # noqa: F401 - registers the sub-command
from esperia.cli.app import app
from esperia.config import load_settings
from esperia.demo import simulate
from esperia.errors import NotFound
from esperia.ingest import ImportOptions, import_arrow
from esperia.store import KINDS
from esperia.workspace import InitResult, open_workspace

runner = CliRunner()


def test_cli_build_list_show(workspace: InitResult) -> None:
    folder = Path(workspace.workspace)
    settings = load_settings(folder)
    store = open_workspace(settings)
    try:
        data = simulate(1_000, seed=3)
        for kind in KINDS:
            import_arrow(store, settings, kind, data.tables[kind], source="t",
                         options=ImportOptions(all_or_nothing=True))  # fmt: skip
    finally:
        store.close()
    ws = ["--workspace", str(folder)]
    built = runner.invoke(app, [*ws, "personas", "build", "--k", "4", "--json"])
    assert built.exit_code == 0, built.output
    assert json.loads(built.stdout)["k"] == 4
    listed = runner.invoke(app, [*ws, "personas", "list", "--json"])
    assert [v["version"] for v in json.loads(listed.stdout)] == [1]
    shown = runner.invoke(app, [*ws, "personas", "show", "--version", "1", "--json"])
    assert len(json.loads(shown.stdout)["personas"]) == 4
    missing = runner.invoke(app, [*ws, "personas", "show", "--version", "9"])
    assert missing.exit_code != 0
    assert isinstance(missing.exception, NotFound)
    assert "version 9" in str(missing.exception)
