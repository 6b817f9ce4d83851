"""The machine description, the targets, and the tables the runner prints.

Tables are Markdown, so what the terminal shows can go into
docs/benchmarks.md as it is.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "TARGETS",
    "combine_repeats",
    "file_table",
    "http_table",
    "judge_file",
    "judge_http",
    "machine",
    "write_results",
]

RESULTS_DIR = Path(__file__).resolve().parent / "results"

#: The issue's targets: rows/s per format, items/s over HTTP, peak memory.
TARGETS = {
    "parquet_rows_per_s": 1_000_000,
    "csv_rows_per_s": 300_000,
    "peak_rss_mb": 2048,
    "http_items_per_s": 20_000,
}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return float("nan")


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def code_version() -> dict[str, Any]:
    """The commit and a digest of the ingest code measured (it changes often)."""
    import subprocess

    from benchmarks.child import code_digest

    root = RESULTS_DIR.parent.parent

    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        )
        return out.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_files": len(git("status", "--porcelain", "esperia").splitlines()),
        "ingest_store_api_sha256": code_digest(),
    }


def machine() -> dict[str, Any]:
    """What the numbers were measured on (CPU, cores, RAM, OS, versions, load)."""
    import duckdb
    import fastapi
    import pandas
    import psycopg
    import pyarrow
    import uvicorn

    from benchmarks.pg import pg_version

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _mem_total_gb(),
        "os": _os_name(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "duckdb": duckdb.__version__,
        "postgresql": pg_version(),
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "psycopg": psycopg.__version__,
        "fastapi": fastapi.__version__,
        "uvicorn": uvicorn.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "code": code_version(),
    }


def judge_file(row: dict[str, Any]) -> str:
    """pass/fail of an Esperia import row against the targets; '' for baselines."""
    if row["method"] != "esperia":
        return ""
    if row.get("error"):
        return "FAIL (error)"
    need = TARGETS[f"{row['format']}_rows_per_s"]
    misses = []
    if row["rows_per_s"] < need:
        misses.append(f"speed < {need:,}/s")
    if row["peak_rss_mb"] > TARGETS["peak_rss_mb"]:
        misses.append("memory > 2 GB")
    if not row["check_ok"]:
        misses.append("stored rows wrong")
    return "pass" if not misses else "FAIL: " + ", ".join(misses)


def judge_http(row: dict[str, Any]) -> str:
    if row["impl"] != "esperia":
        return ""
    if row.get("error"):
        return "FAIL (error)"
    misses = []
    if row["items_per_s"] < TARGETS["http_items_per_s"]:
        misses.append(f"speed < {TARGETS['http_items_per_s']:,}/s")
    if not row["durable_ok"]:
        misses.append("acknowledged items missing")
    return "pass" if not misses else "FAIL: " + ", ".join(misses)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "|" + "|".join("-" * (w + 2) for w in widths),
    ]
    lines[0] += " |"
    lines[1] += "|"
    for r in rows:
        cells = " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))
        lines.append("| " + cells + " |")
    return "\n".join(lines)


_METHOD = {
    ("esperia", "first"): "Esperia import_file",
    ("esperia", "again"): "Esperia import_file",
    ("pandas", "first"): "pandas + append",
    ("pandas", "again"): "pandas + append",
    ("raw", "first"): "raw load, no checks",
    ("raw", "again"): "raw load + anti-join",
}


def combine_repeats(
    runs: list[dict[str, Any]], key: tuple[str, ...], speed: str, ok: str
) -> list[dict[str, Any]]:
    """One row per configuration: median speed and time, worst memory, all checks.

    ``speed_range`` keeps (min, max); ``n`` says how many runs were combined.
    A configuration with any failed run is shown as that failure.
    """
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault(tuple(r.get(k) for k in key), []).append(r)
    combined = []
    for group in groups.values():
        failed = [r for r in group if r.get("error")]
        if failed:
            combined.append({**failed[0], "n": len(group)})
            continue
        speeds = [r[speed] for r in group]
        peaks = [
            r[p] for r in group for p in ("peak_rss_mb", "server_peak_rss_mb") if p in r
        ]
        row = {**group[0], "n": len(group)}
        row[speed] = round(statistics.median(speeds))
        row["speed_range"] = (min(speeds), max(speeds))
        row["seconds"] = round(statistics.median(r["seconds"] for r in group), 2)
        for p in ("peak_rss_mb", "server_peak_rss_mb"):
            if p in row:
                row[p] = max(peaks)
        for p in ("p50_ms", "p95_ms"):
            if p in row:
                row[p] = statistics.median(r[p] for r in group)
        row[ok] = all(r[ok] for r in group)
        combined.append(row)
    return combined


def _speed(r: dict[str, Any], field: str) -> str:
    if r.get("n", 1) > 1:
        low, high = r["speed_range"]
        return f"{r[field]:,} ({low:,} to {high:,}, n={r['n']})"
    return f"{r[field]:,}"


def file_table(runs: list[dict[str, Any]]) -> str:
    """Markdown table of file imports; repeats shown as median (min to max)."""
    header = [
        "engine", "format", "import", "method", "rows", "seconds", "rows/s",
        "peak RSS MB", "loaded", "duplicates", "stored ok", "target",
    ]  # fmt: skip
    out = []
    key = ("engine", "format", "method", "phase", "rows")
    for r in combine_repeats(runs, key, "rows_per_s", "check_ok"):
        phase = "first" if r["phase"] == "first" else "re-import"
        label = _METHOD[(r["method"], r["phase"])]
        if r.get("error"):
            last = r["error"].strip().splitlines()[-1][:60]
            out.append(
                [r["engine"], r["format"], phase, label, f"{r['rows']:,}",
                 "error", last, f"{r['peak_rss_mb']:,.0f}", "", "", "", judge_file(r)]
            )  # fmt: skip
            continue
        out.append(
            [
                r["engine"], r["format"], phase, label, f"{r['rows']:,}",
                f"{r['seconds']:.1f}", _speed(r, "rows_per_s"),
                f"{r['peak_rss_mb']:,.0f}", f"{r['loaded']:,}",
                f"{r['duplicates']:,}", "yes" if r["check_ok"] else "NO",
                judge_file(r),
            ]
        )  # fmt: skip
    return _table(header, out)


def http_table(runs: list[dict[str, Any]]) -> str:
    """Markdown table of HTTP runs; repeats shown as median (min to max)."""
    header = [
        "engine", "endpoint", "stored before", "clients", "batches x size",
        "seconds", "items/s", "p50 ms", "p95 ms", "server peak RSS MB",
        "acknowledged", "durable", "target",
    ]  # fmt: skip
    out = []
    key = ("engine", "impl", "clients", "preloaded", "batches", "batch_size")
    for r in combine_repeats(runs, key, "items_per_s", "durable_ok"):
        label = "Esperia /api/v1/interactions" if r["impl"] == "esperia" else "naive"
        if r.get("error"):
            last = r["error"].strip().splitlines()[-1][:60]
            out.append([r["engine"], label, "", str(r["clients"]), "", "error",
                        last, "", "", "", "", "", judge_http(r)])  # fmt: skip
            continue
        out.append(
            [
                r["engine"], label, f"{r.get('preloaded', 0):,}", str(r["clients"]),
                f"{r['batches']} x {r['batch_size']:,}", f"{r['seconds']:.1f}",
                _speed(r, "items_per_s"), f"{r['p50_ms']:.0f}", f"{r['p95_ms']:.0f}",
                f"{r['server_peak_rss_mb']:,.0f}", f"{r['acknowledged']:,}",
                "yes" if r["durable_ok"] else "NO", judge_http(r),
            ]
        )  # fmt: skip
    return _table(header, out)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` to benchmarks/results/<UTC time>-<name>.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}-{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path
