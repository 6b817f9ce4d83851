"""Event logs from files and the workspace; the DFG and paths computed in SQL."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from esperia.errors import InvalidInput
from esperia.ingest import ImportOptions, import_arrow
from esperia.journey import directly_follows, file_log, read_xes, top_paths
from esperia.journey.build import build_journeys
from esperia.journey.eventlog import EventLog, JourneyOptions, workspace_log
from esperia.journey.funnel import funnel

# Ties at 10:00 in case A keep file order: x then y (a stable sort, as pm4py).
CSV = """case,act,time
A,start,2024-01-01T10:00:00+01:00
A,x,2024-01-01T11:00:00+01:00
A,y,2024-01-01T11:00:00+01:00
A,end,2024-01-01T13:00:00+01:00
B,start,2024-01-02T10:00:00+00:00
B,y,2024-01-02T10:30:00+00:00
B,end,2024-01-02T11:30:00+00:00
C,start,2024-01-03T10:00:00+00:00
C,end,2024-01-03T10:00:10+00:00
B,x,2024-01-02T10:10:00+00:00
"""

XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <trace>
    <string key="concept:name" value="A"/>
    <int key="amount" value="5"/>
    <event><string key="concept:name" value="start"/>
      <date key="time:timestamp" value="2024-01-01T10:00:00.000+01:00"/>
      <list key="nested"><string key="inner" value="ignored"/></list></event>
    <event><string key="concept:name" value="end"/>
      <date key="time:timestamp" value="2024-01-01T10:05:00.000+01:00"/>
      <string key="org:resource" value="ann"/></event>
  </trace>
  <trace>
    <string key="concept:name" value="B"/>
    <event><string key="concept:name" value="start"/>
      <date key="time:timestamp" value="2024-01-01T12:00:00.000+01:00"/></event>
  </trace>
</log>
"""


@pytest.fixture
def csv_log(tmp_path: Path) -> EventLog:
    path = tmp_path / "log.csv"
    path.write_text(CSV, encoding="utf-8")
    return file_log(path, case="case", activity="act", timestamp="time")


def _edges(dfg: dict) -> dict[tuple[str, str], int]:
    return {(e["source"], e["target"]): e["count"] for e in dfg["edges"]}


def test_dfg_counts_times_and_ties(csv_log: EventLog) -> None:
    dfg = directly_follows(csv_log)
    assert _edges(dfg) == {
        ("start", "x"): 2, ("x", "y"): 2, ("y", "end"): 2, ("start", "end"): 1,
    }  # fmt: skip
    assert dfg["start_activities"] == {"start": 3}
    assert dfg["end_activities"] == {"end": 3}
    assert dfg["cases"] == 3 and dfg["events"] == 10
    by = {(e["source"], e["target"]): e for e in dfg["edges"]}
    # x -> y: 0 s in A (a tie), 20 min in B; median 600 s.
    assert by[("x", "y")]["median_seconds"] == 600.0
    assert by[("start", "end")]["median_seconds"] == 10.0


def test_positional_and_window_dfg_agree(csv_log: EventLog) -> None:
    generic = EventLog(csv_log.conn, "events")  # the plain window-function path
    assert directly_follows(generic) == directly_follows(csv_log)
    assert top_paths(generic) == top_paths(csv_log)


def test_top_paths_share(csv_log: EventLog) -> None:
    paths = top_paths(csv_log, limit=5)
    assert paths["variants"] == 2
    assert paths["paths"][0] == {
        "path": ["start", "x", "y", "end"], "cases": 2,
        "share": round(2 / 3, 6), "median_seconds": 8100.0,
    }  # fmt: skip


def test_xes_reader_streams_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "log.xes.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(XES)
    table = read_xes(path)
    assert table.num_rows == 3
    rows = table.to_pylist()
    assert rows[0]["case:concept:name"] == "A" and rows[0]["case:amount"] == 5
    assert "nested" not in table.column_names and "inner" not in table.column_names
    assert rows[1]["org:resource"] == "ann" and rows[0]["org:resource"] is None
    dfg = directly_follows(file_log(path))
    assert _edges(dfg) == {("start", "end"): 1}
    assert dfg["end_activities"] == {"end": 1, "start": 1}


