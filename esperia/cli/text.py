"""`esperia text …`: the voice-of-the-customer commands share this group."""

from __future__ import annotations

import typer

from esperia.cli.app import app

__all__ = ["text_app"]

text_app = typer.Typer(
    help="Voice of the customer: analyse, enrich and explore feedback text.",
    no_args_is_help=True,
)
app.add_typer(text_app, name="text")
