"""The delivery worker's place in a running server (used by the app factory).

Kept free of FastAPI imports: the app passes itself as any object with a
``state`` attribute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from esperia.act.hooks import rules_due_after
from esperia.act.notify.worker import DeliveryWorker

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Store

__all__ = ["signal_rules", "start_worker"]


def start_worker(app: Any, store: Store, settings: Settings) -> DeliveryWorker | None:
    """Start the worker thread when ``act_worker`` is on; keep it on ``app.state``."""
    if not settings.act_worker:
        app.state.act_worker = None
        return None
    worker = DeliveryWorker(store, settings)
    app.state.act_worker = worker
    worker.start()
    return worker


def signal_rules(app: Any, settings: Settings, kind: str, stored: int) -> bool:
    """After an API batch: ask the worker for a rules run (answering stays fast)."""
    worker = getattr(app.state, "act_worker", None)
    if worker is None or not rules_due_after(settings, kind, stored):
        return False
    worker.request_rules_run()
    return True
