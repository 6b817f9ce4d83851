"""Database access behind one small interface, for DuckDB and PostgreSQL alike.

SQL in Esperia is written once, with ``?`` placeholders; the PostgreSQL side
rewrites them. Bulk loads use each engine's native path (DuckDB's Arrow scans,
PostgreSQL's COPY).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

import duckdb

from esperia.errors import InvalidInput, StoreError

if TYPE_CHECKING:
    import ibis
    import pyarrow as pa

    from esperia.config import Settings

__all__ = ["Connection", "DuckDBStore", "PostgresStore", "Store", "open_store"]

Dialect = Literal["duckdb", "postgresql"]


class Connection(ABC):
    """One unit of work on the store: statements, queries, a transaction."""

    dialect: Dialect

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def fetchall(
        self, sql: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def execute_count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT, UPDATE or DELETE and return how many rows it touched."""

    @abstractmethod
    def transaction(self) -> Any:
        """A context manager: commit on success, roll back on any exception."""

    @abstractmethod
    def load_arrow(self, table: str, data: pa.Table) -> None:
        """Create temporary ``table`` holding ``data`` (column names kept)."""

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self.fetchall(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.fetchone(sql, params)
        return row[0] if row else None

    def table_exists(self, table: str) -> bool:
        """Whether ``table`` exists: temporary work tables, or a feature's
        tables in a database not yet upgraded."""
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                (table,),
            )
        )

    @abstractmethod
    def fetch_dicts(
        self, sql: str, params: Sequence[Any] = ()
    ) -> list[dict[str, Any]]: ...


class Store(ABC):
    """A database chosen by URL: the same schema and behaviour on every engine."""

    dialect: Dialect
    url: str

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        #: Serialises writers that check-then-insert (idempotent loads) in-process.
        self.write_lock = threading.RLock()

    @abstractmethod
    def connect(self) -> Any:
        """A context manager yielding a :class:`Connection`."""

    def pooled(self) -> Any:
        """A context manager yielding a :class:`Connection` kept for reuse.

        For many short units of work (a chat message): the connection and its
        session settings outlive the block, so opening one costs nothing after
        the first time. Users must leave no session state behind (no temporary
        tables, no ``SET``); a block that raises discards its connection.
        Engines without a pool fall back to :meth:`connect`.
        """
        return self.connect()

    @abstractmethod
    def ibis(self) -> ibis.BaseBackend:
        """An Ibis backend over the same database, for analytics."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the database (a no-op where nothing is held)."""

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages and status."""
        parsed = urlparse(self.url)
        if parsed.password:
            netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
            return parsed._replace(netloc=netloc).geturl()
        return self.url


# --------------------------------------------------------------------- DuckDB


class DuckDBConnection(Connection):
    dialect: Dialect = "duckdb"

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.raw = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.raw.execute(sql, list(params) if params else None)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.raw.execute(sql, list(params) if params else None).fetchall()

    def execute_count(self, sql: str, params: Sequence[Any] = ()) -> int:
        rows = self.raw.execute(sql, list(params) if params else None).fetchall()
        return int(rows[0][0]) if rows else 0

    def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.raw.execute(sql, list(params) if params else None)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.raw.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def load_arrow(self, table: str, data: pa.Table) -> None:
        self.raw.register("_arrow_in", data)
        try:
            self.raw.execute(
                f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT * FROM _arrow_in'
            )
        finally:
            self.raw.unregister("_arrow_in")


def configure_duckdb(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Session settings every DuckDB connection of Esperia uses."""
    con.execute("SET autoinstall_known_extensions = false")
    con.execute(f"SET TimeZone = '{_quote(settings.timezone)}'")
    con.execute(f"SET memory_limit = '{_quote(settings.duckdb_memory_limit)}'")
    if settings.duckdb_threads:
        con.execute(f"SET threads = {int(settings.duckdb_threads)}")


