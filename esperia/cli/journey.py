"""`esperia journey`: flows, paths, funnels, conformance, moments of truth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from esperia.cli.app import app, print_columns, print_json, state
from esperia.journey import directly_follows
from esperia.journey.build import build_journeys
from esperia.journey.design import conformance, load_design
from esperia.journey.eventlog import EventLog
from esperia.journey.export import export_log
from esperia.journey.funnel import funnel
from esperia.journey.service import (
    DEMO_DESIGN,
    LogSpec,
    moments_report,
    open_log,
    paths_report,
)
from esperia.workspace import open_workspace

journey_app = typer.Typer(
    help="Customer journeys: flows, paths, funnels, conformance, moments of truth.",
    no_args_is_help=True,
)
app.add_typer(journey_app, name="journey")

LogFile = Annotated[
    Path | None,
    typer.Option("--log", help="An event-log file (CSV, Parquet, XES); default: "
                 "the workspace's journeys."),
]  # fmt: skip
CaseCol = Annotated[str, typer.Option("--case", help="Case id column (--log).")]
ActivityCol = Annotated[
    str, typer.Option("--activity", help="Activity column (--log).")
]
TimeCol = Annotated[str, typer.Option("--timestamp", help="Timestamp column (--log).")]
Level = Annotated[
    str | None,
    typer.Option("--level", help="Workspace activity: touchpoint, channel or stage."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@contextmanager
def _log(
    file: Path | None, case: str, activity: str, timestamp: str, level: str | None
) -> Iterator[EventLog]:
    settings = state().settings()
    spec = LogSpec(file, case=case, activity=activity, timestamp=timestamp, level=level)
    if file is not None:
        with open_log(spec, settings, None) as log:
            yield log
        return
    store = open_workspace(settings)
    try:
        with open_log(spec, settings, store) as log:
            yield log
    finally:
        store.close()


def _run(
    file: Path | None, case: str, activity: str, timestamp: str, level: str | None,
    work: Callable[[EventLog], dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    with _log(file, case, activity, timestamp, level) as log:
        result = work(log)
        result["source"] = log.description
        return result


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


@journey_app.command("dfg")
def dfg(
    log: LogFile = None,
    case: CaseCol = "case:concept:name",
    activity: ActivityCol = "concept:name",
    timestamp: TimeCol = "time:timestamp",
    level: Level = None,
    min_count: Annotated[
        int, typer.Option("--min-count", help="Hide edges seen fewer times.")
    ] = 1,
    as_json: AsJson = False,
) -> None:
    """The directly-follows graph: edges with counts, median and p90 times."""
    result = _run(
        log, case, activity, timestamp, level,
        lambda lg: directly_follows(lg, min_count=min_count),
    )  # fmt: skip
    if as_json:
        print_json(result)
        return
    typer.echo(f"{result['cases']:,} cases, {result['events']:,} events")
    rows = [["source", "target", "count", "median", "p90"]]
    for e in result["edges"][:40]:
        rows.append(
            [e["source"], e["target"], f"{e['count']:,}",
             _dur(e["median_seconds"]), _dur(e["p90_seconds"])]
        )  # fmt: skip
    print_columns(rows)


@journey_app.command("paths")
def paths(
    log: LogFile = None,
    case: CaseCol = "case:concept:name",
    activity: ActivityCol = "concept:name",
    timestamp: TimeCol = "time:timestamp",
    level: Level = None,
    limit: Annotated[int, typer.Option("--limit", help="How many paths.")] = 10,
    goal: Annotated[
        str | None,
        typer.Option("--goal", help="Stage (or activity) journeys should reach."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Top paths (variants) with their share; switching and goal drop-outs."""

    target = goal or state().settings().journey_goal_stage
    result = _run(
        log, case, activity, timestamp, level,
        lambda lg: paths_report(lg, limit=limit, goal=target),
    )  # fmt: skip
    if as_json:
        print_json(result)
        return
    typer.echo(f"{result['cases']:,} cases, {result['variants']:,} distinct paths")
    rows = [["share", "cases", "path"]]
    for p in result["paths"]:
        rows.append([f"{p['share']:.1%}", f"{p['cases']:,}", " > ".join(p["path"])])
    print_columns(rows)
    g = result["goal"]
    typer.echo(
        f"never reached {g['goal']}: {g['dropped']:,} of {g['cases']:,} "
        f"({g['dropped_share']:.1%})"
    )


