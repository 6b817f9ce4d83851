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
    # --- journey (esperia.journey) ---
    journey_split: Literal["gap", "purchase"] = Field(
        default="gap",
        description="How a customer's interactions split into journeys: after an "
        "inactivity gap, or after each purchase.",
    )
    journey_gap_hours: float = Field(
        default=24.0 * 30,
        gt=0,
        description="Hours without contact that end a journey (split `gap`).",
    )
    journey_goal_stage: str = Field(
        default="purchase",
        description="The stage a journey should reach; journeys that never do are "
        "reported as drop-outs.",
    )
    journey_horizon_days: int = Field(
        default=90,
        ge=1,
        description="Days after an experience in which a customer must still be "
        "active to count as retained (moments of truth, conformance).",
    )

    # -- text analytics (issue 3, engine) --
    text_languages: list[str] = Field(
        default=["it", "en"],
        description="Languages text analysis detects and scores (each needs a "
        "lexicon folder, packaged or in <workspace>/text/<code>/); others are "
        "reported as unknown.",
    )

    # --- surveys (esperia.surveys): links, contact rules, public pages, SMTP ---
    survey_min_days_between: int = Field(
        default=30,
        ge=0,
        description="Contact-frequency rule: no customer is invited to a survey "
        "more often than once in this many days (any survey).",
    )
    survey_rate_limit_per_minute: int = Field(
        default=60,
        ge=1,
        description="Requests one IP address may make to the public survey pages "
        "(/s/...) per minute; more get 429.",
    )
    # --- shared by surveys and close the loop: public address and mail ---------
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address of this Esperia, for links in e-mails and "
        "notifications (survey invitations, cases): https://cx.example.com.",
    )
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server for survey invitations and notifications "
        "(unset: no e-mail is sent).",
    )
    smtp_port: int = Field(
        default=587, description="SMTP server port (587: submission)."
    )
    smtp_user: str | None = Field(
        default=None, description="SMTP login (none: send without logging in)."
    )
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(
        default=True,
        description="Upgrade the SMTP connection with STARTTLS before logging in.",
    )
    smtp_from: str = Field(
        default="Esperia <noreply@localhost>",
        description="The From address of e-mails Esperia sends.",
    )
    smtp_timeout_s: float = Field(
        default=10.0, gt=0, description="Seconds to wait for the SMTP server."
    )

    # --- act: rules, cases, notifications (esperia.act, docs/act.md) ---------
    act_contact_consent: Literal["consent_marketing", "consent_analytics"] = Field(
        default="consent_marketing",
        description="The customer flag that means 'may be contacted': rules open "
        "no case for a customer whose flag is false or unknown.",
    )
    act_rules_on_import: bool = Field(
        default=True,
        description="Run the rules after every import of interactions or feedback "
        "(files, and API batches through the server's background worker).",
    )
    act_base_loss_rate: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Fallback money at risk: the share of a customer's last 12 "
        "months of revenue a bad experience puts at risk.",
    )
    act_money_at_risk: str | None = Field(
        default=None,
        description="'module:function' computing money at risk per customer "
        "(see docs/act.md); default: expected CLV lost when CLV predictions "
        "are stored, else the revenue fallback.",
    )
    act_priority_thresholds: list[float] = Field(
        default=[50.0, 200.0],
        description="Money at risk (euro) from which a case is medium, then high "
        "priority.",
    )
    act_sla_hours: dict[str, float] = Field(
        default={"high": 24.0, "medium": 48.0, "low": 72.0},
        description="Hours to resolve a case, by priority (a rule may override).",
    )
    act_default_team: str = Field(
        default="customer_care",
        description="Team for cases whose touchpoint names no owner team.",
    )
    act_worker: bool = Field(
        default=True,
        description="Run the delivery worker (notifications, rules after API "
        "ingestion) in a background thread of `esperia serve`.",
    )
    act_worker_interval_s: float = Field(
        default=5.0, gt=0, description="Seconds between the worker's rounds."
    )
    notify_max_attempts: int = Field(
        default=8,
        ge=1,
        description="Delivery attempts before a message goes to the dead letters.",
    )
    notify_backoff_s: float = Field(
        default=30.0,
        ge=0,
        description="First retry delay in seconds; it doubles on every attempt.",
    )
    notify_digest_minutes: int = Field(
        default=60,
        ge=1,
        description="For teams on digest: how often their queued notices go out "
        "as one e-mail.",
    )

    # --- voice of the customer (enrichment, topics, the /voice page) ---
    text_enrich_on_import: bool = Field(
        default=True,
        description="Analyse new feedback text right after each feedback import "
        "(files and API batches); off, run `esperia text enrich` yourself.",
    )
    text_keep_original: bool = Field(
        default=False,
        description="Keep customers' original feedback text. Off (the default), "
        "enrichment replaces `feedback.text` with its redacted form (e-mails, "
        "phones, IBANs, fiscal codes, cards masked), so only redacted text is "
        "stored and shown.",
    )
    text_enrich_batch_size: int = Field(
        default=5_000,
        ge=100,
        description="Texts analysed and stored per transaction by enrichment.",
    )
    text_analyze_max_texts: int = Field(
        default=1_000, description="Most texts one `POST /api/v1/text/analyze` takes."
    )
    text_analyze_max_chars: int = Field(
        default=20_000,
        description="Longest text, in characters, `POST /api/v1/text/analyze` takes.",
    )

    # --- value (esperia.value): CLV, retention, churn ---------------------------
    clv_time_unit: Literal["days", "weeks"] = Field(
        default="weeks",
        description="Time unit of the CLV models' recency, age and rates.",
    )
    clv_horizon_months: int = Field(
        default=12, description="Months ahead that expected purchases and CLV cover."
    )
    clv_annual_discount_rate: float = Field(
        default=0.10,
        description="Yearly discount rate for CLV (applied monthly): money later "
        "is worth less.",
    )
    clv_default_margin: float = Field(
        default=0.30,
        description="Margin share of revenue used when orders carry no margin.",
    )
    churn_definition: Literal["inactivity", "p_alive", "cancellation"] = Field(
        default="inactivity",
        description="When a customer counts as churned: no purchase for "
        "churn_inactivity_days, probability alive below churn_p_alive_threshold, "
        "or an interaction of type churn_cancellation_type.",
    )
    churn_inactivity_days: int = Field(
        default=180, description="Days without a purchase after which a customer "
        "counts as churned (inactivity definition).",
    )  # fmt: skip
    churn_p_alive_threshold: float = Field(
        default=0.5,
        description="Probability alive below which a customer counts as churned "
        "(p_alive definition) or at risk.",
    )
    churn_cancellation_type: str = Field(
        default="cancellation",
        description="Interaction type that ends a contract (cancellation definition).",
    )
    value_case_loss_share: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Money at risk of a recovery case when the incident's own "
        "effect is unknown: this share of the customer's CLV.",
    )
    value_case_incident_days: int = Field(
        default=30,
        ge=1,
        description="Days before a rules run in which a customer's latest bad "
        "experience is taken as the incident a recovery case prices.",
    )
    act_followup_survey: str | None = Field(
        default=None,
        description="Survey sent as the follow-up of a resolved case (its id); "
        "default: the care example 'post-care' when stored.",
    )

    # --- metrics (esperia.metrics): statistics of the CX figures
    metrics_min_n: int = Field(
        default=30,
        ge=1,
        description="Figures on fewer answers than this are flagged `low_n` "
        "(shown, not hidden).",
    )
    metrics_confidence: float = Field(
        default=0.95,
        ge=0.5,
        lt=1.0,
        description="Confidence level of every interval the metrics report.",
    )
    metrics_pyramid_threshold: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="A CX pyramid level holds when its score, as a share of the "
        "scale (0-1), reaches this.",
    )
    metrics_max_drivers: int = Field(
        default=12,
        ge=2,
        le=15,
        description="Most drivers in one key-driver analysis (exact Shapley "
        "decomposition over all 2^k subsets).",
    )
    metrics_refresh_after_import: bool = Field(
        default=True,
        description="After a file (or demo) import of feedback, interactions or "
        "touchpoints, recompute the stored metrics overview when one is kept, so "
        "the overview page reads it at once. API batches leave it to the next "
        "view, which shows the stored figures marked stale and refreshes them "
        "in the background.",
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
    assistant_pairwise: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Pairwise second stage of the intent model (re-ranks the top "
        "intents with one SVM per confused pair): auto = on when the examples "
        "average at least 40 per intent.",
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

    # --- next best action (esperia.nba, docs/nba.md) ----------------------------
    nba_catalogue: Path | None = Field(
        default=None,
        description="YAML file of actions replacing the shipped catalogue; default: "
        "the workspace's nba_actions.yaml when present, else the shipped one.",
    )
    nba_holdout_share: float = Field(
        default=0.10,
        ge=0.0,
        le=0.5,
        description="Share of customers held out (no action) to measure uplift.",
    )
    nba_holdout_seed: int = Field(
        default=1, description="Seed of the holdout hash (change it to redraw)."
    )
    nba_contact_days: int = Field(
        default=14,
        ge=0,
        description="At most one action per customer in this many days.",
    )
    nba_outcome_days: int = Field(
        default=30,
        ge=1,
        description="Days after an action in which its outcome is observed.",
    )
    nba_min_measured: int = Field(
        default=200,
        ge=10,
        description="Customers needed in both the treated and the holdout group "
        "before an action's measured uplift replaces its prior.",
    )
    nba_max_actions: int = Field(
        default=5, ge=1, le=20, description="Ranked actions kept per customer."
    )
    nba_tier_shares: list[float] = Field(
        default=[0.2, 0.5],
        description="Cumulative CLV shares of the high and medium value tiers "
        "(top 20% high, next 30% medium, the rest low).",
    )
    nba_recent_days: int = Field(
        default=90,
        ge=1,
        description="Window for recent experiences (bad ones, negative feedback).",
    )
    nba_score_every_hours: float = Field(
        default=24.0,
        ge=0,
        description="A running server scores every customer again when the newest "
        "run is older than this (0: only when asked, POST /api/v1/nba/score); a "
        "workspace never scored waits to be asked.",
    )
    nba_memory_snapshot: bool = Field(
        default=True,
        description="Keep the newest scoring run in the server's memory for the "
        "real-time context and next-best-action reads (about 250 bytes a "
        "customer); off: every read queries the database.",
    )
    nba_snapshot_check_seconds: float = Field(
        default=5.0,
        ge=0.1,
        le=3600,
        description="How often the in-memory copy is compared with the database, "
        "so a scoring run or an erasure by another process shows within this time.",
    )

    # --- value (esperia.value): which CLV purchase model ------------------------
    clv_model: Literal["bg-nbd", "pareto-nbd"] = Field(
        default="bg-nbd",
        description="Purchase model of `esperia clv fit|predict|evaluate` and the "
        "API when none is given: bg-nbd (customers leave only right after a "
        "purchase; fast) or pareto-nbd (they may leave at any moment).",
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
