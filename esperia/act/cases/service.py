"""Cases: open, list, read, move through the flow, assign, annotate.

Every change writes a history row (who, what, old and new value, when) and an
audit entry in the same transaction. Reading a case is an access to a
customer's personal data, so it is audited too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from esperia.act.access import Viewer
from esperia.act.cases.flow import OPEN_STATUSES, STATUSES, check_transition
from esperia.act.priority import band_for, price_customers
from esperia.act.sqlparts import minutes
from esperia.auth import audit
from esperia.auth.users import normalise_email
from esperia.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Connection, Store

__all__ = [
    "CASE_COLUMNS",
    "add_note",
    "assign_case",
    "change_status",
    "create_case",
    "get_case",
    "list_cases",
    "overdue_count",
    "resolve_case",
]

CASE_COLUMNS = (
    "case_id, created_at, updated_at, origin, rule_id, customer_id, trigger_kind, "
    "trigger_id, feedback_id, interaction_id, touchpoint_id, triggered_at, reason, "
    "detail, priority, money_at_risk, value_band, team, owner, status, due_at, "
    "first_response_at, resolved_at, closed_at, root_cause, resolution"
)


def _history(
    conn: Connection,
    case_id: int,
    actor: str,
    action: str,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    note: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO act_case_events (event_id, case_id, occurred_at, actor, action, "
        "field, old_value, new_value, note) VALUES (nextval('act_event_seq'), ?, "
        "current_timestamp, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            actor,
            action,
            field,
            None if old is None else str(old),
            None if new is None else str(new),
            note,
        ),
    )
    audit.record(
        conn,
        actor,
        f"case_{action}",
        str(case_id),
        {k: v for k, v in {"field": field, "old": old, "new": new}.items() if v},
    )


def _load(conn: Connection, case_id: int) -> dict[str, Any]:
    rows = conn.fetch_dicts(
        f"SELECT {CASE_COLUMNS} FROM act_cases WHERE case_id = ?", (int(case_id),)
    )
    if not rows:
        raise NotFound(f"no case {case_id}")
    return rows[0]


def _responded(conn: Connection, case: dict[str, Any]) -> None:
    if case["first_response_at"] is None:
        conn.execute(
            "UPDATE act_cases SET first_response_at = current_timestamp "
            "WHERE case_id = ?",
            (case["case_id"],),
        )


def create_case(
    store: Store,
    settings: Settings,
    viewer: Viewer,
    *,
    customer_id: str,
    reason: str,
    detail: str | None = None,
    touchpoint_id: str | None = None,
    feedback_id: str | None = None,
    interaction_id: str | None = None,
    team: str | None = None,
    priority: str | None = None,
) -> dict[str, Any]:
    """Open a case by hand; priority and due date follow the same policy as rules."""
    viewer.require_write()
    reason = reason.strip()
    if not reason:
        raise InvalidInput("a case needs a reason")
    if priority is not None and priority not in ("high", "medium", "low"):
        raise InvalidInput(f"priority {priority!r}: choose high, medium or low")
    with store.write_lock, store.connect() as conn, conn.transaction():
        if not conn.scalar(
            "SELECT count(*) FROM customers WHERE customer_id = ?", (customer_id,)
        ):
            raise NotFound(f"no customer {customer_id!r}")
        owner_team = None
        if touchpoint_id is not None:
            owner_team_row = conn.fetchone(
                "SELECT owner_team FROM touchpoints WHERE touchpoint_id = ?",
                (touchpoint_id,),
            )
            if owner_team_row is None:
                raise NotFound(f"no touchpoint {touchpoint_id!r}")
            owner_team = owner_team_row[0]
        the_team = team or owner_team or settings.act_default_team
        viewer.check_team(the_team)
        conn.execute("DROP TABLE IF EXISTS _act_who")
        conn.execute("CREATE TEMP TABLE _act_who (customer_id TEXT)")
        conn.execute("INSERT INTO _act_who VALUES (?)", (customer_id,))
        from esperia.act.rules.engine import data_clock

        clock = data_clock(conn) or conn.scalar("SELECT current_timestamp")
        price_customers(conn, settings, clock)
        money = float(
            conn.scalar(
                "SELECT coalesce(max(money_at_risk), 0) FROM _act_money "
                "WHERE customer_id = ?",
                (customer_id,),
            )
        )
        band = band_for(settings, money)
        the_priority = priority or band
        hours = float(settings.act_sla_hours.get(the_priority, 72.0))
        case_id = int(conn.scalar("SELECT nextval('act_case_seq')"))
        conn.execute(
            "INSERT INTO act_cases (case_id, created_at, updated_at, origin, "
            "customer_id, trigger_kind, trigger_id, feedback_id, interaction_id, "
            "touchpoint_id, triggered_at, reason, detail, priority, money_at_risk, "
            "value_band, team, status, due_at) VALUES (?, current_timestamp, "
            "current_timestamp, 'manual', ?, 'manual', ?, ?, ?, ?, current_timestamp, "
            f"?, ?, ?, ?, ?, ?, 'new', current_timestamp + {minutes('?')})",
            (
                case_id, customer_id, str(case_id), feedback_id, interaction_id,
                touchpoint_id, reason, detail, the_priority, money, band, the_team,
                hours * 60,
            ),
        )  # fmt: skip
        _history(conn, case_id, viewer.actor, "created", "status", None, "new", detail)
        case = _load(conn, case_id)
    from esperia.act.notify.outbox import enqueue_case_event

    enqueue_case_event(store, settings, [case_id], "case.created")
    return case


def list_cases(
    store: Store,
    viewer: Viewer,
    *,
    scope: str = "all",
    status: str | None = None,
    team: str | None = None,
    reason: str | None = None,
    priority: str | None = None,
    overdue: bool = False,
    open_only: bool = False,
    customer_id: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Cases this viewer may see, overdue first, then by due date.

    ``scope``: ``mine`` (owned by the viewer), ``team`` (the viewer's teams),
    ``all`` (everything the viewer may see).
    """
    viewer.require_cases()
    where, team_params = viewer.team_filter("k.team")
    params: list[Any] = list(team_params)
    clauses = [where]
    if scope == "mine":
        clauses.append("k.owner = ?")
        params.append(viewer.actor)
    elif scope not in ("team", "all"):
        raise InvalidInput(f"scope {scope!r}: choose mine, team or all")
    for column, value in (
        ("k.status", status),
        ("k.team", team),
        ("k.reason", reason),
        ("k.priority", priority),
        ("k.customer_id", customer_id),
    ):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if status and status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}: choose {', '.join(STATUSES)}")
    open_list = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    overdue_sql = f"(k.status IN ({open_list}) AND k.due_at < current_timestamp)"
    if overdue:
        clauses.append(overdue_sql)
    if open_only:
        clauses.append(f"k.status IN ({open_list})")
    params.append(max(1, min(int(limit), 5000)))
    columns = ", ".join(f"k.{c.strip()}" for c in CASE_COLUMNS.split(","))
    with store.connect() as conn:
        return conn.fetch_dicts(
            f"SELECT {columns}, {overdue_sql} AS overdue FROM act_cases k "
            f"WHERE {' AND '.join(clauses)} "
            f"ORDER BY {overdue_sql} DESC, k.status IN ({open_list}) DESC, "
            "k.due_at, k.case_id LIMIT ?",
            params,
        )


