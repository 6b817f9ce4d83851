"""Interactive charts: plotly.js figures described in Python, drawn in the browser.

A view builds a figure as plain ``data``/``layout`` dictionaries (the plotly.js
schema) and puts ``figure(...)`` in its template; the page loads the library
with ``{% block scripts %}{{ plot_script() }}{% endblock %}``. ``esperia.js``
draws every ``[data-figure]`` element when the page loads. The library is
served from the installed ``plotly`` package at :data:`PLOTLY_URL`: no CDN, no
inline script, so the page's CSP stays strict for scripts.

Every chart carries a caption for screen readers and for readers who would
rather read than look; the numbers a chart shows should also be in a table or
the text of the page.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from markupsafe import Markup

__all__ = ["PLOTLY_URL", "figure", "plot_script", "plotly_js_path"]

#: Where the dashboard serves plotly.js from.
PLOTLY_URL = "/vendor/plotly.min.js"

#: Thousands and decimal separators by language, in plotly's ``separators`` form.
_SEPARATORS = {"it": ",.", "en": ".,"}

_BASE_LAYOUT: dict[str, Any] = {
    "margin": {"l": 56, "r": 16, "t": 24, "b": 48},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "hoverlabel": {"font": {"size": 13}},
}


def plotly_js_path() -> Path:
    """The minified plotly.js shipped inside the ``plotly`` Python package."""
    root = resources.files("plotly").joinpath("package_data", "plotly.min.js")
    return Path(str(root))


def plot_script() -> Markup:
    """The ``<script>`` tag that loads plotly.js on a page with charts."""
    return Markup(f'<script src="{PLOTLY_URL}" defer></script>')


def figure(
    data: list[dict[str, Any]],
    layout: dict[str, Any] | None = None,
    *,
    caption: str,
    lang: str = "en",
    height: int = 360,
    chart_id: str | None = None,
) -> Markup:
    """A ``<figure>`` that esperia.js turns into a plotly chart.

    ``caption`` says in words what the chart shows (it is visible and is the
    chart's accessible name). ``lang`` sets the number separators. The JSON
    lives in an attribute (escaped), never in an inline script.
    """
    merged = {**_BASE_LAYOUT, "height": height, **(layout or {})}
    merged["separators"] = _SEPARATORS.get(lang, _SEPARATORS["en"])
    spec = orjson.dumps(
        {"data": data, "layout": merged}, option=orjson.OPT_SERIALIZE_NUMPY
    ).decode()
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    return Markup(
        f'<figure class="plot"{ident}>'
        f'<div class="plot-area" role="img" aria-label="{escape(caption)}" '
        f'style="min-height:{int(height)}px" data-figure="{escape(spec)}"></div>'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )
