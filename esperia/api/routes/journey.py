"""Journey routes: flows, paths, funnels, conformance, moments of truth.

Each answer is the JSON the matching ``esperia journey … --json`` command
prints, computed on the workspace's journeys (rebuilt first when stale).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from esperia.api.deps import AdminAccess, ReadAccess, SettingsDep, StoreDep
from esperia.api.schemas import ErrorResponse
from esperia.config import Settings
from esperia.journey.design import conformance
from esperia.journey.eventlog import EventLog
from esperia.journey.flows import directly_follows
from esperia.journey.funnel import funnel
from esperia.journey.service import (
    LogSpec,
    design_names,
    moments_report,
    open_log,
    paths_report,
    resolve_design,
    save_design,
)
from esperia.store.database import Store

__all__ = ["router"]

router = APIRouter(prefix="/journey", tags=["journey"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "A bad level, step or design."},
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the scope."},
    404: {"model": ErrorResponse, "description": "No such stored design."},
}

LevelQ = Annotated[str, Query(pattern="^(touchpoint|channel|stage)$")]
DateQ = Annotated[
    str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}", description="ISO date")
]
SegmentQ = Annotated[str | None, Query(max_length=200)]


def _on_log(
    store: Store,
    settings: Settings,
    spec: LogSpec,
    work: Callable[[EventLog], dict[str, Any]],
) -> dict[str, Any]:
    with open_log(spec, settings, store) as log:
        result = work(log)
        result["source"] = log.description
    return result


@router.get("/dfg", summary="The directly-follows graph", responses=_ERRORS)
def dfg(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    level: LevelQ = "touchpoint",
    since: DateQ = None,
    until: DateQ = None,
    segment: SegmentQ = None,
    min_count: Annotated[int, Query(ge=1)] = 1,
) -> dict[str, Any]:
    """Edges `{source, target, count, median_seconds, p90_seconds}` and start
    and end activities, over interactions in [since, until) of one segment."""
    spec = LogSpec(level=level, since=since, until=until, segment=segment)
    return _on_log(
        store, settings, spec, lambda lg: directly_follows(lg, min_count=min_count)
    )


@router.get("/paths", summary="Top paths, goal drop-outs, switching", responses=_ERRORS)
def paths(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    level: LevelQ = "touchpoint",
    since: DateQ = None,
    until: DateQ = None,
    segment: SegmentQ = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    goal: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    spec = LogSpec(level=level, since=since, until=until, segment=segment)
    target = goal or settings.journey_goal_stage
    return _on_log(
        store, settings, spec, lambda lg: paths_report(lg, limit=limit, goal=target)
    )


@router.get("/funnel", summary="Conversion through ordered steps", responses=_ERRORS)
def funnel_route(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    steps: Annotated[str, Query(min_length=3, max_length=2000, description="a,b,c")],
    field: Annotated[
        str, Query(pattern="^(auto|stage|touchpoint|channel|activity)$")
    ] = "auto",
    by: Annotated[str | None, Query(pattern="^(segment|month)$")] = None,
    since: DateQ = None,
    until: DateQ = None,
    segment: SegmentQ = None,
) -> dict[str, Any]:
    """Journeys, conversion and median time per step, overall or by group."""
    spec = LogSpec(since=since, until=until, segment=segment)
    return _on_log(
        store, settings, spec,
        lambda lg: funnel(lg, steps.split(","), field=field, by=by),
    )  # fmt: skip


@router.get("/designs", summary="Designed journeys", responses=_ERRORS)
def designs(_: ReadAccess, settings: SettingsDep) -> list[dict[str, Any]]:
    """The shipped design and those stored in the workspace."""
    return design_names(settings)


@router.put("/designs/{name}", summary="Store a designed journey", responses=_ERRORS)
def put_design(
    _: AdminAccess,
    settings: SettingsDep,
    name: str,
    body: Annotated[dict[str, Any], Body(description="The design, as in the YAML")],
) -> dict[str, Any]:
    """Check and store a design (`name`, `level`, `steps`) under ``name``."""
    design = save_design(settings, name, body)
    return {"name": name, "title": design.name, "steps": len(design.steps)}


@router.get("/conformance", summary="Real journeys against a design", responses=_ERRORS)
def conformance_route(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    design: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> dict[str, Any]:
    """Fitness, deviations per step and deviation types ranked by harm."""
    spec_design = resolve_design(settings, design)
    horizon = settings.journey_horizon_days
    return _on_log(
        store, settings, LogSpec(level=spec_design.level),
        lambda lg: conformance(lg, spec_design, horizon_days=horizon, limit=limit),
    )  # fmt: skip


@router.get("/moments", summary="Moments of truth", responses=_ERRORS)
def moments(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    min_events: Annotated[int, Query(ge=1)] = 20,
) -> dict[str, Any]:
    """Bad experiences ranked by the loss that followed; experience index."""
    return moments_report(store, settings, limit=limit, min_events=min_events)
