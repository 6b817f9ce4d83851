"""`esperia rules|cases|notify|teams`: close the loop from the command line.

The CLI acts as the workspace owner (full access); every change is still
written to the case history and the audit log as ``cli:<user>``.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from esperia.act import system_viewer
from esperia.act.cases import (
    STATUSES,
    assign_case,
    create_case,
    get_case,
    list_cases,
    resolve_case,
)
from esperia.act.notify import (
    create_webhook,
    list_messages,
    list_webhooks,
    outbox_counts,
    retry_message,
    run_once,
)
from esperia.act.rules import (
    EXAMPLE_RULES,
    list_rules,
    load_rules_file,
    run_rules,
    set_enabled,
)
from esperia.auth.teams import add_member, create_team, list_teams
from esperia.cli.app import app, print_columns, print_json, state
from esperia.store import Store
from esperia.workspace import open_workspace

rules_app = typer.Typer(help="Rules that open recovery cases.", no_args_is_help=True)
cases_app = typer.Typer(help="Recovery cases.", no_args_is_help=True)
notify_app = typer.Typer(help="Notification outbox and webhooks.", no_args_is_help=True)
teams_app = typer.Typer(help="Teams that own cases.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(cases_app, name="cases")
app.add_typer(notify_app, name="notify")
app.add_typer(teams_app, name="teams")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def _store() -> Iterator[tuple[Store, Any]]:
    settings = state().settings()
    store = open_workspace(settings)
    try:
        yield store, settings
    finally:
        store.close()


# -------------------------------------------------------------------- rules


@rules_app.command("load")
def rules_load(
    file: Annotated[
        Path | None,
        typer.Argument(help="YAML file of rules (default: the shipped examples)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Remove stored rules not in the file.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Validate a YAML file of rules and store it in the workspace."""
    with _store() as (store, _):
        counts = load_rules_file(
            store, file or EXAMPLE_RULES, actor=_actor(), replace=replace
        )
    if as_json:
        print_json(counts)
    else:
        typer.echo(
            f"rules: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['removed']} removed"
        )


@rules_app.command("list")
def rules_list(as_json: JsonFlag = False) -> None:
    """The stored rules."""
    with _store() as (store, _):
        rules = list_rules(store)
    if as_json:
        print_json([r.model_dump(mode="json") for r in rules])
        return
    rows = [["id", "on", "enabled", "reason", "conditions"]]
    for r in rules:
        conditions = ", ".join(sorted(r.when.given()))
        rows.append(
            [r.id, r.on, "yes" if r.enabled else "no", r.the_reason, conditions]
        )
    print_columns(rows)


@rules_app.command("run")
def rules_run(as_json: JsonFlag = False) -> None:
    """Evaluate the enabled rules now (idempotent: nothing is opened twice)."""
    with _store() as (store, settings):
        result = run_rules(store, settings, started_by="cli")
    if as_json:
        print_json(result.to_dict())
        return
    suppressed = ", ".join(f"{n} {k}" for k, n in result.suppressed.items()) or "none"
    typer.echo(
        f"run {result.run_id}: {result.matched} new matches, {result.created} cases "
        f"opened, suppressed: {suppressed}"
    )
    for notice in result.notices:
        typer.echo(f"note: {notice}", err=True)


@rules_app.command("enable")
def rules_enable(
    rule_id: str,
    off: Annotated[bool, typer.Option("--off", help="Disable instead.")] = False,
) -> None:
    """Switch a rule on (or off with --off)."""
    with _store() as (store, _):
        set_enabled(store, rule_id, not off, actor=_actor())
    typer.echo(f"rule {rule_id} {'disabled' if off else 'enabled'}")


# -------------------------------------------------------------------- cases


def _case_rows(cases: list[dict[str, Any]]) -> list[list[str]]:
    rows = [
        ["case", "status", "priority", "team", "owner", "reason", "customer", "due"]
    ]
    for c in cases:
        due = c["due_at"].strftime("%Y-%m-%d %H:%M") if c["due_at"] else ""
        rows.append(
            [str(c["case_id"]), c["status"], c["priority"], c["team"],
             c["owner"] or "-", c["reason"], c["customer_id"],
             due + (" OVERDUE" if c.get("overdue") else "")]
        )  # fmt: skip
    return rows


