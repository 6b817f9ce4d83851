"""`esperia clv …` as a user runs it, on files and on a workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from esperia.value.synthetic import simulate_transactions


def run_cli(workspace: Path, *args: str) -> tuple[int, str, str]:
    """In-process, the way `esperia` runs: errors become one line and exit 1."""
    from esperia.cli import commands  # noqa: F401 - registers the commands
    from esperia.cli.app import app
    from esperia.errors import EsperiaError

    runner = CliRunner()
    result = runner.invoke(app, ["--workspace", str(workspace), *args])
    if isinstance(result.exception, EsperiaError):
        return 1, result.stdout, f"error: {result.exception.message}\n"
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, ""


def esperia(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESPERIA_")}
    env["ESPERIA_WORKSPACE"] = str(workspace)
    return subprocess.run(
        [sys.executable, "-m", "esperia", *args],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


@pytest.fixture(scope="module")
def text_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CDNOW-like text: no header, padded columns, YYYYMMDD dates, CRLF."""
    table, _end = simulate_transactions(3_000, seed=21)
    lines = [
        f" {c:05d} {d.strftime('%Y%m%d')}  1  {v:8.2f}\r\n"
        for c, d, v in zip(
            table["customer_id"].to_pylist(),
            table["date"].to_pylist(),
            table["value"].to_pylist(),
            strict=True,
        )
    ]
    path = tmp_path_factory.mktemp("clvcli") / "tx.txt"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_fit_on_a_whitespace_file_prints_every_parameter(
    tmp_path: Path, text_file: Path
) -> None:
    out = esperia(
        tmp_path / "ws", "clv", "fit", "--transactions", str(text_file),
        "--customer", "1", "--date", "2", "--value", "4",
        "--calibration-end", "2023-12-31", "--time-unit", "weeks", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in ("r", "alpha", "a", "b", "p", "q", "gamma", "log_likelihood"):
        assert isinstance(data[key], float)
    assert data["customers"] == 3_000
    assert data["time_unit"] == "weeks"
    assert data["calibration_end"] == "2023-12-31"
    assert data["seconds"] > 0
    # Same file as CSV with a header: the same numbers.
    table, _ = simulate_transactions(3_000, seed=21)
    csv = tmp_path / "tx.csv"
    pacsv.write_csv(table, csv)
    code, stdout, stderr = run_cli(
        tmp_path / "ws", "clv", "fit", "--transactions", str(csv),
        "--customer", "customer_id", "--date", "date", "--value", "value",
        "--calibration-end", "2023-12-31", "--time-unit", "weeks", "--json",
    )  # fmt: skip
    assert code == 0, stderr
    other = json.loads(stdout)
    for key in ("r", "alpha", "a", "b", "p", "q", "gamma"):
        assert other[key] == pytest.approx(data[key], rel=1e-6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,day,amount\nA,2024-01-03,10\nA,2024-13-45,5\n", "cannot read the date"),
        ("id,day,amount\nA,2024-01-03,10\nB,2024-01-05,-5\n", "negative spend -5"),
        ("id,day,amount\nA,2024-01-03,10\nB,2024-01-05,x\n", "cannot read the value"),
        ("id,day,amount\nA,2024-01-03,10\n", "repeat buyers"),
    ],
)
def test_bad_files_give_one_error_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, _out, stderr = run_cli(
        tmp_path / "ws", "clv", "fit", "--transactions", str(path),
        "--customer", "id", "--date", "day", "--value", "amount",
    )  # fmt: skip
    assert code == 1
    assert stderr.startswith("error: ") and message in stderr
    if "row" in stderr:
        assert "data row 2" in stderr


def test_unknown_column_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,day,amount\nA,2024-01-03,10\n", encoding="utf-8")
    out = esperia(
        tmp_path / "ws", "clv", "fit", "--transactions", str(path),
        "--customer", "cust", "--date", "day", "--value", "amount",
    )  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.startswith("error: ") and "Traceback" not in out.stderr
    assert "no column 'cust'" in out.stderr and "id, day, amount" in out.stderr


def test_evaluate_on_a_file(tmp_path: Path, text_file: Path) -> None:
    code, stdout, stderr = run_cli(
        tmp_path / "ws", "clv", "evaluate", "--transactions", str(text_file),
        "--customer", "1", "--date", "2", "--value", "4",
        "--calibration-end", "2023-09-30", "--json",
    )  # fmt: skip
    assert code == 0, stderr
    data = json.loads(stdout)
    assert next(g["frequency"] for g in data["groups"]) == "0"
    assert abs(data["error_total_pct"]) < 15  # drawn from the model itself


def test_fit_and_evaluate_with_pareto_nbd(tmp_path: Path, text_file: Path) -> None:
    args = ("--transactions", str(text_file), "--customer", "1", "--date", "2",
            "--value", "4", "--time-unit", "weeks")  # fmt: skip
    code, stdout, stderr = run_cli(
        tmp_path / "ws", "clv", "fit", *args, "--calibration-end", "2023-12-31",
        "--model", "pareto-nbd", "--json",
    )  # fmt: skip
    assert code == 0, stderr
    data = json.loads(stdout)
    assert data["model"] == "pareto-nbd"
    for key in ("r", "alpha", "s", "beta", "p", "q", "gamma", "log_likelihood"):
        assert isinstance(data[key], float) and data[key] == data[key]
    assert "a" not in data and data["customers"] == 3_000
    code, stdout, stderr = run_cli(
        tmp_path / "ws", "clv", "evaluate", *args, "--calibration-end", "2023-09-30",
        "--model", "all", "--json",
    )  # fmt: skip
    assert code == 0, stderr
    both = json.loads(stdout)
    assert [r["model"] for r in both["table"]] == ["bg-nbd", "pareto-nbd"]
    assert set(both["models"]) == {"bg-nbd", "pareto-nbd"}
    for row in both["table"]:
        assert row["actual_total"] == both["table"][0]["actual_total"] > 0
        assert 0 < row["mae_per_customer"] < 2 and 0.3 < row["correlation"] <= 1
    # The data are BG/NBD's own: it fits them better than Pareto/NBD.
    ll = {r["model"]: r["log_likelihood"] for r in both["table"]}
    assert ll["bg-nbd"] > ll["pareto-nbd"]
    code, stdout, _ = run_cli(
        tmp_path / "ws", "clv", "evaluate", *args, "--calibration-end", "2023-09-30",
        "--model", "all",
    )  # fmt: skip
    assert code == 0
    assert "MAE/customer" in stdout and "pareto-nbd" in stdout


def test_a_bad_model_is_one_error_line(tmp_path: Path, text_file: Path) -> None:
    for command in ("fit", "evaluate"):
        out = esperia(
            tmp_path / "ws", "clv", command, "--transactions", str(text_file),
            "--customer", "1", "--date", "2", "--value", "4",
            "--calibration-end", "2023-09-30", "--model", "gamma-gamma",
        )  # fmt: skip
        assert out.returncode == 1
        assert out.stderr == (
            "error: model 'gamma-gamma': use bg-nbd or pareto-nbd\n"
        ), out.stderr
