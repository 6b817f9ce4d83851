"""The newest scoring run held in the server's memory, for real-time reads.

Why: the smallest DuckDB query costs about a quarter of a millisecond to plan
and run, and a point read on the indexed table about half a millisecond: more
than everything else a real-time request does. A till or a web page asking
for one customer should not pay it. The packed rows of the newest run (see
``PAYLOAD_COLUMNS``) are kept column-wise in Arrow, about 250 bytes a
customer (250 MB for a million), and found by binary search over a 64-bit
hash of the customer id: a few microseconds, no database call.

The rules that keep an answer never older than the store:

* The copy is read in a background thread, after the first request and after
  each scoring run. Until it is ready, and whenever it is known to be stale,
  :func:`snapshot_payload` answers :data:`UNKNOWN` and the caller reads the
  table as before.
* A scoring run in this process drops the copy at once
  (:func:`forget_snapshot`); an erasure hides the customer from it
  (:func:`hide_customer`).
* Every ``nba_snapshot_check_seconds`` a background check compares the copy
  with the store (the newest run and the number of rows), so a scoring run or
  an erasure made by another process (PostgreSQL) is seen within that time.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pyarrow as pa

from esperia.customers.privacy import on_erasure
from esperia.store.attached import PerStore
from esperia.store.pgcopy import copy_out

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Connection, Store

__all__ = [
    "UNKNOWN",
    "Snapshot",
    "forget_snapshot",
    "hide_customer",
    "snapshot_payload",
    "snapshot_state",
    "start_snapshot",
    "stop_snapshot",
    "wait_for_snapshot",
]

log = logging.getLogger(__name__)


class _Unknown:
    """The copy cannot say (not loaded yet, or stale): read the table."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


def id_hash(customer_id: str) -> int:
    """The first 64 bits of md5(customer id): the SQL in :func:`_key_sql` gives
    the same number, so keys computed in the engine match lookups here."""
    digest = hashlib.md5(customer_id.encode())  # a bucket, not a secret
    return int.from_bytes(digest.digest()[:8], "big")


def _key_sql(dialect: str) -> str:
    digest = "substr(md5(customer_id), 1, 16)"
    if dialect == "postgresql":
        return f"('x' || {digest})::bit(64)::bigint"  # signed; same 64 bits
    return f"CAST(('0x' || {digest}) AS UBIGINT)"


@dataclass(frozen=True)
class Snapshot:
    """One scoring run's packed rows, sorted by the hash of the customer id."""

    stamp: tuple[int, int]  # (run id, rows) when it was read
    keys: np.ndarray  # uint64, ascending
    ids: pa.Array
    payloads: pa.Array

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.ids.nbytes + self.payloads.nbytes)

    def payload(self, customer_id: str) -> str | None:
        """The packed row of a customer; ``None`` when the run did not score
        them."""
        key = np.uint64(id_hash(customer_id))
        at = int(np.searchsorted(self.keys, key))
        while at < len(self.keys) and self.keys[at] == key:  # hash collisions
            if self.ids[at].as_py() == customer_id:
                return str(self.payloads[at].as_py())
            at += 1
        return None


def _stamp(conn: Connection) -> tuple[int, int]:
    row = conn.fetchone(
        "SELECT (SELECT max(run_id) FROM nba_runs), (SELECT count(*) FROM nba_context)"
    )
    return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)


_PG_SCHEMA = pa.schema(
    [("k", pa.int64()), ("customer_id", pa.string()), ("payload", pa.string())]
)


def _read(store: Store) -> Snapshot | None:
    """The stored rows as a snapshot; ``None`` when nothing is scored yet or a
    write landed meanwhile. Raises when the rows read disagree with the
    table's count (the caller logs it and the table keeps answering)."""
    with store.connect() as conn:
        stamp = _stamp(conn)
        if stamp[1] == 0:
            return None
        sql = (
            f"SELECT {_key_sql(conn.dialect)} AS k, customer_id, payload "
            "FROM nba_context"
        )
        raw: Any = getattr(conn, "raw", None)
        if conn.dialect == "duckdb":
            table = raw.sql(sql).to_arrow_table()
        else:
            table = copy_out(raw, sql, _PG_SCHEMA)
        if _stamp(conn) != stamp:  # a write landed while reading: try later
            return None
    if table.num_rows != stamp[1]:  # never serve a copy the count disowns
        raise RuntimeError(
            f"read {table.num_rows} rows of nba_context, which counts {stamp[1]}"
        )
    keys = table.column("k").to_numpy().view(np.uint64)
    order = np.argsort(keys, kind="stable")
    return Snapshot(
        stamp=stamp,
        keys=np.ascontiguousarray(keys[order]),
        ids=table.column("customer_id").combine_chunks().take(order),
        payloads=table.column("payload").combine_chunks().take(order),
    )