@journey_app.command("funnel")
def funnel_command(
    steps: Annotated[str, typer.Option("--steps", help="Ordered steps: a,b,c.")],
    log: LogFile = None,
    case: CaseCol = "case:concept:name",
    activity: ActivityCol = "concept:name",
    timestamp: TimeCol = "time:timestamp",
    field: Annotated[
        str, typer.Option("--field", help="auto, stage, touchpoint, channel, activity.")
    ] = "auto",
    by: Annotated[
        str | None, typer.Option("--by", help="Split by: segment or month.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Conversion, drop-off and time between user-defined steps."""
    result = _run(
        log, case, activity, timestamp, None,
        lambda lg: funnel(lg, steps.split(","), field=field, by=by),
    )  # fmt: skip
    if as_json:
        print_json(result)
        return
    for group in result["groups"]:
        typer.echo(f"[{group['group']}] {group['journeys']:,} journeys")
        rows = [["step", "journeys", "from previous", "from first", "median time"]]
        for s in group["steps"]:
            rows.append(
                [s["step"], f"{s['journeys']:,}",
                 f"{s['conversion_from_previous']:.1%}",
                 f"{s['conversion_from_first']:.1%}",
                 _dur(s["median_seconds_from_previous"])]
            )  # fmt: skip
        print_columns(rows)


@journey_app.command("conformance")
def conformance_command(
    design: Annotated[
        Path | None,
        typer.Option("--design", help="Design YAML (default: the demo bookshop's)."),
    ] = None,
    log: LogFile = None,
    case: CaseCol = "case:concept:name",
    activity: ActivityCol = "concept:name",
    timestamp: TimeCol = "time:timestamp",
    limit: Annotated[int, typer.Option("--limit", help="Worst journeys shown.")] = 10,
    as_json: AsJson = False,
) -> None:
    """Real journeys against the designed one: fitness and deviations by harm."""
    spec = load_design(design or DEMO_DESIGN)
    horizon = state().settings().journey_horizon_days
    result = _run(
        log, case, activity, timestamp, spec.level,
        lambda lg: conformance(lg, spec, horizon_days=horizon, limit=limit),
    )  # fmt: skip
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"{result['design']}: {result['journeys']:,} journeys, mean fitness "
        f"{result['mean_fitness']}"
    )
    rows = [["step", "skipped", "out of order", "late", "repeats"]]
    for s in result["steps"]:
        rows.append(
            [s["step"], str(s["skipped"]), str(s["out_of_order"]), str(s["late"]),
             str(s["repeats"])]
        )  # fmt: skip
    print_columns(rows)
    for d in result["deviations"]:
        typer.echo(
            f"{d['deviation']}: {d['journeys']:,} journeys, churn "
            f"{d['churn']:.1%} vs {d['churn_without']:.1%}, harm {d['harm']}"
        )


@journey_app.command("moments")
def moments(
    limit: Annotated[int, typer.Option("--limit", help="How many moments.")] = 10,
    min_events: Annotated[
        int, typer.Option("--min-events", help="Fewest bad experiences to rank one.")
    ] = 20,
    as_json: AsJson = False,
) -> None:
    """Moments of truth: bad experiences followed by the largest losses."""
    settings = state().settings()
    store = open_workspace(settings)
    try:
        result = moments_report(store, settings, limit=limit, min_events=min_events)
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    rows = [
        ["touchpoint", "experience", "events", "retention drop", "sat. drop", "harm"]
    ]
    for m in result["moments"]:
        sat = (
            "-" if m["satisfaction_drop"] is None else f"{m['satisfaction_drop']:+.3f}"
        )
        rows.append(
            [m["touchpoint_id"], m["experience"], f"{m['events']:,}",
             f"{m['retention_drop']:+.3f}", sat, f"{m['harm']:.3f}"]
        )  # fmt: skip
    print_columns(rows)
    ix = result["experience_index"]
    typer.echo(
        f"experience index AUC for retention: plain {ix['auc_plain']}, "
        f"peak-end {ix['auc_peak_end']} (better: {ix['better']})"
    )


@journey_app.command("build")
def build(as_json: AsJson = False) -> None:
    """Rebuild the stored journeys from the interactions (done when stale)."""
    settings = state().settings()
    store = open_workspace(settings)
    try:
        result = build_journeys(store, LogSpec().options(settings))
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"{result['journeys']:,} journeys from {result['interactions']:,} "
        f"interactions in {result['seconds']} s"
    )


@journey_app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="Target file: .xes or .csv.")],
    level: Level = None,
    as_json: AsJson = False,
) -> None:
    """Write the workspace's journeys as an event log for process-mining tools."""
    settings = state().settings()
    store = open_workspace(settings)
    try:
        with open_log(LogSpec(level=level), settings, store) as lg:
            result = export_log(lg, output)
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"wrote {result['events']:,} events, {result['cases']:,} cases to {output}"
    )
