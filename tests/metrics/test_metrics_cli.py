"""`esperia metrics …` as a user runs it: JSON rows and readable tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.metrics_table import load_table

from esperia.config import load_settings
from esperia.workspace import open_workspace


def run(workspace: Path, *args: str) -> tuple[int, str]:
    """In-process through typer's runner: one import of the stack for many calls."""
    from typer.testing import CliRunner

    from esperia.cli import commands  # noqa: F401 - registers the commands
    from esperia.cli.app import app

    result = CliRunner().invoke(app, ["-w", str(workspace), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception
    )
    return result.exit_code, result.stdout


def esperia(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESPERIA_")}
    env["ESPERIA_WORKSPACE"] = str(workspace)
    return subprocess.run(
        [sys.executable, "-m", "esperia", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def ws(workspace) -> Path:  # type: ignore[no-untyped-def]
    settings = load_settings(workspace.workspace)
    store = open_workspace(settings)
    try:
        load_table(store, settings)
    finally:
        store.close()
    return Path(workspace.workspace)


def test_json_rows_carry_groups_n_value_interval_and_flag(ws: Path) -> None:
    code, out = run(ws, "metrics", "nps", "--by", "touchpoint,period",
                    "--period", "month", "--json")  # fmt: skip
    assert code == 0, out
    rows = json.loads(out)
    assert len(rows) == 3
    for row in rows:
        assert {
            "touchpoint",
            "period",
            "n",
            "nps",
            "ci_low",
            "ci_high",
            "low_n",
        } <= set(row)
    shop_jan = next(r for r in rows if r["period"] == "2025-01-01")
    assert shop_jan == {**shop_jan, "touchpoint": "TP-SHOP", "n": 10, "nps": 20.0,
                        "low_n": True}  # fmt: skip


def test_readable_tables_and_errors(ws: Path) -> None:
    code, out = run(ws, "metrics", "csat", "--by", "stage")
    assert code == 0, out
    assert "stage" in out and "95% CI" in out
    assert "consideration" in out and "low n" in out
    for command in ("ces", "pyramid", "modules", "gaps", "promises"):
        code, out = run(ws, "metrics", command, "--json")
        assert code == 0, (command, out)
        assert isinstance(json.loads(out), list)
    code, out = run(ws, "metrics", "drivers", "--kind", "items", "--json")
    assert code == 0, out
    assert {r["driver"] for r in json.loads(out)} >= {"csat", "ces"}
    # A real process: an error is one line on stderr and exit status 1.
    bad = esperia(ws, "metrics", "nps", "--by", "weather")
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: cannot group by 'weather'")


def test_refresh_then_status_says_when_and_whether_current(ws: Path) -> None:
    code, out = run(ws, "metrics", "status")
    assert code == 0 and "no stored overview" in out, out
    code, out = run(ws, "metrics", "refresh", "--period", "month",
                    "--period", "week", "--json")  # fmt: skip
    assert code == 0, out
    result = json.loads(out)
    assert result["periods"] == ["month", "week"]
    assert {"promises", "nps_trend:month", "nps_trend:week"} <= set(result["parts"])
    code, out = run(ws, "metrics", "status", "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert {(r["part"], r["variant"]) for r in rows} >= {
        ("nps_trend", "week"), ("nps_trend", "month"), ("drivers", ""),
    }  # fmt: skip
    assert all(r["current"] and r["computed_at"] for r in rows)
    bad = esperia(ws, "metrics", "refresh", "--period", "fortnight")
    assert bad.returncode == 1 and "error:" in bad.stderr and "fortnight" in bad.stderr
    assert "Traceback" not in bad.stderr