def get_case(store: Store, viewer: Viewer, case_id: int) -> dict[str, Any]:
    """One case with its history; the read is written to the audit log."""
    viewer.require_cases()
    with store.connect() as conn:
        case = _load(conn, case_id)
        viewer.check_team(str(case["team"]))
        case["history"] = conn.fetch_dicts(
            "SELECT event_id, occurred_at, actor, action, field, old_value, "
            "new_value, note FROM act_case_events WHERE case_id = ? ORDER BY event_id",
            (int(case_id),),
        )
        case["followup"] = (
            conn.fetch_dicts(
                "SELECT requested_at, requested_by, link, status FROM act_followups "
                "WHERE case_id = ?",
                (int(case_id),),
            )
            or [None]
        )[0]
        audit.record(
            conn, viewer.actor, "case_viewed", str(case_id),
            {"customer_id": case["customer_id"]},
        )  # fmt: skip
    return case


def change_status(
    store: Store,
    settings: Settings,
    viewer: Viewer,
    case_id: int,
    status: str,
    *,
    note: str | None = None,
    root_cause: str | None = None,
    resolution: str | None = None,
) -> dict[str, Any]:
    """Move a case along the flow; resolving needs a resolution text."""
    viewer.require_write()
    with store.write_lock, store.connect() as conn, conn.transaction():
        case = _load(conn, case_id)
        viewer.check_team(str(case["team"]))
        check_transition(str(case["status"]), status)
        if status == "resolved" and not (resolution or case["resolution"]):
            raise InvalidInput("resolving a case needs a resolution (what was done)")
        sets = ["status = ?", "updated_at = current_timestamp"]
        params: list[Any] = [status]
        if status == "resolved":
            sets.append("resolved_at = current_timestamp")
        if status == "closed":
            sets.append("closed_at = current_timestamp")
        if status == "in_progress" and case["status"] == "resolved":
            sets.append("resolved_at = NULL")
        if root_cause is not None:
            sets.append("root_cause = ?")
            params.append(root_cause.strip() or None)
        if resolution is not None:
            sets.append("resolution = ?")
            params.append(resolution.strip() or None)
        conn.execute(
            f"UPDATE act_cases SET {', '.join(sets)} WHERE case_id = ?",
            [*params, int(case_id)],
        )
        _responded(conn, case)
        _history(conn, int(case_id), viewer.actor, "status", "status",
                 case["status"], status, note)  # fmt: skip
        if root_cause and root_cause != case["root_cause"]:
            _history(conn, int(case_id), viewer.actor, "root_cause", "root_cause",
                     case["root_cause"], root_cause)  # fmt: skip
        if resolution and resolution != case["resolution"]:
            _history(conn, int(case_id), viewer.actor, "resolution", "resolution",
                     case["resolution"], resolution)  # fmt: skip
        updated = _load(conn, case_id)
    from esperia.act.notify.outbox import enqueue_case_event

    event = "case.resolved" if status == "resolved" else "case.status"
    enqueue_case_event(store, settings, [int(case_id)], event)
    return updated


