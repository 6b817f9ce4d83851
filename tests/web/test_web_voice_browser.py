"""The voice page in a real Chromium: charts drawn, filters work, nothing leaks."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from support.voice import PII, seed_voice

pytestmark = pytest.mark.browser


def test_voice_page_draws_charts_and_filters(
    page, live_server, workspace, workspace_settings, workspace_store, console_errors
):
    seed_voice(workspace_store, workspace_settings)
    page.goto(f"{live_server}/voice")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", workspace.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/voice")
    assert page.locator("h1").inner_text() == "Voce del cliente"
    page.wait_for_function(
        "document.querySelectorAll('[data-figure][data-drawn]').length >= 5"
    )
    for chart in ("voice-scatter", "voice-aspects", "voice-modules", "voice-pyramid"):
        assert page.locator(f"#{chart} .main-svg").count() >= 1, chart
    assert page.locator("#voice-scatter .scatterlayer .point").count() == 3
    assert page.locator("table.voice-aspects tbody tr").count() == 3
    body = page.locator("body").inner_text()
    assert PII not in body and PII not in page.content()
    assert "[email]" in body

    page.select_option("select[name=stage]", "purchase")
    page.click(".voice-filters button[type=submit]")
    page.wait_for_url("**/voice?*")
    assert parse_qs(urlsplit(page.url).query)["stage"] == ["purchase"]
    page.wait_for_function(
        "document.querySelectorAll('[data-figure][data-drawn]').length >= 4"
    )
    rows = page.locator("table.voice-aspects tbody tr")
    assert sorted(
        rows.nth(i).get_attribute("data-aspect") for i in range(rows.count())
    ) == [
        "price",
        "staff_courtesy",
    ]
    assert page.locator("select[name=stage]").input_value() == "purchase"
    assert console_errors == []
