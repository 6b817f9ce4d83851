"""Real-time context and next best action for any touchpoint (a till, a web
site, a care agent): point reads of precomputed rows, fast enough per request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from esperia.api.deps import (
    AdminAccess,
    IngestAccess,
    ReadAccess,
    SettingsDep,
    StoreDep,
)
from esperia.api.schemas import ErrorResponse
from esperia.config import Settings
from esperia.nba import (
    customer_context,
    load_catalogue,
    measure_uplift,
    next_best_actions,
    record_action,
)
from esperia.nba.jobs import request_scoring
from esperia.nba.service import (
    actions_from_row,
    context_from_row,
    memory_row,
    scoring_status,
    stored_row,
)
from esperia.store import Store

__all__ = ["router"]

router = APIRouter(tags=["next best action"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the scope."},
    404: {"model": ErrorResponse, "description": "No such customer."},
}
_Customer = Annotated[str, Path(min_length=1, max_length=200)]
_Lang = Annotated[
    Literal["it", "en"] | None,
    Query(description="Language of names and reasons (default: the customer's)."),
]


class GivenIn(BaseModel):
    action_id: str = Field(min_length=1, max_length=48)


async def _realtime(
    store: Store,
    settings: Settings,
    customer_id: str,
    lang: str | None,
    from_row: Callable[[dict[str, Any], Settings, str | None], dict[str, Any]],
    full: Callable[[Store, Settings, str, str | None], dict[str, Any]],
) -> JSONResponse:
    """A real-time answer with as little per-request work as possible.

    The server keeps the newest scoring run in memory (``esperia.nba.snapshot``):
    a few microseconds, on the event loop. While that copy is loading, on
    DuckDB the stored row is an in-process index read (about half a
    millisecond), also on the event loop: a thread-pool hop would cost more
    than the read. A customer the last scoring run has not seen, and
    PostgreSQL reads (a network round trip), go to the thread pool. The dict is
    JSON-ready, so it is sent as is (the bytes FastAPI would send, without
    validating and re-encoding it through a response model).
    """
    row = memory_row(store, settings, customer_id)
    if row is None and store.dialect == "duckdb":
        row = stored_row(store, settings, customer_id)
    if row is not None:
        return JSONResponse(from_row(row, settings, lang))
    body = await run_in_threadpool(full, store, settings, customer_id, lang)
    return JSONResponse(body)


@router.get(
    "/customers/{customer_id}/context",
    summary="A customer's context now",
    response_model=dict[str, Any],
    responses=_ERRORS,
)
async def context(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    customer_id: _Customer,
    lang: _Lang = None,
) -> JSONResponse:
    """Persona, value tier, CLV, churn risk, open cases, the last experience and
    its sentiment, preferences and consent."""
    return await _realtime(
        store, settings, customer_id, lang, context_from_row, customer_context
    )


@router.get(
    "/customers/{customer_id}/next-best-action",
    summary="A customer's ranked next best actions",
    response_model=dict[str, Any],
    responses=_ERRORS,
)
async def next_best_action(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    customer_id: _Customer,
    lang: _Lang = None,
) -> JSONResponse:
    """Eligible actions by expected value (effect x value at stake - cost), each
    with a plain-language reason; empty for customers in the holdout."""
    return await _realtime(
        store, settings, customer_id, lang, actions_from_row, next_best_actions
    )


@router.post(
    "/customers/{customer_id}/actions",
    summary="Record an action given to a customer",
    status_code=201,
    responses={
        **_ERRORS,
        409: {"model": ErrorResponse, "description": "Holdout or contact rules."},
    },
)
def given(
    principal: IngestAccess,
    store: StoreDep,
    settings: SettingsDep,
    customer_id: _Customer,
    body: GivenIn,
) -> dict[str, Any]:
    """So its outcome is measured against the holdout. Refused (409) for holdout
    customers and within the contact-frequency or cooldown windows."""
    return record_action(
        store, settings, customer_id, body.action_id, actor=principal.actor
    )


@router.get("/nba/actions", summary="The catalogue of actions", responses=_ERRORS)
def actions(_: ReadAccess, settings: SettingsDep) -> dict[str, Any]:
    """Every action with its eligibility rules, cost, channel, consent and prior."""
    return load_catalogue(settings).to_dict()


@router.post(
    "/nba/score",
    summary="Score every customer again, in the background",
    status_code=202,
    responses=_ERRORS,
)
def score(
    principal: AdminAccess, store: StoreDep, settings: SettingsDep
) -> dict[str, Any]:
    """Starts a scoring run in the server (one at a time: ``started`` is false
    when one is already running). The real-time routes answer from the
    previous run until the new one commits; follow it on ``/nba/status``."""
    return request_scoring(store, settings, actor=principal.actor)


@router.get(
    "/nba/status", summary="Scoring runs and the real-time copy", responses=_ERRORS
)
def status(_: ReadAccess, store: StoreDep) -> dict[str, Any]:
    """The newest scoring run, what this server holds in memory for the
    real-time reads (loaded, run, customers, size), and its scoring job."""
    return scoring_status(store)


@router.get("/nba/uplift", summary="Measured uplift per action", responses=_ERRORS)
def uplift(_: ReadAccess, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    """Treated vs holdout outcome rates, uplift with its 95% interval, and n."""
    return measure_uplift(store, settings)
