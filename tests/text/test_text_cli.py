"""`esperia text analyze` on CSV, Parquet and JSON Lines files."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

import esperia.cli.text  # noqa: F401 - registers the sub-command
from esperia.cli.app import app

runner = CliRunner()


def _input(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(
        "id,comment\n"
        '1,"Camera pulita ma personale scortese, scrivete a a.b@example.com"\n'
        "2,Great service and fast delivery!\n"
        "3,\n"
        "4,😡😡\n".encode()
        + b"5,perch\xe9 non funziona\n"  # Latin-1 byte in a UTF-8 file
    )
    return path


def test_csv_to_csv(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app,
        [
            "-w",
            str(tmp_path),
            "text",
            "analyze",
            str(_input(tmp_path)),
            "--text-column",
            "comment",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "texts/s" in result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6
    header = lines[0]
    for column in (
        "language",
        "sentiment",
        "polarity",
        "aspects",
        "modules",
        "pyramid_level",
        "text_redacted",
        "emotions",
    ):
        assert f'"{column}"' in header
    assert "[EMAIL]" in lines[1] and "a.b@example.com" in lines[1]
    assert "staff_courtesy;" in lines[1] or ";staff_courtesy" in lines[1]


def test_json_summary_and_parquet(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = runner.invoke(
        app,
        [
            "-w",
            str(tmp_path),
            "text",
            "analyze",
            str(_input(tmp_path)),
            "--text-column",
            "comment",
            "--output",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows"] == 5 and summary["texts_per_second"] > 0
    table = pq.read_table(out)
    assert table.column("aspects").type.value_type == "string"
    assert table.column("polarity").to_pylist()[1] == "positive"


def test_jsonl_round_trip_and_errors(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"t": "Ottimo"}\n{"t": "Pessimo"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    ok = runner.invoke(
        app,
        [
            "-w",
            str(tmp_path),
            "text",
            "analyze",
            str(src),
            "--text-column",
            "t",
            "--lang",
            "it",
            "-o",
            str(out),
        ],
    )
    assert ok.exit_code == 0, ok.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["polarity"] for r in rows] == ["positive", "negative"]
    bad = runner.invoke(
        app,
        [
            "-w",
            str(tmp_path),
            "text",
            "analyze",
            str(src),
            "--text-column",
            "x",
            "-o",
            str(tmp_path / "o.csv"),
        ],
    )
    assert bad.exit_code != 0
