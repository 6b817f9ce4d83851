"""`esperia import`: bring a file of customers, touchpoints, interactions, … in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from esperia.act.hooks import after_import
from esperia.cli.app import app, print_json, state, step_progress
from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.ingest import ImportOptions, ImportSummary, import_file
from esperia.store import KINDS, Store
from esperia.workspace import open_workspace


def _parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        theirs, sep, ours = pair.partition("=")
        if not sep or not theirs.strip() or not ours.strip():
            raise InvalidInput(f"--map {pair!r}: write it as their_name=our_name")
        mapping[theirs.strip()] = ours.strip()
    return mapping


@app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    file: Annotated[
        Path, typer.Argument(help="CSV, JSON Lines, Parquet or XLSX file.")
    ],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="Rename a column: their_name=our_name (repeatable)."
        ),
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV delimiter (default: detected).")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Text encoding (default: detected: utf-8, BOM, cp1252)."),
    ] = None,
    decimal: Annotated[
        str, typer.Option(help="Decimal separator: '.' or ',' (1.234,56).")
    ] = ".",
    dayfirst: Annotated[
        bool, typer.Option("--dayfirst", help="Read dates as dd/mm/yyyy.")
    ] = False,
    unknown_references: Annotated[
        str | None,
        typer.Option(
            help="Rows naming an unknown customer/touchpoint: reject, create or keep "
            "(default: the workspace setting, 'reject')."
        ),
    ] = None,
    update: Annotated[
        bool, typer.Option("--update", help="Replace stored rows with the same id.")
    ] = False,
    rejects: Annotated[
        Path | None, typer.Option(help="Where to write rejected rows (CSV).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name.")] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv, jsonl, parquet or xlsx.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary.")
    ] = False,
) -> None:
    """Import a file; bad rows are reported and written to a rejects file."""
    if decimal not in (".", ","):
        raise InvalidInput("--decimal must be '.' or ','")
    if unknown_references not in (None, "reject", "create", "keep"):
        raise InvalidInput("--unknown-references must be reject, create or keep")
    if file_format not in (None, "csv", "jsonl", "parquet", "xlsx"):
        raise InvalidInput("--format must be csv, jsonl, parquet or xlsx")
    options = ImportOptions(
        mapping=_parse_mapping(mapping or []),
        delimiter=delimiter,
        encoding=encoding,
        decimal=decimal,  # type: ignore[arg-type]
        dayfirst=dayfirst,
        unknown_references=unknown_references,  # type: ignore[arg-type]
        update=update,
        rejects_path=rejects,
        sheet=sheet,
        file_format=file_format,  # type: ignore[arg-type]
    )
    settings = state().settings()
    store = open_workspace(settings)
    try:
        if as_json:
            summary = import_file(store, settings, kind, file, options)
        else:
            summary = _with_progress(store, settings, kind, file, options)
        stored = summary.loaded + summary.updated
        run = after_import(store, settings, kind, stored, source="import")
    finally:
        store.close()
    if as_json:
        print_json(summary.to_dict())
    else:
        _print_summary(summary)
        if run is not None:
            typer.echo(f"rules: {run.created} cases opened")
    if summary.rejected and summary.loaded == 0 and summary.duplicates == 0:
        raise typer.Exit(3)


def _with_progress(
    store: Store, settings: Settings, kind: str, file: Path, options: ImportOptions
) -> ImportSummary:
    with step_progress(f"importing {kind}") as report:
        return import_file(store, settings, kind, file, options, progress=report)


def _print_summary(s: ImportSummary) -> None:
    typer.echo(
        f"{s.kind}: read {s.read:,}, loaded {s.loaded:,}, updated {s.updated:,}, "
        f"duplicates {s.duplicates:,}, rejected {s.rejected:,}"
        + (
            f", placeholders created {s.created_references:,}"
            if s.created_references
            else ""
        )
        + f" in {s.seconds:.1f}s"
    )
    for reject in s.rejects[:10]:
        column = f" {reject.column}" if reject.column else ""
        value = f" = {reject.value!r}" if reject.value is not None else ""
        typer.echo(f"  row {reject.row}{column}{value}: {reject.reason}", err=True)
    if s.rejected > 10:
        typer.echo(f"  … and {s.rejected - 10:,} more rejected rows", err=True)
    if s.rejects_file:
        typer.echo(f"rejected rows written to {s.rejects_file}")
