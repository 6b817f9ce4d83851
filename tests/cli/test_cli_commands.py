"""The command line as a user runs it: real processes, real workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def esperia(
    workspace: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESPERIA_")}
    env["ESPERIA_WORKSPACE"] = str(workspace)
    env["ESPERIA_ADMIN_PASSWORD"] = "cli-test-password"
    return subprocess.run(
        [sys.executable, "-m", "esperia", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    done = esperia(ws, "init")
    assert done.returncode == 0, done.stderr
    return ws


def test_import_status_export_erase(workspace: Path, tmp_path: Path) -> None:
    customers = tmp_path / "c.csv"
    customers.write_text("customer_id,email\nC1,a@example.it\nC2,b@example.it\nC3,\n")
    out = esperia(workspace, "import", "customers", str(customers), "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert {k: summary[k] for k in ("read", "loaded", "duplicates", "rejected")} == {
        "read": 3,
        "loaded": 3,
        "duplicates": 0,
        "rejected": 0,
    }
    assert summary["rejects_file"] is None
    again = json.loads(
        esperia(workspace, "import", "customers", str(customers), "--json").stdout
    )
    assert (again["loaded"], again["duplicates"]) == (0, 3)

    status = json.loads(esperia(workspace, "status", "--json").stdout)
    assert status["tables"]["customers"]["count"] == 3
    assert status["engine"] == "duckdb"

    exported = json.loads(esperia(workspace, "customers", "export", "C1").stdout)
    assert exported["customer"]["email"] == "a@example.it"
    assert exported["interactions"] == []

    erased = esperia(workspace, "customers", "erase", "C1", "--yes", "--json")
    assert json.loads(erased.stdout)["removed"]["customers"] == 1
    status = json.loads(esperia(workspace, "status", "--json").stdout)
    assert status["tables"]["customers"]["count"] == 2
    erased = esperia(workspace, "customers", "erase", "C2", "--yes")
    assert erased.stdout.strip() == "erased C2: 1 row(s) removed (1 customers)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "people", "x.csv"), "unknown kind 'people'"),
        (("import", "customers", "/does/not/exist.csv"), "file not found"),
        (("import", "customers", "x.csv", "--map", "nonsense"), "their_name=our_name"),
        (("customers", "export", "NOPE"), "no customer with id 'NOPE'"),
    ],
)
def test_errors_are_one_line_without_traceback(
    workspace: Path, args: tuple[str, ...], message: str
) -> None:
    done = esperia(workspace, *args)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [("status",), ("nba", "score"), ("nba", "C1"), ("personas", "list"),
     ("personas", "build")],
)  # fmt: skip
def test_commands_refuse_a_missing_workspace(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Named in one line; no empty database is left where the workspace is not."""
    done = esperia(tmp_path / "nowhere", *args)
    assert done.returncode == 1
    assert "no workspace at" in done.stderr and "esperia init" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "nowhere").exists()


def test_rejected_rows_are_listed_and_written(workspace: Path, tmp_path: Path) -> None:
    source = tmp_path / "c.csv"
    source.write_text("customer_id,birth_year\nC1,1980\nC2,nineteen\n")
    done = esperia(workspace, "import", "customers", str(source))
    assert done.returncode == 0
    assert "loaded 1" in done.stdout and "rejected 1" in done.stdout
    assert "row 3 birth_year = 'nineteen': not a whole number" in done.stderr
    rejects = list((workspace / "rejects").glob("c.customers.*.csv"))
    assert len(rejects) == 1
    assert "nineteen" in rejects[0].read_text()


def test_usage_mistakes_exit_2_without_traceback(workspace: Path) -> None:
    for args in (("bogus",), ("import", "customers")):
        done = esperia(workspace, *args)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr


def test_every_row_rejected_exits_3(workspace: Path, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("customer_id,birth_year\nC1,abc\n")
    assert esperia(workspace, "import", "customers", str(source)).returncode == 3


@pytest.mark.postgres
def test_the_same_commands_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ESPERIA_")}
        env["ESPERIA_WORKSPACE"] = str(tmp_path / "ws")
        env["ESPERIA_DATABASE_URL"] = postgres_url
        env["ESPERIA_ADMIN_PASSWORD"] = "cli-test-password"
        return subprocess.run(
            [sys.executable, "-m", "esperia", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("init").returncode == 0
    source = tmp_path / "c.csv"
    source.write_text("customer_id,birth_year\nC1,1980\nC2,nineteen\n")
    first = json.loads(run("import", "customers", str(source), "--json").stdout)
    again = json.loads(run("import", "customers", str(source), "--json").stdout)
    assert (first["loaded"], first["rejected"]) == (1, 1)
    assert (again["loaded"], again["duplicates"], again["rejected"]) == (0, 1, 1)
    status = json.loads(run("status", "--json").stdout)
    assert status["engine"] == "postgresql"
    assert status["tables"]["customers"]["count"] == 1
    assert "***" in status["database"] or "@" not in status["database"]
