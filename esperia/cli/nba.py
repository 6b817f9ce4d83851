"""`esperia nba`: a customer's next best actions, batch scoring, uplift, catalogue."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from esperia.cli.app import app, print_columns, print_json, state, step_progress
from esperia.nba import (
    assign_actions,
    load_catalogue,
    measure_uplift,
    next_best_actions,
    record_action,
    score_customers,
)
from esperia.workspace import open_workspace

__all__ = ["nba_app"]


class _CustomerFirst(TyperGroup):
    """`esperia nba C-123` means `esperia nba show C-123`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["show", *args]
        return super().parse_args(ctx, args)


nba_app = typer.Typer(
    cls=_CustomerFirst,
    help="Next best action: `esperia nba CUSTOMER` shows a customer's ranked "
    "actions; the commands below score, measure and list the catalogue.",
    no_args_is_help=True,
)
app.add_typer(nba_app, name="nba")

_JSON = typer.Option("--json", help="Print JSON.")


@nba_app.command("show")
def show(
    customer: Annotated[str, typer.Argument(help="Customer id.")],
    lang: Annotated[
        str | None, typer.Option("--lang", help="it or en (default: the customer's).")
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """A customer's ranked next best actions with their expected value."""
    settings = state().settings()
    store = open_workspace(settings)
    try:
        result = next_best_actions(store, settings, customer, lang)
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    if result["holdout"]:
        typer.echo(f"{customer} is in the holdout: no action (measures the uplift)")
        return
    if not result["actions"]:
        typer.echo(f"{customer}: no eligible action now")
        return
    for a in result["actions"]:
        typer.echo(
            f"{a['rank']}. {a['name']} ({a['channel']}): "
            f"EV {a['expected_value']:.2f} = {a['effect']:.3f} x "
            f"{a['value_at_stake']:.2f} - {a['cost']:.2f}"
        )
        typer.echo(f"   {a['reason']}")


@nba_app.command("score")
def score(as_json: Annotated[bool, _JSON] = False) -> None:
    """Score every customer: context, eligible actions, ranking (stored).

    With a server running on DuckDB (which holds the file), ask the server
    instead: POST /api/v1/nba/score; it also scores every
    nba_score_every_hours by itself.
    """
    settings = state().settings()
    store = open_workspace(settings)
    try:
        with step_progress("next best action") as report:
            result = score_customers(store, settings, progress=report)
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"scored {result['customers']:,} customers in {result['seconds']} s "
        f"(as of {result['as_of']}): {result['with_action']:,} with an action, "
        f"{result['holdout']:,} in the holdout"
    )


@nba_app.command("assign")
def assign(as_json: Annotated[bool, _JSON] = False) -> None:
    """Record every scored customer's best action as given (a campaign);
    holdout customers are recorded as controls and get nothing."""
    settings = state().settings()
    store = open_workspace(settings)
    try:
        result = assign_actions(store, settings, actor="cli")
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    typer.echo(f"recorded {result['treated']:,} actions and {result['holdout']:,} "
               f"holdout controls at {result['given_at']}")  # fmt: skip


@nba_app.command("record")
def record(
    customer: Annotated[str, typer.Argument(help="Customer id.")],
    action: Annotated[str, typer.Argument(help="Action id from the catalogue.")],
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Record that an action was given to a customer now."""
    settings = state().settings()
    store = open_workspace(settings)
    try:
        result = record_action(store, settings, customer, action, actor="cli")
    finally:
        store.close()
    if as_json:
        print_json(result)
        return
    typer.echo(f"recorded {action} for {customer} (#{result['given_id']})")


@nba_app.command("uplift")
def uplift(as_json: Annotated[bool, _JSON] = False) -> None:
    """Per action: treated vs holdout outcome rates, uplift, 95% CI, n."""
    settings = state().settings()
    store = open_workspace(settings)
    try:
        result = measure_uplift(store, settings)
    finally:
        store.close()
    if as_json:
        print_json(result)
        return

    def pct(value: Any) -> str:
        return "-" if value is None else f"{value:+.1%}"

    rows = [["action", "n treated", "n holdout", "uplift", "95% CI", "effect used"]]
    for a in result["actions"]:
        ci = "-"
        if a["ci_low"] is not None:
            ci = f"{pct(a['ci_low'])} .. {pct(a['ci_high'])}"
        effect = f"{a['effect']:.3f} ({a['source']})"
        rows.append([a["action_id"], f"{a['n_treated']:,}", f"{a['n_holdout']:,}",
                     pct(a["uplift"]), ci, effect])  # fmt: skip
    print_columns(rows)


@nba_app.command("actions")
def actions(
    lang: Annotated[str, typer.Option("--lang", help="it or en.")] = "en",
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """The catalogue of actions in force (shipped or the workspace's)."""
    catalogue = load_catalogue(state().settings())
    if as_json:
        print_json(catalogue.to_dict())
        return
    typer.echo(f"catalogue: {catalogue.source}")
    rows = [["id", "name", "channel", "consent", "cost", "prior", "cooldown"]]
    for a in catalogue.actions:
        name = a.name.get(lang, a.name["en"])
        rows.append([a.action_id, name, a.channel, a.consent, f"{a.cost:.2f}",
                     f"{a.prior_effect:.2f}", f"{a.cooldown_days} d"])  # fmt: skip
    print_columns(rows)
