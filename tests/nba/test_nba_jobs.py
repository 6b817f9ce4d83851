"""Scoring inside a running server: asked for over the API, on a schedule, and
a failed run that leaves the previous one serving; on both engines."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.nba_data import seed_world

from esperia.api import create_app
from esperia.auth.api_keys import create_key
from esperia.config import Settings
from esperia.nba import score_customers
from esperia.nba.jobs import (
    ScoringJobs,
    job_state,
    request_scoring,
    start_schedule,
    wait_for_scoring,
)
from esperia.nba.snapshot import snapshot_state, wait_for_snapshot
from esperia.store import Store


@pytest.fixture
def scored(settings: Settings, store: Store) -> Iterator[Settings]:
    seed_world(store, settings)
    quiet = settings.model_copy(update={"nba_holdout_share": 0.0})
    score_customers(store, quiet)
    yield quiet
    wait_for_scoring(store)


def _runs(store: Store) -> list[int]:
    with store.connect() as conn:
        return [int(r[0]) for r in conn.fetchall("SELECT run_id FROM nba_runs")]


def _audit(store: Store, action: str) -> list[str]:
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT actor FROM audit_log WHERE action = ? ORDER BY 1", (action,)
        )
    return [str(r[0]) for r in rows]


def test_an_admin_asks_the_server_to_score(scored: Settings, store: Store) -> None:
    admin = {"X-API-Key": create_key(store, "a", ["admin"])[1]}
    read = {"X-API-Key": create_key(store, "r", ["read"])[1]}
    first = _runs(store)
    with TestClient(create_app(scored, store)) as client:
        assert wait_for_snapshot(store)
        assert client.post("/api/v1/nba/score", headers=read).status_code == 403
        asked = client.post("/api/v1/nba/score", headers=admin)
        assert asked.status_code == 202, asked.text
        assert asked.json()["started"] is True
        assert asked.json()["requested_by"].startswith("api_key:")
        assert wait_for_scoring(store)
        assert wait_for_snapshot(store)
        status = client.get("/api/v1/nba/status", headers=read).json()
        newest = max(_runs(store))
        assert newest > max(first) and len(_runs(store)) == len(first) + 1
        assert status["last_run"]["run_id"] == newest
        assert status["job"]["running"] is False
        assert status["job"]["last_run_id"] == newest
        assert status["job"]["last_error"] is None
        assert status["memory"]["run_id"] == newest  # the copy follows
        answer = client.get("/api/v1/customers/C-ANGRY/context", headers=read)
        assert answer.status_code == 200, answer.text
    assert _audit(store, "nba.score") == [asked.json()["requested_by"]]


def test_one_run_at_a_time(scored: Settings, store: Store) -> None:
    # Holding the write lock keeps the first run before its commit.
    with store.write_lock:
        first = request_scoring(store, scored, actor="test")
        second = request_scoring(store, scored, actor="test")
        assert first["started"] is True and first["running"] is True
        assert second["started"] is False and second["running"] is True
    assert wait_for_scoring(store)
    assert len(_runs(store)) == 2


def test_a_failed_run_leaves_the_previous_one(
    scored: Settings, store: Store, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("actions:\n  - id: a\n    when: [{password: 1}]\n")
    before = _runs(store)
    request_scoring(
        store, scored.model_copy(update={"nba_catalogue": broken}), actor="test"
    )
    assert wait_for_scoring(store)
    state = job_state(store)
    assert state["running"] is False and "broken.yaml" in (state["last_error"] or "")
    assert _runs(store) == before


def test_the_schedule_scores_a_stale_workspace(
    scored: Settings, store: Store, tmp_path: Path
) -> None:
    hourly = scored.model_copy(update={"nba_score_every_hours": 1.0})
    jobs = ScoringJobs(store, hourly)
    assert not jobs.due()  # scored moments ago
    with store.connect() as conn:
        conn.execute("UPDATE nba_runs SET scored_at = scored_at - INTERVAL '2 hours'")
    assert jobs.due()
    # A run that fails is not retried before the next period.
    broken = tmp_path / "broken.yaml"
    broken.write_text("actions:\n  - id: a\n    when: [{password: 1}]\n")
    request_scoring(
        store, hourly.model_copy(update={"nba_catalogue": broken}), actor="test"
    )
    assert wait_for_scoring(store) and job_state(store)["last_error"]
    assert not jobs.due()
    with store.connect() as conn:
        conn.execute("DELETE FROM nba_runs")
    assert not jobs.due()  # never scored: waits to be asked


def test_the_schedule_runs_in_the_background(scored: Settings, store: Store) -> None:
    # Every 1.8 s: the thread looks every 0.18 s.
    often = scored.model_copy(update={"nba_score_every_hours": 0.0005})
    assert start_schedule(store, scored.model_copy(
        update={"nba_score_every_hours": 0})) is None  # fmt: skip
    jobs = start_schedule(store, often)
    assert jobs is not None
    try:
        deadline = time.monotonic() + 20
        while len(_runs(store)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        jobs.stop()
    assert len(_runs(store)) >= 2
    assert "schedule" in _audit(store, "nba.score")
    assert snapshot_state(store)["enabled"] is False  # no server here
