"""`esperia text enrich | topics | voice`: stored feedback text, analysed and read."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from esperia.cli.app import print_columns, print_json, state
from esperia.cli.text import text_app
from esperia.errors import InvalidInput
from esperia.text.enrich import EnrichSummary, Mode, enrich_feedback
from esperia.text.topics import emerging_topics
from esperia.text.voice import VoiceFilters, voice_report
from esperia.workspace import open_workspace

_AS_JSON = typer.Option("--json", help="Print JSON.")


@text_app.command("enrich")
def enrich_command(
    outdated: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Also re-analyse feedback an older analyzer analysed.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Re-analyse every feedback text.")
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(help="Texts per batch (default: text_enrich_batch_size)."),
    ] = None,
    as_json: Annotated[bool, _AS_JSON] = False,
) -> None:
    """Analyse stored feedback text that has not been analysed yet."""
    mode: Mode = "all" if force else ("outdated" if outdated else "new")
    settings = state().settings()
    store = open_workspace(settings)
    try:
        columns = (
            TextColumn("[bold]analysing feedback text"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(
            *columns, console=Console(stderr=True), transient=True, disable=as_json
        ) as bar:
            task = bar.add_task("enrich", total=None)

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = enrich_feedback(
                store, settings, mode=mode, batch_size=batch_size, progress=report
            )
    finally:
        store.close()
    if as_json:
        print_json(summary.to_dict())
    else:
        _print_enrich(summary)


def _print_enrich(s: EnrichSummary) -> None:
    if s.analyzed == 0:
        typer.echo("Nothing to analyse: every feedback text is enriched.")
        return
    typer.echo(
        f"Analysed {s.analyzed:,} feedback texts in {s.seconds:.1f}s "
        f"({s.texts_per_second:,.0f}/s) with {s.analyzer}: {s.aspects:,} aspect "
        f"mentions, {s.redacted:,} texts redacted."
    )


def _filters(**values: Any) -> VoiceFilters:
    return VoiceFilters.parse(**values)


_TOUCHPOINT = typer.Option(help="Only feedback about this touchpoint id.")
_STAGE = typer.Option(help="Only touchpoints of this journey stage.")
_CHANNEL = typer.Option(help="Only touchpoints of this channel.")
_SINCE = typer.Option(help="From this day (YYYY-MM-DD).")
_UNTIL = typer.Option(help="Up to this day included (YYYY-MM-DD).")
_LANGUAGE = typer.Option(help="Only comments in this language (it, en, …).")
_SOURCE = typer.Option(help="Only this source (survey, review, chat, …).")


@text_app.command("topics")
def topics_command(
    topics: Annotated[int, typer.Option(help="How many topics at most.")] = 8,
    scope: Annotated[
        str,
        typer.Option(
            help="unmatched: comments no taxonomy aspect matched; all: every comment."
        ),
    ] = "unmatched",
    max_comments: Annotated[
        int, typer.Option(help="Look at the newest N comments.")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed of the factorisation.")] = 0,
    touchpoint: Annotated[str | None, _TOUCHPOINT] = None,
    stage: Annotated[str | None, _STAGE] = None,
    channel: Annotated[str | None, _CHANNEL] = None,
    since: Annotated[str | None, _SINCE] = None,
    until: Annotated[str | None, _UNTIL] = None,
    language: Annotated[str | None, _LANGUAGE] = None,
    source: Annotated[str | None, _SOURCE] = None,
    as_json: Annotated[bool, _AS_JSON] = False,
) -> None:
    """Emerging topics: recurring themes the aspect taxonomy does not cover."""
    if scope not in ("unmatched", "all"):
        raise InvalidInput("--scope must be unmatched or all")
    filters = _filters(
        touchpoint=touchpoint, stage=stage, channel=channel, since=since,
        until=until, language=language, source=source,
    )  # fmt: skip
    settings = state().settings()
    store = open_workspace(settings)
    try:
        result = emerging_topics(
            store, settings, filters, topics=topics, scope=scope,  # type: ignore[arg-type]
            max_comments=max_comments, seed=seed,
        )  # fmt: skip
    finally:
        store.close()
    if as_json:
        print_json(result.to_dict())
        return
    if not result.topics:
        typer.echo(
            f"No topics in {result.comments:,} comments ({result.note or 'none'})."
        )
        return
    rows = [["#", "topic", "comments", "sentiment", "example"]]
    for t in result.topics:
        example = t.examples[0]["text"] if t.examples else ""
        rows.append(
            [
                str(t.topic),
                t.label,
                f"{t.size:,}",
                "—" if t.sentiment is None else f"{t.sentiment:+.2f}",
                (example[:60] + "…") if len(example) > 60 else example,
            ]
        )
    print_columns(rows)


@text_app.command("voice")
def voice_command(
    touchpoint: Annotated[str | None, _TOUCHPOINT] = None,
    stage: Annotated[str | None, _STAGE] = None,
    channel: Annotated[str | None, _CHANNEL] = None,
    since: Annotated[str | None, _SINCE] = None,
    until: Annotated[str | None, _UNTIL] = None,
    language: Annotated[str | None, _LANGUAGE] = None,
    source: Annotated[str | None, _SOURCE] = None,
    examples: Annotated[int, typer.Option(help="Example comments to show.")] = 5,
    as_json: Annotated[bool, _AS_JSON] = False,
) -> None:
    """What customers talk about: aspects by volume and sentiment, modules, emotions."""
    filters = _filters(
        touchpoint=touchpoint, stage=stage, channel=channel, since=since,
        until=until, language=language, source=source,
    )  # fmt: skip
    settings = state().settings()
    store = open_workspace(settings)
    try:
        report = voice_report(store, filters, examples=examples)
    finally:
        store.close()
    if as_json:
        print_json(report)
        return
    overview = report["overview"]
    typer.echo(
        f"{overview['comments']:,} comments analysed, mean sentiment "
        f"{_signed(overview['sentiment'])}; {overview['negative']:,} negative, "
        f"{overview['positive']:,} positive."
    )
    if overview["not_analysed"]:
        typer.echo(
            f"{overview['not_analysed']:,} comments wait for `esperia text enrich`."
        )
    if report["aspects"]:
        rows = [["aspect", "mentions", "sentiment", "negative", "pyramid"]]
        rows += [
            [a["aspect"], f"{a['n']:,}", _signed(a["sentiment"]),
             f"{a['negative']:,}", a["pyramid_level"] or "—"]
            for a in report["aspects"]
        ]  # fmt: skip
        typer.echo("")
        print_columns(rows)
    if report["modules"]:
        typer.echo("")
        print_columns(
            [["module", "comments", "sentiment"]]
            + [
                [m["module"], f"{m['n']:,}", _signed(m["sentiment"])]
                for m in report["modules"]
            ]
        )
    for example in report["examples"]:
        typer.echo(f"\n[{example['polarity']}] {example['text']}")


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f}"
