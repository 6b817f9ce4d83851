"""The typer application and the options every command shares."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from esperia.config import Settings, load_settings

__all__ = [
    "State",
    "app",
    "print_columns",
    "print_json",
    "state",
    "step_progress",
]

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


@contextmanager
def step_progress(
    description: str, *, width: int = 22, disable: bool = False
) -> Iterator[Callable[[str, float], None]]:
    """A progress bar on stderr for services that report ``(step, fraction)``;
    yields the callback to pass them (gone when the block ends)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn(f"[bold]{{task.description:<{width}}}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=Console(stderr=True), transient=True, disable=disable
    ) as bar:
        task = bar.add_task(description, total=1.0)

        def report(what: str, fraction: float) -> None:
            bar.update(task, completed=fraction, description=what)

        yield report
