"""A throwaway PostgreSQL cluster for the benchmarks, on disk and durable.

Built with the test suite's helpers (``tests/support/postgres.py``) but not
with its settings: the tests run from memory with ``fsync=off``, which would
flatter PostgreSQL here. This cluster lives under the system temp folder (the
same disk as the DuckDB files), keeps PostgreSQL's durability defaults
(``fsync``, ``synchronous_commit``, ``full_page_writes`` on) and gets the two
settings any bulk-loading installation changes: more shared buffers and a
larger ``max_wal_size``, so 10 million rows do not force a checkpoint storm.
``auto_explain`` logs the plan of every statement slower than 5 s to the
server log, which :meth:`save_log` keeps next to the results: evidence for
slow steps without touching the code under test.
"""

from __future__ import annotations

import atexit
import os
import pwd
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["BENCH_CONF", "pg_version", "save_log", "start_bench_cluster"]

ROOT = Path(__file__).resolve().parent.parent

BENCH_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
max_connections = 100
shared_buffers = 512MB
max_wal_size = 8GB
log_min_messages = warning
log_checkpoints = off
session_preload_libraries = 'auto_explain'
auto_explain.log_min_duration = '5s'
auto_explain.log_format = 'text'
"""


def _support() -> Any:
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from support import postgres

    return postgres


def start_bench_cluster() -> Any:
    """Start a cluster (a ``PostgresCluster``: ``url()``, ``create_database()``,
    ``stop()``) in a folder of the system temp directory."""
    pg = _support()
    bin_dir = pg.find_pg_bin()
    run_as = None
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        run_as = "postgres"
    parent = Path(tempfile.gettempdir())
    pg._reap_orphans(parent)
    base = Path(tempfile.mkdtemp(prefix="esperia-pg-", dir=parent))
    (base / "owner.pid").write_text(str(os.getpid()), encoding="ascii")
    if run_as:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    base.chmod(0o700)
    cluster = pg.PostgresCluster(
        bin_dir=bin_dir,
        base=base,
        port=0,
        user="esperia_bench",
        password=secrets.token_urlsafe(16),
        run_as=run_as,
    )
    try:
        pwfile = base / "pwfile"
        pwfile.write_text(cluster.password + "\n", encoding="utf-8")
        if run_as:
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        pg._run(
            cluster,
            [
                *(str(bin_dir / "initdb"), "-D", str(cluster.data_dir)),
                *("-U", cluster.user, f"--pwfile={pwfile}", "-A", "scram-sha-256"),
                *("-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"),
            ],
        )
        pwfile.unlink()
        with (cluster.data_dir / "postgresql.conf").open("a", encoding="utf-8") as fh:
            fh.write(BENCH_CONF.format(socket_dir=base))
        pg._start(cluster)
    except BaseException:
        cluster.stop()
        raise
    atexit.register(cluster.stop)
    return cluster


def pg_version() -> str:
    """The server version of the installed binaries (``postgres (PostgreSQL) 15.x``)."""
    try:
        bin_dir = _support().find_pg_bin()
    except Exception as exc:  # no binaries: say so in the report
        return f"unavailable ({exc})"
    out = subprocess.run(
        [str(bin_dir / "postgres"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip()


def save_log(cluster: Any, target: Path) -> Path | None:
    """Copy the server log (slow statements' plans included) to ``target``."""
    log = Path(cluster.base) / "server.log"
    if not log.is_file():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(log.read_text(errors="replace"))
    return target
