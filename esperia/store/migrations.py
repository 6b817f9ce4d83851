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

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core data model", _CORE),
    Migration(2, "users, API keys, audit log", _ACCESS),
    Migration(3, "PostgreSQL lookup indexes", _PG_INDEXES),
)

_PLACEHOLDERS = {
    "duckdb": {"json": "JSON", "key": "NOT NULL"},
    "postgresql": {"json": "JSONB", "key": "PRIMARY KEY"},
}


def _statements(migration: Migration, dialect: str) -> list[str]:
    if migration.version == 3 and dialect != "postgresql":
        return []  # DuckDB's zone maps do this job without an index
    sql = migration.ddl.format(**_PLACEHOLDERS[dialect])
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


def pending(store: Store) -> list[Migration]:
    """Migrations not yet applied, oldest first."""
    version = current_version(store)
    return [m for m in MIGRATIONS if m.version > version]


def upgrade(store: Store) -> list[Migration]:
    """Apply every pending migration, each in its own transaction."""
    applied = []
    with store.write_lock, store.connect() as conn:
        _ensure_table(conn)
        version = int(
            conn.scalar("SELECT coalesce(max(version), 0) FROM schema_migrations")
        )
        for migration in MIGRATIONS:
            if migration.version <= version:
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
