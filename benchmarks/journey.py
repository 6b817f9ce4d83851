"""Journey benchmarks: DFG discovery against pm4py, and 10M workspace interactions.

1. BPI Challenge 2012 (``/work/shared/data/event_logs`` or ``--log``): the same
   XES file read by Esperia's streaming reader and by pm4py, then the
   directly-follows graph discovered by both, timed side by side; every edge's
   frequency and the start/end activities must be equal.
2. A DuckDB workspace with 10,000,000 generated interactions (benchmarks/data.py's
   generator, 1M customers, 40 touchpoints, two years): DFG and top paths of
   the journeys, measured in a child process for its peak memory.

pm4py is AGPL and is used here only, as the reference a user would reach for.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.data import (
    CUSTOMERS,
    DATA_DIR,
    _customers_sql,
    _interactions_sql,
    _touchpoints_sql,
)

__all__ = ["run_bpic", "run_workspace", "workspace_task"]

DEFAULT_LOG = Path("/work/shared/data/event_logs/bpic2012.xes.gz")


def _median_time(fn: Any, repeat: int) -> tuple[float, list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, result


def run_bpic(log_path: Path, repeat: int, say: Any) -> dict[str, Any]:
    import pm4py

    from esperia.journey import directly_follows, file_log

    say(f"reading {log_path} with Esperia's XES reader")
    started = time.perf_counter()
    log = file_log(log_path)
    esperia_read = time.perf_counter() - started
    say(f"reading {log_path} with pm4py.read_xes")
    started = time.perf_counter()
    frame = pm4py.read_xes(str(log_path))
    pm4py_read = time.perf_counter() - started

    def ours() -> dict[str, Any]:
        return directly_follows(log)

    def theirs() -> Any:
        return pm4py.discover_dfg(
            frame,
            case_id_key="case:concept:name",
            activity_key="concept:name",
            timestamp_key="time:timestamp",
        )

    say(f"DFG discovery, {repeat} runs each")
    e_med, e_times, e_dfg = _median_time(ours, repeat)
    p_med, p_times, (p_dfg, p_start, p_end) = _median_time(theirs, repeat)
    e_edges = {(e["source"], e["target"]): e["count"] for e in e_dfg["edges"]}
    p_edges = {k: int(v) for k, v in p_dfg.items()}
    mismatched = sorted(
        {k for k in e_edges.keys() | p_edges.keys() if e_edges.get(k) != p_edges.get(k)}
    )
    same_start = e_dfg["start_activities"] == {k: int(v) for k, v in p_start.items()}
    same_end = e_dfg["end_activities"] == {k: int(v) for k, v in p_end.items()}
    return {
        "log": str(log_path),
        "events": e_dfg["events"],
        "cases": e_dfg["cases"],
        "edges_esperia": len(e_edges),
        "edges_pm4py": len(p_edges),
        "edges_compared": len(e_edges.keys() | p_edges.keys()),
        "edges_mismatched": [list(k) for k in mismatched],
        "frequencies_equal": not mismatched,
        "start_activities_equal": same_start,
        "end_activities_equal": same_end,
        "read_s": {"esperia": round(esperia_read, 3), "pm4py": round(pm4py_read, 3)},
        "dfg_s": {
            "esperia": round(e_med, 4),
            "pm4py": round(p_med, 4),
            "esperia_runs": [round(t, 4) for t in e_times],
            "pm4py_runs": [round(t, 4) for t in p_times],
        },
        "speedup": round(p_med / e_med, 2) if e_med else None,
        "pm4py_version": pm4py.__version__,
        "esperia_also_computes": "median and p90 transition seconds per edge",
    }


def _workspace(rows: int, say: Any) -> Path:
    """A DuckDB workspace with ``rows`` generated interactions, built once."""
    from esperia.config import load_settings
    from esperia.store import open_store
    from esperia.store.migrations import upgrade
    from esperia.workspace import init_workspace

    folder = DATA_DIR / f"journey-workspace-{rows}"
    done = folder / "built.txt"
    if done.is_file():
        store = open_store(load_settings(folder))
        upgrade(store)  # journey tables added after the data was generated
        store.close()
        return folder
    say(f"building a workspace with {rows:,} interactions in {folder} (once)")
    started = time.perf_counter()
    init_workspace(folder, admin_password="bench-only")
    store = open_store(load_settings(folder))
    try:
        with store.connect() as conn:
            conn.execute(
                "INSERT INTO customers (customer_id, name, city, country, segment) "
                f"SELECT customer_id, name, city, country, segment "
                f"FROM ({_customers_sql()})"
            )
            conn.execute(
                "INSERT INTO touchpoints (touchpoint_id, name, channel, contact, "
                "medium, stage) SELECT touchpoint_id, name, channel, contact, "
                f"medium, stage FROM ({_touchpoints_sql()})"
            )
            conn.execute(
                "INSERT INTO interactions (interaction_id, customer_id, "
                "touchpoint_id, occurred_at, type, outcome, duration_s, wait_s, "
                "value) SELECT interaction_id, customer_id, touchpoint_id, "
                "occurred_at, type, outcome, duration_s, wait_s, value "
                f"FROM ({_interactions_sql(rows, text_times=False)})"
            )
            conn.execute("CHECKPOINT")
    finally:
        store.close()
    done.write_text(f"{rows} interactions, {CUSTOMERS} customers\n")
    say(f"built in {time.perf_counter() - started:.1f}s")
    return folder


def workspace_task(params: dict[str, Any]) -> dict[str, Any]:
    """Child process: DFG and top paths on the workspace (times per step).

    The journey split is stored once per change of the data (``journey
    build``); when ``rebuild`` is set it is rebuilt and timed here too.
    """
    from esperia.config import load_settings
    from esperia.journey import directly_follows, top_paths
    from esperia.journey.build import build_journeys, options_from_settings
    from esperia.journey.eventlog import workspace_log
    from esperia.store import open_store

    settings = load_settings(params["workspace"])
    store = open_store(settings)
    options = options_from_settings(settings, level=params["level"])
    out: dict[str, Any] = {}
    try:
        if params.get("rebuild"):
            out["build"] = build_journeys(store, options)
        with store.connect() as conn:
            log = workspace_log(conn, options)
            out["stored_order"] = log.prepared
            started = time.perf_counter()
            dfg = directly_follows(log)
            out["dfg_s"] = round(time.perf_counter() - started, 3)
            started = time.perf_counter()
            paths = top_paths(log, limit=10)
            out["paths_s"] = round(time.perf_counter() - started, 3)
    finally:
        store.close()
    out["total_s"] = round(out["dfg_s"] + out["paths_s"], 3)
    out.update(
        events=dfg["events"], cases=dfg["cases"], edges=len(dfg["edges"]),
        variants=paths["variants"], top_path_share=paths["paths"][0]["share"],
    )  # fmt: skip
    return out


def run_workspace(rows: int, level: str, say: Any) -> dict[str, Any]:
    from benchmarks.child import run_child

    folder = _workspace(rows, say)
    out: dict[str, Any] = {"rows": rows, "level": level}
    for label, rebuild in (("build", True), ("query", False)):
        say(f"{label}: {rows:,} workspace interactions (child process)")
        child = run_child(
            "journey:workspace_task",
            {"workspace": str(folder), "level": level, "rebuild": rebuild},
            timeout=1800,
        )
        out[label] = {
            **child.result,
            "peak_rss_mb": round(child.peak_rss_mb, 1),
            "child_wall_s": round(child.wall_s, 2),
        }
    return out


def journey_tables(result: dict[str, Any]) -> str:
    lines = []
    bpic = result.get("bpic")
    if bpic:
        lines += [
            f"BPI Challenge 2012: {bpic['events']:,} events, {bpic['cases']:,} cases",
            "| step | Esperia (DuckDB) | pm4py | speed-up |",
            "|---|---|---|---|",
            f"| read XES | {bpic['read_s']['esperia']} s | {bpic['read_s']['pm4py']} s"
            " | |",
            f"| DFG discovery (median) | {bpic['dfg_s']['esperia']} s | "
            f"{bpic['dfg_s']['pm4py']} s | {bpic['speedup']}x |",
            "",
            f"edges compared: {bpic['edges_compared']}, frequencies equal: "
            f"{bpic['frequencies_equal']}, start activities equal: "
            f"{bpic['start_activities_equal']}, end activities equal: "
            f"{bpic['end_activities_equal']}",
            "",
        ]
    ws = result.get("workspace")
    if ws:
        lines += [
            f"Workspace: {ws['rows']:,} interactions, activity = {ws['level']}",
            "| run | journey build | DFG | top paths | DFG + paths | peak memory |",
            "|---|---|---|---|---|---|",
        ]
        for label in ("build", "query"):
            r = ws.get(label, {})
            if "error" in r:
                lines.append(f"| {label} | failed: {r['error'][:200]} | | | | |")
                continue
            built = r.get("build", {}).get("seconds", "stored")
            lines.append(
                f"| {label} | {built} | {r.get('dfg_s')} s | {r.get('paths_s')} s"
                f" | {r.get('total_s')} s | {r.get('peak_rss_mb')} MB |"
            )
    return "\n".join(lines)
