"""Workspaces: a folder with the DuckDB file, settings, rejects and exports."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from esperia.config import DATABASE_FILE, SETTINGS_FILE, Settings, load_settings
from esperia.errors import WorkspaceError
from esperia.store import Store, open_store, upgrade
from esperia.store.migrations import pending

__all__ = ["InitResult", "init_workspace", "open_workspace", "secret_key"]

_SECRET_FILE = ".secret_key"
_TEMPLATE = """# Esperia workspace settings. Every key can also be set as ESPERIA_<KEY>
# in the environment, which wins over this file. See docs/settings.md.
timezone = "Europe/Rome"
languages = ["it", "en"]
unknown_references = "reject"
# database_url = "postgresql://esperia:secret@localhost/esperia"
"""


@dataclass
class InitResult:
    workspace: Path
    database: str
    created: bool
    admin_email: str | None
    admin_password: str | None


def init_workspace(directory: Path | str, **overrides: object) -> InitResult:
    """Create (or bring up to date) a workspace; idempotent."""
    from esperia.auth.users import ensure_admin

    ws = Path(directory)
    created = not (ws / SETTINGS_FILE).exists()
    ws.mkdir(parents=True, exist_ok=True)
    if created:
        (ws / SETTINGS_FILE).write_text(_TEMPLATE, encoding="utf-8")
    settings = load_settings(ws, **overrides)
    secret_key(settings)
    store = open_store(settings)
    try:
        upgrade(store)
        admin = ensure_admin(store, settings)
    finally:
        store.close()
    return InitResult(
        workspace=ws.resolve(),
        database=store.display_url,
        created=created,
        admin_email=admin.email if admin else None,
        admin_password=admin.password if admin else None,
    )


def secret_key(settings: Settings) -> str:
    """The key signing web sessions: from settings, else the workspace's own."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.workspace / _SECRET_FILE
    if not path.exists():
        settings.workspace.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def open_workspace(settings: Settings) -> Store:
    """Open the workspace's store, refusing one whose schema is behind the code."""
    uses_default_db = settings.database_url is None
    if uses_default_db and not (settings.workspace / DATABASE_FILE).exists():
        raise WorkspaceError(
            f"no workspace at {settings.workspace.resolve()}: run `esperia init "
            f"{settings.workspace}` (or `esperia demo`) first, or set ESPERIA_WORKSPACE"
        )
    store = open_store(settings)
    missing = [m.version for m in pending(store)]
    if missing:
        store.close()
        raise WorkspaceError(
            "the database schema lacks migration(s) "
            f"{', '.join(str(v) for v in missing)} that this Esperia needs: "
            "run `esperia db upgrade`"
        )
    return store
