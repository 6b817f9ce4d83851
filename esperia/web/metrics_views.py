"""The metrics pages: the CX overview (/metrics) and the touchpoint heatmap.

Views call the metrics service and turn its rows into plotly figures; every
number a chart shows is also in a table on the page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from esperia.auth.users import User
from esperia.metrics.frame import PERIODS
from esperia.metrics.overview import HEATMAP_METRICS, overview, touchpoint_heatmap
from esperia.vocabulary import MODULES, PYRAMID_LEVELS
from esperia.web.i18n import translate
from esperia.web.plots import figure
from esperia.web.rendering import render
from esperia.web.security import current_language, require_user, verify_csrf

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
CurrentUser = Annotated[User, Depends(require_user)]

_BAND = "rgba(31, 111, 139, 0.18)"
_LINE = "#1f6f8b"


def _trend(rows: list[dict[str, Any]], metric: str, lang: str) -> Any:
    """A line with its 95% band; small-n points drawn hollow."""
    x = [r["period"] for r in rows]
    t = lambda key, **v: translate(lang, key, **v)  # noqa: E731
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "x": x, "y": [r["ci_high"] for r in rows],
         "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False},
        {"type": "scatter", "mode": "lines", "x": x, "y": [r["ci_low"] for r in rows],
         "fill": "tonexty", "fillcolor": _BAND, "line": {"width": 0},
         "name": t("metrics.band"), "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines+markers", "x": x,
         "y": [r[metric] for r in rows], "name": metric.upper(),
         "line": {"color": _LINE},
         "marker": {"symbol": ["circle-open" if r["low_n"] else "circle"
                               for r in rows], "size": 8},
         "customdata": [r["n"] for r in rows],
         "hovertemplate": "%{x}: %{y} (n=%{customdata})<extra></extra>"},
    ]  # fmt: skip
    caption = t("metrics.trend_caption", metric=metric.upper())
    layout = {"showlegend": False, "yaxis": {"title": {"text": metric.upper()}}}
    return figure(data, layout, caption=caption, lang=lang, height=280)


def _pyramid_figure(rows: list[dict[str, Any]], lang: str) -> Any:
    levels = [r for r in rows if r["level"] in PYRAMID_LEVELS]
    data = [
        {"type": "bar", "orientation": "h",
         "y": [translate(lang, f"metrics.level.{r['level']}") for r in levels],
         "x": [r["pyramid"] for r in levels],
         "error_x": {"type": "data", "symmetric": False,
                     "array": [(r["ci_high"] or r["pyramid"]) - r["pyramid"]
                               for r in levels],
                     "arrayminus": [r["pyramid"] - (r["ci_low"] or r["pyramid"])
                                    for r in levels]},
         "marker": {"color": ["#2e8b57" if r["holds"] else "#c0392b"
                              for r in levels]},
         "text": [translate(lang, f"metrics.source.{r['based_on']}") for r in levels],
         "textposition": "inside"},
    ]  # fmt: skip
    layout = {"xaxis": {"range": [0, 100]}, "margin": {"l": 120}}
    caption = translate(lang, "metrics.pyramid_caption")
    return figure(data, layout, caption=caption, lang=lang, height=220)


def _radar(rows: list[dict[str, Any]], lang: str) -> Any | None:
    source = "text" if any(r["based_on"] == "text" for r in rows) else "items"
    chosen = {r["module"]: r for r in rows if r["based_on"] == source}
    if not chosen:
        return None
    names = [m for m in MODULES if m in chosen]
    labels = [translate(lang, f"metrics.module.{m}") for m in names]
    data = [
        {"type": "scatterpolar", "fill": "toself",
         "r": [chosen[m]["modules"] for m in names] + [chosen[names[0]]["modules"]],
         "theta": [*labels, labels[0]], "name": translate(lang, "metrics.presence"),
         "line": {"color": _LINE}},
    ]  # fmt: skip
    layout = {"polar": {"radialaxis": {"range": [0, 100]}}, "showlegend": False}
    caption = translate(lang, "metrics.radar_caption")
    return figure(data, layout, caption=caption, lang=lang, height=320)


def _drivers_figure(rows: list[dict[str, Any]], lang: str) -> Any | None:
    if not rows:
        return None
    colours = {"fix_first": "#c0392b", "strength": "#2e8b57", "watch": "#d68910",
               "maintain": "#7f8c8d"}  # fmt: skip
    data = [
        {"type": "scatter", "mode": "markers+text",
         "x": [r["performance"] for r in rows], "y": [r["importance"] for r in rows],
         "text": [r["driver"] for r in rows], "textposition": "top center",
         "marker": {"size": 11, "color": [colours[r["quadrant"]] for r in rows]}},
    ]  # fmt: skip
    layout = {
        "xaxis": {"title": {"text": translate(lang, "metrics.performance")}},
        "yaxis": {"title": {"text": translate(lang, "metrics.importance")}},
        "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1,
                    "y0": 100 / len(rows), "y1": 100 / len(rows),
                    "line": {"dash": "dot", "color": "#999"}}],
    }  # fmt: skip
    caption = translate(lang, "metrics.drivers_caption")
    return figure(data, layout, caption=caption, lang=lang, height=360)


@router.get("/metrics", response_class=HTMLResponse)
def metrics_page(
    request: Request, user: CurrentUser, period: str = "month"
) -> Response:
    store = request.app.state.store
    settings = request.app.state.settings
    lang = current_language(request)
    if period not in PERIODS:
        period = "month"
    parts = overview(store, settings, period)
    trends = {
        m: _trend(parts[f"{m}_trend"]["rows"], m, lang)
        for m in ("nps", "csat", "ces") if parts[f"{m}_trend"]["rows"]
    }  # fmt: skip
    latest = {
        m: parts[f"{m}_trend"]["rows"][-1] if parts[f"{m}_trend"]["rows"] else None
        for m in ("nps", "csat", "ces")
    }
    pyramid_rows = parts["pyramid"]["rows"]
    gaps = sorted(parts["gaps"]["rows"], key=lambda r: r["gap"] or 0)[:5]
    promises = sorted(parts["promises"]["rows"], key=lambda r: r["kept"] or 0)[:5]
    driver_rows = parts["drivers"]["rows"]
    context = {
        "period": period,
        "periods": list(PERIODS),
        "latest": latest,
        "trends": trends,
        "pyramid": pyramid_rows,
        "pyramid_chart": _pyramid_figure(pyramid_rows, lang) if pyramid_rows else None,
        "modules": parts["modules"]["rows"],
        "radar": _radar(parts["modules"]["rows"], lang),
        "gaps": gaps,
        "promises": promises,
        "drivers": driver_rows,
        "drivers_chart": _drivers_figure(driver_rows, lang),
        "errors": {k: v["error"] for k, v in parts.items() if v.get("error")},
        "min_n": settings.metrics_min_n,
        # The oldest part tells how old the page's figures are.
        "computed_at": min(p["computed_at"] for p in parts.values()).replace("T", " ")[
            :19
        ],
        "stored": all(p["from_summary"] for p in parts.values()),
        "stale": any(p.get("stale") for p in parts.values()),
        "refreshing": any(p.get("refreshing") for p in parts.values()),
    }
    return render(request, "metrics.html", context)


@router.get("/touchpoints", response_class=HTMLResponse)
def touchpoints_page(request: Request, user: CurrentUser) -> Response:
    store = request.app.state.store
    settings = request.app.state.settings
    lang = current_language(request)
    cells = touchpoint_heatmap(store, settings)
    names = sorted(cells)
    chart = None
    if names:
        # Colour: each metric rescaled to its own range, so columns compare.
        spans = {"nps": (-100, 100), "csat": (0, 100), "ces": (1, 7)}
        z: list[list[float | None]] = []
        text: list[list[str]] = []
        for name in names:
            z_row: list[float | None] = []
            t_row: list[str] = []
            for m in HEATMAP_METRICS:
                row = cells[name].get(m)
                if row is None or row[m] is None:
                    z_row.append(None)
                    t_row.append("")
                    continue
                low, high = spans[m]
                z_row.append((row[m] - low) / (high - low))
                mark = "*" if row["low_n"] else ""
                t_row.append(f"{row[m]:.1f}{mark} (n={row['n']})")
            z.append(z_row)
            text.append(t_row)
        data = [
            {"type": "heatmap", "z": z, "x": [m.upper() for m in HEATMAP_METRICS],
             "y": names, "text": text, "texttemplate": "%{text}",
             "colorscale": "RdYlGn", "zmin": 0, "zmax": 1, "showscale": False,
             "hovertemplate": "%{y} %{x}: %{text}<extra></extra>"},
        ]  # fmt: skip
        layout = {"margin": {"l": 140}, "yaxis": {"autorange": "reversed"}}
        chart = figure(
            data, layout, caption=translate(lang, "touchpoints.caption"),
            lang=lang, height=max(260, 26 * len(names) + 80),
        )  # fmt: skip
    context = {
        "names": names,
        "cells": cells,
        "metrics": HEATMAP_METRICS,
        "chart": chart,
        "min_n": settings.metrics_min_n,
    }
    return render(request, "touchpoints.html", context)
