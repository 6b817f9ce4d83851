"""Charts: the figure markup is escaped JSON, and plotly.js is served locally."""

from __future__ import annotations

import html
import json
import re

import httpx

from esperia.web.plots import PLOTLY_URL, figure, plot_script


def test_figure_carries_escaped_json_and_caption() -> None:
    markup = figure(
        [{"type": "bar", "x": ["<b>"], "y": [1.5]}],
        {"title": {"text": "A & B"}},
        caption='Sales "by" shop',
        lang="it",
        height=200,
    )
    text = str(markup)
    assert "<b>" not in text.split("data-figure=")[1].split('"', 2)[1]
    spec = json.loads(html.unescape(re.search(r'data-figure="([^"]*)"', text)[1]))
    assert spec["data"][0]["x"] == ["<b>"]
    assert spec["layout"]["separators"] == ",."
    assert spec["layout"]["height"] == 200
    assert spec["layout"]["title"]["text"] == "A & B"
    assert "<figcaption>Sales &#34;by&#34; shop</figcaption>" in text.replace(
        "&quot;", "&#34;"
    )


def test_plot_script_points_at_local_copy() -> None:
    assert f'src="{PLOTLY_URL}"' in str(plot_script())


def test_plotly_js_is_served_by_the_app(live_server: str) -> None:
    response = httpx.get(live_server + PLOTLY_URL)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert b"plotly.js" in response.content[:200]
    assert len(response.content) > 1_000_000
