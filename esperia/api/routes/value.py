"""Value routes: CLV parameters and predictions, retention, value at risk."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from esperia.api.deps import AdminAccess, ReadAccess, SettingsDep, StoreDep
from esperia.api.schemas import ErrorResponse
from esperia.errors import NotFound
from esperia.value.groups import GroupBy, clv_by_group
from esperia.value.market import import_market_share, market_share_report
from esperia.value.profitability import profitability_report
from esperia.value.retention import churn_status, retention_report
from esperia.value.service import (
    customer_values,
    evaluate_workspace,
    latest_fit,
    predict_workspace,
    saved_at_risk,
    saved_comparison,
    saved_evaluation,
    value_at_risk_report,
)
from esperia.value.wallet import WalletBy, import_category_spend, share_of_wallet

__all__ = ["router"]

router = APIRouter(prefix="/value", tags=["value"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the scope."},
    404: {"model": ErrorResponse, "description": "Nothing computed or imported yet."},
}


@router.get("/clv", summary="The latest CLV fit", responses=_ERRORS)
def clv_fit(_: ReadAccess, store: StoreDep) -> dict[str, Any]:
    """Purchase model (``model``: bg-nbd or pareto-nbd), its parameters and
    log-likelihood, and Gamma-Gamma's, from the latest `clv predict`."""
    return latest_fit(store)


@router.post("/clv/predict", summary="Fit CLV and predict every customer")
def clv_predict(
    _: AdminAccess,
    store: StoreDep,
    settings: SettingsDep,
    horizon_months: Annotated[int | None, Query(ge=1, le=120)] = None,
    model: Annotated[
        str | None,
        Query(description="bg-nbd or pareto-nbd (default: the clv_model setting)"),
    ] = None,
) -> dict[str, Any]:
    """Fit on the orders, store each customer's prediction, return the summary."""
    return predict_workspace(
        store, settings, horizon_months=horizon_months, model=model
    ).to_dict()


@router.get(
    "/clv/summary",
    summary="CLV per segment, persona or touchpoint",
    responses=_ERRORS,
)
def clv_summary(
    _: ReadAccess, store: StoreDep, by: GroupBy = "segment"
) -> dict[str, Any]:
    """Stored predictions summarised; touchpoint groups overlap."""
    return clv_by_group(store, by)


@router.get(
    "/clv/evaluation",
    summary="Calibration/holdout check of the CLV model",
    responses=_ERRORS,
)
def clv_evaluation(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    refresh: bool = False,
    holdout_days: Annotated[int, Query(ge=7, le=3650)] = 180,
    model: Annotated[
        str | None,
        Query(
            description="bg-nbd, pareto-nbd, or all (both side by side); default: "
            "the last check saved, else the clv_model setting"
        ),
    ] = None,
) -> dict[str, Any]:
    """Predicted vs actual holdout purchases by calibration repeat purchases.

    Answers the saved check when it is for the model asked (any, when none is);
    computes and saves a new one otherwise or with ``refresh``.
    """
    saved = None
    if not refresh:
        saved = saved_comparison(store) if model == "all" else saved_evaluation(store)
    if saved is not None and (model is None or saved.get("model", "bg-nbd") == model):
        return saved
    return evaluate_workspace(store, settings, holdout_days=holdout_days, model=model)


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


@router.get(
    "/wallet", summary="Share of wallet from the category spend", responses=_ERRORS
)
def wallet(
    _: ReadAccess,
    store: StoreDep,
    by: WalletBy = "segment",
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> dict[str, Any]:
    """Our orders per category / the total category spend the user provided."""
    return share_of_wallet(store, by=by, limit=limit)


@router.post("/wallet", summary="Add category spend figures", responses=_ERRORS)
def wallet_import(
    _: AdminAccess,
    store: StoreDep,
    rows: Annotated[list[dict[str, Any]], Body()],
    replace: bool = False,
) -> dict[str, Any]:
    """Rows with customer_id or segment, category, period_start, period_end
    (YYYY-MM-DD), total_spend and an optional source; all are checked first."""
    return import_category_spend(store, rows, replace=replace)


@router.get(
    "/market-share", summary="Market share over time with NPS", responses=_ERRORS
)
def market_share(_: ReadAccess, store: StoreDep) -> dict[str, Any]:
    return market_share_report(store)


@router.post("/market-share", summary="Add market share figures", responses=_ERRORS)
def market_share_import(
    _: AdminAccess, store: StoreDep, rows: Annotated[list[dict[str, Any]], Body()]
) -> dict[str, Any]:
    """Rows with market, share (0-1) and period (2025, 2025-Q2, 2025-03) or
    period_start and period_end; a figure for the same market and period
    replaces the one before."""
    return import_market_share(store, rows)
