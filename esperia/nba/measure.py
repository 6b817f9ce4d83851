"""Record actions given (and held back), observe outcomes, measure uplift.

A holdout customer whose best action was X is recorded as a control for X
(``holdout = TRUE``): nothing is sent, but their later behaviour is watched
exactly like the treated customers'. Uplift of X = outcome rate of the treated
minus that of the controls, within ``nba_outcome_days`` of the action, with a
95% normal-approximation interval for a difference of two proportions.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from esperia.act.rules.engine import data_clock
from esperia.errors import Conflict, NotFound
from esperia.nba.catalogue import Catalogue, load_catalogue
from esperia.nba.context import in_holdout

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Connection, Store

__all__ = ["assign_actions", "current_effects", "measure_uplift", "record_action"]

_Z95 = 1.959964

#: What counts as the outcome, per kind: an event after the action, in the window.
_OUTCOME_SQL = {
    "purchase": "SELECT 1 FROM orders o WHERE o.customer_id = g.customer_id "
    "AND o.ordered_at > g.given_at AND o.ordered_at <= g.given_at + "
    "CAST(? AS INTEGER) * INTERVAL '1 day'",
    "active": "SELECT 1 FROM interactions o WHERE o.customer_id = g.customer_id "
    "AND o.occurred_at > g.given_at AND o.occurred_at <= g.given_at + "
    "CAST(? AS INTEGER) * INTERVAL '1 day'",
    "event": "SELECT 1 FROM interactions o WHERE o.customer_id = g.customer_id "
    "AND o.type = 'event' AND o.occurred_at > g.given_at AND o.occurred_at <= "
    "g.given_at + CAST(? AS INTEGER) * INTERVAL '1 day'",
    "feedback": "SELECT 1 FROM feedback o WHERE o.customer_id = g.customer_id "
    "AND o.received_at > g.given_at AND o.received_at <= g.given_at + "
    "CAST(? AS INTEGER) * INTERVAL '1 day'",
}


def _clock(conn: Connection, as_of: datetime | None) -> datetime:
    clock = as_of or data_clock(conn) or datetime.now(UTC)
    return clock if clock.tzinfo else clock.replace(tzinfo=UTC)


def _rows(
    conn: Connection, settings: Settings, catalogue: Catalogue, clock: datetime
) -> dict[str, dict[bool, tuple[int, int]]]:
    """Per action and group: (customers whose window has closed, with outcome)."""
    days = settings.nba_outcome_days
    matured = clock - timedelta(days=days)
    out: dict[str, dict[bool, tuple[int, int]]] = {}
    for action in catalogue.actions:
        rows = conn.fetchall(
            "SELECT g.holdout, count(*), sum(CASE WHEN EXISTS ("
            f"{_OUTCOME_SQL[action.outcome]}) THEN 1 ELSE 0 END) FROM nba_given g "
            "WHERE g.action_id = ? AND g.given_at <= ? GROUP BY g.holdout",
            (days, action.action_id, matured),
        )
        out[action.action_id] = {bool(h): (int(n), int(k or 0)) for h, n, k in rows}
    return out


def _uplift(
    treated: tuple[int, int], control: tuple[int, int]
) -> dict[str, float | None]:
    (nt, kt), (nc, kc) = treated, control
    if not nt or not nc:
        return {"rate_treated": kt / nt if nt else None,
                "rate_holdout": kc / nc if nc else None,
                "uplift": None, "ci_low": None, "ci_high": None}  # fmt: skip
    pt, pc = kt / nt, kc / nc
    se = math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
    diff = pt - pc
    return {
        "rate_treated": round(pt, 4),
        "rate_holdout": round(pc, 4),
        "uplift": round(diff, 4),
        "ci_low": round(diff - _Z95 * se, 4),
        "ci_high": round(diff + _Z95 * se, 4),
    }


def measure_uplift(
    store: Store, settings: Settings, *, as_of: datetime | None = None
) -> dict[str, Any]:
    """Per action: n treated and held out, outcome rates, uplift and its 95% CI."""
    catalogue = load_catalogue(settings)
    with store.connect() as conn:
        clock = _clock(conn, as_of)
        effects = current_effects(conn, settings, catalogue, clock)
    return {
        "as_of": clock.isoformat(),
        "outcome_days": settings.nba_outcome_days,
        "min_measured": settings.nba_min_measured,
        "actions": [{"action_id": k, **v} for k, v in effects.items()],
    }


def current_effects(
    conn: Connection, settings: Settings, catalogue: Catalogue, clock: datetime
) -> dict[str, dict[str, Any]]:
    """The effect each action's EV uses: measured uplift once both groups have
    ``nba_min_measured`` customers, else the catalogue's prior."""
    counts = _rows(conn, settings, catalogue, clock)
    effects: dict[str, dict[str, Any]] = {}
    for action in catalogue.actions:
        groups = counts.get(action.action_id, {})
        treated, control = groups.get(False, (0, 0)), groups.get(True, (0, 0))
        stats = _uplift(treated, control)
        enough = min(treated[0], control[0]) >= settings.nba_min_measured
        measured = enough and stats["uplift"] is not None
        effects[action.action_id] = {
            "outcome": action.outcome,
            "n_treated": treated[0],
            "n_holdout": control[0],
            **stats,
            "prior": action.prior_effect,
            "effect": float(stats["uplift"]) if measured else action.prior_effect,  # type: ignore[arg-type]
            "source": "measured" if measured else "prior",
        }
    return effects


