"""Next-best-action benchmark: batch scoring of a million customers, then the
real-time endpoints under 50 concurrent clients against `esperia serve`.

    python benchmarks/run.py nba [--customers 1000000] [--clients 50] [--seconds 20]

The workspace is generated in SQL (no Python per row) under
benchmarks/.data/nba-<customers>/ and reused by later runs. Timed parts:

* ``esperia nba score`` logic (context, eligibility, ranking, storing), once.
* The two GET routes, alternating, from ``--clients`` threads on keep-alive
  connections, in two client models: *paced* (each client waits 0.5-1.5 s
  between requests, like tills, web pages and agents asking once per customer
  contact or page view: about 50 requests a second in all) and
  *back to back* (no pause: a closed loop measuring saturation, where p95 is
  about clients x service time).
* The naive alternative next to it: the same context computed per request by
  an ad-hoc SQL query over the raw tables (what a user would write with
  duckdb/pandas without precomputed rows), from the same number of threads.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["run_nba_benchmark"]

TARGET_P95_MS = 50.0
TOUCHPOINTS = ("TP-STORE", "TP-WEB", "TP-APP", "TP-COURIER", "TP-PHONE", "TP-EVENT")


def _cid(expr: str) -> str:
    return f"'C' || lpad(CAST({expr} AS VARCHAR), 7, '0')"


def generate(folder: Path, customers: int, log: Callable[[str], None]) -> None:
    """A migrated DuckDB workspace filled in SQL, with CLV and personas stored."""
    from esperia.config import load_settings
    from esperia.store import open_store, upgrade

    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    store = open_store(load_settings(folder))
    upgrade(store)
    n = customers
    tps = ", ".join(f"('{t}', '{t}', '{t[3:].lower()}')" for t in TOUCHPOINTS)
    clock = "TIMESTAMPTZ '2025-06-30 18:00:00+00'"
    statements = [
        f"INSERT INTO touchpoints (touchpoint_id, name, channel) VALUES {tps}",
        "INSERT INTO customers (customer_id, language, first_seen_at, "
        "consent_marketing, consent_analytics, segment) SELECT "
        f"{_cid('i')}, CASE WHEN hash(i, 1) % 5 = 0 THEN 'en' ELSE 'it' END, "
        f"{clock} - CAST(hash(i, 2) % 1500 AS INTEGER) * INTERVAL '1 day', "
        "hash(i, 3) % 10 < 6, CASE WHEN hash(i, 4) % 50 = 0 THEN FALSE END, "
        f"NULL FROM range({n}) t(i)",
        # about 4 orders and 8 interactions a customer, over the last 2 years
        "INSERT INTO orders (order_id, customer_id, ordered_at, revenue) SELECT "
        f"'O' || CAST(j AS VARCHAR), {_cid(f'hash(j, 5) % {n}')}, "
        f"{clock} - CAST(hash(j, 6) % (730 * 24) AS INTEGER) * INTERVAL '1 hour', "
        f"5 + CAST(hash(j, 7) % 9000 AS DOUBLE) / 100 FROM range({4 * n}) t(j)",
        "INSERT INTO interactions (interaction_id, customer_id, touchpoint_id, "
        "occurred_at, type, outcome) SELECT 'I' || CAST(j AS VARCHAR), "
        f"{_cid(f'hash(j, 8) % {n}')}, "
        f"list_extract({list(TOUCHPOINTS)}, CAST(hash(j, 9) % 6 AS INTEGER) + 1), "
        f"{clock} - CAST(hash(j, 10) % (730 * 24) AS INTEGER) * INTERVAL '1 hour', "
        "CASE hash(j, 9) % 6 WHEN 3 THEN 'delivery' WHEN 5 THEN 'event' "
        "WHEN 4 THEN 'call' ELSE 'visit' END, "
        "CASE WHEN hash(j, 9) % 6 = 3 AND hash(j, 11) % 7 = 0 THEN 'late' "
        "WHEN hash(j, 9) % 6 = 5 THEN 'attended' ELSE 'ok' END "
        f"FROM range({8 * n}) t(j)",
        "INSERT INTO feedback (feedback_id, received_at, source, customer_id, "
        "touchpoint_id, nps) SELECT 'F' || CAST(j AS VARCHAR), "
        f"{clock} - CAST(hash(j, 12) % (730 * 24) AS INTEGER) * INTERVAL '1 hour', "
        f"'survey', {_cid(f'hash(j, 13) % {n}')}, 'TP-STORE', "
        f"CAST(hash(j, 14) % 11 AS INTEGER) FROM range({3 * n // 2}) t(j)",
        "INSERT INTO customer_value (customer_id, fit_id, frequency, recency, age, "
        "mean_spend, revenue, margin_rate, p_alive, expected_purchases, "
        "expected_spend, clv, computed_at) SELECT "
        f"{_cid('i')}, 'bench', 3, 100, 700, 40, 160, 0.3, "
        "CAST(hash(i, 15) % 1000 AS DOUBLE) / 1000, 2, 40, "
        f"CAST(hash(i, 16) % 60000 AS DOUBLE) / 100, now() FROM range({n}) t(i)",
        "INSERT INTO persona_versions VALUES (1, now(), 5, 7, 'bench', "
        f"{n}, '[]', NULL, NULL)",
        "INSERT INTO personas SELECT 1, p, 'Tipo ' || p, 'Type ' || p, 0, 0.2, "
        "NULL, '{}' FROM range(5) t(p)",
        "INSERT INTO persona_members SELECT 1, "
        f"{_cid('i')}, CAST(hash(i, 17) % 5 AS INTEGER) FROM range({n}) t(i)",
        "INSERT INTO act_cases (case_id, created_at, updated_at, origin, "
        "customer_id, reason, priority, team, status, due_at) SELECT i, now(), "
        f"now(), 'bench', {_cid(f'hash(i, 18) % {n}')}, 'late delivery', "
        f"'medium', 'care', 'new', now() FROM range({n // 50}) t(i)",
    ]
    with store.connect() as conn:
        for sql in statements:
            conn.execute(sql)
    store.close()
    (folder / "generated.json").write_text(json.dumps({"customers": n}))
    log(f"  generated the workspace in {time.perf_counter() - started:.1f} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    if not ordered:
        return {"n": 0}

    def pick(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    mean = round(1000 * statistics.fmean(ordered), 2)
    return {"n": len(ordered), "p50_ms": pick(0.50), "p95_ms": pick(0.95),
            "p99_ms": pick(0.99), "mean_ms": mean}  # fmt: skip


def _client_loop(
    port: int, token: str, ids: list[str], ks: list[int], stop_at: float,
    think: tuple[float, float] | None,
) -> tuple[list[float], list[str]]:  # fmt: skip
    """Threads ``ks``, each on one keep-alive connection, until wall time
    ``stop_at``; the response times and the failures."""
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    paths = ("context", "next-best-action")

    def client(k: int) -> None:
        rng = random.Random(k)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        i = k
        while time.time() < stop_at:
            cid = ids[rng.randrange(len(ids))]
            url = f"/api/v1/customers/{cid}/{paths[i % 2]}"
            i += 1
            began = time.perf_counter()
            conn.request("GET", url, headers={"X-API-Key": token})
            response = conn.getresponse()
            body = response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 200:
                with lock:
                    errors.append(f"{response.status} {body[:120]!r}")
            if think:
                time.sleep(rng.uniform(*think))
        conn.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in ks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors


def _client_process(queue: Any, *args: Any) -> None:
    queue.put(_client_loop(*args))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc), 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(
    port: int, token: str, ids: list[str], clients: int, seconds: float,
    think: tuple[float, float] | None, processes: int = 1,
    server_pid: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """``clients`` keep-alive connections for ``seconds``, as threads spread
    over ``processes`` client processes (so the clients' own Python does not
    cap the rate a server can reach); with ``server_pid``, the server's CPU
    time per request too."""
    processes = max(1, min(processes, clients))
    groups = [list(range(clients))[p::processes] for p in range(processes)]
    cpu_before = _cpu_seconds(server_pid) if server_pid else 0.0
    began = time.perf_counter()
    stop_at = time.time() + seconds
    if processes == 1:
        times, errors = _client_loop(port, token, ids, groups[0], stop_at, think)
    else:
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        workers = [
            context.Process(
                target=_client_process,
                args=(queue, port, token, ids, group, stop_at, think),
            )
            for group in groups
        ]
        for w in workers:
            w.start()
        times, errors = [], []
        for _ in workers:
            got_times, got_errors = queue.get()
            times.extend(got_times)
            errors.extend(got_errors)
        for w in workers:
            w.join()
    elapsed = time.perf_counter() - began
    out: dict[str, Any] = dict(_percentiles(times))
    out["requests_per_s"] = round(len(times) / elapsed, 1)
    out["client_processes"] = processes
    if server_pid and times:
        cpu = _cpu_seconds(server_pid) - cpu_before
        out["server_cpu_ms_per_request"] = round(1000 * cpu / len(times), 2)
    out["errors"] = len(errors)
    if errors:
        out["first_error"] = errors[0]
    return out


def _naive(
    folder: Path, ids: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    """The same context, computed per request by ad-hoc SQL on the raw tables."""
    from datetime import UTC, datetime

    from esperia.config import load_settings
    from esperia.nba.context import ContextWindow, context_select
    from esperia.store import open_store

    settings = load_settings(folder)
    store = open_store(settings)
    window = ContextWindow(
        datetime(2025, 6, 30, 18, tzinfo=UTC), 90, (400.0, 300.0), 0.3
    )
    times: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        rng = random.Random(100 + k)
        with store.connect() as conn:
            while time.perf_counter() < stop:
                cid = ids[rng.randrange(len(ids))]
                sql, params = context_select("duckdb", window, settings, cid)
                began = time.perf_counter()
                conn.fetchall(sql, params)
                with lock:
                    times.append(time.perf_counter() - began)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    store.close()
    out = _percentiles(times)
    out["requests_per_s"] = round(len(times) / max(elapsed, 1e-9), 2)
    return out


def _serve(folder: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "esperia", "-w", str(folder), "serve",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ},
    )  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("esperia serve did not start within 120 s")


def _wait_for_memory(port: int, token: str, timeout: float = 120) -> dict[str, Any]:
    """Until the server has read the newest run into memory (its status says)."""
    began = time.perf_counter()
    state: dict[str, Any] = {}
    while time.perf_counter() - began < timeout:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/v1/nba/status", headers={"X-API-Key": token})
        state = json.loads(conn.getresponse().read())["memory"]
        conn.close()
        if state.get("loaded") or not state.get("enabled"):
            break
        time.sleep(0.1)
    state["ready_after_s"] = round(time.perf_counter() - began, 2)
    return state


def _during_scoring(
    port: int, token: str, admin: str, ids: list[str], clients: int, pid: int
) -> dict[str, Any]:
    """Paced clients while the server re-scores everyone (POST /nba/score):
    what a till sees during the nightly run."""
    out: dict[str, Any] = {}

    def ask(method: str, path: str, key: str) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(method, f"/api/v1/{path}", headers={"X-API-Key": key})
        body: dict[str, Any] = json.loads(conn.getresponse().read())
        conn.close()
        return body

    def score() -> None:
        began = time.perf_counter()
        ask("POST", "nba/score", admin)
        while ask("GET", "nba/status", token)["job"]["running"]:
            time.sleep(0.2)
        out["scoring_s"] = round(time.perf_counter() - began, 1)
        out["memory_after"] = _wait_for_memory(port, token)

    scorer = threading.Thread(target=score)
    scorer.start()
    # A window long enough for the run and the copy's reload behind it.
    out.update(_load(port, token, ids, clients, 45.0, (0.5, 1.5), 1, pid))
    out.pop("server_cpu_ms_per_request", None)  # mostly the scoring run's
    scorer.join()
    out["load_average"] = os.getloadavg()[0]
    return out


def _verdict(name: str, p95: float | None) -> str:
    if p95 is None:
        return f"{name}: no measurement"
    met = "met" if p95 <= TARGET_P95_MS else "missed"
    return f"{name}: p95 {p95:.1f} ms vs target {TARGET_P95_MS:.0f} ms: {met}"


def run_nba_benchmark(
    data_dir: Path, customers: int, clients: int, seconds: float,
    log: Callable[[str], None], client_processes: int = 1,
) -> dict[str, Any]:  # fmt: skip
    from esperia.auth.api_keys import create_key
    from esperia.config import load_settings
    from esperia.nba import score_customers
    from esperia.store import open_store, upgrade

    folder = data_dir / f"nba-{customers}"
    marker = folder / "generated.json"
    if not marker.is_file():
        log(f"generating a {customers:,}-customer workspace in SQL (once)")
        generate(folder, customers, log)
    else:
        log(f"reusing {folder}")
    settings = load_settings(folder)
    store = open_store(settings)
    try:
        upgrade(store)  # a cached workspace may predate newer migrations
        log("scoring every customer (esperia nba score)")
        scored = score_customers(store, settings)
        token = create_key(store, "bench", ["read"])[1]
        admin = create_key(store, "bench-admin", ["admin"])[1]
    finally:
        store.close()
    log(f"  scored {scored['customers']:,} customers in {scored['seconds']} s, "
        f"{scored['with_action']:,} with an action")  # fmt: skip
    rng = random.Random(5)
    ids = [f"C{rng.randrange(customers):07d}" for _ in range(20_000)]
    result: dict[str, Any] = {
        "customers": customers,
        "score_seconds": scored["seconds"],
        "with_action": scored["with_action"],
        "clients": clients,
        "client_processes": client_processes,
        "seconds": seconds,
    }
    port = _free_port()
    server = _serve(folder, port)
    try:
        result["memory"] = _wait_for_memory(port, token)
        log(f"  server holds the newest run in memory: {result['memory']}")
        _load(port, token, ids, 4, 3.0, None)  # warm-up
        for mode, think in (("paced", (0.5, 1.5)), ("back_to_back", None)):
            result[mode] = _load(
                port, token, ids, clients, seconds, think, client_processes,
                server.pid,
            )  # fmt: skip
            result[mode]["load_average"] = os.getloadavg()[0]
            log(f"  esperia {mode}: {result[mode]}")
        result["paced_during_scoring"] = _during_scoring(
            port, token, admin, ids, clients, server.pid
        )
        log(f"  esperia paced, while the server scores: "
            f"{result['paced_during_scoring']}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["naive"] = _naive(folder, ids, clients, seconds)
    result["naive"]["load_average"] = os.getloadavg()[0]
    log(f"  naive ad-hoc SQL per request: {result['naive']}")
    lines = [
        _verdict("esperia, paced clients", result["paced"].get("p95_ms")),
        _verdict("esperia, back-to-back clients", result["back_to_back"].get("p95_ms")),
        _verdict(
            "esperia, paced clients while the server scores",
            result["paced_during_scoring"].get("p95_ms"),
        ),
        _verdict("naive ad-hoc SQL per request", result["naive"].get("p95_ms")),
        f"scoring {customers:,} customers: {scored['seconds']} s",
    ]
    log("")
    for line in lines:
        log(line)
    result["verdicts"] = lines
    return result
