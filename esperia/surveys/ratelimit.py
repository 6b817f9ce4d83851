"""A per-address request limit for the public survey pages (no login there)."""

from __future__ import annotations

import threading
import time
from collections import deque

from esperia.errors import EsperiaError

__all__ = ["RateLimited", "RateLimiter"]


class RateLimited(EsperiaError):
    """Too many requests from one address in the last minute."""

    status_code = 429
    code = "rate_limited"


class RateLimiter:
    """A sliding window: at most ``limit`` hits per ``window_s`` seconds per key.

    Kept in the process's memory: enough for one server; several servers behind
    a balancer each count their own share.
    """

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one request for ``key``; :class:`RateLimited` past the limit."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                raise RateLimited(
                    "too many requests from this address: wait a minute and retry"
                )
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle addresses
                for stale in [k for k, v in self._hits.items() if not v]:
                    del self._hits[stale]
