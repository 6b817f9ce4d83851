"""Versioned schema migrations, one list for every engine.

Each migration is DDL with a few placeholders that each dialect fills:
``{json}`` (JSON / JSONB) and ``{key}`` — the key of the big fact tables.
PostgreSQL declares it PRIMARY KEY; DuckDB keeps it NOT NULL and lets the
importer (the only writer) guarantee uniqueness, because DuckDB's key index
makes bulk loads about three times slower (measured in docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from esperia.store.database import Connection, Store

__all__ = ["MIGRATIONS", "Migration", "current_version", "pending", "upgrade"]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    ddl: str
    #: Statements for PostgreSQL only (lookup indexes: DuckDB's zone maps do that
    #: job, and its ART indexes slow bulk loads down several times).
    postgres_ddl: str = ""


_CORE = """
CREATE SEQUENCE import_seq START 1;

CREATE TABLE imports (
    import_id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    read_rows BIGINT NOT NULL DEFAULT 0,
    loaded_rows BIGINT NOT NULL DEFAULT 0,
    updated_rows BIGINT NOT NULL DEFAULT 0,
    duplicate_rows BIGINT NOT NULL DEFAULT 0,
    rejected_rows BIGINT NOT NULL DEFAULT 0,
    created_references BIGINT NOT NULL DEFAULT 0,
    rejects_file TEXT
);

CREATE TABLE customers (
    customer_id TEXT {key},
    name TEXT,
    email TEXT,
    phone TEXT,
    birth_year BIGINT,
    gender TEXT,
    city TEXT,
    region TEXT,
    country TEXT,
    language TEXT,
    first_seen_at TIMESTAMPTZ,
    consent_marketing BOOLEAN,
    consent_analytics BOOLEAN,
    segment TEXT,
    attributes {json},
    import_id BIGINT,
    loaded_at TIMESTAMPTZ
);

CREATE TABLE touchpoints (
    touchpoint_id TEXT {key},
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    contact TEXT,
    medium TEXT,
    stage TEXT,
    owner_team TEXT,
    promise TEXT,
    promise_metric TEXT,
    promise_target DOUBLE PRECISION,
    attributes {json},
    import_id BIGINT,
    loaded_at TIMESTAMPTZ
);

CREATE TABLE interactions (
    interaction_id TEXT {key},
    customer_id TEXT NOT NULL,
    touchpoint_id TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    type TEXT,
    outcome TEXT,
    duration_s DOUBLE PRECISION,
    wait_s DOUBLE PRECISION,
    value DOUBLE PRECISION,
    properties {json},
    import_id BIGINT,
    loaded_at TIMESTAMPTZ
);

CREATE TABLE orders (
    order_id TEXT {key},
    customer_id TEXT NOT NULL,
    ordered_at TIMESTAMPTZ NOT NULL,
    revenue DOUBLE PRECISION NOT NULL,
    margin DOUBLE PRECISION,
    currency TEXT,
    touchpoint_id TEXT,
    items BIGINT,
    properties {json},
    import_id BIGINT,
    loaded_at TIMESTAMPTZ
);

CREATE TABLE feedback (
    feedback_id TEXT {key},
    received_at TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL,
    customer_id TEXT,
    touchpoint_id TEXT,
    interaction_id TEXT,
    nps BIGINT,
    csat BIGINT,
    ces BIGINT,
    rating DOUBLE PRECISION,
    text TEXT,
    language TEXT,
    properties {json},
    import_id BIGINT,
    loaded_at TIMESTAMPTZ
);
"""

_ACCESS = """
CREATE SEQUENCE user_seq START 1;
CREATE SEQUENCE audit_seq START 1;

CREATE TABLE users (
    user_id BIGINT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ
);

CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE audit_log (
    audit_id BIGINT PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    details {json}
);
"""

_PG_INDEXES = """
CREATE INDEX interactions_customer ON interactions (customer_id);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX feedback_customer ON feedback (customer_id);
CREATE INDEX feedback_received ON feedback (received_at);
"""

# What text analytics (esperia.text) writes per feedback: one row per analysed
# feedback, and long tables per aspect mention, emotion and experiential module so
# metrics can group them in the engine. Lists are also kept ';'-joined for display.
_TEXT = """
CREATE TABLE feedback_text (
    feedback_id TEXT PRIMARY KEY,
    language TEXT,
    sentiment DOUBLE PRECISION,
    polarity TEXT,
    emotions TEXT,
    aspects TEXT,
    modules TEXT,
    pyramid_level TEXT,
    text_redacted TEXT,
    sentences INTEGER,
    analyzer TEXT NOT NULL,
    analyzed_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE feedback_aspects (
    feedback_id TEXT NOT NULL,
    sentence INTEGER NOT NULL,
    aspect TEXT NOT NULL,
    sentiment DOUBLE PRECISION,
    polarity TEXT,
    pyramid_level TEXT
);

CREATE TABLE feedback_emotions (
    feedback_id TEXT NOT NULL,
    emotion TEXT NOT NULL,
    intensity DOUBLE PRECISION
);

CREATE TABLE feedback_modules (
    feedback_id TEXT NOT NULL,
    module TEXT NOT NULL,
    sentiment DOUBLE PRECISION
)
"""

_TEXT_PG_INDEXES = """
CREATE INDEX feedback_aspects_feedback ON feedback_aspects (feedback_id);
CREATE INDEX feedback_emotions_feedback ON feedback_emotions (feedback_id);
CREATE INDEX feedback_modules_feedback ON feedback_modules (feedback_id)
"""

# Item-level survey answers beyond the feedback row's NPS/CSAT/CES: the CX model
# items (pyramid levels, module agreement, expectation/perception per value
# dimension) and any other question. Written by surveys and imports, read by
# metrics. ``item`` is namespaced: ``pyramid.needs``, ``module.sense``,
# ``expectation.<dimension>``, ``perception.<dimension>``, or a question id.
_FEEDBACK_ITEMS = """
CREATE TABLE feedback_items (
    feedback_id TEXT NOT NULL,
    item TEXT NOT NULL,
    value DOUBLE PRECISION,
    scale_min DOUBLE PRECISION,
    scale_max DOUBLE PRECISION,
    text_value TEXT
)
"""

_FEEDBACK_ITEMS_PG_INDEXES = """
CREATE INDEX feedback_items_feedback ON feedback_items (feedback_id);
CREATE INDEX feedback_items_item ON feedback_items (item)
"""

# Surveys: definitions (YAML, versioned), one-time invitations (also the
# anonymous open-link responses) and the answers kept step by step until a
# response completes and becomes feedback + feedback_items.
_SURVEYS = """
CREATE TABLE surveys (
    survey_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    definition TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE survey_invitations (
    token TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL,
    survey_version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    customer_id TEXT,
    interaction_id TEXT,
    touchpoint_id TEXT,
    email TEXT,
    language TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    opened_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    feedback_id TEXT,
    UNIQUE (survey_id, interaction_id)
);

CREATE TABLE survey_answers (
    token TEXT NOT NULL,
    question_id TEXT NOT NULL,
    value TEXT,
    answered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (token, question_id)
)
"""

_SURVEYS_PG_INDEXES = """
CREATE INDEX survey_invitations_survey ON survey_invitations (survey_id);
CREATE INDEX survey_invitations_customer ON survey_invitations (customer_id)
"""

# Close the loop (esperia.act): rules and what they matched, recovery cases with
# their history, teams, the notification outbox, webhook subscriptions, action
# plans on touchpoints and follow-up requests. Small transactional tables, so
# they carry keys on both engines.
_ACT = """
CREATE SEQUENCE act_case_seq START 1;
CREATE SEQUENCE act_event_seq START 1;
CREATE SEQUENCE act_run_seq START 1;
CREATE SEQUENCE act_outbox_seq START 1;
CREATE SEQUENCE act_webhook_seq START 1;
CREATE SEQUENCE act_plan_seq START 1;

CREATE TABLE act_rules (
    rule_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    event TEXT NOT NULL,
    definition TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    updated_by TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE act_rule_runs (
    run_id BIGINT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    started_by TEXT NOT NULL,
    as_of TIMESTAMPTZ,
    matched BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    suppressed BIGINT NOT NULL DEFAULT 0,
    notices TEXT
);

CREATE TABLE act_rule_hits (
    rule_id TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    customer_id TEXT,
    touchpoint_id TEXT,
    triggered_at TIMESTAMPTZ,
    outcome TEXT NOT NULL,
    case_id BIGINT,
    run_id BIGINT NOT NULL,
    value_band TEXT,
    PRIMARY KEY (rule_id, trigger_kind, trigger_id)
);

CREATE TABLE act_teams (
    team TEXT PRIMARY KEY,
    name TEXT,
    email TEXT,
    digest BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE act_team_members (
    team TEXT NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (team, email)
);

CREATE TABLE act_cases (
    case_id BIGINT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    origin TEXT NOT NULL,
    rule_id TEXT,
    customer_id TEXT NOT NULL,
    trigger_kind TEXT,
    trigger_id TEXT,
    feedback_id TEXT,
    interaction_id TEXT,
    touchpoint_id TEXT,
    triggered_at TIMESTAMPTZ,
    reason TEXT NOT NULL,
    detail TEXT,
    priority TEXT NOT NULL,
    money_at_risk DOUBLE PRECISION,
    value_band TEXT,
    team TEXT NOT NULL,
    owner TEXT,
    status TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    first_response_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    root_cause TEXT,
    resolution TEXT
);

CREATE TABLE act_case_events (
    event_id BIGINT PRIMARY KEY,
    case_id BIGINT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    field TEXT,
    old_value TEXT,
    new_value TEXT,
    note TEXT
);

CREATE TABLE act_outbox (
    message_id BIGINT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    event TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error TEXT,
    sent_at TIMESTAMPTZ,
    digest_of BIGINT
);

CREATE TABLE act_webhooks (
    webhook_id BIGINT PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE act_action_plans (
    plan_id BIGINT PRIMARY KEY,
    touchpoint_id TEXT NOT NULL,
    root_cause TEXT NOT NULL,
    title TEXT NOT NULL,
    owner TEXT,
    due_at TIMESTAMPTZ,
    expected_effect TEXT,
    metric TEXT NOT NULL,
    status TEXT NOT NULL,
    fixed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT
);

CREATE TABLE act_followups (
    case_id BIGINT PRIMARY KEY,
    requested_at TIMESTAMPTZ NOT NULL,
    requested_by TEXT NOT NULL,
    link TEXT,
    status TEXT NOT NULL
)
"""

_ACT_PG_INDEXES = """
CREATE INDEX act_cases_customer ON act_cases (customer_id);
CREATE INDEX act_cases_team_status ON act_cases (team, status);
CREATE INDEX act_case_events_case ON act_case_events (case_id);
CREATE INDEX act_outbox_due ON act_outbox (status, next_attempt_at)
"""

# Value (esperia.value): each CLV fit, the latest prediction per customer, the
# latest value-at-risk report (slow to compute, read by the page), and
# figures users supply (market share, share of wallet) to track next to NPS.
_VALUE = """
CREATE TABLE clv_fits (
    fit_id TEXT PRIMARY KEY,
    fitted_at TIMESTAMPTZ NOT NULL,
    calibration_end DATE,
    time_unit TEXT NOT NULL,
    horizon_months INTEGER NOT NULL,
    annual_discount_rate DOUBLE PRECISION NOT NULL,
    customers BIGINT NOT NULL,
    params {json}
);

CREATE TABLE customer_value (
    customer_id TEXT NOT NULL,
    fit_id TEXT NOT NULL,
    frequency BIGINT NOT NULL,
    recency DOUBLE PRECISION NOT NULL,
    age DOUBLE PRECISION NOT NULL,
    mean_spend DOUBLE PRECISION NOT NULL,
    revenue DOUBLE PRECISION NOT NULL,
    margin_rate DOUBLE PRECISION NOT NULL,
    p_alive DOUBLE PRECISION NOT NULL,
    expected_purchases DOUBLE PRECISION NOT NULL,
    expected_spend DOUBLE PRECISION NOT NULL,
    clv DOUBLE PRECISION NOT NULL,
    first_purchase DATE,
    last_purchase DATE,
    computed_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE value_reports (
    name TEXT PRIMARY KEY,
    computed_at TIMESTAMPTZ NOT NULL,
    body {json}
)
"""

_VALUE_PG_INDEXES = """
CREATE INDEX customer_value_customer ON customer_value (customer_id)
"""

# Value realization (esperia.value.wallet, esperia.value.market): figures the
# user brings from outside: what customers (or whole segments) spend in a
# category across all sellers, and the company's market share per period.
_REALIZATION = """
CREATE TABLE category_spend (
    customer_id TEXT,
    segment TEXT,
    category TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    total_spend DOUBLE PRECISION NOT NULL,
    source TEXT,
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE market_share (
    market TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    share DOUBLE PRECISION NOT NULL,
    source TEXT,
    recorded_at TIMESTAMPTZ NOT NULL
)
"""

_REALIZATION_PG_INDEXES = """
CREATE INDEX category_spend_customer ON category_spend (customer_id, category);
CREATE INDEX category_spend_segment ON category_spend (segment, category)
"""

# Journeys (esperia.journey): interactions in journey order, rebuilt from the
# interactions when they change. Stored sorted by position so DuckDB can pair
# each event with the next one without sorting ten million rows per question.
_JOURNEYS = """
CREATE TABLE journey_events (
    pos BIGINT NOT NULL,
    case_no BIGINT NOT NULL,
    case_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    interaction_id TEXT NOT NULL,
    touchpoint_id TEXT NOT NULL,
    channel TEXT,
    medium TEXT,
    stage TEXT,
    type TEXT,
    outcome TEXT,
    ts TIMESTAMPTZ NOT NULL,
    tus BIGINT NOT NULL,
    is_first BOOLEAN NOT NULL,
    seq BIGINT NOT NULL
);

CREATE TABLE journey_builds (
    built_at TIMESTAMPTZ NOT NULL,
    split TEXT NOT NULL,
    gap_hours DOUBLE PRECISION NOT NULL,
    interactions BIGINT NOT NULL,
    last_import BIGINT,
    journeys BIGINT NOT NULL,
    seconds DOUBLE PRECISION NOT NULL
)
"""

_JOURNEYS_PG_INDEXES = """
CREATE INDEX journey_events_pos ON journey_events (pos);
CREATE INDEX journey_events_case ON journey_events (case_no)
"""

# Personas (esperia.personas): each build is a version; its personas carry the
# card as JSON; memberships map every customer to a persona of a version.
_PERSONAS = """
CREATE TABLE persona_versions (
    version INTEGER PRIMARY KEY,
    built_at TIMESTAMPTZ NOT NULL,
    k INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    criterion TEXT NOT NULL,
    customers BIGINT NOT NULL,
    features TEXT NOT NULL,
    scores TEXT,
    drift TEXT
);

CREATE TABLE personas (
    version INTEGER NOT NULL,
    persona INTEGER NOT NULL,
    name_it TEXT NOT NULL,
    name_en TEXT NOT NULL,
    size BIGINT NOT NULL,
    share_customers DOUBLE PRECISION NOT NULL,
    share_revenue DOUBLE PRECISION,
    card TEXT NOT NULL,
    PRIMARY KEY (version, persona)
);

CREATE TABLE persona_members (
    version INTEGER NOT NULL,
    customer_id TEXT NOT NULL,
    persona INTEGER NOT NULL
)
"""

_PERSONAS_PG_INDEXES = """
CREATE INDEX persona_members_customer ON persona_members (customer_id, version)
"""

# Personas from the latent class model (migration 15): how sure the assignment
# is (posterior probability) and whether the customer showed too little
# activity to be typed with confidence.
_PERSONA_CONFIDENCE = """
ALTER TABLE persona_members ADD COLUMN confidence REAL;
ALTER TABLE persona_members ADD COLUMN low_activity BOOLEAN
"""

# The care assistant (esperia.assistant): conversations with their state and
# redacted messages, handovers waiting for a person (the future case inbox picks
# them up by status), and intent corrections that become training examples.
_ASSISTANT = """
CREATE TABLE assistant_conversations (
    conversation_id TEXT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    channel TEXT NOT NULL,
    language TEXT,
    customer_id TEXT,
    status TEXT NOT NULL,
    outcome TEXT,
    csat BIGINT,
    client_hash TEXT,
    messages INTEGER NOT NULL DEFAULT 0,
    interaction_id TEXT,
    feedback_id TEXT,
    state {json}
);

CREATE TABLE assistant_messages (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    role TEXT NOT NULL,
    text_redacted TEXT NOT NULL,
    language TEXT,
    intent TEXT,
    confidence DOUBLE PRECISION,
    out_of_scope BOOLEAN,
    citations TEXT,
    corrected_intent TEXT,
    PRIMARY KEY (conversation_id, seq)
);

CREATE TABLE assistant_handovers (
    handover_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    reason TEXT NOT NULL,
    language TEXT,
    customer_id TEXT,
    context {json},
    transcript TEXT NOT NULL,
    status TEXT NOT NULL,
    taken_by TEXT,
    case_id TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE assistant_examples (
    example_id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    label TEXT NOT NULL,
    language TEXT,
    source TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT
)
"""

_ASSISTANT_PG_INDEXES = """
CREATE INDEX assistant_conversations_updated ON assistant_conversations (updated_at);
CREATE INDEX assistant_handovers_status ON assistant_handovers (status)
"""

_METRICS_SUMMARY = """
CREATE TABLE metrics_summaries (
    part TEXT NOT NULL,
    variant TEXT NOT NULL,
    stamp TEXT NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL,
    seconds DOUBLE PRECISION NOT NULL,
    rows_json TEXT NOT NULL,
    error TEXT
)
"""

# Next best action (esperia.nba): the scored context per customer (one row
# each, written sorted by customer so a point lookup touches one block), the
# scoring runs, and every action given or held back (the holdout controls),
# from which the uplift is measured.
_NBA = """
CREATE SEQUENCE nba_given_seq START 1;
CREATE SEQUENCE nba_run_seq START 1;

CREATE TABLE nba_context (
    customer_id TEXT NOT NULL,
    language TEXT,
    segment TEXT,
    consent_marketing BOOLEAN,
    consent_analytics BOOLEAN,
    tenure_days INTEGER,
    persona INTEGER,
    persona_version INTEGER,
    persona_name_it TEXT,
    persona_name_en TEXT,
    clv DOUBLE PRECISION,
    p_alive DOUBLE PRECISION,
    churn_risk DOUBLE PRECISION,
    value_tier TEXT,
    margin_rate DOUBLE PRECISION,
    revenue_12m DOUBLE PRECISION,
    orders_total BIGINT,
    avg_order_value DOUBLE PRECISION,
    days_since_order INTEGER,
    last_feedback_at TIMESTAMPTZ,
    last_touchpoint TEXT,
    last_sentiment DOUBLE PRECISION,
    last_polarity TEXT,
    days_since_feedback INTEGER,
    nps_last BIGINT,
    nps_class TEXT,
    bad_experiences_recent BIGINT,
    negative_feedback_recent BIGINT,
    open_cases BIGINT,
    events_attended BIGINT,
    relate_mentions BIGINT,
    last_action_at TIMESTAMPTZ,
    holdout BOOLEAN NOT NULL,
    ranked TEXT,
    top_action TEXT,
    top_value DOUBLE PRECISION,
    as_of TIMESTAMPTZ,
    run_id BIGINT NOT NULL,
    payload TEXT NOT NULL
);

CREATE TABLE nba_runs (
    run_id BIGINT PRIMARY KEY,
    scored_at TIMESTAMPTZ NOT NULL,
    as_of TIMESTAMPTZ,
    customers BIGINT NOT NULL,
    with_action BIGINT NOT NULL,
    holdout BIGINT NOT NULL,
    seconds DOUBLE PRECISION NOT NULL,
    effects TEXT NOT NULL
);

CREATE TABLE nba_given (
    given_id BIGINT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    given_at TIMESTAMPTZ NOT NULL,
    channel TEXT,
    holdout BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    actor TEXT NOT NULL,
    expected_value DOUBLE PRECISION
)
"""

_NBA_PG_INDEXES = """
CREATE INDEX nba_context_customer ON nba_context (customer_id);
CREATE INDEX nba_given_customer ON nba_given (customer_id, given_at);
CREATE INDEX nba_given_action ON nba_given (action_id)
"""

# Privacy (esperia.customers.personal_data): an outbox notice names the case it
# announces, so erasing a customer removes the notices about their cases.
# Case notices written before carry the case id in their dedup key
# (``<event>:<case_id>:...``).
_PRIVACY = """
ALTER TABLE act_outbox ADD COLUMN case_id BIGINT;
UPDATE act_outbox SET case_id = CAST(split_part(dedup_key, ':', 2) AS BIGINT)
WHERE event LIKE 'case.%' AND dedup_key LIKE 'case.%'
"""

_PRIVACY_PG_INDEXES = """
CREATE INDEX act_outbox_case ON act_outbox (case_id)
"""

# Which purchase model (bg-nbd, pareto-nbd) each CLV fit used; fits stored
# before Pareto/NBD could be chosen were BG/NBD.
_CLV_MODEL = """
ALTER TABLE clv_fits ADD COLUMN model TEXT DEFAULT 'bg-nbd'
"""

#: Every migration. Version numbers are owned per feature (4 text, 5 value,
#: 6 journeys, 7 feedback items, 8 assistant, 9 metrics, 10 close the loop,
#: 11 personas, 12 surveys, 13 next best action, 14 value realization,
#: 15 persona confidence, 16 privacy, 17 CLV model); a workspace applies
#: whichever it has not applied.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core data model", _CORE),
    Migration(2, "users, API keys, audit log", _ACCESS),
    Migration(3, "PostgreSQL lookup indexes", _PG_INDEXES),
    Migration(4, "text analytics per feedback", _TEXT, _TEXT_PG_INDEXES),
    Migration(5, "customer value and CLV fits", _VALUE, _VALUE_PG_INDEXES),
    Migration(6, "journeys in journey order", _JOURNEYS, _JOURNEYS_PG_INDEXES),
    Migration(
        7, "survey answers per item", _FEEDBACK_ITEMS, _FEEDBACK_ITEMS_PG_INDEXES
    ),
    Migration(8, "care assistant", _ASSISTANT, _ASSISTANT_PG_INDEXES),
    Migration(9, "stored metrics overview", _METRICS_SUMMARY),
    Migration(10, "close the loop: rules, cases, outbox", _ACT, _ACT_PG_INDEXES),
    Migration(11, "personas, versions, members", _PERSONAS, _PERSONAS_PG_INDEXES),
    Migration(12, "surveys, invitations, answers", _SURVEYS, _SURVEYS_PG_INDEXES),
    Migration(13, "next best action", _NBA, _NBA_PG_INDEXES),
    Migration(
        14,
        "value realization: category spend, market share",
        _REALIZATION,
        _REALIZATION_PG_INDEXES,
    ),
    Migration(15, "persona membership confidence", _PERSONA_CONFIDENCE),
    Migration(16, "outbox notices name their case", _PRIVACY, _PRIVACY_PG_INDEXES),
    Migration(17, "the purchase model of each CLV fit", _CLV_MODEL),
)

_PLACEHOLDERS = {
    "duckdb": {"json": "JSON", "key": "NOT NULL"},
    "postgresql": {"json": "JSONB", "key": "PRIMARY KEY"},
}


def _statements(migration: Migration, dialect: str) -> list[str]:
    if migration.version == 3 and dialect != "postgresql":
        return []  # DuckDB's zone maps do this job without an index
    ddl = migration.ddl
    if dialect == "postgresql" and migration.postgres_ddl:
        ddl = f"{ddl};\n{migration.postgres_ddl}"
    sql = ddl.format(**_PLACEHOLDERS[dialect])
    return [s.strip() for s in sql.split(";") if s.strip()]


def _ensure_table(conn: Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TIMESTAMPTZ NOT NULL)"
    )


def current_version(store: Store) -> int:
    """The newest migration applied to the store (0 for an empty database)."""
    with store.connect() as conn:
        _ensure_table(conn)
        return int(
            conn.scalar("SELECT coalesce(max(version), 0) FROM schema_migrations")
        )


def _applied(conn: Connection) -> set[int]:
    return {
        int(row[0]) for row in conn.fetchall("SELECT version FROM schema_migrations")
    }


def pending(store: Store) -> list[Migration]:
    """Migrations not yet applied, oldest first.

    By version *set*, not by the newest number: features developed side by side
    each own a version, and a workspace gets whichever it lacks.
    """
    with store.connect() as conn:
        _ensure_table(conn)
        done = _applied(conn)
    return [m for m in MIGRATIONS if m.version not in done]


def upgrade(store: Store) -> list[Migration]:
    """Apply every pending migration, each in its own transaction."""
    applied = []
    with store.write_lock, store.connect() as conn:
        _ensure_table(conn)
        done = _applied(conn)
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            with conn.transaction():
                for statement in _statements(migration, store.dialect):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, current_timestamp)",
                    (migration.version, migration.name),
                )
            applied.append(migration)
    return applied
