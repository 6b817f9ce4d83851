"""`esperia surveys`: definitions, invitations (trigger, CSV, SMTP) and results."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from esperia.cli.app import app, print_columns, print_json, state
from esperia.errors import InvalidInput
from esperia.surveys import (
    create_invitations,
    export_invitations_csv,
    get_survey,
    import_survey_file,
    list_surveys,
    send_invitations,
    survey_results,
    survey_to_dict,
    survey_to_yaml,
)
from esperia.workspace import open_workspace

surveys_app = typer.Typer(
    help="Surveys: definitions, invitations and results.", no_args_is_help=True
)
app.add_typer(surveys_app, name="surveys")

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
SurveyId = Annotated[str, typer.Option("--survey", "-s", help="The survey's id.")]


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a date (use 2025-06-01)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@surveys_app.command("list")
def list_(as_json: AsJson = False) -> None:
    """The stored surveys with their invitations and responses."""
    store = open_workspace(state().settings())
    try:
        rows = list_surveys(store)
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no surveys yet: esperia surveys import FILE.yaml")
        return
    table = [["survey", "version", "invitations", "completed", "title"]]
    table += [
        [r["survey_id"], str(r["version"]), str(r["invitations"]),
         str(r["completed"]), r["title"]]
        for r in rows
    ]  # fmt: skip
    print_columns(table)


@surveys_app.command("show")
def show(
    survey_id: Annotated[str, typer.Argument(help="The survey's id.")],
    as_json: AsJson = False,
) -> None:
    """Print a survey's definition (YAML, or JSON with --json)."""
    store = open_workspace(state().settings())
    try:
        survey = get_survey(store, survey_id)
    finally:
        store.close()
    if as_json:
        print_json(survey_to_dict(survey))
    else:
        sys.stdout.write(survey_to_yaml(survey))


@surveys_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A survey YAML file.")],
    as_json: AsJson = False,
) -> None:
    """Validate a survey file and store it (a changed survey gets a new version)."""
    store = open_workspace(state().settings())
    try:
        survey, version = import_survey_file(store, file, actor="cli")
    finally:
        store.close()
    if as_json:
        print_json({"survey_id": survey.id, "version": version})
        return
    typer.echo(f"stored survey {survey.id} (version {version})")


@surveys_app.command("invite")
def invite(
    survey: SurveyId,
    since: Annotated[
        str | None,
        typer.Option(help="Interactions from this date (default: the trigger window)."),
    ] = None,
    now: Annotated[
        str | None, typer.Option(help="Act as if it were this moment (ISO 8601).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Create the invitations the trigger calls for (running it again is safe)."""
    settings = state().settings()
    store = open_workspace(settings)
    try:
        result = create_invitations(
            store, settings, survey, since=_moment(since, "--since"),
            now=_moment(now, "--now"),
        )  # fmt: skip
    finally:
        store.close()
    if as_json:
        print_json(result.to_dict())
        return
    typer.echo(
        f"{result.created} invitations created for {survey} from {result.candidates} "
        f"interactions ({result.no_consent} without consent, {result.sampled_out} "
        f"not sampled, {result.too_frequent} surveyed too recently)"
    )


@surveys_app.command("export-invitations")
def export_invitations(
    survey: SurveyId,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV file (default: stdout).")
    ] = None,
    status: Annotated[
        str, typer.Option(help="unsent, pending, completed or all.")
    ] = "unsent",
    as_json: AsJson = False,
) -> None:
    """Write invitations as CSV (e-mail, language, link, subject) for a mailing tool."""
    settings = state().settings()
    store = open_workspace(settings)
    try:
        if output is None:
            count = export_invitations_csv(
                store, settings, survey, sys.stdout, status=status
            )
        else:
            with output.open("w", encoding="utf-8", newline="") as fh:
                count = export_invitations_csv(
                    store, settings, survey, fh, status=status
                )
    finally:
        store.close()
    if output is not None:
        if as_json:
            print_json({"survey_id": survey, "rows": count, "file": str(output)})
        else:
            typer.echo(f"wrote {count} invitations to {output}")


@surveys_app.command("send")
def send(
    survey: SurveyId,
    limit: Annotated[int | None, typer.Option(help="Send at most this many.")] = None,
    as_json: AsJson = False,
) -> None:
    """Send due invitations by e-mail through the SMTP server in the settings."""
    settings = state().settings()
    store = open_workspace(settings)
    try:
        result = send_invitations(store, settings, survey, limit=limit)
    finally:
        store.close()
    if as_json:
        print_json(result.to_dict())
        return
    typer.echo(f"sent {result.sent} invitations; {len(result.failed)} refused")


@surveys_app.command("results")
def results(
    survey_id: Annotated[str, typer.Argument(help="The survey's id.")],
    as_json: AsJson = False,
) -> None:
    """Response rate and, per question, the answers' counts and scores."""
    store = open_workspace(state().settings())
    try:
        data = survey_results(store, survey_id)
    finally:
        store.close()
    if as_json:
        print_json(data)
        return
    rate = data["response_rate"]
    typer.echo(
        f"{data['completed']} of {data['invitations']} invited answered"
        + (f" ({rate:.0%})" if rate is not None else "")
        + f"; {data['open_link_responses']} through the open link"
    )
    table = [["question", "type", "n", "score"]]
    for q in data["questions"]:
        score = next(
            (f"{k} {q[k]:.1f}" for k in ("nps", "csat", "ces", "mean") if k in q), ""
        )
        table.append([q["id"], q["type"], str(q["n"] or ""), score])
    print_columns(table)
