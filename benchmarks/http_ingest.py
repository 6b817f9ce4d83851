"""HTTP batch ingestion: one uvicorn process, httpx clients, a durability check.

For each (engine, endpoint, client count) the benchmark copies a prepared
workspace (customers and touchpoints loaded), starts the server as its own
process on 127.0.0.1, sends a few warm-up batches, then times ``batches``
batches sent by ``clients`` concurrent httpx clients (asyncio, one process).
Request bodies are encoded before the clock starts. An item counts as
acknowledged when its batch got a 200. After the server is stopped (which
closes the store), the store is opened again from outside and every
acknowledged id must be there.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from benchmarks.child import ROOT, code_digest, peak_rss_mb, wait_with_rusage
from benchmarks.data import http_batches
from benchmarks.files import Target, copy_target, prepare_template, store_settings

__all__ = ["Load", "run_http_benchmarks", "send_batches"]

_WARMUP = 5
_PATHS = {"esperia": "/api/v1/interactions", "naive": "/naive/interactions"}
_HEALTH = {"esperia": "/api/v1/health", "naive": "/health"}
_FACTORY = {
    "esperia": "benchmarks.servers:esperia_app",
    "naive": "benchmarks.servers:naive_app",
}


@dataclass
class Load:
    """What the clients saw: time, acknowledged batches, latencies, failures."""

    seconds: float
    acknowledged: list[int]
    latencies_ms: list[float]
    failures: list[str]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _send(
    base_url: str,
    path: str,
    bodies: list[bytes],
    clients: int,
    headers: dict[str, str],
    timeout: float,
) -> Load:
    import httpx

    pending = list(range(len(bodies)))
    pending.reverse()
    acknowledged: list[int] = []
    latencies: list[float] = []
    failures: list[str] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as http:
            while pending:
                index = pending.pop()
                sent = time.perf_counter()
                try:
                    answer = await http.post(
                        path, content=bodies[index], headers=headers
                    )
                except httpx.HTTPError as exc:
                    failures.append(f"batch {index}: {type(exc).__name__}: {exc}")
                    continue
                latencies.append((time.perf_counter() - sent) * 1000)
                if answer.status_code == 200:
                    acknowledged.append(index)
                else:
                    failures.append(
                        f"batch {index}: {answer.status_code} {answer.text[:200]}"
                    )

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return Load(time.perf_counter() - started, acknowledged, latencies, failures)


def send_batches(
    base_url: str,
    path: str,
    bodies: list[bytes],
    clients: int,
    headers: dict[str, str],
    timeout: float = 300,
) -> Load:
    """POST every body with ``clients`` concurrent httpx clients."""
    return asyncio.run(_send(base_url, path, bodies, clients, headers, timeout))


class _Server:
    """uvicorn serving one of the benchmark apps in its own process."""

    def __init__(self, impl: str, target: Target, trace_to: Path | None = None) -> None:
        self.impl = impl
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "BENCH_WORKSPACE": str(target.workspace),
            "BENCH_DATABASE_URL": target.database_url or "",
        }
        if trace_to is not None:
            env["BENCH_TRACE"] = str(trace_to)
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", _FACTORY[impl], "--factory",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "warning", "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {self.impl} server exited at start")
            try:
                if (
                    httpx.get(self.url + _HEALTH[self.impl], timeout=2).status_code
                    == 200
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the {self.impl} server did not start in 60 s")

    def stop(self) -> tuple[float, float]:
        """Stop gracefully (the store closes); return (peak RSS MB, CPU seconds)."""
        peak = peak_rss_mb(self.proc.pid)
        self.proc.send_signal(signal.SIGINT)
        reaped = wait_with_rusage(self.proc, 60)
        if reaped is None:
            self.proc.kill()
            reaped = wait_with_rusage(self.proc, 30)
        usage = reaped[1] if reaped else None
        cpu = usage.ru_utime + usage.ru_stime if usage is not None else float("nan")
        return peak, cpu


def _api_key(target: Target) -> str:
    from esperia.auth.api_keys import create_key
    from esperia.store import open_store

    store = open_store(store_settings(target.params()))
    try:
        return create_key(store, "benchmark", ["ingest"])[1]
    finally:
        store.close()


def _missing(target: Target, ids: list[str]) -> tuple[int, int]:
    """(rows stored, acknowledged ids not stored), from a freshly opened store."""
    import pyarrow as pa

    acked = pa.table({"interaction_id": pa.array(ids, pa.string())})
    count_sql = "SELECT count(*) FROM interactions"
    if target.engine == "duckdb":
        import duckdb

        con = duckdb.connect(str(target.db_path), read_only=True)
        try:
            con.register("acked", acked)
            stored = con.execute(count_sql).fetchone()
            missing = con.execute(
                "SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM "
                "interactions i WHERE i.interaction_id = a.interaction_id)"
            ).fetchone()
        finally:
            con.close()
    else:
        import psycopg

        with psycopg.connect(str(target.database_url)) as conn:
            stored = conn.execute(count_sql).fetchone()
            missing = conn.execute(
                "SELECT count(*) FROM unnest(%s::text[]) a(id) WHERE NOT EXISTS "
                "(SELECT 1 FROM interactions i WHERE i.interaction_id = a.id)",
                (ids,),
            ).fetchone()
    assert stored is not None and missing is not None
    return int(stored[0]), int(missing[0])


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _one(
    engine: str,
    impl: str,
    clients: int,
    target: Target,
    batches: list[list[dict[str, Any]]],
    timeout: float,
    trace_to: Path | None = None,
    preloaded: int = 0,
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if impl == "esperia":
        headers["Authorization"] = f"Bearer {_api_key(target)}"
    bodies = [orjson.dumps(batch) for batch in batches]
    ids = [[item["interaction_id"] for item in batch] for batch in batches]
    row: dict[str, Any] = {
        "engine": engine,
        "impl": impl,
        "clients": clients,
        "batches": len(batches) - _WARMUP,
        "batch_size": len(batches[0]),
        "preloaded": preloaded,
        "body_kb": round(sum(map(len, bodies)) / len(bodies) / 1024, 1),
    }
    row["code"] = code_digest()
    server = _Server(impl, target, trace_to)
    client_cpu = time.process_time()
    try:
        path = _PATHS[impl]
        warm = send_batches(server.url, path, bodies[:_WARMUP], 1, headers, timeout)
        load = send_batches(
            server.url, path, bodies[_WARMUP:], clients, headers, timeout
        )
    finally:
        client_cpu = time.process_time() - client_cpu
        peak, cpu = server.stop()
    acked_batches = warm.acknowledged + [i + _WARMUP for i in load.acknowledged]
    acked_ids = [i for b in acked_batches for i in ids[b]]
    stored, missing = _missing(target, acked_ids)
    timed_items = len(load.acknowledged) * row["batch_size"]
    row.update(
        seconds=round(load.seconds, 2),
        items_per_s=round(timed_items / load.seconds),
        p50_ms=_percentile(load.latencies_ms, 0.5),
        p95_ms=_percentile(load.latencies_ms, 0.95),
        failures=len(warm.failures) + len(load.failures),
        failure_sample=(warm.failures + load.failures)[:3],
        server_peak_rss_mb=round(peak, 1),
        server_cpu_s=round(cpu, 2),
        client_cpu_s=round(client_cpu, 2),
        acknowledged=len(acked_ids),
        stored=stored,
        missing=missing,
        durable_ok=missing == 0 and stored == preloaded + len(acked_ids),
    )
    return row


def run_http_benchmarks(
    engines: list[str],
    impls: list[str],
    client_counts: list[int],
    batches: int,
    batch_size: int,
    base: Path,
    cluster: Any,
    timeout: float,
    log: Callable[[str], None],
    trace: bool = False,
    preload: int = 0,
    repeat: int = 1,
) -> dict[str, Any]:
    """Every (engine, endpoint, clients) on a fresh copy of a prepared workspace.

    With ``preload`` the workspace already holds that many interactions (the
    benchmark file of that size, imported by Esperia), as a live store would.
    With ``trace`` each engine gets one more Esperia run (1 client, not counted
    against the target) whose server times every statement it runs.
    """
    import shutil

    items = http_batches(batches + _WARMUP, batch_size, offset=preload)
    rows: list[dict[str, Any]] = []
    traces: dict[str, Any] = {}
    for engine in engines:
        template, _ = prepare_template(engine, base, cluster, log)
        if preload:
            _preload(template, preload, log)
        combos = [(i, c) for i in impls for c in client_counts]
        for turn, (impl, clients) in itertools.product(range(1, repeat + 1), combos):
            name = f"http-{engine}-{impl}-{clients}"
            target = copy_target(template, name, cluster)
            try:
                row = _one(engine, impl, clients, target, items, timeout, None, preload)
            except Exception as exc:
                row = {"engine": engine, "impl": impl, "clients": clients,
                       "error": f"{type(exc).__name__}: {exc}"}  # fmt: skip
            finally:
                if target.cleanup:
                    target.cleanup()
            row["turn"] = turn
            rows.append(row)
            log(_line(row))
        if trace:
            traces[engine] = _traced_run(
                engine, template, items, base, cluster, log, preload
            )
        if template.database_url:
            cluster.drop_database(template.database_url)
        shutil.rmtree(template.workspace, ignore_errors=True)
    return {"warmup_batches": _WARMUP, "runs": rows, "traces": traces}


def _preload(template: Target, rows: int, log: Callable[[str], None]) -> None:
    """Import the ``rows``-interaction Parquet file into the template."""
    from benchmarks.child import run_child
    from benchmarks.data import dataset

    ds = dataset(rows)
    params = {
        **template.params(),
        "kind": "interactions",
        "path": str(ds.interactions_parquet),
    }
    run = run_child("files:task_esperia", params)
    if "error" in run.result:
        raise RuntimeError(f"preloading failed: {run.result['error']}")
    done = run.result
    log(f"  preloaded {done['loaded']:,} interactions in {done['seconds']:.1f}s")


def _traced_run(
    engine: str,
    template: Target,
    items: list[list[dict[str, Any]]],
    base: Path,
    cluster: Any,
    log: Callable[[str], None],
    preload: int,
) -> dict[str, Any]:
    """One Esperia run with every statement timed: where a batch's time goes."""
    import json

    from benchmarks.trace import summarise_log

    target = copy_target(template, f"http-{engine}-traced", cluster)
    trace_to = base / f"trace-{engine}.json"
    try:
        row = _one(engine, "esperia", 1, target, items, 300, trace_to, preload)
    finally:
        if target.cleanup:
            target.cleanup()
    calls = row.get("batches", 0) + _WARMUP
    statements = summarise_log(json.loads(trace_to.read_text()), calls)
    in_sql = sum(s["total_s"] for s in statements)
    log(
        f"  traced {engine} run (1 client): {row.get('items_per_s', 0):,} items/s, "
        f"p50 {row.get('p50_ms', 0):.0f} ms per batch, of which in statements "
        f"{in_sql * 1000 / max(calls, 1):.1f} ms:"
    )
    for s in statements[:12]:
        text = s["statement"][:110]
        log(f"    {s['ms_per_call']:7.2f} ms/batch  x{s['count']:<5} {text}")
    return {"run": row, "statements": statements}


def _line(row: dict[str, Any]) -> str:
    head = f"  {row['engine']:<10} {row['impl']:<8} clients={row['clients']}"
    if row.get("error"):
        return f"{head} ERROR {row['error']}"
    return (
        f"{head} {row['seconds']:>7.1f}s {row['items_per_s']:>9,} items/s "
        f"p50 {row['p50_ms']:.0f} ms p95 {row['p95_ms']:.0f} ms "
        f"server peak {row['server_peak_rss_mb']:,.0f} MB cpu {row['server_cpu_s']}s "
        f"acked {row['acknowledged']:,} stored {row['stored']:,} "
        f"missing {row['missing']} failures {row['failures']}"
    )
