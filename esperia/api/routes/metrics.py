"""Metrics routes: every figure of `esperia metrics`, as JSON rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from esperia.api.deps import ReadAccess, SettingsDep, StoreDep
from esperia.api.schemas import ErrorResponse
from esperia.metrics import METRICS, build_query, metric_rows
from esperia.metrics.overview import overview, touchpoint_heatmap

__all__ = ["router"]

router = APIRouter(prefix="/metrics", tags=["metrics"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the `read` scope."},
    400: {"model": ErrorResponse, "description": "A bad grouping, period or date."},
}


@router.get("/overview", summary="Everything the overview page shows",
            responses=_ERRORS)  # fmt: skip
def metrics_overview(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    period: Annotated[str, Query(description="Trend period.")] = "month",
) -> dict[str, Any]:
    """Trends, pyramid, modules, gaps, promises and drivers, each with its time."""
    return overview(store, settings, period)


@router.get("/heatmap", summary="Touchpoint by NPS, CSAT and CES",
            responses=_ERRORS)  # fmt: skip
def metrics_heatmap(
    _: ReadAccess, store: StoreDep, settings: SettingsDep
) -> dict[str, Any]:
    """``{touchpoint: {metric: row}}``: the rows of the touchpoints heatmap."""
    return touchpoint_heatmap(store, settings)


@router.get(
    "/{metric}",
    summary="One metric's rows",
    responses={
        **_ERRORS,
        404: {"model": ErrorResponse, "description": "No such metric."},
    },
)
def metric(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    metric: Annotated[str, Path(description=", ".join(METRICS))],
    by: Annotated[
        str | None,
        Query(description="Comma-separated groupings, e.g. touchpoint,period."),
    ] = None,
    period: Annotated[str, Query(description="day, week, month, quarter, year.")] = (
        "month"
    ),
    since: Annotated[
        str | None, Query(description="From this day (YYYY-MM-DD).")
    ] = None,
    until: Annotated[str | None, Query(description="To this day, included.")] = None,
    min_n: Annotated[int | None, Query(ge=1, description="Flag below this n.")] = None,
    target: Annotated[str, Query(description="drivers: nps or csat.")] = "nps",
    kind: Annotated[
        str, Query(description="drivers: touchpoints, stages or items.")
    ] = "touchpoints",
    bootstrap: Annotated[
        int, Query(ge=0, le=1000, description="drivers: bootstrap resamples.")
    ] = 100,
) -> list[dict[str, Any]]:
    """Rows with the grouping columns, ``n``, the value, ``ci_low``/``ci_high``,
    ``low_n`` and the metric's own extras (see docs/metrics.md)."""
    from esperia.errors import NotFound

    name = metric.replace("-", "_")
    if name not in METRICS:
        raise NotFound(f"no metric {metric!r}: choose one of {', '.join(METRICS)}")
    query = build_query(
        settings, by=by, period=period, since=since, until=until, min_n=min_n
    )
    return metric_rows(store, settings, name, query, target=target, kind=kind,
                       bootstrap=bootstrap)  # fmt: skip
