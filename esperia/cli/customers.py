"""`esperia customers`: export (portability) and erase (right to erasure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from esperia.cli.app import app, print_json, state
from esperia.customers import erase_customer, export_customer
from esperia.workspace import open_workspace

customers_app = typer.Typer(
    help="One customer's data: export or erase.", no_args_is_help=True
)
app.add_typer(customers_app, name="customers")


@customers_app.command("export")
def export(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
) -> None:
    """Write everything stored about a customer as JSON."""
    store = open_workspace(state().settings())
    try:
        data = export_customer(store, customer_id)
    finally:
        store.close()
    if output is None:
        print_json(data)
        return
    output.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    typer.echo(f"wrote {output}")


@customers_app.command("erase")
def erase(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask for confirmation.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Remove a customer and everything about them (GDPR right to erasure).

    Covers every table listed in docs/import.md#privacy, in one transaction.
    """
    if not yes:
        typer.confirm(f"Erase customer {customer_id} and all their data?", abort=True)
    store = open_workspace(state().settings())
    try:
        removed = erase_customer(store, customer_id)
    finally:
        store.close()
    if as_json:
        print_json({"customer_id": customer_id, "removed": removed})
        return
    # Every registered table is in ``removed``; the line names those touched.
    detail = ", ".join(f"{n} {t}" for t, n in removed.items() if n)
    typer.echo(
        f"erased {customer_id}: {sum(removed.values())} row(s) removed ({detail})"
    )
