"""The Journey page: flows (pruned Sankey + DFG table), funnel builder,
conformance deviations ranked by harm, moments of truth."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from esperia.auth.users import User
from esperia.config import Settings
from esperia.errors import EsperiaError
from esperia.journey.design import conformance
from esperia.journey.eventlog import ACTIVITY_LEVELS
from esperia.journey.flows import directly_follows
from esperia.journey.funnel import funnel
from esperia.journey.service import (
    LogSpec,
    design_names,
    moments_report,
    open_log,
    resolve_design,
    touchpoint_ids,
)
from esperia.store import Store
from esperia.vocabulary import STAGES
from esperia.web.i18n import translate
from esperia.web.plots import figure
from esperia.web.rendering import render
from esperia.web.security import current_language, require_user, verify_csrf

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

CurrentUser = Annotated[User, Depends(require_user)]
DEFAULT_STEPS = ("consideration", "purchase", "delivery")
#: Funnel builder slots, and DFG rows listed under the chart.
MAX_STEPS = 6
TABLE_ROWS = 60


def prune(edges: list[dict[str, Any]], min_share: float) -> dict[str, Any]:
    """Keep edges carrying at least ``min_share`` of all transitions; say what
    was hidden (edges, transitions and their share)."""
    total = sum(int(e["count"]) for e in edges)
    floor = min_share * total
    kept = [e for e in edges if e["count"] >= floor]
    hidden = len(edges) - len(kept)
    hidden_count = total - sum(int(e["count"]) for e in kept)
    return {
        "kept": kept,
        "hidden_edges": hidden,
        "hidden_transitions": hidden_count,
        "hidden_share": hidden_count / total if total else 0.0,
        "total_edges": len(edges),
        "floor": floor,
        "transitions": total,
    }


def _sankey(dfg: dict[str, Any], pruned: dict[str, Any], lang: str) -> Any:
    """Sources on the left, what follows on the right (so loops stay readable),
    with journey starts and ends as their own nodes, pruned alike."""
    kept, floor = pruned["kept"], pruned["floor"]
    start, end = translate(lang, "journey.start"), translate(lang, "journey.end")
    starts = {a: n for a, n in dfg["start_activities"].items() if n >= floor}
    ends = {a: n for a, n in dfg["end_activities"].items() if n >= floor}
    pairs = [((e["source"], 0), (e["target"], 1), e["count"]) for e in kept]
    pairs += [((start, 0), (a, 1), n) for a, n in starts.items()]
    pairs += [((a, 0), (end, 1), n) for a, n in ends.items()]
    if not pairs:
        return ""
    # Nodes come from the links only: a node without links breaks the layout.
    nodes = sorted({p[0] for p in pairs} | {p[1] for p in pairs},
                   key=lambda node: (node[1], node[0] != start, node[0] == end,
                                     node[0]))  # fmt: skip
    index = {node: i for i, node in enumerate(nodes)}
    links = [(index[a], index[b], n) for a, b, n in pairs]
    trace = {
        "type": "sankey",
        "arrangement": "snap",
        "node": {"label": [n[0] for n in nodes], "pad": 10, "thickness": 14},
        "link": {
            "source": [a for a, _, _ in links],
            "target": [b for _, b, _ in links],
            "value": [n for _, _, n in links],
        },
    }
    return figure(
        [trace],
        {"margin": {"l": 8, "r": 8, "t": 8, "b": 8}},
        caption=translate(lang, "journey.flow_caption", edges=len(kept)),
        lang=lang, height=560, chart_id="journey-flow-chart",
    )  # fmt: skip


def _funnel_chart(group: dict[str, Any], lang: str) -> Any:
    names = [s["step"] for s in group["steps"]]
    return figure(
        [
            {"type": "bar", "name": translate(lang, "journey.reached"), "x": names,
             "y": [s["journeys"] for s in group["steps"]],
             "marker": {"color": "#2b6cb0"}},
            {"type": "bar", "name": translate(lang, "journey.dropped"), "x": names,
             "y": [s["dropped"] for s in group["steps"]],
             "marker": {"color": "#c53030"}},
        ],
        {"barmode": "stack",
         "yaxis": {"title": {"text": translate(lang, "journey.journeys")}}},
        caption=translate(lang, "journey.funnel_caption", journeys=group["journeys"]),
        lang=lang, height=320, chart_id="journey-funnel-chart",
    )  # fmt: skip


def _harm_chart(labels: list[str], harms: list[float], chart_id: str, caption: str,
                lang: str) -> Any:  # fmt: skip
    return figure(
        [{"type": "bar", "orientation": "h", "x": harms, "y": labels,
          "marker": {"color": "#c53030"}}],
        {"yaxis": {"autorange": "reversed", "automargin": True},
         "xaxis": {"title": {"text": translate(lang, "journey.harm")}}},
        caption=caption, lang=lang, height=60 + 28 * max(len(labels), 3),
        chart_id=chart_id,
    )  # fmt: skip


def _duration(lang: str) -> Any:
    def fmt(seconds: float | None) -> str:
        if seconds is None:
            return "—"
        units = ((120, "s", 1), (7200, "m", 60), (172800, "h", 3600))
        for limit, unit, size in units:
            if seconds < limit:
                n = round(seconds / size, 1)
                return translate(lang, f"journey.unit_{unit}", n=n)
        return translate(lang, "journey.unit_d", n=round(seconds / 86400, 1))

    return fmt


def _flows(
    context: dict[str, Any], store: Store, settings: Settings, lang: str,
    level: str, min_share: float,
) -> bool:  # fmt: skip
    with open_log(LogSpec(level=level), settings, store) as log:
        dfg = directly_follows(log)
    if not dfg["events"]:
        return False
    pruned = prune(dfg["edges"], min_share)
    context.update(dfg=dfg, pruned=pruned, rows=pruned["kept"][:TABLE_ROWS])
    context["flow_chart"] = _sankey(dfg, pruned, lang)
    return True


def _funnel(
    context: dict[str, Any], store: Store, settings: Settings, lang: str,
    steps: list[str],
) -> None:  # fmt: skip
    try:
        with open_log(LogSpec(), settings, store) as log:
            result = funnel(log, steps)
    except EsperiaError as exc:
        context["funnel_error"] = exc.message
        return
    group = result["groups"][0] if result["groups"] else None
    context["funnel"] = result
    context["funnel_group"] = group
    if group:
        context["funnel_chart"] = _funnel_chart(group, lang)


def _conformance(
    context: dict[str, Any], store: Store, settings: Settings, lang: str,
    design_name: str | None,
) -> None:  # fmt: skip
    try:
        design = resolve_design(settings, design_name)
        with open_log(LogSpec(level=design.level), settings, store) as log:
            result = conformance(
                log, design, horizon_days=settings.journey_horizon_days, limit=5
            )
    except EsperiaError as exc:
        context["conformance_error"] = exc.message
        return
    context["conformance"] = result
    devs = result["deviations"]
    if devs:
        context["deviation_chart"] = _harm_chart(
            [d["deviation"] for d in devs], [d["harm"] for d in devs],
            "journey-deviation-chart",
            translate(lang, "journey.deviation_caption"), lang,
        )  # fmt: skip


def _moments(
    context: dict[str, Any], store: Store, settings: Settings, lang: str
) -> None:
    result = moments_report(store, settings, limit=10, min_events=20)
    context["moments"] = result
    if result["moments"]:
        context["moment_chart"] = _harm_chart(
            [f"{m['touchpoint_id']} · {m['experience']}" for m in result["moments"]],
            [m["harm"] for m in result["moments"]],
            "journey-moment-chart", translate(lang, "journey.moment_caption"), lang,
        )  # fmt: skip


@router.get("/journey", response_class=HTMLResponse)
def journey_page(
    request: Request,
    user: CurrentUser,
    level: Annotated[str, Query()] = "touchpoint",
    min_share: Annotated[float, Query(ge=0, le=100)] = 1.0,
    step: Annotated[list[str] | None, Query()] = None,
    design: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    store: Store = request.app.state.store
    settings: Settings = request.app.state.settings
    lang = current_language(request)
    level = level if level in ACTIVITY_LEVELS else "touchpoint"
    steps = [s for s in (step or []) if s] or list(DEFAULT_STEPS)
    context: dict[str, Any] = {
        "level": level, "levels": ACTIVITY_LEVELS, "min_share": min_share,
        "steps": steps + [""] * (MAX_STEPS - len(steps)),
        "choices": list(STAGES) + touchpoint_ids(store),
        "designs": design_names(settings), "design": design or "",
        "duration": _duration(lang), "empty": False, "funnel_error": None,
        "funnel_group": None, "conformance": None, "conformance_error": None,
        "deviation_chart": "", "moment_chart": "", "funnel_chart": "",
    }  # fmt: skip
    if not _flows(context, store, settings, lang, level, min_share / 100):
        context["empty"] = True
        return render(request, "journey.html", context)
    _funnel(context, store, settings, lang, steps[:MAX_STEPS])
    _conformance(context, store, settings, lang, design)
    _moments(context, store, settings, lang)
    return render(request, "journey.html", context)
