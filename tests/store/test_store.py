"""The store behaves the same on DuckDB and PostgreSQL: schema, SQL, transactions."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pytest
from support.postgres import PostgresCluster
from support.server import serve_app

from esperia.config import load_settings
from esperia.errors import InvalidInput, StoreError
from esperia.store import KINDS, ColumnType, Store, open_store, upgrade
from esperia.store.migrations import MIGRATIONS, current_version, pending

#: The type each engine reports in information_schema for a logical column type.
_TYPES = {
    "duckdb": {
        ColumnType.TEXT: "VARCHAR",
        ColumnType.INTEGER: "BIGINT",
        ColumnType.DOUBLE: "DOUBLE",
        ColumnType.BOOLEAN: "BOOLEAN",
        ColumnType.TIMESTAMP: "TIMESTAMP WITH TIME ZONE",
        ColumnType.JSON: "JSON",
    },
    "postgresql": {
        ColumnType.TEXT: "text",
        ColumnType.INTEGER: "bigint",
        ColumnType.DOUBLE: "double precision",
        ColumnType.BOOLEAN: "boolean",
        ColumnType.TIMESTAMP: "timestamp with time zone",
        ColumnType.JSON: "jsonb",
    },
}

_UNIQUE_VIOLATIONS = (duckdb.ConstraintException, psycopg.errors.UniqueViolation)
_OTHER_TABLES = ("imports", "users", "api_keys", "audit_log", "schema_migrations")


def _columns(store: Store, table: str) -> list[tuple[str, str, str]]:
    """(name, type, is_nullable) of a table of the current schema, in order."""
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT column_name, data_type, is_nullable "
            "FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = current_schema() "
            "ORDER BY ordinal_position",
            (table,),
        )
    return [(str(n), str(t), str(nullable)) for n, t, nullable in rows]


def _tables(store: Store) -> set[str]:
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()"
        )
    return {str(r[0]) for r in rows}


def test_store_reports_its_dialect(store: Store, backend: str) -> None:
    assert store.dialect == backend
    with store.connect() as conn:
        assert conn.dialect == backend


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_kind_tables_have_exactly_the_declared_columns(
    store: Store, backend: str, kind_name: str
) -> None:
    kind = KINDS[kind_name]
    types = _TYPES[backend]
    expected = [
        (c.name, types[c.type], "NO" if c.required else "YES") for c in kind.columns
    ]
    expected += [
        (kind.extras, types[ColumnType.JSON], "YES"),
        ("import_id", types[ColumnType.INTEGER], "YES"),
        ("loaded_at", types[ColumnType.TIMESTAMP], "YES"),
    ]
    assert _columns(store, kind.table) == expected


def test_migrations_create_every_table(store: Store) -> None:
    assert _tables(store) >= {*(k.table for k in KINDS.values()), *_OTHER_TABLES}


def test_upgrade_is_idempotent(store: Store) -> None:
    newest = MIGRATIONS[-1].version
    before = {table: _columns(store, table) for table in _tables(store)}
    assert upgrade(store) == []
    assert upgrade(store) == []
    assert pending(store) == []
    assert current_version(store) == newest
    assert {table: _columns(store, table) for table in _tables(store)} == before
    with store.connect() as conn:
        versions = [
            r[0] for r in conn.fetchall("SELECT version FROM schema_migrations")
        ]
    assert sorted(versions) == [m.version for m in MIGRATIONS]


def test_fresh_database_starts_at_version_zero(settings: Any) -> None:
    opened = open_store(settings)
    try:
        assert current_version(opened) == 0
        assert [m.version for m in pending(opened)] == [m.version for m in MIGRATIONS]
        applied = upgrade(opened)
        assert [m.version for m in applied] == [m.version for m in MIGRATIONS]
        assert current_version(opened) == MIGRATIONS[-1].version
    finally:
        opened.close()


def test_sequences_count_up(store: Store) -> None:
    with store.connect() as conn:
        first = conn.scalar("SELECT nextval('user_seq')")
        second = conn.scalar("SELECT nextval('user_seq')")
        assert (first, second) == (1, 2)
        assert conn.scalar("SELECT nextval('import_seq')") == 1


def test_question_mark_placeholders(store: Store) -> None:
    awkward = "50% off? Sì, perché no — 'quoted' \"twice\""
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO touchpoints (touchpoint_id, name, channel, promise_target) "
            "VALUES (?, ?, ?, ?)",
            ("tp-1", awkward, "web", 0.5),
        )
        conn.execute(
            "INSERT INTO touchpoints (touchpoint_id, name, channel) VALUES (?, ?, ?)",
            ["tp-2", "Negozio 100%", "store"],
        )
        # A literal % in SQL that also has parameters must survive the rewrite.
        rows = conn.fetchall(
            "SELECT touchpoint_id, name FROM touchpoints "
            "WHERE name LIKE '%\\%%' ESCAPE '\\' AND promise_target > ? "
            "ORDER BY touchpoint_id",
            (0.1,),
        )
        assert rows == [("tp-1", awkward)]
        assert conn.fetch_dicts(
            "SELECT touchpoint_id, channel FROM touchpoints WHERE name = ?", (awkward,)
        ) == [{"touchpoint_id": "tp-1", "channel": "web"}]
        assert (
            conn.fetchone("SELECT name FROM touchpoints WHERE channel = ?", ("x",))
            is None
        )
        assert (
            conn.scalar("SELECT count(*) FROM touchpoints WHERE name LIKE 'Neg%'") == 1
        )
        assert conn.fetchall("SELECT 1 WHERE 1 = ?", (2,)) == []


def test_transaction_rolls_back_on_exception(store: Store) -> None:
    insert = "INSERT INTO touchpoints (touchpoint_id, name, channel) VALUES (?, ?, ?)"
    with store.connect() as conn:
        with pytest.raises(RuntimeError, match="boom"), conn.transaction():
            conn.execute(insert, ("tp-gone", "Gone", "web"))
            assert conn.scalar("SELECT count(*) FROM touchpoints") == 1
            raise RuntimeError("boom")
        assert conn.scalar("SELECT count(*) FROM touchpoints") == 0
        with conn.transaction():
            conn.execute(insert, ("tp-kept", "Kept", "web"))
        # The connection stays usable after a rollback.
        conn.execute(insert, ("tp-after", "After", "web"))
    with store.connect() as other:
        ids = other.fetchall("SELECT touchpoint_id FROM touchpoints ORDER BY 1")
    assert ids == [("tp-after",), ("tp-kept",)]


def test_failed_statement_rolls_back_the_whole_transaction(store: Store) -> None:
    insert = "INSERT INTO users VALUES (?, ?, NULL, 'admin', 'h', TRUE, ?, NULL)"
    now = datetime.now(UTC)
    with store.connect() as conn:
        with pytest.raises(_UNIQUE_VIOLATIONS), conn.transaction():
            conn.execute(insert, (1, "a@example.com", now))
            conn.execute(insert, (2, "a@example.com", now))  # UNIQUE(email)
        assert conn.scalar("SELECT count(*) FROM users") == 0


_PLUS_ONE = timezone(timedelta(hours=1))
_ROUND_TRIP: dict[str, tuple[pa.DataType, list[Any]]] = {
    "s": (
        pa.string(),
        ["plain", "", None, 'comma, "quote"\nnewline', "perché è così ✓", " pad "],
    ),
    "i": (pa.int64(), [1, 2**62, None, -7, 0, 42]),
    "f": (pa.float64(), [0.1, 1 / 3, None, -2.5, 1e-300, 12345.678]),
    "b": (pa.bool_(), [True, False, None, True, False, True]),
    "ts": (
        pa.timestamp("us", tz="Europe/Rome"),
        [
            datetime(2024, 3, 31, 1, 59, 59, 123456, tzinfo=UTC),
            datetime(2024, 7, 1, 12, 0, tzinfo=_PLUS_ONE),
            None,
            datetime(1999, 12, 31, 23, 0, tzinfo=UTC),
            datetime(2030, 1, 1, tzinfo=UTC),
            datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
        ],
    ),
    "n": (pa.string(), [None] * 6),
}


def test_load_arrow_round_trips(store: Store) -> None:
    data = pa.table(
        {name: pa.array(values, type=t) for name, (t, values) in _ROUND_TRIP.items()}
    )
    data = data.append_column("row", pa.array(range(6), type=pa.int64()))
    with store.connect() as conn:
        conn.load_arrow("arrow_in", data)
        rows = conn.fetch_dicts('SELECT s, i, f, b, ts, n FROM arrow_in ORDER BY "row"')
        # Loading again under the same name replaces the table.
        conn.load_arrow("arrow_in", data.slice(0, 2))
        assert conn.scalar("SELECT count(*) FROM arrow_in") == 2
    assert len(rows) == 6
    for position, row in enumerate(rows):
        for name, (_, values) in _ROUND_TRIP.items():
            expected = values[position]
            got = row[name]
            if isinstance(expected, datetime):
                # Compare instants: Python never equates an ambiguous local time
                # (the DST fold, row 5) with another zone's, even when equal.
                assert got.tzinfo is not None, (name, position)
                got, expected = got.astimezone(UTC), expected.astimezone(UTC)
            assert got == expected, (name, position, got, expected)


def test_load_arrow_empty_table(store: Store) -> None:
    data = pa.table(
        {"a": pa.array([], type=pa.string()), "b": pa.array([], pa.int64())}
    )
    with store.connect() as conn:
        conn.load_arrow("empty_in", data)
        assert conn.scalar("SELECT count(*) FROM empty_in") == 0
        assert conn.fetchall("SELECT a, b FROM empty_in") == []


def test_unsupported_url_is_invalid_input(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "ws", database_url="mysql://u:p@localhost/db")
    with pytest.raises(InvalidInput, match="unsupported database URL"):
        open_store(settings)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_postgres_is_a_one_line_store_error(tmp_path: Path) -> None:
    url = f"postgresql://esperia:s3cret-pw@127.0.0.1:{_closed_port()}/esperia"
    settings = load_settings(tmp_path / "ws", database_url=url + "?connect_timeout=3")
    with pytest.raises(StoreError) as caught:
        open_store(settings)
    message = str(caught.value)
    assert "cannot reach PostgreSQL" in message
    assert "\n" not in message
    assert "s3cret-pw" not in message
    assert ":***@127.0.0.1" in message
    assert caught.value.status_code == 503


@pytest.mark.postgres
def test_wrong_postgres_password_is_a_store_error(
    postgres_cluster: PostgresCluster, postgres_url: str, tmp_path: Path
) -> None:
    wrong = postgres_url.replace(postgres_cluster.password, "n0t-the-pw")
    with pytest.raises(StoreError) as caught:
        open_store(load_settings(tmp_path / "ws", database_url=wrong))
    message = str(caught.value)
    assert "\n" not in message
    assert "n0t-the-pw" not in message
    assert "password authentication failed" in message


def test_duckdb_file_lives_in_the_workspace(
    duckdb_store: Store, duckdb_settings: Any
) -> None:
    assert duckdb_store.dialect == "duckdb"
    assert (duckdb_settings.workspace / "esperia.duckdb").is_file()
    assert current_version(duckdb_store) == MIGRATIONS[-1].version


def test_live_server_fixture_serves_an_app() -> None:
    """The uvicorn helper with a tiny app of its own (the real app has its tests)."""
    import httpx
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"answer": "pong"}

    with serve_app(app) as url:
        assert url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{url}/ping", timeout=5)
        assert response.json() == {"answer": "pong"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/ping", timeout=2)


def test_live_server_serves_the_openapi_document(live_server: str) -> None:
    import httpx

    response = httpx.get(f"{live_server}/api/v1/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Esperia"


@pytest.mark.browser
def test_browser_fixture_renders_and_records_console_errors(
    page: Any, console_errors: list[str]
) -> None:
    """The Chromium fixtures against a tiny app of their own."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        return (
            "<!doctype html><title>Prova</title><link rel=icon href='data:,'>"
            "<h1>Ciao, mondo</h1>"
            "<script>console.error('planted error'); undefinedCall();</script>"
        )

    with serve_app(app) as url:
        page.goto(url)
        assert page.title() == "Prova"
        assert page.locator("h1").inner_text() == "Ciao, mondo"
    assert len(console_errors) == 2
    assert "planted error" in console_errors[0]
    assert "undefinedCall" in console_errors[1]


def test_a_missing_middle_migration_is_found_and_applied(store: Store) -> None:
    """Features own version numbers: a workspace lacking an older one gets it."""
    with store.connect() as conn:
        conn.execute("DROP TABLE feedback_items")
        conn.execute("DELETE FROM schema_migrations WHERE version = 7")
    assert [m.version for m in pending(store)] == [7]
    assert current_version(store) == MIGRATIONS[-1].version
    assert [m.version for m in upgrade(store)] == [7]
    assert pending(store) == []
    assert "feedback_items" in _tables(store)


def test_open_workspace_refuses_a_schema_missing_a_migration(tmp_path: Path) -> None:
    from esperia.errors import WorkspaceError
    from esperia.workspace import init_workspace, open_workspace

    result = init_workspace(tmp_path / "ws")
    settings = load_settings(result.workspace)
    store = open_workspace(settings)
    with store.connect() as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version = 4")
    store.close()
    with pytest.raises(WorkspaceError, match=r"lacks migration\(s\) 4"):
        open_workspace(settings)


def test_table_exists_on_both_engines(store: Store) -> None:
    with store.connect() as conn:
        assert conn.table_exists("customers")
        assert conn.table_exists("feedback_text")
        assert not conn.table_exists("no_such_table")
