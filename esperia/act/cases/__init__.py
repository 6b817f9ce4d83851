"""Recovery cases: the flow, the service, contacts and follow-ups."""

from esperia.act.cases.contact import CONTACT_KINDS, log_contact, request_followup
from esperia.act.cases.flow import OPEN_STATUSES, STATUSES, TRANSITIONS
from esperia.act.cases.service import (
    add_note,
    assign_case,
    change_status,
    create_case,
    get_case,
    list_cases,
    overdue_count,
    resolve_case,
)

__all__ = [
    "CONTACT_KINDS",
    "OPEN_STATUSES",
    "STATUSES",
    "TRANSITIONS",
    "add_note",
    "assign_case",
    "change_status",
    "create_case",
    "get_case",
    "list_cases",
    "log_contact",
    "overdue_count",
    "request_followup",
    "resolve_case",
]
