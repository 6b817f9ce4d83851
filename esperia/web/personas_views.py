"""The Personas pages: a gallery of the latest version and one card per persona."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from esperia.auth.users import User
from esperia.errors import NotFound
from esperia.personas import list_versions, show_persona, show_version
from esperia.store import Store
from esperia.web.i18n import translate
from esperia.web.plots import figure
from esperia.web.rendering import render
from esperia.web.security import current_language, require_user, verify_csrf

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

CurrentUser = Annotated[User, Depends(require_user)]
#: One colour per persona, in persona order (repeats past eight).
COLOURS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b",
           "#975a16", "#4a5568")  # fmt: skip


def _colour(persona: int) -> str:
    return COLOURS[persona % len(COLOURS)]


def _name(card: dict[str, Any], lang: str) -> str:
    return str(card["name"].get(lang) or card["name"]["en"])


def _gallery_charts(lang: str, version: dict[str, Any]) -> dict[str, Any]:
    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    cards = version["personas"]
    names = [_name(c, lang) for c in cards]
    charts: dict[str, Any] = {}
    charts["shares"] = figure(
        [{"type": "bar", "name": t("personas.share_customers"), "x": names,
          "y": [round(c["share_customers"] * 100, 1) for c in cards],
          "marker": {"color": "#2b6cb0"}},
         {"type": "bar", "name": t("personas.share_revenue"), "x": names,
          "y": [round((c["share_revenue"] or 0) * 100, 1) for c in cards],
          "marker": {"color": "#c05621"}}],
        {"barmode": "group", "yaxis": {"title": {"text": "%"}},
         "legend": {"orientation": "h"}},
        caption=t("personas.shares_caption"), lang=lang,
    )  # fmt: skip
    channels = sorted(
        {ch for c in cards for ch, v in c["channels"].items() if v >= 0.02}
    )
    charts["channels"] = figure(
        [{"type": "bar", "orientation": "h", "name": ch, "y": names,
          "x": [round(c["channels"].get(ch, 0) * 100, 1) for c in cards]}
         for ch in channels],
        {"barmode": "stack", "yaxis": {"autorange": "reversed"},
         "xaxis": {"title": {"text": t("personas.share_contacts")}},
         "margin": {"l": 200}, "legend": {"orientation": "h"}},
        caption=t("personas.channels_caption"), lang=lang,
        height=120 + 48 * len(cards),
    )  # fmt: skip
    drift = version.get("drift")
    if drift:
        old_k = len(drift["transitions"])
        charts["drift"] = figure(
            [{"type": "heatmap", "z": drift["transitions"], "x": names,
              "y": [f"v{drift['previous_version']} #{i}" for i in range(old_k)],
              "colorscale": "Blues",
              "hovertemplate": "%{y} → %{x}: %{z}<extra></extra>"}],
            {"yaxis": {"type": "category", "autorange": "reversed"},
             "margin": {"l": 90, "b": 120}},
            caption=t("personas.drift_caption",
                      share=round((drift["share_changed"] or 0) * 100, 1)),
            lang=lang, height=160 + 36 * old_k,
        )  # fmt: skip
    return charts


@router.get("/personas", response_class=HTMLResponse)
def personas_page(
    request: Request, user: CurrentUser, version: int | None = None
) -> Response:
    store: Store = request.app.state.store
    lang = current_language(request)
    context: dict[str, Any] = {"version": None}
    try:
        data = show_version(store, version)
    except NotFound:
        if version is not None:
            raise
        return render(request, "personas.html", context)
    context.update(
        version=data,
        versions=list_versions(store),
        charts=_gallery_charts(lang, data),
        names={c["persona"]: _name(c, lang) for c in data["personas"]},
        colours={c["persona"]: _colour(c["persona"]) for c in data["personas"]},
    )
    return render(request, "personas.html", context)


def _card_charts(lang: str, card: dict[str, Any]) -> dict[str, Any]:
    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    colour = _colour(card["persona"])
    charts: dict[str, Any] = {}
    apart = card["sets_apart"][:8]
    if len(apart) >= 3:
        theta = [a["feature"] for a in apart]
        charts["radar"] = figure(
            [{"type": "scatterpolar", "fill": "toself", "theta": [*theta, theta[0]],
              "r": [a["difference"] for a in [*apart, apart[0]]],
              "line": {"color": colour}, "name": _name(card, lang)}],
            {"polar": {"radialaxis": {"title": {"text": t("personas.sd_axis")}}},
             "showlegend": False, "margin": {"l": 110, "r": 110}},
            caption=t("personas.radar_caption"), lang=lang, height=400,
        )  # fmt: skip
    channels = sorted(card["channels"].items(), key=lambda kv: -kv[1])[:10]
    charts["channels"] = figure(
        [{"type": "bar", "orientation": "h", "y": [c for c, _ in channels],
          "x": [round(v * 100, 1) for _, v in channels],
          "marker": {"color": colour}}],
        {"yaxis": {"autorange": "reversed"},
         "xaxis": {"title": {"text": t("personas.share_contacts")}},
         "margin": {"l": 120}},
        caption=t("personas.card_channels_caption"), lang=lang, height=300,
    )  # fmt: skip
    stages = card["journey_stages"]
    if stages:
        charts["journey"] = figure(
            [{"type": "bar", "x": list(stages),
              "y": [round(v * 100, 1) for v in stages.values()],
              "marker": {"color": colour}}],
            {"yaxis": {"title": {"text": t("personas.share_contacts")}}},
            caption=t("personas.journey_caption"), lang=lang, height=300,
        )  # fmt: skip
    return charts


@router.get("/personas/{persona}", response_class=HTMLResponse)
def persona_page(
    request: Request, persona: int, user: CurrentUser, version: int | None = None
) -> Response:
    store: Store = request.app.state.store
    lang = current_language(request)
    head = show_version(store, version)
    card = show_persona(store, head["version"], persona)
    context = {
        "card": card,
        "name": _name(card, lang),
        "head": head,
        "charts": _card_charts(lang, card),
        "colour": _colour(persona),
    }
    return render(request, "personas_card.html", context)
