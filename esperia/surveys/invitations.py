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

import bisect
import csv
import hashlib
import secrets
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import pyarrow as pa

from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.store import Store
from esperia.surveys.catalog import get_survey, survey_version
from esperia.surveys.model import LANGS, Survey

__all__ = [
    "InviteResult",
    "create_invitations",
    "create_open_response",
    "export_invitations_csv",
    "invitation_link",
    "list_invitations",
    "new_token",
]

_MAX_UINT64 = float(2**64)


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


def _sampled(seed: int, survey_id: str, interaction_id: str, share: float) -> bool:
    if share >= 1:
        return True
    digest = hashlib.blake2b(
        f"{seed}:{survey_id}:{interaction_id}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") / _MAX_UINT64 < share


def _candidates(
    store: Store, survey: Survey, since: datetime, until: datetime
) -> list[tuple[Any, ...]]:
    trigger = survey.trigger
    assert trigger is not None
    where = ["i.occurred_at >= ?", "i.occurred_at <= ?"]
    params: list[Any] = [since, until]
    for column, values in (
        ("i.touchpoint_id", trigger.touchpoints),
        ("i.type", trigger.types),
        ("i.outcome", trigger.outcomes),
    ):
        if values:
            where.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    params.append(survey.id)
    sql = f"""
        SELECT i.interaction_id, i.customer_id, i.touchpoint_id, i.occurred_at,
               c.email, c.language,
               coalesce(c.consent_marketing, FALSE)
                 AND coalesce(c.consent_analytics, TRUE) AS may_contact
        FROM interactions i JOIN customers c ON c.customer_id = i.customer_id
        WHERE {" AND ".join(where)}
          AND NOT EXISTS (
            SELECT 1 FROM survey_invitations v
            WHERE v.survey_id = ? AND v.interaction_id = i.interaction_id)
        ORDER BY i.occurred_at, i.interaction_id
    """
    with store.connect() as conn:
        return conn.fetchall(sql, params)


def _contacts(store: Store, customers: set[str]) -> dict[str, list[datetime]]:
    """Existing invitation dates per customer, sorted (any survey)."""
    out: dict[str, list[datetime]] = defaultdict(list)
    if not customers:
        return out
    with store.connect() as conn:
        conn.load_arrow("_survey_who", pa.table({"customer_id": sorted(customers)}))
        rows = conn.fetchall(
            "SELECT v.customer_id, v.due_at FROM survey_invitations v "
            "JOIN _survey_who w ON w.customer_id = v.customer_id "
            "ORDER BY v.customer_id, v.due_at"
        )
        conn.execute("DROP TABLE _survey_who")
    for customer, due in rows:
        out[customer].append(due)
    return out


def _too_close(dates: list[datetime], when: datetime, gap: timedelta) -> bool:
    at = bisect.bisect_left(dates, when)
    near = dates[max(at - 1, 0) : at + 1]
    return any(abs(when - d) < gap for d in near)


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
        rows = _candidates(store, survey, start, until)
        result.candidates = len(rows)
        contacts = _contacts(store, {str(r[1]) for r in rows if r[6]})
        chosen: list[dict[str, Any]] = []
        for interaction, customer, touchpoint, occurred, email, lang, may in rows:
            if not may:
                result.no_consent += 1
                continue
            if not _sampled(trigger.seed, survey.id, interaction, trigger.sample):
                result.sampled_out += 1
                continue
            due = occurred + delay
            dates = contacts[customer]
            if gap and _too_close(dates, due, gap):
                result.too_frequent += 1
                continue
            bisect.insort(dates, due)
            chosen.append(
                {
                    "token": new_token(),
                    "customer_id": customer,
                    "interaction_id": interaction,
                    "touchpoint_id": touchpoint,
                    "email": email,
                    "language": lang if lang in LANGS else survey.default_language,
                    "due_at": due,
                }
            )
        result.created = _insert(store, survey, chosen)
    return result


def _insert(store: Store, survey: Survey, chosen: list[dict[str, Any]]) -> int:
    if not chosen:
        return 0
    version = survey_version(store, survey.id)
    table = pa.Table.from_pylist(
        chosen,
        schema=pa.schema(
            [
                ("token", pa.string()),
                ("customer_id", pa.string()),
                ("interaction_id", pa.string()),
                ("touchpoint_id", pa.string()),
                ("email", pa.string()),
                ("language", pa.string()),
                ("due_at", pa.timestamp("us", tz="UTC")),
            ]
        ),
    )
    with store.connect() as conn, conn.transaction():
        conn.load_arrow("_survey_new", table)
        conn.execute(
            "INSERT INTO survey_invitations (token, survey_id, survey_version, kind, "
            "customer_id, interaction_id, touchpoint_id, email, language, "
            "created_at, due_at) SELECT token, ?, ?, 'invitation', customer_id, "
            "interaction_id, touchpoint_id, email, language, current_timestamp, "
            "due_at FROM _survey_new",
            (survey.id, version),
        )
        conn.execute("DROP TABLE _survey_new")
    return len(chosen)


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
