"""Survey definitions in the store: save (versioned), read, list, delete.

The YAML text is what is stored, so a definition made in the browser, sent to
the API or imported from a file is the same thing and can be exported again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from esperia.auth import audit
from esperia.errors import Conflict, NotFound
from esperia.store import Store
from esperia.surveys.definition import load_survey_file, parse_survey, survey_to_yaml
from esperia.surveys.model import Survey

__all__ = [
    "EXAMPLES",
    "delete_survey",
    "get_survey",
    "import_examples",
    "import_survey_file",
    "list_surveys",
    "save_survey",
    "survey_version",
]

#: The example surveys shipped for the demo bookshop.
EXAMPLES = Path(__file__).resolve().parent / "examples"


def save_survey(store: Store, survey: Survey, *, actor: str = "system") -> int:
    """Create or replace a survey; returns its new version (1 for a new one)."""
    text = survey_to_yaml(survey)
    title = survey.title.get(survey.default_language) or survey.id
    with store.write_lock, store.connect() as conn, conn.transaction():
        row = conn.fetchone(
            "SELECT version, definition FROM surveys WHERE survey_id = ?", (survey.id,)
        )
        if row is None:
            version = 1
            conn.execute(
                "INSERT INTO surveys (survey_id, title, definition, version, "
                "created_at, updated_at) VALUES (?, ?, ?, 1, current_timestamp, "
                "current_timestamp)",
                (survey.id, title, text),
            )
        elif row[1] == text:
            return int(row[0])  # unchanged: no new version
        else:
            version = int(row[0]) + 1
            conn.execute(
                "UPDATE surveys SET title = ?, definition = ?, version = ?, "
                "updated_at = current_timestamp WHERE survey_id = ?",
                (title, text, version, survey.id),
            )
        audit.record(conn, actor, "survey_saved", survey.id, {"version": version})
    return version


def get_survey(store: Store, survey_id: str) -> Survey:
    """The stored survey ``survey_id``; :class:`NotFound` when there is none."""
    with store.connect() as conn:
        text = conn.scalar(
            "SELECT definition FROM surveys WHERE survey_id = ?", (survey_id,)
        )
    if text is None:
        raise NotFound(f"no survey with id {survey_id!r}")
    return parse_survey(str(text), f"survey {survey_id}")


def survey_version(store: Store, survey_id: str) -> int:
    with store.connect() as conn:
        version = conn.scalar(
            "SELECT version FROM surveys WHERE survey_id = ?", (survey_id,)
        )
    if version is None:
        raise NotFound(f"no survey with id {survey_id!r}")
    return int(version)


def list_surveys(store: Store) -> list[dict[str, Any]]:
    """Every survey with its invitation, opened and completed counts."""
    sql = """
        SELECT s.survey_id, s.title, s.version, s.updated_at,
               count(i.token) AS invitations,
               count(i.opened_at) AS opened,
               count(i.completed_at) AS completed
        FROM surveys s LEFT JOIN survey_invitations i ON i.survey_id = s.survey_id
        GROUP BY s.survey_id, s.title, s.version, s.updated_at
        ORDER BY s.survey_id
    """
    with store.connect() as conn:
        rows = conn.fetch_dicts(sql)
    for row in rows:
        for key in ("version", "invitations", "opened", "completed"):
            row[key] = int(row[key])
        row["updated_at"] = row["updated_at"].isoformat()
    return rows


def delete_survey(store: Store, survey_id: str, *, actor: str = "system") -> None:
    """Remove a survey that has no invitations yet (answers are never orphaned)."""
    with store.write_lock, store.connect() as conn, conn.transaction():
        if (
            conn.scalar(
                "SELECT count(*) FROM surveys WHERE survey_id = ?", (survey_id,)
            )
            == 0
        ):
            raise NotFound(f"no survey with id {survey_id!r}")
        used = conn.scalar(
            "SELECT count(*) FROM survey_invitations WHERE survey_id = ?", (survey_id,)
        )
        if used:
            raise Conflict(
                f"survey {survey_id!r} has {used} invitations or responses: it "
                "cannot be deleted (edit it instead)"
            )
        conn.execute("DELETE FROM surveys WHERE survey_id = ?", (survey_id,))
        audit.record(conn, actor, "survey_deleted", survey_id)


def import_survey_file(
    store: Store, path: Path | str, *, actor: str = "system"
) -> tuple[Survey, int]:
    """Validate and store a YAML file; returns the survey and its version."""
    survey = load_survey_file(path)
    return survey, save_survey(store, survey, actor=actor)


def import_examples(store: Store, *, actor: str = "system") -> list[str]:
    """Store the shipped example surveys (the demo bookshop's)."""
    return [
        import_survey_file(store, path, actor=actor)[0].id
        for path in sorted(EXAMPLES.glob("*.yaml"))
    ]
