"""The typer application and the options every command shares."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from esperia.config import Settings, load_settings

__all__ = ["State", "app", "print_columns", "print_json", "state"]

app = typer.Typer(
    name="esperia",
    help="Esperia: customer experience management. Listen, understand, act.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@dataclass
class State:
    workspace: Path | None = None

    def settings(self, **overrides: Any) -> Settings:
        return load_settings(self.workspace, **overrides)


_STATE = State()


def state() -> State:
    return _STATE


@app.callback()
def _root(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Workspace folder (default: $ESPERIA_WORKSPACE or ./workspace).",
        ),
    ] = None,
) -> None:
    _STATE.workspace = workspace


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (dates as ISO 8601)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def print_columns(rows: Sequence[Sequence[str]]) -> None:
    """Print rows (the first is the header) as left-aligned, padded columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())
