"""A throwaway PostgreSQL cluster for the test session, one fresh database per test.

The cluster is built with the installed server binaries (``initdb``, ``pg_ctl``)
in a temporary folder (in memory under /dev/shm when there is one), listens on
127.0.0.1 on a free port with password (SCRAM) authentication, and runs with
``fsync=off``: its data is thrown away.
``initdb`` refuses to run as root, so as root every server command runs as the
``postgres`` system user, on a folder that user owns.

``ESPERIA_TEST_PG_BIN`` names the folder holding the binaries (default: the
newest ``/usr/lib/postgresql/*/bin``); pointing it at a missing folder shows
what a machine without PostgreSQL does (skip, or fail under ``CI=true``).
With pytest-xdist every worker starts its own cluster.
"""

from __future__ import annotations

import atexit
import itertools
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support import unavailable

__all__ = [
    "PostgresCluster",
    "PostgresUnavailableError",
    "find_pg_bin",
    "postgres_cluster",
    "postgres_url",
    "start_cluster",
]

PG_BIN_ENV = "ESPERIA_TEST_PG_BIN"
_SERVER_USER = "postgres"
_SUPERUSER = "esperia_test"
_START_ATTEMPTS = 3
_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 64MB
log_min_messages = warning
log_checkpoints = off
"""


class PostgresUnavailableError(RuntimeError):
    """The machine cannot run a throwaway PostgreSQL (binaries or user missing)."""


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)


def find_pg_bin() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``; raise if there is none."""
    override = os.environ.get(PG_BIN_ENV)
    if override:
        candidates = [Path(override)]
    else:
        candidates = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True
        )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    where = override or "/usr/lib/postgresql/*/bin"
    raise PostgresUnavailableError(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found in {where}; "
        "install the Debian package `postgresql`"
    )


def _memory_dir() -> str | None:
    """/dev/shm when usable: on tmpfs CREATE DATABASE takes ~10 ms, not ~250 ms."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _reap_orphans(parent: Path) -> None:
    """Remove clusters of killed sessions, which atexit and fixtures cannot stop.

    A cluster is an orphan when the pytest process that made it (``owner.pid``)
    is gone; its server gets SIGQUIT (immediate shutdown) if it still runs.
    """
    for base in parent.glob("esperia-pg-*"):
        try:
            owner = int((base / "owner.pid").read_text())
        except (OSError, ValueError):
            continue  # still being created, or not ours to read
        if _alive(owner):
            continue
        try:
            server = int((base / "data" / "postmaster.pid").read_text().split()[0])
            cmdline = Path(f"/proc/{server}/cmdline").read_bytes()
            if str(base).encode() in cmdline:
                os.kill(server, signal.SIGQUIT)
        except (OSError, ValueError, IndexError):
            pass
        shutil.rmtree(base, ignore_errors=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    """A running throwaway cluster; :meth:`stop` removes every trace of it."""

    bin_dir: Path
    base: Path
    port: int
    user: str
    password: str
    run_as: str | None
    _names: Iterator[int] = field(default_factory=itertools.count)
    _stopped: bool = False

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL for ``database`` as the test superuser."""
        return (
            f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"
        )

    def create_database(self, prefix: str = "test") -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            # FILE_COPY (PostgreSQL 15+) copies the template's files instead of
            # writing them to WAL: about half the time of the default WAL_LOG.
            strategy = (
                " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""
            )
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0{strategy}')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url``, closing any connection a test left open."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server and delete its folder (safe to call twice)."""
        if self._stopped:
            return
        self._stopped = True
        try:
            _run(
                self,
                [
                    *(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir)),
                    *("-m", "immediate", "-w", "-t", "30"),
                ],
                check=False,
            )
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def _run(
    cluster: PostgresCluster, argv: list[str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a server command, as the ``postgres`` user when we are root."""
    program = Path(argv[0]).name
    if cluster.run_as:
        argv = ["runuser", "-u", cluster.run_as, "--", *argv]
    result = subprocess.run(
        argv,
        cwd=cluster.base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    if check and result.returncode != 0:
        log = cluster.base / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(
            f"{program} failed ({result.returncode}): {result.stderr.strip()}\n{tail}"
        )
    return result


def start_cluster() -> PostgresCluster:
    """Create, configure and start a cluster (PostgresUnavailableError if we cannot)."""
    bin_dir = find_pg_bin()
    run_as: str | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(_SERVER_USER)
        except KeyError:
            raise PostgresUnavailableError(
                "running as root and there is no `postgres` system user to run "
                "initdb as"
            ) from None
        if shutil.which("runuser") is None:
            raise PostgresUnavailableError("running as root and `runuser` is missing")
        run_as = _SERVER_USER
    parent = Path(_memory_dir() or tempfile.gettempdir())
    _reap_orphans(parent)
    base = Path(tempfile.mkdtemp(prefix="esperia-pg-", dir=parent))
    (base / "owner.pid").write_text(str(os.getpid()), encoding="ascii")
    if run_as:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    base.chmod(0o700)
    cluster = PostgresCluster(
        bin_dir=bin_dir,
        base=base,
        port=0,
        user=_SUPERUSER,
        password=secrets.token_urlsafe(16),
        run_as=run_as,
    )
    try:
        pwfile = base / "pwfile"
        pwfile.write_text(cluster.password + "\n", encoding="utf-8")
        if run_as:
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        _run(
            cluster,
            [
                *(str(bin_dir / "initdb"), "-D", str(cluster.data_dir)),
                *("-U", _SUPERUSER, f"--pwfile={pwfile}", "-A", "scram-sha-256"),
                *("-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"),
            ],
        )
        pwfile.unlink()
        with (cluster.data_dir / "postgresql.conf").open("a", encoding="utf-8") as fh:
            fh.write(_CONF.format(socket_dir=base))
        _start(cluster)
    except BaseException:
        cluster.stop()
        raise
    atexit.register(cluster.stop)
    return cluster


def _start(cluster: PostgresCluster) -> None:
    """Start on a free port, retrying when another process takes it first."""
    for attempt in range(1, _START_ATTEMPTS + 1):
        cluster.port = _free_port()
        result = _run(
            cluster,
            [
                *(
                    str(cluster.bin_dir / "pg_ctl"),
                    "start",
                    "-D",
                    str(cluster.data_dir),
                ),
                *("-l", str(cluster.base / "server.log"), "-w", "-t", "60"),
                *("-o", f"-p {cluster.port}"),
            ],
            check=attempt == _START_ATTEMPTS,
        )
        if result.returncode == 0:
            return
        time.sleep(0.2)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway cluster per test session (per xdist worker)."""
    try:
        cluster = start_cluster()
    except PostgresUnavailableError as exc:
        unavailable(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    url = postgres_cluster.create_database()
    yield url
    postgres_cluster.drop_database(url)
