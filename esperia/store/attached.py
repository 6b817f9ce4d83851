"""State a process keeps for each open store (a background thread and what it
knows), created on first use and gone with the store.

Several services run one background worker per store (the metrics refresh,
the next-best-action copy and scoring job); this is their one registry, so
none of them holds a closed store alive or shares state across stores.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["PerStore"]

T = TypeVar("T")


class PerStore(Generic[T]):
    """A ``T`` for each store, made by ``factory`` when first asked for."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._items: weakref.WeakKeyDictionary[Any, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, store: Any) -> T:
        """The store's item, made now if it has none."""
        with self._lock:
            found = self._items.get(store)
            if found is None:
                found = self._items[store] = self._factory()
            return found

    def find(self, store: Any) -> T | None:
        """The store's item if it has one (never makes one)."""
        return self._items.get(store)

    def drop(self, store: Any) -> None:
        with self._lock:
            self._items.pop(store, None)
