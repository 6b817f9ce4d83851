"""Per-conversation and per-address message limits (a sliding one-minute window)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from esperia.errors import EsperiaError

__all__ = ["RateLimited", "RateLimiter"]


class RateLimited(EsperiaError):
    """Too many messages: the client should wait before sending more."""

    status_code = 429
    code = "rate_limited"


class RateLimiter:
    """Counts events per key in the last ``window_s`` seconds, in memory.

    Per process: behind several server processes each enforces its own share,
    which still bounds a flood by a constant factor.
    """

    def __init__(self, window_s: float = 60.0) -> None:
        self.window_s = window_s
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, what: str) -> None:
        """Count one event for ``key``; :class:`RateLimited` past ``limit``."""
        if limit <= 0:
            return
        now = time.monotonic()
        with self._lock:
            events = self._events[key]
            while events and now - events[0] > self.window_s:
                events.popleft()
            if len(events) >= limit:
                wait = int(self.window_s - (now - events[0])) + 1
                raise RateLimited(
                    f"too many messages from this {what} ({limit} a minute): "
                    f"wait {wait} s"
                )
            events.append(now)
            if len(self._events) > 50_000:  # forget idle keys now and then
                for stale in [k for k, v in self._events.items() if not v]:
                    del self._events[stale]
