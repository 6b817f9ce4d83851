"""What the overview page shows, as one call: each part timed, each part its rows.

The parts are independent queries, so a slow or failing part (for example
drivers on an empty workspace) does not hide the others. Their rows are kept
in the stored overview (:mod:`esperia.metrics.summary`): a call whose data
has not changed since they were computed reads them back instead of running
the queries again. When the data changed since, the stored rows are still
returned at once, marked ``stale``, and a single background refresh per store
(:mod:`esperia.metrics.background`) recomputes and stores them for the next
call; only parts never stored are computed by the call itself (on separate
connections, side by side where that helps).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from esperia.errors import EsperiaError
from esperia.metrics.background import request_refresh
from esperia.metrics.service import build_query, metric_rows
from esperia.metrics.summary import (
    SUMMARY_TABLE,
    clear_refresh_failure,
    data_stamp,
    read_summary,
    record_refresh_failure,
    write_summary,
)

__all__ = [
    "OVERVIEW_PARTS",
    "overview",
    "refresh_after_import",
    "refresh_overview",
    "refresh_stale",
    "touchpoint_heatmap",
]

#: Customers (those who answered last) the overview's driver analysis uses.
DRIVER_UNITS = 20_000
#: Metrics of the touchpoint heatmap (columns), in the order shown.
HEATMAP_METRICS = ("nps", "csat", "ces")
#: Parts computed side by side when the stored overview is stale, per engine.
#: PostgreSQL runs a query in one server process, so three connections use
#: the cores better (refresh 4.6 s against 6.3 s one by one on 1M
#: interactions); DuckDB already spreads each query over every core, and
#: side by side it was slower (11.8 s against 10.7 s on 10M).
_WORKERS = {"duckdb": 1, "postgresql": 3}
#: Import kinds whose rows the overview reads.
_KINDS_READ = ("feedback", "interactions", "touchpoints")


def _parts(store: Any, settings: Any, period: str) -> dict[str, Callable[[], Any]]:
    def rows(metric: str, **kwargs: Any) -> Callable[[], Any]:
        options = {k: kwargs.pop(k) for k in ("target", "kind", "bootstrap",
                   "max_units") if k in kwargs}  # fmt: skip
        query = build_query(settings, **kwargs)
        return lambda: metric_rows(store, settings, metric, query, **options)

    return {
        "nps_trend": rows("nps", by="period", period=period),
        "csat_trend": rows("csat", by="period", period=period),
        "ces_trend": rows("ces", by="period", period=period),
        "pyramid": rows("pyramid"),
        "modules": rows("modules"),
        "gaps": rows("gaps"),
        "promises": rows("promises"),
        "drivers": rows(
            "drivers",
            target="nps",
            kind="touchpoints",
            bootstrap=0,
            max_units=DRIVER_UNITS,
        ),
    }


#: The parts, in the order the page shows them.
OVERVIEW_PARTS = ("nps_trend", "csat_trend", "ces_trend", "pyramid", "modules",
                  "gaps", "promises", "drivers")  # fmt: skip


def _variant(part: str, period: str) -> str:
    """Trends are stored per period; the other parts do not depend on it."""
    return period if part.endswith("_trend") else ""


def _run(run: Callable[[], Any]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        out: dict[str, Any] = {"rows": run()}
    except EsperiaError as exc:
        out = {"rows": [], "error": exc.message}
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


def _compute(
    store: Any, settings: Any, period: str, names: list[str], workers: int
) -> dict[str, dict[str, Any]]:
    runs = _parts(store, settings, period)
    if workers <= 1 or len(names) <= 1:
        return {name: _run(runs[name]) for name in names}
    # The slowest parts first, so they do not start last and finish late.
    slow_first = sorted(names, key=lambda n: n not in ("promises", "drivers"))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(_run, runs[name]) for name in slow_first}
        return {name: futures[name].result() for name in names}


def overview(
    store: Any,
    settings: Any,
    period: str = "month",
    *,
    stored: bool = True,
    workers: int | None = None,
    background: bool = True,
) -> dict[str, Any]:
    """Every part of the overview: ``{part: {"rows": [...], "seconds": s, …}}``.

    Each part also says ``computed_at`` (UTC, ISO 8601), ``from_summary``
    (read back from the stored overview, or computed by this call) and
    ``stale`` (stored, but the data changed since). Stale parts are returned
    at once and recomputed by the store's background refresh (``refreshing``
    says one is under way); only parts never stored are computed by this call.
    ``background=False`` computes stale parts here instead (the old way), and
    ``stored=False`` computes every part directly and stores nothing. A part
    that cannot be computed carries ``error`` (its message) instead.
    """
    if workers is None:
        workers = _WORKERS.get(store.dialect, 1)
    if not stored:
        out = _compute(store, settings, period, list(OVERVIEW_PARTS), workers)
        return _stamped(out, from_summary=False)
    started = time.perf_counter()
    with store.connect() as conn:  # one connection: PostgreSQL pays per connect
        stamp = data_stamp(store, settings, conn)
        kept = read_summary(store, {period, ""}, conn)
    read_s = round(time.perf_counter() - started, 3)
    usable = {
        name: kept[name]
        for name in OVERVIEW_PARTS
        if name in kept and kept[name]["variant"] == _variant(name, period)
    }
    stale = [name for name, part in usable.items() if part["stamp"] != stamp]
    if not background:
        usable = {n: p for n, p in usable.items() if n not in stale}
        stale = []
    missing = [name for name in OVERVIEW_PARTS if name not in usable]
    computed: dict[str, dict[str, Any]] = {}
    if missing:
        computed = _stamped(
            _compute(store, settings, period, missing, workers), from_summary=False
        )
        write_summary(
            store, stamp, computed, {n: _variant(n, period) for n in computed}
        )
    refreshing = bool(stale) and _start_refresh(store, settings, period, stamp)
    result: dict[str, Any] = {}
    for name in OVERVIEW_PARTS:
        if name in computed:
            result[name] = {**computed[name], "stale": False}
            continue
        part = usable[name]
        entry: dict[str, Any] = {"rows": part["rows"]}
        if "error" in part:
            entry["error"] = part["error"]
        # One query read every stored part: each was ready after that long.
        entry.update(seconds=read_s, computed_at=part["computed_at"],
                     from_summary=True, stale=name in stale)  # fmt: skip
        if name in stale:
            entry["refreshing"] = refreshing
        result[name] = entry
    return result


def _start_refresh(store: Any, settings: Any, period: str, stamp: str) -> bool:
    """Ask for a background refresh of ``period``; whether one is due or running.

    False only when the last refresh failed on this same data: retrying on
    every view would repeat the failure (new data, a new stamp, retries).
    """
    return request_refresh(
        store, period, lambda p: refresh_stale(store, settings, p), stamp
    )


def refresh_stale(store: Any, settings: Any, period: str) -> list[str]:
    """Recompute and store the parts of ``period`` older than the data; which.

    The background refresh's job. A failure is written to the stored overview
    (``esperia metrics status`` shows it) and raised again for the log.
    """
    started = time.perf_counter()
    stamp = ""
    try:
        with store.connect() as conn:
            stamp = data_stamp(store, settings, conn)
            kept = read_summary(store, {period, ""}, conn)
        names = [
            name
            for name in OVERVIEW_PARTS
            if name not in kept
            or kept[name]["stamp"] != stamp
            or kept[name]["variant"] != _variant(name, period)
        ]
        if names:
            parts = _compute(
                store, settings, period, names, _WORKERS.get(store.dialect, 1)
            )
            write_summary(store, stamp, _stamped(parts, from_summary=False),
                          {n: _variant(n, period) for n in parts})  # fmt: skip
        clear_refresh_failure(store, period)
        return names
    except Exception as exc:
        record_refresh_failure(
            store, period, stamp, f"{type(exc).__name__}: {exc}",
            time.perf_counter() - started,
        )  # fmt: skip
        raise


def _stamped(parts: dict[str, dict[str, Any]], from_summary: bool) -> dict[str, Any]:
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat(timespec="seconds")
    for part in parts.values():
        part.update(computed_at=now, from_summary=from_summary)
    return parts


def refresh_overview(
    store: Any, settings: Any, periods: list[str] | None = None
) -> dict[str, Any]:
    """Compute and store every part again; which periods, how long each took.

    Without ``periods``: the month (the page's default) and every period whose
    trends are stored already.
    """
    wanted = set(periods or ["month"])
    if periods is None:
        with store.connect() as conn:
            if conn.table_exists(SUMMARY_TABLE):
                wanted |= {
                    str(r[0])
                    for r in conn.fetchall(
                        f"SELECT DISTINCT variant FROM {SUMMARY_TABLE}"
                    )
                    if r[0]
                }
    started = time.perf_counter()
    stamp = data_stamp(store, settings)
    timings: dict[str, float] = {}
    for number, period in enumerate(sorted(wanted)):
        # The parts that do not depend on the period are computed once.
        names = [n for n in OVERVIEW_PARTS if number == 0 or n.endswith("_trend")]
        parts = _compute(store, settings, period, names, _WORKERS.get(store.dialect, 1))
        write_summary(store, stamp, _stamped(parts, from_summary=False),
                      {n: _variant(n, period) for n in parts})  # fmt: skip
        for name, part in parts.items():
            timings[f"{name}:{period}" if name.endswith("_trend") else name] = part[
                "seconds"
            ]
    clear_refresh_failure(store)
    return {
        "periods": sorted(wanted),
        "stamp": stamp,
        "seconds": round(time.perf_counter() - started, 3),
        "parts": timings,
    }


def refresh_after_import(store: Any, settings: Any, kind: str) -> float | None:
    """Refresh a stored overview after an import of rows it reads; seconds taken.

    Only a workspace whose overview was stored already (someone viewed it or
    ran ``esperia metrics refresh``) is refreshed, and only when the setting
    ``metrics_refresh_after_import`` is on: a workspace that never shows the
    overview pays nothing.
    """
    if kind not in _KINDS_READ or not settings.metrics_refresh_after_import:
        return None
    with store.connect() as conn:
        if not conn.table_exists(SUMMARY_TABLE):
            return None
        if not conn.scalar(f"SELECT count(*) FROM {SUMMARY_TABLE}"):
            return None
    return float(refresh_overview(store, settings)["seconds"])


def touchpoint_heatmap(store: Any, settings: Any) -> dict[str, dict[str, Any]]:
    """Touchpoint by metric: ``{touchpoint: {metric: row}}`` for the heatmap page."""
    query = build_query(settings, by="touchpoint")
    cells: dict[str, dict[str, Any]] = {}
    for metric in HEATMAP_METRICS:
        for row in metric_rows(store, settings, metric, query):
            cells.setdefault(row["touchpoint"] or "—", {})[metric] = row
    return cells
