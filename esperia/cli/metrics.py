"""`esperia metrics`: NPS, CSAT, CES, the pyramid, modules, gaps and drivers."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from esperia.cli.app import app, print_columns, print_json, state
from esperia.metrics import METRICS, build_query, metric_rows
from esperia.workspace import open_workspace

metrics_app = typer.Typer(
    help="CX metrics with n, 95% intervals and small-n flags.", no_args_is_help=True
)
app.add_typer(metrics_app, name="metrics")

By = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="Group by (comma-separated): touchpoint, channel, stage, contact, "
        "medium, segment, language, source, period, customer.",
    ),
]
Period = Annotated[
    str, typer.Option(help="Period for --by period: day, week, month, quarter, year.")
]
Since = Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD).")]
Until = Annotated[str | None, typer.Option(help="Up to this day, included.")]
MinN = Annotated[
    int | None,
    typer.Option("--min-n", help="Flag figures on fewer answers (default: setting)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON rows.")]

#: Extra columns the readable table shows per metric (after n, value, interval).
_EXTRA: dict[str, tuple[str, ...]] = {
    "nps": ("promoters", "passives", "detractors", "change", "change_p"),
    "csat": ("mean", "change", "change_p"),
    "ces": ("change", "change_p"),
    "rating": ("change", "change_p"),
    "sentiment": ("change", "change_p"),
    "response_rate": ("change", "change_p"),
    "pyramid": ("based_on", "holds", "broken_at", "reached"),
    "modules": ("based_on", "mentions", "felt"),
    "gaps": ("expectation", "perception", "p_value"),
    "promises": ("metric", "target", "median_actual", "ces_per_unit_beyond"),
    "drivers": ("direction", "performance", "quadrant", "coverage"),
}
_LEADING = {
    "pyramid": ("level",),
    "modules": ("module",),
    "gaps": ("dimension",),
    "promises": (),
    "drivers": ("driver",),
}
_VALUE = {"promises": "kept", "drivers": "importance", "gaps": "gap"}


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 0.01 and value != 0 else f"{value:.2f}"
    return str(value)


def _print_table(metric: str, rows: list[dict[str, Any]], by: tuple[str, ...]) -> None:
    if not rows:
        typer.echo("no answers to measure (nothing matches)")
        return
    value = _VALUE.get(metric, metric)
    keys = [*by, *_LEADING.get(metric, ())]
    if metric == "promises":
        keys = [k for k in ("touchpoint", "period") if k in rows[0]]
    extra = [c for c in _EXTRA.get(metric, ()) if c in rows[0]]
    header = [*keys, "n", value, "95% CI", *extra, ""]
    table = [header]
    for row in rows:
        interval = f"{_cell(row.get('ci_low'))} .. {_cell(row.get('ci_high'))}"
        flag = "low n" if row.get("low_n") else ""
        table.append(
            [
                *(_cell(row.get(k)) for k in keys),
                _cell(row.get("n")),
                _cell(row.get(value)),
                interval,
                *(_cell(row.get(c)) for c in extra),
                flag,
            ]
        )
    print_columns(table)
    low = sum(1 for row in rows if row.get("low_n"))
    if low:
        typer.echo(
            f"{low} figure(s) rest on fewer answers than the minimum n: read with care"
        )


def _run(
    metric: str,
    by: str | None,
    period: str,
    since: str | None,
    until: str | None,
    min_n: int | None,
    as_json: bool,
    **options: Any,
) -> None:
    settings = state().settings()
    query = build_query(
        settings, by=by, period=period, since=since, until=until, min_n=min_n
    )
    store = open_workspace(settings)
    try:
        rows = metric_rows(store, settings, metric, query, **options)
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    _print_table(metric, rows, query.by)


def _score_command(metric: str) -> None:
    def command(
        by: By = None,
        period: Period = "month",
        since: Since = None,
        until: Until = None,
        min_n: MinN = None,
        as_json: AsJson = False,
    ) -> None:
        _run(metric, by, period, since, until, min_n, as_json)

    command.__doc__ = METRICS[metric][0].upper() + METRICS[metric][1:] + "."
    metrics_app.command(metric.replace("_", "-"))(command)


for _name in (
    "nps", "csat", "ces", "rating", "sentiment", "response_rate",
    "pyramid", "modules", "gaps", "promises",
):  # fmt: skip
    _score_command(_name)


@metrics_app.command("drivers")
def drivers_command(
    target: Annotated[str, typer.Option(help="Score to explain: nps or csat.")] = "nps",
    kind: Annotated[
        str,
        typer.Option(
            help="Drivers: touchpoints or stages (problems met there), or items "
            "(other scores, survey items, text aspects of the same answer)."
        ),
    ] = "touchpoints",
    bootstrap: Annotated[
        int, typer.Option(help="Bootstrap resamples for the intervals (0: none).")
    ] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    since: Since = None,
    until: Until = None,
    min_n: MinN = None,
    as_json: AsJson = False,
) -> None:
    """Key drivers of NPS or CSAT: Shapley share of R², performance, quadrant."""
    _run(
        "drivers", None, "month", since, until, min_n, as_json,
        target=target.lower(), kind=kind.lower(), bootstrap=bootstrap, seed=seed,
    )  # fmt: skip


@metrics_app.command("refresh")
def refresh_command(
    period: Annotated[
        list[str] | None,
        typer.Option(
            "--period",
            help="Trend period to store (repeatable); default: month and every "
            "period stored already.",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Compute the overview again and store it (the page then reads it at once)."""
    from esperia.metrics.frame import PERIODS
    from esperia.metrics.overview import refresh_overview

    settings = state().settings()
    for name in period or []:
        if name not in PERIODS:
            # The store is not opened for a typo.
            build_query(settings, period=name)
    store = open_workspace(settings)
    try:
        result = refresh_overview(store, settings, period or None)
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"overview stored for {', '.join(result['periods'])} in "
        f"{result['seconds']:.2f} s"
    )
    print_columns(
        [["part", "seconds"], *([k, f"{v:.2f}"] for k, v in result["parts"].items())]
    )


@metrics_app.command("status")
def status_command(as_json: AsJson = False) -> None:
    """When each stored overview part was computed, and whether it is current."""
    from esperia.metrics.summary import REFRESH_FAILURE, summary_status

    settings = state().settings()
    store = open_workspace(settings)
    try:
        rows = summary_status(store, settings)
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(
            "no stored overview: the overview page computes it on first view, or "
            "run `esperia metrics refresh`"
        )
        return
    failures = [row for row in rows if row["part"] == REFRESH_FAILURE]
    rows = [row for row in rows if row["part"] != REFRESH_FAILURE]
    table = [["part", "period", "computed at (UTC)", "seconds", "current"]]
    for row in rows:
        current = "yes" if row["current"] else "no"
        table.append([row["part"], row["variant"] or "—", row["computed_at"],
                      f"{row['seconds']:.2f}", current])  # fmt: skip
    print_columns(table)
    for row in failures:
        typer.echo(
            f"background refresh of {row['variant']} failed at "
            f"{row['computed_at']}: {row['error']}"
        )
    stale = sum(1 for row in rows if not row["current"])
    if stale:
        typer.echo(
            f"{stale} part(s) older than the data: the next view of the overview "
            "shows them marked stale and refreshes them in the background, or run "
            "`esperia metrics refresh`"
        )
