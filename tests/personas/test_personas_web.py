"""The Personas gallery and card pages on simulated data, in a real browser."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from esperia.config import Settings
from esperia.demo import simulate
from esperia.ingest import ImportOptions, import_arrow
from esperia.personas import build_personas
from esperia.store import KINDS, Store

pytestmark = pytest.mark.browser


@pytest.fixture
def built(workspace_store: Store, workspace_settings: Settings) -> None:
    """Two versions on a small simulated bookshop (the second with k=3)."""
    data = simulate(1_500, seed=11)
    for kind in KINDS:
        import_arrow(
            workspace_store, workspace_settings, kind, data.tables[kind],
            source="test", options=ImportOptions(all_or_nothing=True),
        )  # fmt: skip
    build_personas(workspace_store, seed=3)
    build_personas(workspace_store, seed=3, k=3)


def _login(page, live_server: str, workspace) -> None:
    page.goto(f"{live_server}/login")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", workspace.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert urlsplit(page.url).path == "/"


def test_gallery_before_any_build_says_what_to_do(
    page, live_server, workspace, console_errors
) -> None:
    _login(page, live_server, workspace)
    page.goto(f"{live_server}/personas")
    assert "esperia personas build" in page.locator("#personas-empty").inner_text()
    assert console_errors == []


def test_gallery_card_and_drift(
    page, live_server, workspace, built, console_errors
) -> None:
    _login(page, live_server, workspace)
    page.click("nav a[href='/personas']")
    page.wait_for_url(f"{live_server}/personas")
    # The newest version (k=3) with its drift from version 1.
    assert page.locator(".persona-tile").count() == 3
    assert "2" in page.locator("#personas-summary").inner_text()
    page.wait_for_selector("#drift .plot-area svg.main-svg")
    for section in ("#shares", "#channel-mix", "#drift"):
        assert page.locator(f"{section} .plot-area svg.main-svg").count() >= 1
    assert page.locator("#versions tbody tr").count() == 2
    # The first version is one click away and has no drift.
    page.click("#versions a[href='/personas?version=1']")
    page.wait_for_selector("#shares .plot-area svg.main-svg")
    assert page.locator("#drift .plot-area").count() == 0
    tiles = page.locator(".persona-tile").count()
    assert tiles >= 3
    # A persona card: radar of what sets it apart, channels, journey.
    page.click(".persona-tile >> nth=0 >> a")
    page.wait_for_selector("#sets-apart .plot-area svg.main-svg")
    assert urlsplit(page.url).path == "/personas/0"
    for section in ("#sets-apart", "#persona-channels", "#journey"):
        assert page.locator(f"{section} .plot-area svg.main-svg").count() >= 1
    assert page.locator("#sets-apart tbody tr").count() >= 3
    assert "%" in page.locator("#persona-summary").inner_text()
    # A persona that does not exist is a 404 page, not a traceback.
    response = page.goto(f"{live_server}/personas/{tiles + 5}?version=1")
    assert response is not None and response.status == 404
    assert [e for e in console_errors if "404" not in e] == []