@cases_app.command("list")
def cases_list(
    status: Annotated[
        str | None, typer.Option(help=f"One of: {', '.join(STATUSES)}.")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Only this team.")] = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Cases, overdue first, then by due date."""
    with _store() as (store, _):
        cases = list_cases(
            store, system_viewer(_actor()), status=status, team=team,
            reason=reason, overdue=overdue, limit=limit,
        )  # fmt: skip
    if as_json:
        print_json(cases)
    elif len(cases) == 0:
        typer.echo("no cases")
    else:
        print_columns(_case_rows(cases))


@cases_app.command("show")
def cases_show(case_id: int, as_json: JsonFlag = False) -> None:
    """One case with its history (the read is audited)."""
    with _store() as (store, _):
        case = get_case(store, system_viewer(_actor()), case_id)
    if as_json:
        print_json(case)
        return
    for key in ("case_id", "status", "priority", "team", "owner", "reason",
                "detail", "customer_id", "touchpoint_id", "due_at",
                "money_at_risk", "root_cause", "resolution"):  # fmt: skip
        typer.echo(f"{key:>14}: {case[key] if case[key] is not None else '-'}")
    typer.echo("history:")
    for event in case["history"]:
        change = f"{event['old_value'] or ''} -> {event['new_value'] or ''}"
        typer.echo(
            f"  {event['occurred_at']:%Y-%m-%d %H:%M} {event['actor']} "
            f"{event['action']} {change if event['field'] else ''} "
            f"{event['note'] or ''}"
        )


@cases_app.command("assign")
def cases_assign(
    case_id: int,
    owner: Annotated[str, typer.Argument(help="E-mail of the user taking it.")],
    team: Annotated[str | None, typer.Option(help="Move to this team too.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Give a case to a user (an agent must be in the case's team)."""
    with _store() as (store, settings):
        case = assign_case(store, settings, system_viewer(_actor()), case_id, owner,
                           team=team)  # fmt: skip
    if as_json:
        print_json(case)
    else:
        typer.echo(f"case {case_id} assigned to {case['owner']} ({case['team']})")


@cases_app.command("resolve")
def cases_resolve(
    case_id: int,
    resolution: Annotated[str, typer.Option(help="What was done.")],
    root_cause: Annotated[
        str | None, typer.Option(help="Root-cause category, e.g. courier_delay.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Resolve a case (taking it in progress first if it is new)."""
    with _store() as (store, settings):
        case = resolve_case(store, settings, system_viewer(_actor()), case_id,
                            resolution, root_cause=root_cause)  # fmt: skip
    if as_json:
        print_json(case)
    else:
        typer.echo(f"case {case_id} resolved")


@cases_app.command("create")
def cases_create(
    customer_id: str,
    reason: Annotated[str, typer.Option(help="Why the case is opened.")],
    touchpoint: Annotated[str | None, typer.Option(help="Touchpoint id.")] = None,
    detail: Annotated[str | None, typer.Option(help="Free text.")] = None,
    team: Annotated[str | None, typer.Option(help="Team (default: routed).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a case by hand."""
    with _store() as (store, settings):
        case = create_case(
            store, settings, system_viewer(_actor()), customer_id=customer_id,
            reason=reason, touchpoint_id=touchpoint, detail=detail, team=team,
        )  # fmt: skip
    if as_json:
        print_json(case)
    else:
        typer.echo(f"case {case['case_id']} opened for {customer_id} ({case['team']})")


# ------------------------------------------------------------------- notify


@notify_app.command("run")
def notify_run(
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep running (Ctrl+C stops).")
    ] = False,
    digest_now: Annotated[
        bool, typer.Option("--digest-now", help="Send held digests now.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Deliver due notifications once (or keep delivering with --loop)."""
    import time

    with _store() as (store, settings):
        while True:
            result = run_once(store, settings, force_digest=digest_now)
            if as_json and not loop:
                print_json(result)
            else:
                d = result["delivery"]
                typer.echo(
                    f"sent {d['sent']}, failed {d['failed']}, dead {d['dead']}, "
                    f"digests {d['digests']}"
                )
            if not loop:
                break
            time.sleep(settings.act_worker_interval_s)


@notify_app.command("list")
def notify_list(
    status: Annotated[
        str | None, typer.Option(help="pending, sent, dead (dead letters), held…")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """The outbox, newest first, with counts by status."""
    with _store() as (store, _):
        rows = list_messages(store, status, limit)
        counts = outbox_counts(store)
    if as_json:
        print_json({"counts": counts, "messages": rows})
        return
    typer.echo(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "empty")
    for r in rows:
        typer.echo(
            f"  {r['message_id']} {r['status']} {r['channel']} {r['target']} "
            f"{r['event']} attempts={r['attempts']} {r['last_error'] or ''}"
        )


@notify_app.command("retry")
def notify_retry(message_id: int) -> None:
    """Put a dead letter back in the queue."""
    with _store() as (store, _):
        retry_message(store, message_id, actor=_actor())
    typer.echo(f"message {message_id} queued again")


@notify_app.command("webhook-add")
def webhook_add(
    url: str,
    event: Annotated[
        list[str] | None, typer.Option("--event", help="Event (repeatable; '*').")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Subscribe a URL; prints its signing secret once."""
    with _store() as (store, _):
        hook = create_webhook(store, url, event, actor=_actor())
    if as_json:
        print_json(hook)
    else:
        typer.echo(f"webhook {hook['webhook_id']} for {url}; secret: {hook['secret']}")


@notify_app.command("webhooks")
def webhook_list(as_json: JsonFlag = False) -> None:
    """Webhook subscriptions (secrets are not shown)."""
    with _store() as (store, _):
        hooks = list_webhooks(store)
    if as_json:
        print_json(hooks)
    else:
        for h in hooks:
            typer.echo(f"{h['webhook_id']} {h['url']} {','.join(h['events'])}")


# -------------------------------------------------------------------- teams


@teams_app.command("add")
def teams_add(
    team: str,
    member: Annotated[
        list[str] | None, typer.Option("--member", help="User e-mail (repeatable).")
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="Address receiving the team's notices.")
    ] = None,
    digest: Annotated[
        bool, typer.Option("--digest", help="Notices as a periodic digest.")
    ] = False,
) -> None:
    """Create or update a team and add members."""
    with _store() as (store, _):
        create_team(store, team, email=email, digest=digest, actor=_actor())
        for address in member or []:
            add_member(store, team, address, actor=_actor())
    typer.echo(f"team {team} saved")


@teams_app.command("list")
def teams_list(as_json: JsonFlag = False) -> None:
    """Teams and their members."""
    with _store() as (store, _):
        teams = list_teams(store)
    if as_json:
        print_json(teams)
    else:
        for t in teams:
            typer.echo(f"{t['team']}: {', '.join(t['members']) or '(no members)'}")
