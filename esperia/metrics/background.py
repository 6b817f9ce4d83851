"""Refreshing the stored overview in the background: one thread per store.

A live workspace receives API batches all the time, so the stored overview is
often a little older than the data. A view then shows the stored figures at
once (marked stale) and asks for a refresh here; the next view reads the new
figures. Requests are *single-flight*: each store has at most one refresh
thread, which works through the periods asked for (a period asked for again
while it waits is not queued twice), so a burst of views never piles up
computations. The thread writes through the store's normal write path (its
write lock), so DuckDB's single writer is respected.

A refresh that fails is logged, remembered here (:func:`refresh_state`) and
written to the stored overview as a ``background_refresh`` row, so
``esperia metrics status`` shows it from another process; the next successful
refresh of that period removes it. A failure never reaches the view.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from esperia.store.attached import PerStore

__all__ = ["refresh_state", "request_refresh", "wait_for_refresh"]

log = logging.getLogger(__name__)


class _Refresher:
    """The refresh thread of one store and the periods it still has to do."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.pending: list[str] = []
        self.running: str | None = None
        self.thread: threading.Thread | None = None
        self.runs = 0
        self.last_error: dict[str, Any] | None = None
        self.last_finished: str | None = None
        self.stamps: dict[str, str] = {}


_REFRESHERS = PerStore(_Refresher)


def request_refresh(
    store: Any, period: str, job: Callable[[str], object], stamp: str = ""
) -> bool:
    """Ask for ``job(period)`` in the store's refresh thread; whether it is due.

    ``job`` recomputes and stores what is stale for that period (see
    :func:`esperia.metrics.overview.refresh_stale`). Asking again while it is
    queued or running adds nothing (True). After a failure on data at the
    same ``stamp`` it is not retried (False): new data brings a new stamp.
    """
    state = _REFRESHERS.get(store)
    with state.lock:
        if period == state.running or period in state.pending:
            return True
        failed = state.last_error
        if failed and failed["period"] == period and failed["stamp"] == stamp:
            return False
        state.pending.append(period)
        state.stamps[period] = stamp
        if state.thread is None:
            state.thread = threading.Thread(
                target=_work, args=(state, job), name="esperia-metrics-refresh",
                daemon=True,
            )  # fmt: skip
            state.thread.start()
    return True


def _work(state: _Refresher, job: Callable[[str], None]) -> None:
    while True:
        with state.lock:
            if not state.pending:
                state.running = None
                state.thread = None
                state.idle.notify_all()
                return
            period = state.running = state.pending.pop(0)
        started = time.perf_counter()
        try:
            job(period)
        except Exception as exc:
            log.exception("background refresh of the metrics overview (%s) failed",
                          period)  # fmt: skip
            with state.lock:
                state.last_error = {
                    "period": period,
                    "stamp": state.stamps.get(period, ""),
                    "error": f"{type(exc).__name__}: {exc}",
                    "at": _now(),
                    "seconds": round(time.perf_counter() - started, 3),
                }
        else:
            with state.lock:
                if state.last_error and state.last_error["period"] == period:
                    state.last_error = None
        with state.lock:
            state.runs += 1
            state.last_finished = _now()


def wait_for_refresh(store: Any, timeout: float | None = None) -> bool:
    """Block until the store's refresh thread is idle; False on timeout."""
    state = _REFRESHERS.get(store)
    with state.lock:
        return state.idle.wait_for(lambda: state.thread is None, timeout)


def refresh_state(store: Any) -> dict[str, Any]:
    """This process's refreshes of the store: running, queued, done, last error."""
    state = _REFRESHERS.get(store)
    with state.lock:
        return {
            "running": state.running,
            "pending": list(state.pending),
            "runs": state.runs,
            "last_finished": state.last_finished,
            "last_error": dict(state.last_error) if state.last_error else None,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