def _contact_check(
    conn: Connection, settings: Settings, customer_id: str, action_id: str,
    cooldown_days: int, when: datetime,
) -> None:  # fmt: skip
    last = conn.fetchone(
        "SELECT max(given_at), max(CASE WHEN action_id = ? THEN given_at END) "
        "FROM nba_given WHERE customer_id = ?",
        (action_id, customer_id),
    )
    if last is None:
        return
    any_last, this_last = last
    if any_last is not None:
        next_ok = _aware(any_last) + timedelta(days=settings.nba_contact_days)
        if when < next_ok:
            raise Conflict(
                f"customer {customer_id!r} had an action on {any_last:%Y-%m-%d}; "
                f"the contact rule allows the next from {next_ok:%Y-%m-%d}"
            )
    if this_last is not None:
        next_ok = _aware(this_last) + timedelta(days=cooldown_days)
        if when < next_ok:
            raise Conflict(
                f"{action_id} was given to {customer_id!r} on {this_last:%Y-%m-%d}; "
                f"its cooldown ends on {next_ok:%Y-%m-%d}"
            )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_action(
    store: Store,
    settings: Settings,
    customer_id: str,
    action_id: str,
    *,
    actor: str,
    given_at: datetime | None = None,
) -> dict[str, Any]:
    """Record that ``action_id`` was given to a customer now (or at ``given_at``).

    Refused for holdout customers and when the contact rules say not yet.
    """
    action = load_catalogue(settings).get(action_id)
    when = _aware(given_at) if given_at else datetime.now(UTC)
    with store.write_lock, store.connect() as conn:
        known = "SELECT 1 FROM customers WHERE customer_id = ?"
        if conn.scalar(known, (customer_id,)) is None:
            raise NotFound(f"no customer {customer_id!r}")
        if in_holdout(customer_id, settings):
            raise Conflict(
                f"customer {customer_id!r} is in the holdout: no action, so the "
                "uplift can be measured"
            )
        _contact_check(
            conn, settings, customer_id, action_id, action.cooldown_days, when
        )
        given_id = int(conn.scalar("SELECT nextval('nba_given_seq')"))
        conn.execute(
            "INSERT INTO nba_given (given_id, customer_id, action_id, given_at, "
            "channel, holdout, source, actor) VALUES (?, ?, ?, ?, ?, FALSE, "
            "'agent', ?)",
            (given_id, customer_id, action_id, when, action.channel, actor),
        )
    return {
        "given_id": given_id,
        "customer_id": customer_id,
        "action_id": action_id,
        "given_at": when.isoformat(),
        "channel": action.channel,
    }


def assign_actions(store: Store, settings: Settings, *, actor: str) -> dict[str, Any]:
    """Give every scored customer their best action at the scoring clock: a
    campaign. Holdout customers are recorded as controls; nothing is sent."""
    catalogue = load_catalogue(settings)
    channel = (
        "CASE top_action "
        + " ".join("WHEN ? THEN ?" for _ in catalogue.actions)
        + " END"
    )
    channel_params = [v for a in catalogue.actions for v in (a.action_id, a.channel)]
    with store.write_lock, store.connect() as conn:
        run = conn.fetchone(
            "SELECT run_id, as_of FROM nba_runs ORDER BY run_id DESC LIMIT 1"
        )
        if run is None:
            raise NotFound("no scores yet: run `esperia nba score`")
        run_id, as_of = int(run[0]), _aware(run[1])
        recent = as_of - timedelta(days=settings.nba_contact_days)
        with conn.transaction():
            start = int(conn.scalar("SELECT nextval('nba_given_seq')"))
            # One statement for every customer: ids continue after ``start``
            # and the sequence is moved past them below.
            conn.execute("DROP TABLE IF EXISTS _nba_assign")
            conn.execute(
                "CREATE TEMP TABLE _nba_assign AS SELECT c.customer_id, "
                "c.top_action, c.holdout, c.top_value FROM nba_context c "
                "WHERE c.top_value > 0 AND c.run_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM nba_given g WHERE g.customer_id = c.customer_id "
                "AND g.given_at > ?)",
                (run_id, recent),
            )
            conn.execute(
                "INSERT INTO nba_given (given_id, customer_id, action_id, given_at, "
                "channel, holdout, source, actor, expected_value) "
                "SELECT ? + row_number() OVER (ORDER BY customer_id), customer_id, "
                f"top_action, ?, {channel}, holdout, 'campaign', ?, top_value "
                "FROM _nba_assign",
                (start, as_of, *channel_params, actor),
            )
            counts = conn.fetchone(
                "SELECT count(*), sum(CASE WHEN holdout THEN 1 ELSE 0 END) "
                "FROM _nba_assign"
            ) or (0, 0)
            total = int(counts[0])
            if total:
                _advance(conn, start + total)
            conn.execute("DROP TABLE _nba_assign")
    return {
        "run_id": run_id,
        "given_at": as_of.isoformat(),
        "treated": total - int(counts[1] or 0),
        "holdout": int(counts[1] or 0),
    }


def _advance(conn: Connection, past: int) -> None:
    """Move nba_given_seq beyond ``past`` (the ids a bulk insert used)."""
    if conn.dialect == "postgresql":
        conn.execute("SELECT setval('nba_given_seq', ?)", (past,))
        return
    # DuckDB has no setval: draw the used numbers in one statement.
    conn.execute(
        "SELECT max(nextval('nba_given_seq')) FROM range(?)",
        (past - int(conn.scalar("SELECT currval('nba_given_seq')")),),
    )
