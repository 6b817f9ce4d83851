"""One entry point for every adapter: a metric name and options in, rows out.

The CLI, the API and the web pages all call :func:`metric_rows`, so a figure
is computed the same way wherever it is shown.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from esperia.errors import InvalidInput
from esperia.metrics.drivers import drivers
from esperia.metrics.frame import Query, parse_by
from esperia.metrics.gaps import promise_gaps, value_gaps
from esperia.metrics.modules import modules
from esperia.metrics.pyramid import pyramid
from esperia.metrics.scores import SCORES, score

__all__ = ["METRICS", "build_query", "metric_rows"]

#: Every metric the adapters offer, with one line on what it is.
METRICS: dict[str, str] = {
    **SCORES,
    "pyramid": "CX pyramid: needs met, ease, enjoyment (0-100) and where it breaks",
    "modules": "experiential modules: presence (%) and how they are felt (-1..1)",
    "gaps": "value gaps: perception - expectation per dimension (paired)",
    "promises": "promise gaps: share of interactions keeping the touchpoint promise",
    "drivers": "key drivers of NPS or CSAT: Shapley share of R², quadrant",
}


def _parse_date(value: str | date | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def build_query(
    settings: Any,
    *,
    by: str | tuple[str, ...] | None = None,
    period: str = "month",
    since: str | date | None = None,
    until: str | date | None = None,
    min_n: int | None = None,
) -> Query:
    """A checked :class:`Query` from adapter input and the workspace settings."""
    dims = parse_by(by) if isinstance(by, str) or by is None else tuple(by)
    return Query(
        by=dims,
        period=(period or "month").lower(),
        since=_parse_date(since, "since"),
        until=_parse_date(until, "until"),
        min_n=int(min_n if min_n is not None else settings.metrics_min_n),
        confidence=float(settings.metrics_confidence),
    )


def metric_rows(
    store: Any,
    settings: Any,
    metric: str,
    query: Query,
    *,
    target: str = "nps",
    kind: str = "touchpoints",
    bootstrap: int = 100,
    seed: int = 0,
    max_units: int | None = None,
) -> list[dict[str, Any]]:
    """Rows of ``metric`` (see :data:`METRICS`) for ``query``."""
    if metric in SCORES:
        return score(store, metric, query)
    threshold = float(settings.metrics_pyramid_threshold)
    if metric == "pyramid":
        return pyramid(store, query, threshold)
    if metric == "modules":
        return modules(store, query, threshold)
    if metric == "gaps":
        return value_gaps(store, query)
    if metric == "promises":
        return promise_gaps(store, query)
    if metric == "drivers":
        return drivers(
            store, query, target=target, kind=kind,
            max_drivers=int(settings.metrics_max_drivers),
            bootstrap=bootstrap, seed=seed, max_units=max_units,
        )  # fmt: skip
    raise InvalidInput(f"unknown metric {metric!r}: choose one of {', '.join(METRICS)}")
