"""Settings: one class, read from the environment (``ESPERIA_*``) and the workspace.

Precedence, highest first: explicit arguments, environment variables, the
workspace's ``esperia.toml``, the defaults below. Settings are built by
:func:`get_settings` and passed in; nothing reads them at import time.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SETTINGS_FILE", "Settings", "get_settings"]

#: The settings file inside a workspace.
SETTINGS_FILE = "esperia.toml"
DATABASE_FILE = "esperia.duckdb"

ReferencePolicy = Literal["reject", "create", "keep"]


class Settings(BaseSettings):
    """Every setting Esperia reads. Each field is documented in docs/settings.md."""

    model_config = SettingsConfigDict(env_prefix="ESPERIA_", extra="ignore")

    workspace: Path = Field(
        default=Path("workspace"),
        description="Folder holding the DuckDB file, settings, rejects and exports.",
    )
    database_url: str | None = Field(
        default=None,
        description="duckdb:///path/file.duckdb or postgresql://user:pw@host/db; "
        "default: the workspace's esperia.duckdb.",
    )
    timezone: str = Field(
        default="Europe/Rome",
        description="Time zone for timestamps that carry no offset.",
    )
    languages: list[str] = Field(
        default=["it", "en"], description="Languages the workspace works in."
    )
    unknown_references: ReferencePolicy = Field(
        default="reject",
        description="What an import does with a row naming a customer, touchpoint or "
        "interaction the store does not have: reject the row, create a placeholder, "
        "or keep the row as it is.",
    )
    duckdb_memory_limit: str = Field(
        default="1500MB",
        description="Memory DuckDB may use before spilling to disk; the default "
        "keeps a 10-million-row import under 2 GB in all.",
    )
    duckdb_threads: int | None = Field(
        default=None, description="Threads DuckDB may use (default: all cores)."
    )
    api_max_items: int = Field(
        default=10_000, description="Most items one API ingestion batch may carry."
    )
    api_max_body_bytes: int = Field(
        default=20 * 1024 * 1024,
        description="Largest API request body in bytes; larger ones get 413.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs web sessions; generated into the workspace "
        "when unset.",
    )
    admin_email: str = Field(
        default="admin@example.com", description="Login of the first admin account."
    )
    admin_password: SecretStr | None = Field(
        default=None,
        description="Password of the first admin account; generated and printed "
        "once when unset.",
    )
    host: str = Field(default="127.0.0.1", description="Address `esperia serve` binds.")
    port: int = Field(default=8000, description="Port `esperia serve` listens on.")
    session_https_only: bool = Field(
        default=False,
        description="Send the web session cookie over HTTPS only (set it behind TLS).",
    )
    session_max_age_s: int = Field(
        default=8 * 3600, description="How long a web login lasts, in seconds."
    )

    # --- care assistant (esperia.assistant) ---
    assistant_touchpoint_id: str = Field(
        default="TP-ASSISTANT",
        description="Touchpoint that assistant conversations are recorded on "
        "(created as a direct, digital chat touchpoint when missing).",
    )
    assistant_allowed_origins: list[str] = Field(
        default=[],
        description="Web sites (scheme://host[:port]) allowed to embed the chat "
        "widget and call the chat API from the browser (CORS).",
    )
    assistant_rate_session_per_minute: int = Field(
        default=20, description="Most messages one conversation may send a minute."
    )
    assistant_rate_ip_per_minute: int = Field(
        default=60, description="Most messages one client address may send a minute."
    )
    assistant_min_confidence: float = Field(
        default=0.5,
        description="Intent confidence below which a message counts as out of scope.",
    )
    assistant_min_kb_score: float = Field(
        default=3.0,
        description="BM25 score below which a knowledge-base match is not used.",
    )
    assistant_verify_attempts: int = Field(
        default=3,
        description="Failed order checks before the chat hands over to a person.",
    )
    assistant_llm_url: str | None = Field(
        default=None,
        description="OpenAI-compatible chat-completions URL for generated answers "
        "(e.g. http://localhost:8080/v1/chat/completions); unset = retrieval only.",
    )
    assistant_llm_key: SecretStr | None = Field(
        default=None, description="Bearer key for the language-model endpoint."
    )
    assistant_llm_model: str = Field(
        default="", description="Model name sent to the language-model endpoint."
    )
    assistant_llm_timeout_s: float = Field(
        default=6.0,
        description="Seconds to wait for the language model before answering "
        "from retrieval instead.",
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the workspace's DuckDB file."""
        if self.database_url:
            return self.database_url
        return f"duckdb:///{(self.workspace / DATABASE_FILE).resolve()}"


def _workspace_file_values(workspace: Path) -> dict[str, Any]:
    path = workspace / SETTINGS_FILE
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {k: v for k, v in data.items() if k in Settings.model_fields}


def load_settings(workspace: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings for a workspace (uncached; for tests and tools)."""
    ws = Path(workspace or os.environ.get("ESPERIA_WORKSPACE") or "workspace")
    from_file = _workspace_file_values(ws)
    # Init arguments beat the environment in pydantic-settings, so pass only the
    # file values the environment does not set: the environment wins over the file.
    values = {
        name: value
        for name, value in from_file.items()
        if f"ESPERIA_{name.upper()}" not in os.environ
    }
    return Settings(**{**values, "workspace": ws, **overrides})


@lru_cache(maxsize=8)
def get_settings(workspace: str | None = None) -> Settings:
    """Cached settings for the process (the adapters' entry point)."""
    return load_settings(workspace)
