"""The Value page: CLV distribution, cohort retention, customers and money at risk."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from esperia.auth.users import User
from esperia.errors import NotFound
from esperia.store import Store
from esperia.value.groups import clv_by_group
from esperia.value.market import market_share_report
from esperia.value.profitability import profitability_report
from esperia.value.retention import retention_report
from esperia.value.service import (
    clv_histogram,
    customer_values,
    latest_fit,
    saved_at_risk,
    saved_comparison,
    saved_evaluation,
)
from esperia.value.wallet import share_of_wallet
from esperia.web.i18n import translate
from esperia.web.plots import figure
from esperia.web.rendering import render
from esperia.web.security import current_language, require_user, verify_csrf

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

CurrentUser = Annotated[User, Depends(require_user)]
#: Months since first purchase shown in the cohort heatmap.
COHORT_AGES = 13


def _charts(lang: str, store: Store) -> dict[str, Any]:
    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    charts: dict[str, Any] = {}
    hist = clv_histogram(store)
    mids = [(a + b) / 2 for a, b in zip(hist["edges"], hist["edges"][1:], strict=False)]
    charts["histogram"] = figure(
        [{"type": "bar", "x": mids, "y": hist["counts"],
          "marker": {"color": "#2b6cb0"}}],
        {"xaxis": {"title": {"text": t("value.clv_axis")}},
         "yaxis": {"title": {"text": t("value.customers")}}, "bargap": 0.05},
        caption=t("value.hist_caption", customers=hist["customers"]), lang=lang,
    )  # fmt: skip
    report = retention_report(store, cohort_months=12)
    cohorts = report["cohorts"]
    z = [
        [round(v * 100, 1) for v in c["retention"][:COHORT_AGES]]
        + [None] * (COHORT_AGES - len(c["retention"][:COHORT_AGES]))
        for c in cohorts
    ]
    charts["heatmap"] = figure(
        [{"type": "heatmap", "z": z, "x": list(range(COHORT_AGES)),
          "y": [c["cohort"] for c in cohorts], "colorscale": "Blues",
          "hovertemplate": "%{y} +%{x}: %{z}%<extra></extra>"}],
        {"xaxis": {"title": {"text": t("value.months_since")}, "dtick": 1},
         "yaxis": {"type": "category", "autorange": "reversed"}},
        caption=t("value.heatmap_caption"), lang=lang, height=420,
    )  # fmt: skip
    charts["periods"] = report["periods"][-12:]
    evaluation = saved_evaluation(store)
    if evaluation is not None:
        charts["evaluation"] = evaluation
        charts["calibration"] = _calibration_chart(evaluation, t, lang)
    charts["comparison"] = saved_comparison(store)
    return charts


def _calibration_chart(ev: dict[str, Any], t: Any, lang: str) -> Any:
    """Mean holdout purchases per customer, actual beside predicted, by group."""
    x = [g["frequency"] for g in ev["groups"]]
    return figure(
        [{"type": "bar", "name": t("value.actual"), "x": x,
          "y": [round(g["actual"], 3) for g in ev["groups"]],
          "marker": {"color": "#2b6cb0"}},
         {"type": "bar", "name": t("value.predicted"), "x": x,
          "y": [round(g["predicted"], 3) for g in ev["groups"]],
          "marker": {"color": "#dd6b20"}}],
        {"barmode": "group", "xaxis": {"title": {"text": t("value.repeat_axis")},
                                       "type": "category"},
         "yaxis": {"title": {"text": t("value.holdout_axis")}},
         "legend": {"orientation": "h", "y": 1.12}},
        caption=t("value.calibration_caption", actual=round(ev["actual_total"]),
                  predicted=round(ev["predicted_total"]),
                  end=ev["calibration_end"]),
        lang=lang,
    )  # fmt: skip


def _market_chart(report: dict[str, Any], t: Any, lang: str) -> Any:
    """Market share per market (left axis) and NPS of the same periods (right)."""
    data: list[dict[str, Any]] = []
    for market in report["markets"]:
        rows = [r for r in report["rows"] if r["market"] == market]
        data.append(
            {"type": "scatter", "mode": "lines+markers", "name": market,
             "x": [r["period_start"] for r in rows],
             "y": [round(r["share"] * 100, 2) for r in rows]}
        )  # fmt: skip
    nps: dict[str, float] = {}
    for r in report["rows"]:
        if r["nps"] is not None:
            nps[r["period_start"]] = round(r["nps"], 1)
    if nps:
        days = sorted(nps)
        data.append(
            {"type": "scatter", "mode": "lines+markers", "name": "NPS",
             "x": days, "y": [nps[d] for d in days], "yaxis": "y2",
             "line": {"dash": "dot", "color": "#2f855a"}}
        )  # fmt: skip
    return figure(
        data,
        {"xaxis": {"type": "date"},
         "yaxis": {"title": {"text": t("value.share_axis")}, "rangemode": "tozero"},
         "yaxis2": {"title": {"text": "NPS"}, "overlaying": "y", "side": "right",
                    "tickmode": "auto", "showgrid": False},
         "legend": {"orientation": "h", "y": 1.15}, "margin": {"r": 56}},
        caption=t("value.market_caption"), lang=lang,
    )  # fmt: skip


def _realization(lang: str, store: Store) -> dict[str, Any]:
    """Per-group CLV, share of wallet and market share, each where it exists."""

    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    out: dict[str, Any] = {"clv_groups": {}}
    for by in ("segment", "persona", "touchpoint"):
        try:
            out["clv_groups"][by] = clv_by_group(store, by)
        except NotFound:
            out["clv_groups"][by] = None
    try:
        out["wallet"] = share_of_wallet(store, by="segment")
    except NotFound:
        out["wallet"] = None
    try:
        market = market_share_report(store)
        out["market"] = market
        out["market_chart"] = _market_chart(market, t, lang)
    except NotFound:
        out["market"] = None
    return out


@router.get("/value", response_class=HTMLResponse)
def value_page(request: Request, user: CurrentUser) -> Response:
    store: Store = request.app.state.store
    lang = current_language(request)
    context: dict[str, Any] = {"fit": None, "charts": None, "at_risk": None}
    try:
        context["fit"] = latest_fit(store)
    except NotFound:
        return render(request, "value.html", context)
    context["charts"] = _charts(lang, store)
    context["customers"] = customer_values(store, order="at_risk", limit=15)
    context["profit"] = profitability_report(store, request.app.state.settings)
    context.update(_realization(lang, store))
    saved = saved_at_risk(store)
    if saved is not None:
        by_tp = saved["at_risk"]["by_touchpoint"][:10]
        context["at_risk"] = saved
        context["at_risk_chart"] = figure(
            [{"type": "bar", "orientation": "h",
              "x": [round(r["per_month"], 2) for r in by_tp],
              "y": [r["touchpoint_id"] for r in by_tp],
              "marker": {"color": "#c53030"}}],
            {"yaxis": {"autorange": "reversed"},
             "xaxis": {"title": {"text": translate(lang, "value.per_month")}},
             "margin": {"l": 130}},
            caption=translate(lang, "value.at_risk_caption"), lang=lang,
        )  # fmt: skip
    return render(request, "value.html", context)
