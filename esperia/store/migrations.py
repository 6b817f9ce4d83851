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

#: Every migration. Version numbers are owned per feature (4 text, 5 value,
#: 6 journeys, 7 feedback items, 8 assistant, 9 metrics, 10 close the loop,
#: 11 personas, 12 surveys); a workspace applies whichever it has not applied.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core data model", _CORE),
    Migration(2, "users, API keys, audit log", _ACCESS),
    Migration(3, "PostgreSQL lookup indexes", _PG_INDEXES),
    Migration(4, "text analytics per feedback", _TEXT, _TEXT_PG_INDEXES),
    Migration(
        7, "survey answers per item", _FEEDBACK_ITEMS, _FEEDBACK_ITEMS_PG_INDEXES
    ),
    Migration(8, "care assistant", _ASSISTANT, _ASSISTANT_PG_INDEXES),
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
