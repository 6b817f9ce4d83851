"""`esperia text`: analyse comments offline (language, sentiment, aspects, PII)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from esperia.cli.app import app, print_json, state
from esperia.text.analyzer import get_analyzer
from esperia.text.files import analyze_file

__all__ = ["text_app"]

text_app = typer.Typer(
    help="Voice of the customer: analyse text offline.", no_args_is_help=True
)
app.add_typer(text_app, name="text")


@text_app.command("analyze")
def analyze(
    file: Annotated[
        Path, typer.Argument(help="A CSV, Parquet or JSON Lines file.", exists=False)
    ],
    text_column: Annotated[
        str, typer.Option("--text-column", help="The column holding the text.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Where to write (.csv, .parquet or .jsonl)."
        ),
    ],
    lang: Annotated[
        str,
        typer.Option(
            "--lang", help="auto (detect per text) or a configured language code."
        ),
    ] = "auto",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary.")
    ] = False,
) -> None:
    """Write the file's columns plus language, sentiment, polarity, emotions,
    aspects, modules, pyramid level and redacted text; report texts per second."""
    analyzer = get_analyzer(state().settings())
    options: dict[str, Any] = {
        "text_column": text_column,
        "analyzer": analyzer,
        "language": lang.lower(),
    }
    if as_json:
        print_json(analyze_file(file, output, **options))
        return
    columns = (
        TextColumn("[bold]analysing"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} texts"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("analysing", total=None)

        def report(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        summary = analyze_file(file, output, progress=report, **options)
    polarity = ", ".join(f"{k} {v:,}" for k, v in summary["polarity"].items())
    rate = summary["texts_per_second"]
    typer.echo(
        f"analysed {summary['rows']:,} texts ({rate:,.0f} texts/s)"
        if rate
        else f"analysed {summary['rows']:,} texts"
    )
    if polarity:
        typer.echo(f"polarity: {polarity}")
    typer.echo(f"wrote {output}")
