"""`esperia personas`: build, list and show data-driven personas."""

from __future__ import annotations

from typing import Annotated

import typer

from esperia.cli.app import app, print_json, state, step_progress
from esperia.personas import build_personas, list_versions, show_version
from esperia.workspace import open_workspace

__all__ = ["personas_app"]

personas_app = typer.Typer(
    help="Personas from data: build, list and show versions.", no_args_is_help=True
)
app.add_typer(personas_app, name="personas")


@personas_app.command("build")
def build(
    k: Annotated[
        int | None,
        typer.Option(
            "--k", help="Number of personas (default: the BIC elbow over 2-8)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Compute features, cluster customers and store a new persona version."""
    store = open_workspace(state().settings())
    try:
        with step_progress("personas") as report:
            result = build_personas(store, seed=seed, k=k, progress=report)
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"version {result['version']}: {result['k']} personas "
        f"({result['criterion']}) for {result['customers']:,} customers"
    )
    for card in result["personas"]:
        typer.echo(f"  {card['persona']}. {card['name']['en']}: {card['size']:,} "
                   f"({card['share_customers']:.0%} of customers, "
                   f"{card['share_revenue']:.0%} of revenue)")  # fmt: skip
    if result["drift"]:
        typer.echo(f"changed persona since v{result['drift']['previous_version']}: "
                   f"{result['drift']['share_changed']:.1%}")  # fmt: skip


@personas_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The stored persona versions, newest first."""
    store = open_workspace(state().settings())
    try:
        rows = list_versions(store)
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(f"v{row['version']}  {row['built_at']}  k={row['k']}  "
                   f"{row['customers']:,} customers")  # fmt: skip


@personas_app.command("show")
def show(
    version: Annotated[
        int | None, typer.Option("--version", help="Version (default: newest).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A version's persona cards."""
    store = open_workspace(state().settings())
    try:
        result = show_version(store, version)
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    for card in result["personas"]:
        apart = ", ".join(f"{t['feature']} {t['difference']:+.1f}"
                          for t in card["sets_apart"][:3])  # fmt: skip
        typer.echo(f"{card['persona']}. {card['name']['en']} / {card['name']['it']}: "
                   f"{card['size']:,}; sets apart: {apart}")  # fmt: skip
