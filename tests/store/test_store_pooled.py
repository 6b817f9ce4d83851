"""Pooled connections: reused per thread or from a pool, discarded after errors."""

from __future__ import annotations

import threading

import pytest

from esperia.store import Store


def _backend_pid(store: Store) -> object:
    with store.pooled() as conn:
        if conn.dialect == "postgresql":
            return conn.scalar("SELECT pg_backend_pid()")
        return id(conn.raw)


def test_pooled_connection_is_reused_and_sees_committed_writes(store: Store) -> None:
    first = _backend_pid(store)
    assert _backend_pid(store) == first
    with store.connect() as conn:
        conn.execute("CREATE TABLE pool_probe (n INTEGER)")
    with store.pooled() as conn, conn.transaction():
        conn.execute("INSERT INTO pool_probe VALUES (1)")
    with store.pooled() as conn:
        assert conn.scalar("SELECT count(*) FROM pool_probe") == 1
    with store.connect() as conn:
        assert conn.scalar("SELECT count(*) FROM pool_probe") == 1


def test_a_failed_block_discards_its_connection_and_rolls_back(store: Store) -> None:
    with store.connect() as conn:
        conn.execute("CREATE TABLE pool_fail (n INTEGER)")
    first = _backend_pid(store)
    with pytest.raises(RuntimeError), store.pooled() as conn, conn.transaction():
        conn.execute("INSERT INTO pool_fail VALUES (1)")
        raise RuntimeError("boom")
    assert _backend_pid(store) != first
    with store.pooled() as conn:
        assert conn.scalar("SELECT count(*) FROM pool_fail") == 0


def test_nested_and_threaded_use_get_separate_connections(store: Store) -> None:
    with store.pooled() as outer:
        assert outer.scalar("SELECT 1") == 1
        with store.pooled() as inner:
            assert inner.raw is not outer.raw
    seen: list[object] = []

    def work() -> None:
        for _ in range(20):
            with store.pooled() as conn, conn.transaction():
                seen.append(conn.scalar("SELECT 1"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [1] * 80
