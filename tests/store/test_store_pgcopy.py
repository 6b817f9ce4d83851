"""COPY out of PostgreSQL into Arrow: awkward text survives, types hold."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from esperia.config import load_settings
from esperia.store import open_store
from esperia.store.pgcopy import copy_out


@pytest.mark.postgres
def test_copy_out_keeps_awkward_text(postgres_url: str, tmp_path: Path) -> None:
    store = open_store(load_settings(tmp_path / "ws", database_url=postgres_url))
    texts = ["plain", "a,b", 'say "hi"', "two\nlines", "x\x1fy", "Ché €", ""]
    schema = pa.schema([("n", pa.int64()), ("t", pa.string())])
    with store.connect() as conn:
        conn.execute("CREATE TEMP TABLE awkward (n BIGINT, t TEXT NOT NULL)")
        for n, text in enumerate(texts):
            conn.execute("INSERT INTO awkward VALUES (?, ?)", (n - 3, text))
        got = copy_out(conn.raw, "SELECT n, t FROM awkward ORDER BY n", schema)
        none = copy_out(conn.raw, "SELECT n, t FROM awkward WHERE n > 99", schema)
    store.close()
    assert got.schema == schema
    assert got.column("n").to_pylist() == [-3, -2, -1, 0, 1, 2, 3]
    assert got.column("t").to_pylist() == texts
    assert none.num_rows == 0 and none.schema == schema
