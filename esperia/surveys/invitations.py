"""Invitations: who is asked, when, with which one-time link.

A survey's trigger picks interactions (touchpoint, type, outcome) old enough
for its delay; then three rules decide who is asked:

- **consent** — only customers with ``consent_marketing`` true are contacted
  (an e-mail asking for an opinion is a direct communication to a person), and
  none whose ``consent_analytics`` is false (their answers would be analysed
  linked to them). Unknown (null) marketing consent means *not asked*.
- **sampling** — a share of interactions, drawn by a seeded hash of the
  interaction id: the same interactions are drawn on every run.
- **contact frequency** — no customer gets two invitations (of any survey)
  less than ``survey_min_days_between`` days apart.

Each invitation is unique per (survey, interaction), so running the command
again creates none that exist already: it is idempotent.
"""

from __future__ import annotations

import csv
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import pyarrow as pa

from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.store import Store
from esperia.surveys.catalog import get_survey, survey_version
from esperia.surveys.model import LANGS, Survey
from esperia.surveys.selection import candidates_sql, fetch_table, select

__all__ = [
    "InviteResult",
    "create_invitations",
    "create_open_response",
    "export_invitations_csv",
    "invitation_link",
    "list_invitations",
    "new_token",
]


@dataclass
class InviteResult:
    """What one run of the trigger did, counted at each rule."""

    survey_id: str
    since: str
    until: str
    candidates: int = 0
    no_consent: int = 0
    sampled_out: int = 0
    too_frequent: int = 0
    created: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_token() -> str:
    """A one-time token: 144 random bits, URL-safe."""
    return secrets.token_urlsafe(18)


def invitation_link(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/s/{token}"


def _candidates(
    store: Store,
    survey: Survey,
    since: datetime,
    until: datetime,
    delay: timedelta,
    gap: timedelta,
) -> pa.Table:
    trigger = survey.trigger
    assert trigger is not None
    where = ["i.occurred_at >= ?", "i.occurred_at <= ?"]
    params: list[Any] = [delay, since, until]
    for column, values in (
        ("i.touchpoint_id", trigger.touchpoints),
        ("i.type", trigger.types),
        ("i.outcome", trigger.outcomes),
    ):
        if values:
            where.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    params.extend([survey.id, gap, gap])
    with store.connect() as conn:
        return fetch_table(conn, candidates_sql(where), params)


def create_invitations(
    store: Store,
    settings: Settings,
    survey_id: str,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
) -> InviteResult:
    """Create the invitations a survey's trigger calls for (idempotent)."""
    survey = get_survey(store, survey_id)
    trigger = survey.trigger
    if trigger is None:
        raise InvalidInput(
            f"survey {survey_id!r} has no trigger: add a trigger: block (touchpoints, "
            "types, delay) to invite after interactions"
        )
    now = now or datetime.now(UTC)
    delay = timedelta(hours=trigger.delay_hours)
    until = now - delay
    start = since or (until - timedelta(days=trigger.window_days))
    result = InviteResult(survey.id, start.isoformat(), until.isoformat())
    gap = timedelta(days=settings.survey_min_days_between)
    with store.write_lock:
        table = _candidates(store, survey, start, until, delay, gap)
        picked = select(
            table, seed=trigger.seed, survey_id=survey.id, share=trigger.sample,
            gap=gap, languages=tuple(LANGS), default_language=survey.default_language,
        )  # fmt: skip
        result.candidates = picked.candidates
        result.no_consent = picked.no_consent
        result.sampled_out = picked.sampled_out
        result.too_frequent = picked.too_frequent
        result.created = _insert(store, survey, picked.chosen)
    return result


def _insert(store: Store, survey: Survey, chosen: pa.Table) -> int:
    if not chosen.num_rows:
        return 0
    version = survey_version(store, survey.id)
    with store.connect() as conn, conn.transaction():
        conn.load_arrow("_survey_new", chosen)
        conn.execute(
            "INSERT INTO survey_invitations (token, survey_id, survey_version, kind, "
            "customer_id, interaction_id, touchpoint_id, email, language, "
            "created_at, due_at) SELECT token, ?, ?, 'invitation', customer_id, "
            "interaction_id, touchpoint_id, email, language, current_timestamp, "
            "due_at FROM _survey_new",
            (survey.id, version),
        )
        conn.execute("DROP TABLE _survey_new")
    return int(chosen.num_rows)


def create_open_response(store: Store, survey: Survey, language: str) -> str:
    """A token for one anonymous answer through the survey's open link."""
    if not survey.open_link:
        raise InvalidInput(f"survey {survey.id!r} has no open link")
    token = new_token()
    version = survey_version(store, survey.id)
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO survey_invitations (token, survey_id, survey_version, kind, "
            "language, created_at, due_at, opened_at) VALUES (?, ?, ?, 'open', ?, "
            "current_timestamp, current_timestamp, current_timestamp)",
            (token, survey.id, version, language),
        )
    return token


_STATUS_SQL = {
    "all": "",
    "pending": " AND completed_at IS NULL",
    "unsent": " AND sent_at IS NULL AND completed_at IS NULL",
    "completed": " AND completed_at IS NOT NULL",
}


def list_invitations(
    store: Store,
    settings: Settings,
    survey_id: str,
    *,
    status: str = "all",
    kind: str = "invitation",
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Invitations of a survey, oldest due first, each with its link."""
    if status not in _STATUS_SQL:
        raise InvalidInput(f"status must be one of {', '.join(_STATUS_SQL)}")
    get_survey(store, survey_id)
    sql = (
        "SELECT token, customer_id, interaction_id, touchpoint_id, email, language, "
        "created_at, due_at, sent_at, opened_at, completed_at, feedback_id "
        "FROM survey_invitations WHERE survey_id = ? AND kind = ?"
        f"{_STATUS_SQL[status]} ORDER BY due_at, token"
    )
    params: list[Any] = [survey_id, kind]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    with store.connect() as conn:
        rows = conn.fetch_dicts(sql, params)
    for row in rows:
        row["link"] = invitation_link(settings, row["token"])
        for key in ("created_at", "due_at", "sent_at", "opened_at", "completed_at"):
            if isinstance(row[key], datetime):
                row[key] = row[key].isoformat()
    return rows


#: Columns of the CSV for mailing tools (merge fields).
CSV_COLUMNS = (
    "email", "language", "customer_id", "link", "subject", "due_at", "token",
)  # fmt: skip


def export_invitations_csv(
    store: Store,
    settings: Settings,
    survey_id: str,
    out: IO[str],
    *,
    status: str = "unsent",
) -> int:
    """Write invitations as CSV (one row each, with link and subject); the count."""
    survey = get_survey(store, survey_id)
    rows = list_invitations(store, settings, survey_id, status=status)
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        lang = row["language"] or survey.default_language
        subject = survey.email_subject.get(lang) or survey.title.get(lang, survey.id)
        writer.writerow({**row, "subject": subject})
    return len(rows)
