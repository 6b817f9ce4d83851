"""The "Voice of the customer" page: what customers talk about and how they feel.

The view parses the filters, asks :mod:`esperia.text.voice` and
:mod:`esperia.text.topics` for the numbers and turns them into plotly figures;
every chart's numbers are also in a table on the page. Comments are shown
redacted only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from esperia.auth.users import User
from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.store import Store
from esperia.text.topics import emerging_topics
from esperia.text.voice import VoiceFilters, filter_choices, voice_report
from esperia.web.i18n import strings, translate
from esperia.web.plots import figure
from esperia.web.rendering import render
from esperia.web.security import current_language, require_user, verify_csrf

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

CurrentUser = Annotated[User, Depends(require_user)]

_FILTERS = ("touchpoint", "stage", "channel", "since", "until", "language", "source")
#: Red for negative, grey for neutral, green for positive (colour-blind safe pair).
_TONES = {"negative": "#c0392b", "neutral": "#9aa5b1", "positive": "#1e8449"}
#: The page looks for topics in at most this many recent comments (speed).
_TOPIC_COMMENTS = 5_000


def _name(lang: str, group: str, value: str | None) -> str:
    """A vocabulary word in the page language; unknown ids read as words."""
    if value is None:
        return "—"
    key = f"{group}.{value}"
    return (
        strings(lang).get(key)
        or strings("en").get(key)
        or str(value).replace("_", " ").capitalize()
    )


@router.get("/voice", response_class=HTMLResponse)
def voice_page(request: Request, user: CurrentUser) -> Response:
    store: Store = request.app.state.store
    settings: Settings = request.app.state.settings
    lang = current_language(request)
    raw = {name: request.query_params.get(name, "") for name in _FILTERS}
    error = None
    try:
        filters = VoiceFilters.parse(**raw)
    except InvalidInput as exc:
        error = exc.message
        filters = VoiceFilters()
    report = voice_report(store, filters, examples=12)
    topics = emerging_topics(
        store, settings, filters, topics=6, max_comments=_TOPIC_COMMENTS, examples=2
    )
    context: dict[str, Any] = {
        "filters": raw,
        "choices": filter_choices(store),
        "error": error,
        "report": report,
        "topics": topics,
        "charts": _charts(report, lang),
        "name": lambda group, value: _name(lang, group, value),
    }
    return render(request, "voice.html", context, status_code=400 if error else 200)


def _charts(report: dict[str, Any], lang: str) -> dict[str, Any]:
    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    charts: dict[str, Any] = {}
    aspects = report["aspects"]
    if aspects:
        names = [_name(lang, "aspect", a["aspect"]) for a in aspects]
        charts["scatter"] = figure(
            [
                {
                    "type": "scatter",
                    "mode": "markers+text",
                    "x": [a["n"] for a in aspects],
                    "y": [a["sentiment"] for a in aspects],
                    "text": names,
                    "textposition": "top center",
                    "error_y": {
                        "type": "data",
                        "array": [
                            (a["sentiment_high"] - a["sentiment"])
                            if a["sentiment_high"] is not None
                            else 0
                            for a in aspects
                        ],
                        "thickness": 1,
                        "color": "#9aa5b1",
                    },
                    "marker": {
                        "size": 12,
                        "color": [a["sentiment"] for a in aspects],
                        "colorscale": [
                            [0, "#c0392b"],
                            [0.5, "#d5d8dc"],
                            [1, "#1e8449"],
                        ],
                        "cmin": -1,
                        "cmax": 1,
                    },
                    "hovertemplate": "%{text}<br>n=%{x}<br>%{y:.2f}<extra></extra>",
                }
            ],
            {
                "xaxis": {"title": {"text": t("voice.mentions")}, "type": "log"},
                "yaxis": {"title": {"text": t("voice.sentiment")}, "range": [-1, 1]},
                "shapes": [
                    {
                        "type": "line",
                        "xref": "paper",
                        "x0": 0,
                        "x1": 1,
                        "y0": 0,
                        "y1": 0,
                        "line": {"dash": "dot", "color": "#9aa5b1"},
                    }
                ],
            },
            caption=t("voice.scatter_caption"),
            lang=lang,
            height=420,
            chart_id="voice-scatter",
        )
        charts["aspects"] = figure(
            [
                {
                    "type": "bar",
                    "orientation": "h",
                    "name": t(f"voice.{tone}"),
                    "y": names,
                    "x": [_tone_count(a, tone) for a in aspects],
                    "marker": {"color": colour},
                }
                for tone, colour in _TONES.items()
            ],
            {
                "barmode": "stack",
                "yaxis": {"autorange": "reversed", "automargin": True},
                "legend": {"orientation": "h"},
            },
            caption=t("voice.aspects_caption"),
            lang=lang,
            height=max(260, 26 * len(aspects) + 80),
            chart_id="voice-aspects",
        )
    for key, group, field in (
        ("modules", "module", "module"),
        ("pyramid", "pyramid", "pyramid_level"),
    ):
        rows = report[key]
        if rows:
            charts[key] = _sentiment_bars(
                [_name(lang, group, r[field]) for r in rows], rows,
                caption=t(f"voice.{key}_caption"), lang=lang, chart_id=f"voice-{key}",
            )  # fmt: skip
    emotions = report["emotions"]
    if emotions:
        charts["emotions"] = figure(
            [
                {
                    "type": "bar",
                    "x": [_name(lang, "emotion", e["emotion"]) for e in emotions],
                    "y": [e["n"] for e in emotions],
                    "marker": {"color": "#5b6bb5"},
                    "hovertemplate": "%{x}: %{y}<extra></extra>",
                }
            ],
            {"yaxis": {"title": {"text": t("voice.comments")}}},
            caption=t("voice.emotions_caption"),
            lang=lang,
            height=300,
            chart_id="voice-emotions",
        )
    return charts


def _tone_count(row: dict[str, Any], tone: str) -> int:
    if tone == "neutral":
        return int(row["n"] - row["negative"] - row["positive"])
    return int(row[tone])


def _sentiment_bars(
    labels: list[str],
    rows: list[dict[str, Any]],
    *,
    caption: str,
    lang: str,
    chart_id: str,
) -> Any:
    """Comments per category as bars, coloured by their mean sentiment."""
    return figure(
        [
            {
                "type": "bar",
                "x": labels,
                "y": [r["n"] for r in rows],
                "customdata": [r["sentiment"] for r in rows],
                "marker": {
                    "color": [r["sentiment"] for r in rows],
                    "colorscale": [[0, "#c0392b"], [0.5, "#d5d8dc"], [1, "#1e8449"]],
                    "cmin": -1,
                    "cmax": 1,
                    "showscale": False,
                },
                "hovertemplate": "%{x}: %{y} (%{customdata:.2f})<extra></extra>",
            }
        ],
        {},
        caption=caption,
        lang=lang,
        height=300,
        chart_id=chart_id,
    )
