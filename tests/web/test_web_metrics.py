"""The metrics pages: rendered by the server, drawn by a real Chromium."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from support.metrics_table import insert, load_table

from esperia.ingest import import_records
from esperia.metrics.background import wait_for_refresh


@pytest.fixture
def measured(workspace_settings, workspace_store) -> None:  # type: ignore[no-untyped-def]
    load_table(workspace_store, workspace_settings)
    insert(workspace_store, "feedback_items", [
        ("F001", "module.sense", 5.0, 1.0, 5.0, None),
        ("F002", "module.relate", 4.0, 1.0, 5.0, None),
        ("F001", "expectation.speed", 6.0, 1.0, 7.0, None),
        ("F001", "perception.speed", 4.0, 1.0, 7.0, None),
    ])  # fmt: skip


def test_metrics_and_touchpoints_pages(  # type: ignore[no-untyped-def]
    admin_web, measured, workspace_store, workspace_settings
) -> None:
    page = admin_web.client.get("/metrics")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'href="/metrics"' in html and 'aria-current="page"' in html
    assert html.count('class="plot"') >= 5  # 3 trends, pyramid, radar (+ drivers)
    assert "Piramide CX" in html and "speed" in html
    # First view computes and stores the figures; the next one reads them.
    assert 'data-from-summary="no"' in html and "per questa visita" in html
    again = admin_web.client.get("/metrics").text
    assert 'data-from-summary="yes"' in again and "sono aggiornati" in again
    assert 'data-stale="no"' in again
    # An API-like batch: the stored figures are shown at once, marked stale,
    # while the background refresh renews them for the next view.
    import_records(workspace_store, workspace_settings, "feedback", [
        {"feedback_id": "F-NEW", "received_at": "2025-03-03T10:00:00",
         "source": "survey", "nps": 10}])  # fmt: skip
    stale = admin_web.client.get("/metrics").text
    assert 'data-stale="yes"' in stale and 'data-refreshing="yes"' in stale
    assert "aggiornamento in corso" in stale
    assert wait_for_refresh(workspace_store, timeout=60)
    renewed = admin_web.client.get("/metrics").text
    assert 'data-stale="no"' in renewed and "sono aggiornati" in renewed
    quarter = admin_web.client.get("/metrics?period=quarter")
    assert quarter.status_code == 200 and "2025-01-01" in quarter.text
    heat = admin_web.client.get("/touchpoints")
    assert heat.status_code == 200
    assert "TP-SHOP" in heat.text and "TP-WEB" in heat.text
    assert "&quot;heatmap&quot;" in heat.text  # the figure's escaped JSON


def test_pages_need_a_login(web) -> None:  # type: ignore[no-untyped-def]
    answer = web.client.get("/metrics", follow_redirects=False)
    assert answer.status_code == 303 and "/login" in answer.headers["location"]


@pytest.mark.browser
def test_overview_draws_with_no_console_errors(  # type: ignore[no-untyped-def]
    page, live_server, workspace, measured, console_errors
) -> None:
    page.goto(f"{live_server}/login?next=/metrics")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", workspace.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/metrics")
    page.wait_for_selector("[data-drawn='true']")
    page.wait_for_function(
        "document.querySelectorAll('[data-figure]').length === "
        "document.querySelectorAll('[data-drawn=\"true\"]').length"
    )
    assert page.locator(".js-plotly-plot .scatterpolar, .js-plotly-plot").count() >= 5
    page.click("a[href='/touchpoints']")
    page.wait_for_url(f"{live_server}/touchpoints")
    page.wait_for_selector("[data-drawn='true']")
    assert urlsplit(page.url).path == "/touchpoints"
    assert page.locator("table.heatmap tbody tr").count() == 2
    assert console_errors == []
