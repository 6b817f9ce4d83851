"""The delivery worker: a loop that sends the outbox and runs rules after ingestion.

``esperia serve`` runs it in a background thread; ``esperia notify run`` runs
one round (or loops with ``--loop``). The API's ingestion route only sets a
flag (:func:`request_rules_run`) so a batch is answered without waiting for the
rules; the worker's next round evaluates them.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from esperia.act.notify.deliver import DeliveryReport, compose_digests, deliver_due

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Store

__all__ = ["DeliveryWorker", "run_once"]

log = logging.getLogger(__name__)


def run_once(
    store: Store, settings: Settings, *, rules: bool = False, force_digest: bool = False
) -> dict[str, Any]:
    """One round: rules (if asked), digests, then every due message."""
    result: dict[str, Any] = {}
    if rules:
        from esperia.act.rules import enabled_rules, run_rules

        if enabled_rules(store):
            result["rules"] = run_rules(store, settings, started_by="api").to_dict()
    digests = compose_digests(store, settings, force=force_digest)
    report: DeliveryReport = deliver_due(store, settings)
    report.digests = digests
    result["delivery"] = report.to_dict()
    return result


class DeliveryWorker:
    """A daemon thread calling :func:`run_once` every ``act_worker_interval_s``."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._rules_due = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0

    def request_rules_run(self) -> None:
        """Ask for a rules run in the next round, and start that round now."""
        self._rules_due.set()
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="esperia-act-worker", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            rules = self._rules_due.is_set()
            self._rules_due.clear()
            try:
                run_once(self.store, self.settings, rules=rules)
            except Exception:  # a bad round must not end the worker
                log.exception("the act worker's round failed")
            self.rounds += 1
            self._wake.wait(self.settings.act_worker_interval_s)
            self._wake.clear()
