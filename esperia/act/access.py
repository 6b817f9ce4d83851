"""Who may see which cases and customers.

Admins and analysts see every case; agents see the cases of their teams and,
of customers, only those who have a case in one of their teams; viewers see
outcome figures but no case and no customer. API keys with the ``read`` scope
see everything (machine integrations), with ``admin`` they may change cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from esperia.errors import Forbidden

if TYPE_CHECKING:
    from esperia.auth.users import User
    from esperia.store import Connection, Store

__all__ = ["Viewer", "system_viewer", "viewer_for_key", "viewer_for_user"]


@dataclass(frozen=True)
class Viewer:
    """The person or key asking, as the case services see them."""

    actor: str
    role: str
    #: None means every team.
    teams: frozenset[str] | None
    can_write: bool = True

    @property
    def sees_all(self) -> bool:
        return self.teams is None

    def require_cases(self) -> None:
        if self.role == "viewer":
            raise Forbidden("viewers see outcome figures, not cases or customers")

    def require_write(self) -> None:
        self.require_cases()
        if not self.can_write:
            raise Forbidden(f"{self.actor} may read cases but not change them")

    def team_filter(self, column: str = "team") -> tuple[str, list[str]]:
        """A WHERE fragment restricting rows to this viewer's teams."""
        if self.teams is None:
            return "TRUE", []
        if not self.teams:
            return "FALSE", []
        marks = ", ".join("?" for _ in self.teams)
        return f"{column} IN ({marks})", sorted(self.teams)

    def check_team(self, team: str) -> None:
        if self.teams is not None and team not in self.teams:
            raise Forbidden("this case belongs to another team")

    def check_customer(self, conn: Connection, customer_id: str) -> None:
        """Agents may see a customer only through a case of one of their teams."""
        self.require_cases()
        if self.teams is None:
            return
        where, params = self.team_filter("team")
        found = conn.scalar(
            f"SELECT count(*) FROM act_cases WHERE customer_id = ? AND {where}",
            [customer_id, *params],
        )
        if not found:
            raise Forbidden("this customer has no case in your teams")


def viewer_for_user(store: Store, user: User) -> Viewer:
    from esperia.auth.teams import teams_of

    if user.role in ("admin", "analyst"):
        return Viewer(user.email, user.role, None)
    if user.role == "agent":
        return Viewer(user.email, user.role, teams_of(store, user.email))
    return Viewer(user.email, user.role, frozenset(), can_write=False)


def viewer_for_key(name: str, scopes: frozenset[str]) -> Viewer:
    return Viewer(f"api_key:{name}", "api", None, can_write="admin" in scopes)


def system_viewer(actor: str = "system") -> Viewer:
    """Full access, for the CLI run by whoever owns the workspace."""
    return Viewer(actor, "admin", None)