def resolve_case(
    store: Store,
    settings: Settings,
    viewer: Viewer,
    case_id: int,
    resolution: str,
    *,
    root_cause: str | None = None,
) -> dict[str, Any]:
    """Resolve a case, first taking it in progress when it is still new."""
    with store.connect() as conn:
        current = _load(conn, case_id)["status"]
    if current == "new":
        change_status(store, settings, viewer, case_id, "in_progress")
    return change_status(
        store, settings, viewer, case_id, "resolved",
        resolution=resolution, root_cause=root_cause,
    )  # fmt: skip


def assign_case(
    store: Store,
    settings: Settings,
    viewer: Viewer,
    case_id: int,
    owner: str | None,
    *,
    team: str | None = None,
) -> dict[str, Any]:
    """Give the case to a user (who must be in its team) or move it to a team."""
    viewer.require_write()
    address = normalise_email(owner) if owner else None
    with store.write_lock, store.connect() as conn, conn.transaction():
        case = _load(conn, case_id)
        viewer.check_team(str(case["team"]))
        if case["status"] == "closed":
            raise Conflict("a closed case cannot be reassigned")
        new_team = team or str(case["team"])
        if team and team != case["team"]:
            if not conn.scalar(
                "SELECT count(*) FROM act_teams WHERE team = ?", (team,)
            ):
                raise NotFound(f"no team {team!r}")
            conn.execute(
                "UPDATE act_cases SET team = ?, updated_at = current_timestamp "
                "WHERE case_id = ?",
                (team, int(case_id)),
            )
            _history(conn, int(case_id), viewer.actor, "team", "team",
                     case["team"], team)  # fmt: skip
        if address is not None:
            role = conn.scalar("SELECT role FROM users WHERE email = ?", (address,))
            if role is None:
                raise NotFound(f"no user with e-mail {address}")
            in_team = conn.scalar(
                "SELECT count(*) FROM act_team_members WHERE team = ? AND email = ?",
                (new_team, address),
            )
            if role == "agent" and not in_team:
                raise Conflict(f"{address} is not in team {new_team}")
        if address != case["owner"]:
            conn.execute(
                "UPDATE act_cases SET owner = ?, updated_at = current_timestamp "
                "WHERE case_id = ?",
                (address, int(case_id)),
            )
            _history(conn, int(case_id), viewer.actor, "assigned", "owner",
                     case["owner"], address)  # fmt: skip
        updated = _load(conn, case_id)
    from esperia.act.notify.outbox import enqueue_case_event

    enqueue_case_event(store, settings, [int(case_id)], "case.assigned")
    return updated


def add_note(store: Store, viewer: Viewer, case_id: int, note: str) -> None:
    """Append a note to the case history."""
    viewer.require_write()
    text = note.strip()
    if not text:
        raise InvalidInput("the note is empty")
    with store.write_lock, store.connect() as conn, conn.transaction():
        case = _load(conn, case_id)
        viewer.check_team(str(case["team"]))
        conn.execute(
            "UPDATE act_cases SET updated_at = current_timestamp WHERE case_id = ?",
            (int(case_id),),
        )
        _responded(conn, case)
        _history(conn, int(case_id), viewer.actor, "note", note=text[:4000])


def overdue_count(store: Store, viewer: Viewer) -> int:
    """How many open cases this viewer may see are past their due date."""
    return len(list_cases(store, viewer, overdue=True, limit=5000))
