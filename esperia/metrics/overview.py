"""What the overview page shows, as one call: each part timed, each part its rows.

The parts are independent queries, so a slow or failing part (for example
drivers on an empty workspace) does not hide the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from esperia.errors import EsperiaError
from esperia.metrics.service import build_query, metric_rows

__all__ = ["OVERVIEW_PARTS", "overview", "touchpoint_heatmap"]

#: Customers (those who answered last) the overview's driver analysis uses.
DRIVER_UNITS = 20_000
#: Metrics of the touchpoint heatmap (columns), in the order shown.
HEATMAP_METRICS = ("nps", "csat", "ces")


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


def overview(store: Any, settings: Any, period: str = "month") -> dict[str, Any]:
    """Every part of the overview: ``{part: {"rows": [...], "seconds": s}}``.

    A part that cannot be computed carries ``error`` (its message) instead.
    """
    out: dict[str, Any] = {}
    for name, run in _parts(store, settings, period).items():
        started = time.perf_counter()
        try:
            out[name] = {"rows": run()}
        except EsperiaError as exc:
            out[name] = {"rows": [], "error": exc.message}
        out[name]["seconds"] = round(time.perf_counter() - started, 3)
    return out


def touchpoint_heatmap(store: Any, settings: Any) -> dict[str, dict[str, Any]]:
    """Touchpoint by metric: ``{touchpoint: {metric: row}}`` for the heatmap page."""
    query = build_query(settings, by="touchpoint")
    cells: dict[str, dict[str, Any]] = {}
    for metric in HEATMAP_METRICS:
        for row in metric_rows(store, settings, metric, query):
            cells.setdefault(row["touchpoint"] or "—", {})[metric] = row
    return cells
