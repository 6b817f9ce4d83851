"""A killed import leaves the workspace exactly as it was (embedded store)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from esperia.config import load_settings
from esperia.ingest import import_file
from esperia.store import open_store
from esperia.workspace import init_workspace

ROWS = 2_000_000


def _snapshot(workspace: Path) -> dict[str, int]:
    store = open_store(load_settings(workspace))
    try:
        with store.connect() as conn:
            return {
                table: int(conn.scalar(f"SELECT count(*) FROM {table}"))
                for table in ("customers", "touchpoints", "interactions", "imports")
            }
    finally:
        store.close()


def test_sigkill_during_import_changes_nothing(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    init_workspace(workspace, admin_password="kill-test-pw")
    settings = load_settings(workspace)
    big = tmp_path / "interactions.csv"
    duckdb.sql(
        "SELECT 'I' || i AS interaction_id, 'C' || (i % 1000) AS customer_id, "
        "'TP' || (i % 5) AS touchpoint_id, "
        "strftime(TIMESTAMP '2024-01-01' + to_seconds(i), '%Y-%m-%dT%H:%M:%S') "
        "AS occurred_at, i % 300 AS wait_s FROM range(?) t(i)",
        params=[ROWS],
    ).write_csv(str(big))
    small = tmp_path / "customers.csv"
    small.write_text(
        "customer_id\n" + "".join(f"C{i}\n" for i in range(1000)), encoding="utf-8"
    )
    touchpoints = tmp_path / "touchpoints.csv"
    touchpoints.write_text(
        "touchpoint_id,name,channel\n"
        + "".join(f"TP{i},T{i},store\n" for i in range(5)),
        encoding="utf-8",
    )
    store = open_store(settings)
    try:
        import_file(store, settings, "customers", small)
        import_file(store, settings, "touchpoints", touchpoints)
    finally:
        store.close()
    before = _snapshot(workspace)

    env = {**os.environ, "ESPERIA_WORKSPACE": str(workspace)}
    killed_while_running = 0
    for delay in (0.8, 2.0, 3.5):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "esperia",
                "import",
                "interactions",
                str(big),
                "--json",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_while_running += 1
        proc.wait(timeout=60)
        after = _snapshot(workspace)
        if proc.returncode == -signal.SIGKILL:
            assert after == before, f"killed after {delay}s left {after} != {before}"
        else:  # it finished first: then everything is there, nothing half
            assert after["interactions"] == ROWS
            break
    assert killed_while_running >= 1, "the import was never killed mid-way"

    store = open_store(settings)
    try:
        summary = import_file(store, settings, "interactions", big)
    finally:
        store.close()
    assert summary.loaded + summary.duplicates == ROWS
    assert _snapshot(workspace)["interactions"] == ROWS