def _configure_cursor(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """A cursor of a configured database needs only its session's time zone:
    the other settings are global and set once when the database opens (this
    saves three statements on every request's connection)."""
    con.execute(f"SET TimeZone = '{_quote(settings.timezone)}'")


class DuckDBStore(Store):
    """The embedded default: one file in the workspace, opened once per process."""

    dialect: Dialect = "duckdb"

    def __init__(self, settings: Settings, path: Path | None) -> None:
        super().__init__(settings)
        self.path = path
        self.url = f"duckdb:///{path}" if path else "duckdb:///:memory:"
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._con = duckdb.connect(str(path) if path else ":memory:")
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreError(
                    f"the database {path} is in use by another Esperia process "
                    "(for example `esperia serve`); stop it first, or use PostgreSQL "
                    "for several processes at once"
                ) from None
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        configure_duckdb(self._con, settings)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._pooled: list[duckdb.DuckDBPyConnection] = []

    @contextmanager
    def connect(self) -> Iterator[DuckDBConnection]:
        with self._lock:
            cursor = self._con.cursor()
        _configure_cursor(cursor, self.settings)
        try:
            yield DuckDBConnection(cursor)
        finally:
            cursor.close()

    @contextmanager
    def pooled(self) -> Iterator[DuckDBConnection]:
        """One configured cursor per thread, reused (a nested call in the same
        thread gets a fresh cursor, as :meth:`connect` would)."""
        local = self._local
        if getattr(local, "busy", False):
            with self.connect() as conn:
                yield conn
            return
        cursor = getattr(local, "cursor", None)
        if cursor is None:
            with self._lock:
                cursor = self._con.cursor()
                self._pooled.append(cursor)
            _configure_cursor(cursor, self.settings)
            local.cursor = cursor
        local.busy = True
        try:
            yield DuckDBConnection(cursor)
        except BaseException:
            local.cursor = None
            with self._lock:
                if cursor in self._pooled:
                    self._pooled.remove(cursor)
            cursor.close()
            raise
        finally:
            local.busy = False

    def ibis(self) -> ibis.BaseBackend:
        import ibis

        with self._lock:  # cursors are made one at a time, as in connect()
            cursor = self._con.cursor()
        return ibis.duckdb.from_connection(cursor)

    def close(self) -> None:
        with self._lock:
            pooled, self._pooled = self._pooled, []
        for cursor in pooled:
            cursor.close()
        self._con.close()


# ----------------------------------------------------------------- PostgreSQL


def _pg_sql(sql: str, has_params: bool) -> str:
    if not has_params:
        return sql
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresConnection(Connection):
    dialect: Dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.raw.execute(_pg_sql(sql, bool(params)), list(params) if params else None)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self.raw.execute(
            _pg_sql(sql, bool(params)), list(params) if params else None
        )
        return list(cur.fetchall()) if cur.description else []

    def execute_count(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = self.raw.execute(
            _pg_sql(sql, bool(params)), list(params) if params else None
        )
        return max(int(cur.rowcount), 0)

    def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.raw.execute(
            _pg_sql(sql, bool(params)), list(params) if params else None
        )
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.raw.transaction():
            yield

    def load_arrow(self, table: str, data: pa.Table) -> None:
        from esperia.store.pgcopy import copy_arrow

        copy_arrow(self.raw, table, data)


class PostgresStore(Store):
    """A PostgreSQL server, for several users and processes at once."""

    dialect: Dialect = "postgresql"

    #: Idle connections kept by :meth:`pooled` (more are opened when busy).
    pool_size = 8

    def __init__(self, settings: Settings, url: str) -> None:
        super().__init__(settings)
        self.url = url
        self._idle: list[Any] = []
        self._pool_lock = threading.Lock()
        # Fail at open, with a clear message, when the server cannot be reached.
        with self.connect() as conn:
            conn.scalar("SELECT 1")

    def _open(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True)
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise StoreError(
                f"cannot reach PostgreSQL at {self.display_url}: {first}"
            ) from None
        try:
            conn.execute(f"SET TIME ZONE '{_quote(self.settings.timezone)}'")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def connect(self) -> Iterator[PostgresConnection]:
        conn = self._open()
        try:
            yield PostgresConnection(conn)
        finally:
            conn.close()

    @contextmanager
    def pooled(self) -> Iterator[PostgresConnection]:
        """A connection from a small pool of idle ones (opened when none is idle)."""
        from psycopg.pq import TransactionStatus

        conn = None
        with self._pool_lock:
            if self._idle:
                conn = self._idle.pop()
        if conn is None or conn.closed or conn.broken:
            conn = self._open()
        reusable = False
        try:
            yield PostgresConnection(conn)
            reusable = (
                not conn.closed
                and conn.info.transaction_status == TransactionStatus.IDLE
            )
        finally:
            if reusable:
                with self._pool_lock:
                    if len(self._idle) < self.pool_size:
                        self._idle.append(conn)
                        conn = None
            if conn is not None:
                conn.close()

    def close(self) -> None:
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def ibis(self) -> ibis.BaseBackend:
        import ibis

        return ibis.postgres.connect(self.url)


# ------------------------------------------------------------------- factory


def _quote(value: str) -> str:
    return value.replace("'", "''")


def open_store(settings: Settings) -> Store:
    """Open the store the settings point at (see ``ESPERIA_DATABASE_URL``)."""
    url = settings.resolved_database_url
    scheme = url.split(":", 1)[0].lower()
    if scheme == "duckdb":
        rest = url[len("duckdb://") :]
        if rest in ("", "/", "/:memory:", ":memory:"):
            return DuckDBStore(settings, None)
        # duckdb:///relative.duckdb and duckdb:////absolute/path.duckdb
        return DuckDBStore(settings, Path(rest[1:]))
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return PostgresStore(settings, url.replace("postgresql+psycopg", "postgresql"))
    raise InvalidInput(
        f"unsupported database URL {url!r}: use duckdb:///path or postgresql://…"
    )
