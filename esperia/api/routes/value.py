"""Value routes: CLV parameters and predictions, retention, value at risk."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from esperia.api.deps import AdminAccess, ReadAccess, SettingsDep, StoreDep
from esperia.api.schemas import ErrorResponse
from esperia.errors import NotFound
from esperia.value.profitability import profitability_report
from esperia.value.retention import churn_status, retention_report
from esperia.value.service import (
    customer_values,
    latest_fit,
    predict_workspace,
    saved_at_risk,
    value_at_risk_report,
)

__all__ = ["router"]

router = APIRouter(prefix="/value", tags=["value"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the scope."},
    404: {"model": ErrorResponse, "description": "Nothing computed or imported yet."},
}


@router.get("/clv", summary="The latest CLV fit", responses=_ERRORS)
def clv_fit(_: ReadAccess, store: StoreDep) -> dict[str, Any]:
    """BG/NBD and Gamma-Gamma parameters of the latest `clv predict`."""
    return latest_fit(store)


@router.post("/clv/predict", summary="Fit CLV and predict every customer")
def clv_predict(
    _: AdminAccess,
    store: StoreDep,
    settings: SettingsDep,
    horizon_months: Annotated[int | None, Query(ge=1, le=120)] = None,
) -> dict[str, Any]:
    """Fit on the orders, store each customer's prediction, return the summary."""
    return predict_workspace(store, settings, horizon_months=horizon_months).to_dict()


@router.get("/customers", summary="Customers by value", responses=_ERRORS)
def customers(
    _: ReadAccess,
    store: StoreDep,
    order: Annotated[str, Query(pattern="^(clv|p_alive|at_risk)$")] = "clv",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
) -> list[dict[str, Any]]:
    """Stored predictions: by CLV, least likely alive first, or value at risk."""
    return customer_values(store, order=order, limit=limit)


@router.get(
    "/customers/{customer_id}", summary="One customer's value", responses=_ERRORS
)
def customer(_: ReadAccess, store: StoreDep, customer_id: str) -> dict[str, Any]:
    rows = customer_values(store, customer_id=customer_id, limit=1)
    if not rows:
        raise NotFound(f"no value prediction for customer {customer_id!r}")
    return rows[0]


@router.get("/retention", summary="Retention, cohorts and churn", responses=_ERRORS)
def retention(_: ReadAccess, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    report = retention_report(store)
    report["churn"] = churn_status(store, settings)
    return report


@router.get(
    "/at-risk", summary="Experience effects and value at risk", responses=_ERRORS
)
def at_risk(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    refresh: bool = False,
    months: Annotated[int, Query(ge=1, le=60)] = 12,
) -> dict[str, Any]:
    """The saved report (computed on first use, or with ``refresh=true``)."""
    saved = None if refresh else saved_at_risk(store)
    return saved or value_at_risk_report(store, settings, months=months)


@router.get(
    "/profitability",
    summary="Revenue, margin and cost to serve by segment and touchpoint",
    responses=_ERRORS,
)
def profitability(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    cost_per_hour: Annotated[float | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """Profit is given only with ``cost_per_hour`` (the price of service time)."""
    return profitability_report(store, settings, cost_per_hour=cost_per_hour)
