"""`esperia demo`: build the demo bookshop workspace and open the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from esperia.cli.app import app, print_json, state, step_progress
from esperia.cli.serve import run_server
from esperia.config import load_settings
from esperia.demo.build import DEFAULT_WORKSPACE, build_demo


@app.command()
def demo(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace", "-w", help=f"Folder (default: ./{DEFAULT_WORKSPACE})."
        ),
    ] = None,
    customers: Annotated[
        int, typer.Option(help="How many customers (1,000 to 1,000,000).")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 42,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Build again even if it exists.")
    ] = False,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the dashboard afterwards.")
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary.")
    ] = False,
) -> None:
    """Build a realistic Italian bookshop chain's data and start the dashboard."""
    folder = workspace or state().workspace or Path(DEFAULT_WORKSPACE)
    with step_progress("building the demo", width=34, disable=as_json) as report:
        result = build_demo(folder, customers=customers, seed=seed, rebuild=rebuild,
                            progress=report)  # fmt: skip
    if as_json:
        print_json(result.to_dict())
    else:
        counts = ", ".join(f"{n:,} {k}" for k, n in result.counts.items())
        state_word = "reused" if result.reused else f"built in {result.seconds:.1f}s"
        typer.echo(f"Demo workspace {result.workspace} {state_word}: {counts}")
        if result.cases:
            typer.echo(f"Rules opened {result.cases:,} recovery cases (see /cases)")
    if serve:
        settings = load_settings(result.workspace)
        run_server(
            settings,
            banner=f"Log in as {result.admin_email}, password {result.admin_password}",
        )
