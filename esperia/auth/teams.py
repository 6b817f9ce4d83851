"""Teams: groups of users that own touchpoints' cases (``touchpoints.owner_team``).

Agents see the cases of the teams they belong to and nothing else; admins and
analysts see every case. Membership is by login e-mail.
"""

from __future__ import annotations

import re
from typing import Any

from esperia.auth import audit
from esperia.auth.users import normalise_email
from esperia.errors import InvalidInput, NotFound
from esperia.store import Store

__all__ = ["add_member", "create_team", "list_teams", "remove_member", "teams_of"]

_TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _check(team: str) -> str:
    value = team.strip()
    if not _TEAM.match(value):
        raise InvalidInput(
            f"team {team!r}: use 1-64 letters, digits, '_', '.' or '-' "
            "(the touchpoints' owner_team values)"
        )
    return value


def create_team(
    store: Store,
    team: str,
    *,
    name: str | None = None,
    email: str | None = None,
    digest: bool = False,
    actor: str = "system",
) -> dict[str, Any]:
    """Create or update a team; ``email`` receives its case notices."""
    key = _check(team)
    address = normalise_email(email) if email else None
    with store.write_lock, store.connect() as conn, conn.transaction():
        exists = conn.scalar("SELECT count(*) FROM act_teams WHERE team = ?", (key,))
        if exists:
            conn.execute(
                "UPDATE act_teams SET name = ?, email = ?, digest = ? WHERE team = ?",
                (name, address, digest, key),
            )
        else:
            conn.execute(
                "INSERT INTO act_teams (team, name, email, digest, created_at) "
                "VALUES (?, ?, ?, ?, current_timestamp)",
                (key, name, address, digest),
            )
        audit.record(
            conn, actor, "team_saved", key, {"email": address, "digest": digest}
        )
    return {"team": key, "name": name, "email": address, "digest": digest}


def add_member(store: Store, team: str, email: str, *, actor: str = "system") -> None:
    """Put a user in a team (the team is created when new)."""
    key = _check(team)
    address = normalise_email(email)
    with store.write_lock, store.connect() as conn, conn.transaction():
        if not conn.scalar("SELECT count(*) FROM users WHERE email = ?", (address,)):
            raise NotFound(f"no user with e-mail {address}")
        if not conn.scalar("SELECT count(*) FROM act_teams WHERE team = ?", (key,)):
            conn.execute(
                "INSERT INTO act_teams (team, digest, created_at) "
                "VALUES (?, FALSE, current_timestamp)",
                (key,),
            )
        conn.execute(
            "INSERT INTO act_team_members (team, email) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            (key, address),
        )
        audit.record(conn, actor, "team_member_added", address, {"team": key})


def remove_member(
    store: Store, team: str, email: str, *, actor: str = "system"
) -> None:
    key = _check(team)
    address = normalise_email(email)
    with store.write_lock, store.connect() as conn, conn.transaction():
        done = conn.execute_count(
            "DELETE FROM act_team_members WHERE team = ? AND email = ?", (key, address)
        )
        if not done:
            raise NotFound(f"{address} is not in team {key}")
        audit.record(conn, actor, "team_member_removed", address, {"team": key})


def teams_of(store: Store, email: str) -> frozenset[str]:
    """The teams a user belongs to."""
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT team FROM act_team_members WHERE email = ?", (email.lower(),)
        )
    return frozenset(str(r[0]) for r in rows)


def list_teams(store: Store) -> list[dict[str, Any]]:
    """Every team with its members."""
    with store.connect() as conn:
        teams = conn.fetch_dicts(
            "SELECT team, name, email, digest FROM act_teams ORDER BY team"
        )
        members = conn.fetchall(
            "SELECT team, email FROM act_team_members ORDER BY team, email"
        )
    for team in teams:
        team["members"] = [e for t, e in members if t == team["team"]]
    return teams