def test_bad_files_say_what_and_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("case,act,time\nA,x,yesterday\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"row 1, column 'time'.*'yesterday'"):
        file_log(path, case="case", activity="act", timestamp="time")
    with pytest.raises(InvalidInput, match="no column 'kase'"):
        file_log(path, case="kase", activity="act", timestamp="time")
    broken = tmp_path / "broken.xes"
    broken.write_text("<log><trace>", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a valid XES"):
        read_xes(broken)


def test_cli_dfg_json_on_a_file(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(CSV, encoding="utf-8")

    def esperia(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "esperia", *args],
            capture_output=True, text=True, cwd=tmp_path, check=False,
        )  # fmt: skip

    result = esperia(
        "journey", "dfg", "--log", str(path), "--case", "case", "--activity",
        "act", "--timestamp", "time", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    edge = json.loads(result.stdout)["edges"][0]
    assert set(edge) >= {"source", "target", "count", "median_seconds"}
    bad = esperia("journey", "dfg", "--log", str(tmp_path / "no.csv"))
    assert bad.returncode == 1 and bad.stderr.startswith("error:")


def _load_small_workspace(store, settings) -> None:  # type: ignore[no-untyped-def]
    import pyarrow as pa

    tables = {
        "customers": pa.table({"customer_id": ["c1", "c2"], "segment": ["a", "b"]}),
        "touchpoints": pa.table(
            {
                "touchpoint_id": ["web", "shop", "courier"],
                "name": ["Web", "Shop", "Courier"],
                "channel": ["web", "store", "delivery"],
                "medium": ["digital", "physical", "physical"],
                "stage": ["consideration", "purchase", "delivery"],
            }
        ),
        "interactions": pa.table(
            {
                "interaction_id": [f"i{n}" for n in range(7)],
                "customer_id": ["c1", "c1", "c1", "c1", "c2", "c2", "c2"],
                "touchpoint_id": ["web", "shop", "courier", "web",
                                  "web", "web", "shop"],
                "occurred_at": [
                    "2024-01-01T10:00:00+00:00", "2024-01-02T10:00:00+00:00",
                    "2024-01-03T10:00:00+00:00", "2024-06-01T10:00:00+00:00",
                    "2024-01-01T09:00:00+00:00", "2024-01-01T09:30:00+00:00",
                    "2024-01-05T09:00:00+00:00",
                ],
                "type": ["browse", "purchase", "delivery", "browse",
                         "browse", "browse", "purchase"],
            }
        ),
    }  # fmt: skip
    for kind in ("customers", "touchpoints", "interactions"):
        import_arrow(
            store, settings, kind, tables[kind], source="test",
            options=ImportOptions(all_or_nothing=True),
        )  # fmt: skip


def test_workspace_journeys_live_and_stored(store, settings) -> None:  # type: ignore[no-untyped-def]
    _load_small_workspace(store, settings)
    options = JourneyOptions(level="touchpoint", gap_hours=24 * 30)
    with store.connect() as conn:
        live = directly_follows(workspace_log(conn, options))
    # c1: web>shop>courier, then 5 months later web; c2: web>web>shop.
    assert _edges(live) == {
        ("web", "shop"): 2, ("shop", "courier"): 1, ("web", "web"): 1,
    }  # fmt: skip
    assert live["cases"] == 3
    build_journeys(store, options)
    with store.connect() as conn:
        log = workspace_log(conn, options)
        stored = directly_follows(log)
        paths = top_paths(log)
        funnel_out = funnel(log, ["consideration", "purchase", "delivery"])
        by_segment = funnel(log, ["web", "shop"], by="segment")
        per_stage = directly_follows(workspace_log(conn, JourneyOptions(level="stage")))
    assert stored == live
    assert paths["cases"] == 3 and paths["variants"] == 3
    steps = funnel_out["groups"][0]["steps"]
    assert [s["journeys"] for s in steps] == [3, 2, 1]
    assert steps[1]["median_seconds_from_previous"] == pytest.approx(
        (86400 + 4 * 86400) / 2
    )
    assert {g["group"]: g["steps"][1]["journeys"] for g in by_segment["groups"]} == {
        "a": 1, "b": 1,
    }  # fmt: skip
    assert _edges(per_stage)[("consideration", "purchase")] == 2
    with store.connect() as conn:
        purchase = directly_follows(
            workspace_log(conn, JourneyOptions(split="purchase"))
        )
    # A purchase closes a journey: shop -> courier is no longer an edge.
    assert ("shop", "courier") not in _edges(purchase)
