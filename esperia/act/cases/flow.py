"""The case status flow and its rules, independent of storage."""

from __future__ import annotations

from esperia.errors import Conflict, InvalidInput

__all__ = ["OPEN_STATUSES", "STATUSES", "TRANSITIONS", "check_transition"]

STATUSES = ("new", "in_progress", "waiting_customer", "resolved", "closed")
OPEN_STATUSES = ("new", "in_progress", "waiting_customer")

#: Allowed moves. Reopening goes back to work; a closed case stays closed.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_progress",),
    "in_progress": ("waiting_customer", "resolved"),
    "waiting_customer": ("in_progress", "resolved"),
    "resolved": ("closed", "in_progress"),
    "closed": (),
}


def check_transition(current: str, target: str) -> None:
    """Raise unless ``current`` → ``target`` is an allowed move."""
    if target not in STATUSES:
        raise InvalidInput(
            f"unknown status {target!r}: choose one of {', '.join(STATUSES)}"
        )
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(TRANSITIONS[current]) or "nothing (the case is closed)"
        raise Conflict(
            f"a case in {current!r} cannot move to {target!r}; allowed: {allowed}"
        )
