"""Real-time context and next best action for any touchpoint (a till, a web
site, a care agent): point reads of precomputed rows, fast enough per request."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from esperia.api.deps import IngestAccess, ReadAccess, SettingsDep, StoreDep
from esperia.api.schemas import ErrorResponse
from esperia.nba import (
    customer_context,
    load_catalogue,
    measure_uplift,
    next_best_actions,
    record_action,
)

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


@router.get(
    "/customers/{customer_id}/context",
    summary="A customer's context now",
    responses=_ERRORS,
)
def context(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    customer_id: _Customer,
    lang: _Lang = None,
) -> dict[str, Any]:
    """Persona, value tier, CLV, churn risk, open cases, the last experience and
    its sentiment, preferences and consent."""
    return customer_context(store, settings, customer_id, lang)


@router.get(
    "/customers/{customer_id}/next-best-action",
    summary="A customer's ranked next best actions",
    responses=_ERRORS,
)
def next_best_action(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    customer_id: _Customer,
    lang: _Lang = None,
) -> dict[str, Any]:
    """Eligible actions by expected value (effect x value at stake - cost), each
    with a plain-language reason; empty for customers in the holdout."""
    return next_best_actions(store, settings, customer_id, lang)


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


@router.get("/nba/uplift", summary="Measured uplift per action", responses=_ERRORS)
def uplift(_: ReadAccess, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    """Treated vs holdout outcome rates, uplift with its 95% interval, and n."""
    return measure_uplift(store, settings)