class _Holder:
    """A store's snapshot and its one background thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: Snapshot | None = None
        self.generation = 0  # bumped by every forget: a load begun before is void
        self.checked_at = 0.0
        self.busy = False
        self.loads = 0
        self.last_error: str | None = None
        # Erased here: never answered from memory again (a copy read before the
        # erasure committed may still hold them); the table answers instead.
        self.hidden: set[str] = set()


_HOLDERS = PerStore(_Holder)


def start_snapshot(store: Store, settings: Settings) -> bool:
    """Keep a copy for this store (the server does, at start-up) and begin
    reading it; whether the settings allow it. Short-lived processes (the CLI)
    never start one, so their lookups read the table."""
    if not settings.nba_memory_snapshot:
        return False
    _check(store, _HOLDERS.get(store))
    return True


def stop_snapshot(store: Store, timeout: float = 30.0) -> None:
    """Wait for a read in progress and drop the copy (before the store closes)."""
    wait_for_snapshot(store, timeout)
    _HOLDERS.drop(store)


def _check(store: Store, holder: _Holder) -> None:
    """Start the background check unless one is running."""
    with holder.lock:
        if holder.busy:
            return
        holder.busy = True
        generation = holder.generation
    threading.Thread(
        target=_refresh,
        args=(store, holder, generation),
        name="nba-snapshot",
        daemon=True,
    ).start()


def _refresh(store: Store, holder: _Holder, generation: int) -> None:
    """Check the store; read a new snapshot when it changed (a thread)."""
    try:
        current = holder.snapshot
        with store.connect() as conn:
            stamp = _stamp(conn)
        if current is None or current.stamp != stamp:
            with holder.lock:
                if holder.generation == generation:
                    holder.snapshot = None  # stale: the table answers meanwhile
            fresh = _read(store)
            with holder.lock:
                if holder.generation == generation and fresh is not None:
                    holder.snapshot = fresh
                    holder.loads += 1
        holder.last_error = None
    except Exception as exc:  # the table keeps answering
        holder.last_error = f"{type(exc).__name__}: {exc}"
        log.warning("next-best-action snapshot not refreshed: %s", exc)
    finally:
        with holder.lock:
            if holder.generation == generation:  # else: check again at once
                holder.checked_at = time.monotonic()
            holder.busy = False


def snapshot_payload(store: Store, settings: Settings, customer_id: str) -> Any:
    """The packed row from memory, ``None`` for a customer the newest run did
    not score, or :data:`UNKNOWN` when the table must answer. Never blocks."""
    holder = _HOLDERS.find(store)
    if holder is None:
        return UNKNOWN
    if (
        not holder.busy
        and time.monotonic() - holder.checked_at >= settings.nba_snapshot_check_seconds
    ):
        _check(store, holder)
    snapshot = holder.snapshot
    if snapshot is None or customer_id in holder.hidden:
        return UNKNOWN
    return snapshot.payload(customer_id)


def forget_snapshot(store: Store) -> None:
    """Drop the copy (a scoring run changed the table) and read the new one."""
    holder = _HOLDERS.find(store)
    if holder is None:
        return
    with holder.lock:
        holder.snapshot = None
        holder.generation += 1
        holder.checked_at = 0.0
    _check(store, holder)


def hide_customer(store: Store, customer_id: str) -> None:
    """An erased customer is never answered from the copy again."""
    holder = _HOLDERS.find(store)
    if holder is not None:
        with holder.lock:
            holder.hidden.add(customer_id)


on_erasure(hide_customer)


def wait_for_snapshot(store: Store, timeout: float = 30.0) -> bool:
    """Until the background thread is idle; whether a snapshot is held (tests,
    benchmarks and warm-up)."""
    holder = _HOLDERS.find(store)
    if holder is None:
        return False
    deadline = time.monotonic() + timeout
    while holder.busy and time.monotonic() < deadline:
        time.sleep(0.01)
    return holder.snapshot is not None


def snapshot_state(store: Store) -> dict[str, Any]:
    """What the copy holds, for status pages and tests."""
    holder = _HOLDERS.find(store)
    snapshot = holder.snapshot if holder else None
    return {
        "enabled": holder is not None,
        "loaded": snapshot is not None,
        "run_id": snapshot.stamp[0] if snapshot else None,
        "customers": len(snapshot) if snapshot else 0,
        "megabytes": round(snapshot.nbytes / 1e6, 1) if snapshot else 0.0,
        "loads": holder.loads if holder else 0,
        "last_error": holder.last_error if holder else None,
    }
