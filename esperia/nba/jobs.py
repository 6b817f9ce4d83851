"""Scoring inside a running server: on request and on a schedule.

Why: on DuckDB the server holds the database file, so ``esperia nba score``
from a shell cannot run while it serves; and the context is only as fresh as
the last run. The server therefore scores in a background thread, when an
admin asks (``POST /api/v1/nba/score``) and when the newest run is older than
``nba_score_every_hours``. One run at a time per store. The real-time routes
keep answering from the previous run until the new one commits, then from
the new one (see :mod:`esperia.nba.snapshot`).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from esperia.auth.audit import record
from esperia.store.attached import PerStore

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Store

__all__ = [
    "ScoringJobs",
    "job_state",
    "request_scoring",
    "start_schedule",
    "wait_for_scoring",
]

log = logging.getLogger(__name__)


class _Job:
    """The scoring thread of one store and what it last did."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.started_at: datetime | None = None
        self.requested_by: str | None = None
        self.progress: tuple[str, float] | None = None
        self.finished_at: datetime | None = None
        self.last_result: dict[str, Any] | None = None
        self.last_error: str | None = None


_JOBS = PerStore(_Job)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def job_state(store: Store) -> dict[str, Any]:
    """Whether a run is going, how far it is, and how the last one ended."""
    job = _JOBS.get(store)
    with job.lock:
        running = job.thread is not None
        result = job.last_result
        return {
            "running": running,
            "started_at": _iso(job.started_at),
            "requested_by": job.requested_by,
            "step": job.progress[0] if running and job.progress else None,
            "fraction": job.progress[1] if running and job.progress else None,
            "finished_at": _iso(job.finished_at),
            "last_error": job.last_error,
            "last_run_id": result["run_id"] if result else None,
        }


def _run(store: Store, settings: Settings, job: _Job, actor: str) -> None:
    from esperia.nba.scoring import score_customers

    def progress(what: str, fraction: float) -> None:
        job.progress = (what, fraction)

    try:
        result = score_customers(store, settings, progress=progress)
        summary = {k: result[k] for k in ("run_id", "customers", "with_action",
                                          "holdout", "seconds")}  # fmt: skip
        record(store, actor, "nba.score", str(result["run_id"]), summary)
        with job.lock:
            job.last_result, job.last_error = result, None
    except Exception as exc:  # a failed run leaves the previous one serving
        log.exception("next-best-action scoring failed")
        with job.lock:
            job.last_error = f"{type(exc).__name__}: {exc}"
    finally:
        with job.lock:
            job.thread = None
            job.finished_at = datetime.now(UTC)


def request_scoring(store: Store, settings: Settings, *, actor: str) -> dict[str, Any]:
    """Start a scoring run in the background unless one is running; the job's
    state, with ``started`` saying which."""
    job = _JOBS.get(store)
    with job.lock:
        started = job.thread is None
        if started:
            job.started_at = datetime.now(UTC)
            job.requested_by = actor
            job.progress = ("starting", 0.0)
            job.thread = threading.Thread(
                target=_run,
                args=(store, settings, job, actor),
                name="nba-scoring",
                daemon=True,
            )
            job.thread.start()
    return {"started": started, **job_state(store)}


def wait_for_scoring(store: Store, timeout: float = 600.0) -> bool:
    """Until the running scoring run ends; whether it did in time."""
    thread = _JOBS.get(store).thread
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def _newest_run_at(store: Store) -> datetime | None:
    with store.connect() as conn:
        value = conn.scalar("SELECT max(scored_at) FROM nba_runs")
    if value is None:
        return None
    moment: datetime = value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ScoringJobs:
    """The schedule: score when the newest run is older than the setting.

    A workspace never scored is left alone (its first run is a decision: ask
    for it); a failed run is not retried before the next period.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.every = timedelta(hours=settings.nba_score_every_hours)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="nba-schedule", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 600.0) -> None:
        """Stop the schedule and wait for a run in progress (it commits or not
        at all, but the store must not close under it)."""
        self._stop.set()
        self._thread.join(timeout)
        wait_for_scoring(self.store, timeout)

    def due(self) -> bool:
        newest = _newest_run_at(self.store)
        if newest is None:
            return False
        now = datetime.now(UTC)
        job = _JOBS.get(self.store)
        if job.last_error and job.finished_at and now - job.finished_at < self.every:
            return False  # a failed run waits for the next period
        return now - newest >= self.every

    def _loop(self) -> None:
        pause = min(60.0, self.every.total_seconds() / 10)
        while not self._stop.wait(pause):
            try:
                if self.due():
                    request_scoring(self.store, self.settings, actor="schedule")
            except Exception:  # the store may be closing; try at the next tick
                log.exception("next-best-action schedule check failed")


def start_schedule(store: Store, settings: Settings) -> ScoringJobs | None:
    """The schedule thread, or ``None`` when ``nba_score_every_hours`` is 0."""
    if settings.nba_score_every_hours <= 0:
        return None
    jobs = ScoringJobs(store, settings)
    jobs.start()
    return jobs
