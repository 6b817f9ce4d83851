"""Ingestion benchmarks: ``python benchmarks/run.py [import|http|all] [options]``.

    python benchmarks/run.py import --rows 10000000 --engine all
    python benchmarks/run.py http --batches 200 --batch-size 1000 --engine all
    python benchmarks/run.py all            # both, as `make bench` runs it
    python benchmarks/run.py enrich --engine all   # text enrichment of the demo
    python benchmarks/run.py clv --customers 1000000   # CLV next to lifetimes
    python benchmarks/run.py clv-pareto --customers 20000  # Pareto/NBD vs lifetimes
    python benchmarks/run.py hazard         # planted churn effects, 7 demo seeds
    python benchmarks/run.py journey        # DFG vs pm4py; 10M-interaction journeys
    python benchmarks/run.py nba            # NBA scoring of 1M, endpoints under load

Each run prints Markdown tables (Esperia next to its baselines, with pass/fail
against the targets) and writes every number to benchmarks/results/*.json.
Generated data lives in benchmarks/.data/ and is reused. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts benchmarks/ first on the path; the repository
# root is what the package imports need.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path.pop(0)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.data import DATA_DIR, dataset  # noqa: E402
from benchmarks.report import (  # noqa: E402
    file_table,
    http_table,
    machine,
    write_results,
)

ENGINES = ("duckdb", "postgresql")


def _log(message: str) -> None:
    print(message, flush=True)


def _choices(value: str, allowed: tuple[str, ...]) -> list[str]:
    if value == "all":
        return list(allowed)
    picked = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in picked if v not in allowed]
    if bad:
        raise SystemExit(f"unknown choice {', '.join(bad)}: use {', '.join(allowed)}")
    return picked


class _Cluster:
    """Start PostgreSQL only when an engine needs it; stop it at the end."""

    def __init__(self, wanted: bool) -> None:
        self.wanted = wanted
        self.cluster: Any = None

    def __enter__(self) -> Any:
        if self.wanted:
            from benchmarks.pg import start_bench_cluster

            _log("starting a throwaway PostgreSQL cluster (on disk, fsync on)")
            self.cluster = start_bench_cluster()
        return self.cluster

    def __exit__(self, *exc: object) -> None:
        if self.cluster is not None:
            from benchmarks.pg import save_log
            from benchmarks.report import RESULTS_DIR

            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            kept = save_log(self.cluster, RESULTS_DIR / f"{stamp}-postgresql.log")
            self.cluster.stop()
            if kept:
                _log(f"PostgreSQL log (slow statements' plans): {kept}")


def _workdir() -> Path:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="work-", dir=DATA_DIR))


def cmd_import(args: argparse.Namespace, cluster: Any) -> dict[str, Any]:
    from benchmarks.files import run_file_benchmarks

    engines = _choices(args.engine, ENGINES)
    formats = _choices(args.format, ("parquet", "csv"))
    methods = _choices(args.method, ("esperia", "pandas", "raw"))
    started = time.perf_counter()
    ds = dataset(args.rows)
    _log(f"file import: {args.rows:,} interactions, engines {', '.join(engines)}")
    work = _workdir()
    try:
        result = run_file_benchmarks(
            ds, engines, formats, methods, work, cluster, args.timeout, _log,
            repeat=args.repeat,
        )  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    _log("")
    _log(file_table(result["runs"]))
    return result


def cmd_http(args: argparse.Namespace, cluster: Any) -> dict[str, Any]:
    from benchmarks.http_ingest import run_http_benchmarks

    engines = _choices(args.engine, ENGINES)
    impls = _choices(args.impl, ("esperia", "naive"))
    clients = [int(c) for c in str(args.clients).split(",")]
    started = time.perf_counter()
    _log(
        f"HTTP ingestion: {args.batches} batches of {args.batch_size:,}, "
        f"clients {args.clients}, engines {', '.join(engines)}"
    )
    work = _workdir()
    try:
        result = run_http_benchmarks(
            engines, impls, clients, args.batches, args.batch_size, work, cluster,
            args.timeout, _log, trace=args.trace, preload=args.preload,
            repeat=args.repeat,
        )  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    _log("")
    _log(http_table(result["runs"]))
    return result


def cmd_trace(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.trace import run_trace

    work = _workdir()
    try:
        return {
            fmt: run_trace(args.rows, fmt, work, _log, args.top, tuple(args.explain))
            for fmt in _choices(args.format, ("parquet", "csv"))
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cmd_pgmerge(args: argparse.Namespace, cluster: Any) -> dict[str, Any]:
    from benchmarks.pg_merge import run_pg_merge

    work = _workdir()
    try:
        return run_pg_merge(args.rows, cluster, work, _log)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cmd_enrich(args: argparse.Namespace, cluster: Any) -> dict[str, Any]:
    from benchmarks.enrich import enrich_table, run_enrich_benchmarks

    engines = _choices(args.engine, ENGINES)
    _log(f"enrichment: demo of {args.customers:,} customers, {', '.join(engines)}")
    work = _workdir()
    try:
        result = run_enrich_benchmarks(
            engines, args.customers, args.seed, args.sample, work, cluster, _log
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _log("")
    _log(enrich_table(result["runs"]))
    return result


def cmd_clv(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.value import run_clv_benchmarks

    result = run_clv_benchmarks(args.customers, DATA_DIR, args.timeout, _log)
    _log(result["table"])
    return result


def cmd_clv_pareto(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.value_pareto import run_pareto_benchmark

    result = run_pareto_benchmark(args.customers, DATA_DIR, args.timeout, _log)
    _log(result["table"])
    return result


def cmd_personas(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.personas import run_personas_benchmark

    # Kept between runs (benchmarks/.data is gitignored): generating a million
    # customers takes longer than building their personas.
    folder = DATA_DIR / f"personas-{args.customers}"
    folder.mkdir(parents=True, exist_ok=True)
    return run_personas_benchmark(
        args.customers, folder, _log, baseline=not args.no_baseline
    )


def cmd_journey(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.journey import (
        DEFAULT_LOG,
        journey_tables,
        run_bpic,
        run_workspace,
    )

    result: dict[str, Any] = {}
    log = Path(args.log) if args.log else DEFAULT_LOG
    if args.part in ("all", "bpic"):
        result["bpic"] = run_bpic(log, args.repeat, _log)
    if args.part in ("all", "workspace"):
        result["workspace"] = run_workspace(args.rows, args.level, _log)
    _log("")
    _log(journey_tables(result))
    return result


def cmd_metrics(args: argparse.Namespace, cluster: Any) -> dict[str, Any]:
    from benchmarks.metrics import metrics_table, run_metrics

    engines = _choices(args.engine, ENGINES)
    with tempfile.TemporaryDirectory(dir=_workdir()) as tmp:
        results = run_metrics(
            engines, args.interactions, args.feedback, args.pg_interactions,
            args.pg_feedback, cluster, Path(tmp), _log, repeat=args.repeat,
            keep=None if args.fresh else DATA_DIR,
        )  # fmt: skip
    _log("\n" + metrics_table(results))
    return {"runs": results}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Esperia ingestion benchmarks (see docs/benchmarks.md).",
    )
    sub = parser.add_subparsers(dest="command")
    imp = sub.add_parser("import", help="file import: Esperia, pandas, raw loads")
    http = sub.add_parser("http", help="HTTP batch ingestion: Esperia and naive")
    both = sub.add_parser("all", help="file import, then HTTP ingestion")
    care = sub.add_parser("assistant", help="care assistant: intents, answers, latency")
    care.add_argument(
        "--banking", type=Path, default=Path("/work/shared/data/intents_banking77")
    )
    care.add_argument("--chats", type=int, default=20)
    care.add_argument("--rounds", type=int, default=10)
    care.add_argument(
        "--parts",
        default="banking,bookshop,knowledge,latency",
        help="comma-separated: banking, bookshop, knowledge, latency",
    )
    trace = sub.add_parser(
        "trace", help="time every SQL statement of an Esperia import (DuckDB)"
    )
    trace.add_argument("--rows", type=int, default=1_000_000)
    act = sub.add_parser(
        "act", help="rules engine (close the loop) vs a pandas script, DuckDB"
    )
    act.add_argument("--customers", type=int, default=20_000)
    act.add_argument("--repeat", type=int, default=3)
    journey = sub.add_parser(
        "journey", help="journeys: DFG vs pm4py (BPIC 2012), 10M interactions"
    )
    journey.add_argument("--log", help="XES/CSV log (default: BPI Challenge 2012)")
    journey.add_argument("--rows", type=int, default=10_000_000)
    journey.add_argument("--level", default="touchpoint")
    journey.add_argument("--repeat", type=int, default=5)
    journey.add_argument("--part", default="all", choices=("all", "bpic", "workspace"))
    pgmerge = sub.add_parser(
        "pgmerge", help="PostgreSQL: the merge statement's forms, EXPLAIN ANALYZE"
    )
    pgmerge.add_argument("--rows", type=int, default=1_000_000)
    text = sub.add_parser(
        "text", help="text analytics: quality on real corpora, speed vs vaderSentiment"
    )
    text.add_argument(
        "--copies", type=int, default=10, help="copies of the UCI sentences to time"
    )
    trace.add_argument("--format", default="all", help="parquet, csv or all")
    trace.add_argument("--top", type=int, default=12, help="statements to show")
    trace.add_argument(
        "--explain",
        action="append",
        default=[],
        help="EXPLAIN ANALYZE statements starting with this (repeatable)",
    )
    enrich = sub.add_parser(
        "enrich", help="text enrichment of the demo's feedback, bulk vs row by row"
    )
    enrich.add_argument("--customers", type=int, default=20_000)
    enrich.add_argument("--seed", type=int, default=42)
    enrich.add_argument(
        "--sample", type=int, default=3_000, help="texts stored row by row"
    )
    enrich.add_argument("--engine", default="all", help="duckdb, postgresql or all")
    clv = sub.add_parser(
        "clv", help="BG/NBD + Gamma-Gamma: Esperia and lifetimes, CDNOW + simulated"
    )
    clv.add_argument("--customers", type=int, default=1_000_000)
    pareto = sub.add_parser(
        "clv-pareto",
        help="Pareto/NBD: Esperia and lifetimes, fit + predict + holdout accuracy",
    )
    pareto.add_argument("--customers", type=int, default=20_000)
    pareto.add_argument("--timeout", type=float, default=1800)
    hazard = sub.add_parser(
        "hazard", help="experience hazard model: planted effects over demo seeds"
    )
    hazard.add_argument(
        "--workspaces",
        default=None,
        help="customers:seed list, e.g. 5000:1,20000:42 (default: the seven of "
        "docs/benchmarks.md)",
    )
    personas = sub.add_parser(
        "personas", help="persona build for a SQL-generated workspace (DuckDB)"
    )
    personas.add_argument("--customers", type=int, default=1_000_000)
    personas.add_argument(
        "--no-baseline", action="store_true", help="skip pandas + scikit-learn"
    )
    clv.add_argument("--timeout", type=float, default=1800)
    inv = sub.add_parser(
        "invitations", help="survey trigger rules on many candidates vs a loop"
    )
    inv.add_argument("--candidates", type=int, default=1_000_000)
    nba = sub.add_parser(
        "nba", help="next best action: scoring 1M customers, endpoints under load"
    )
    nba.add_argument("--customers", type=int, default=1_000_000)
    nba.add_argument("--clients", type=int, default=50)
    nba.add_argument("--seconds", type=float, default=20)
    nba.add_argument(
        "--client-processes", type=int, default=1,
        help="spread the client threads over this many processes",
    )  # fmt: skip
    met = sub.add_parser("metrics", help="the metrics overview's queries, timed")
    met.add_argument("--interactions", type=int, default=10_000_000)
    met.add_argument("--feedback", type=int, default=1_000_000)
    met.add_argument("--pg-interactions", type=int, default=1_000_000)
    met.add_argument("--pg-feedback", type=int, default=100_000)
    met.add_argument("--engine", default="all", help="duckdb, postgresql or all")
    met.add_argument("--repeat", type=int, default=3, help="timed runs (median)")
    met.add_argument(
        "--fresh",
        action="store_true",
        help="generate the DuckDB set in a temporary folder instead of reusing "
        "benchmarks/.data/metrics-duckdb-N-M",
    )
    for p in (imp, both):
        p.add_argument("--rows", type=int, default=10_000_000)
        p.add_argument("--format", default="all", help="parquet, csv or all")
        p.add_argument(
            "--method", default="all", help="esperia, pandas, raw (comma list) or all"
        )
    for p in (http, both):
        p.add_argument("--batches", type=int, default=200)
        p.add_argument("--batch-size", type=int, default=1000)
        p.add_argument(
            "--clients", default="4", help="concurrent clients, e.g. 4 or 1,4"
        )
        p.add_argument("--impl", default="all", help="esperia, naive or all")
        p.add_argument(
            "--trace",
            action="store_true",
            help="one more traced Esperia run per engine: time per statement",
        )
        p.add_argument(
            "--preload",
            type=int,
            default=0,
            help="interactions already in the store before the run (e.g. 10000000)",
        )
    for p in (imp, http, both):
        p.add_argument("--engine", default="all", help="duckdb, postgresql or all")
        p.add_argument(
            "--repeat",
            type=int,
            default=1,
            help="run each configuration N times (tables show median and range)",
        )
        p.add_argument(
            "--timeout", type=float, default=900, help="seconds allowed per run"
        )
    return parser


def _stop_on_term(signum: int, _frame: object) -> None:
    """SIGTERM ends the run like Ctrl+C: servers and PostgreSQL get stopped."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = _parser().parse_args(argv)
    if args.command is None:
        args = _parser().parse_args(["all", *(argv or [])])
    if args.command == "journey":
        args.engine = "duckdb"
    default_engine = "postgresql" if args.command == "pgmerge" else "duckdb"
    engines = _choices(getattr(args, "engine", default_engine), ENGINES)
    payload: dict[str, Any] = {
        "command": " ".join(["python benchmarks/run.py", *(argv or sys.argv[1:])]),
        "machine": machine(),
    }
    box = payload["machine"]
    _log(
        f"machine: {box['cpu']}, {box['cores']} cores, {box['ram_gb']} GB, "
        f"load {box['load_average_at_start']}"
    )
    with _Cluster("postgresql" in engines) as cluster:
        if args.command in ("import", "all"):
            payload["import"] = cmd_import(args, cluster)
        if args.command in ("http", "all"):
            payload["http"] = cmd_http(args, cluster)
        if args.command == "trace":
            payload["trace"] = cmd_trace(args)
        if args.command == "act":
            from benchmarks.act import run_act_benchmark

            payload["act"] = run_act_benchmark(args.customers, args.repeat, _log)
            _log(str(payload["act"]))
        if args.command == "pgmerge":
            payload["pgmerge"] = cmd_pgmerge(args, cluster)
        if args.command == "enrich":
            payload["enrich"] = cmd_enrich(args, cluster)
        if args.command == "text":
            from benchmarks.text import run as run_text

            payload["text"] = run_text(args.copies)
        if args.command == "clv":
            payload["clv"] = cmd_clv(args)
        if args.command == "clv-pareto":
            payload["clv_pareto"] = cmd_clv_pareto(args)
        if args.command == "hazard":
            from benchmarks.hazard import (
                DEFAULT_WORKSPACES,
                parse_workspaces,
                run_hazard_check,
            )

            chosen = parse_workspaces(args.workspaces or DEFAULT_WORKSPACES)
            payload["hazard"] = run_hazard_check(chosen, _log)
            _log("")
            _log(payload["hazard"]["table"])
        if args.command == "journey":
            payload["journey"] = cmd_journey(args)
        if args.command == "metrics":
            payload["metrics"] = cmd_metrics(args, cluster)
        if args.command == "invitations":
            from benchmarks.invitations import run as run_invitations

            payload["invitations"] = run_invitations(args.candidates, _log)
        if args.command == "assistant":
            from benchmarks.assistant import run as run_assistant

            payload["assistant"] = run_assistant(
                args.banking,
                args.chats,
                args.rounds,
                tuple(p.strip() for p in args.parts.split(",") if p.strip()),
            )
        if args.command == "personas":
            payload["personas"] = cmd_personas(args)
        if args.command == "nba":
            from benchmarks.nba import run_nba_benchmark

            payload["nba"] = run_nba_benchmark(
                DATA_DIR, args.customers, args.clients, args.seconds, _log,
                args.client_processes,
            )  # fmt: skip
    path = write_results(args.command, payload)
    _log(f"\nresults written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
