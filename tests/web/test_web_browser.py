"""The dashboard in a real Chromium: log in, read the overview, use it on a phone.

Every test also checks that the page logged no console error and that no
request left the test server (no CDN, no external font, no tracker).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def requests_seen(page) -> list[str]:
    """Every URL the page asks for, recorded from the first navigation on."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


@pytest.fixture
def login(page, live_server, workspace) -> Callable[[], None]:
    def do_login() -> None:
        page.goto(f"{live_server}/")
        assert urlsplit(page.url).path == "/login"
        page.fill("#email", workspace.admin_email)
        page.fill("#password", workspace.admin_password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(f"{live_server}/")

    return do_login


def _only_local(urls: list[str], live_server: str) -> None:
    host = urlsplit(live_server).hostname
    assert urls, "no request was recorded"
    strays = [url for url in urls if urlsplit(url).hostname != host]
    assert strays == []


def _no_horizontal_overflow(page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"page is {widths[0]}px wide in {widths[1]}px"


def test_log_in_and_see_the_overview(
    page, live_server, seeded, login, console_errors, requests_seen
):
    login()
    for kind, count in seeded.items():
        value = page.locator(f".kpi[data-kind='{kind}'] .kpi-value")
        assert value.inner_text() == str(count)
    assert page.locator(".kpi[data-kind='orders'] .kpi-value").inner_text() == "0"
    assert page.locator("svg.chart rect.chart-bar").count() == 5
    assert page.get_by_text("Il meccanico <b>gentile</b> e veloce").is_visible()
    assert page.locator("h1").inner_text() == "Panoramica"
    page.click("nav a[href='/imports']")
    page.wait_for_url(f"{live_server}/imports")
    assert page.locator("table.imports tbody tr").count() == len(seeded)
    assert console_errors == []
    _only_local(requests_seen, live_server)


def test_wrong_password_stays_on_the_login_page(
    page, live_server, workspace, console_errors, requests_seen
):
    page.goto(f"{live_server}/login")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", "not-the-password")
    page.click("form[action='/login'] button[type=submit]")
    alert = page.locator(".alert")
    alert.wait_for()
    assert "E-mail o password errate" in alert.inner_text()
    assert urlsplit(page.url).path == "/login"
    assert console_errors == []
    _only_local(requests_seen, live_server)


def test_phone_layout_menu_and_language(
    page, live_server, seeded, login, console_errors, requests_seen
):
    page.set_viewport_size(PHONE)
    login()
    nav = page.locator("#nav")
    toggle = page.locator(".menu-toggle")
    assert toggle.is_visible()
    assert not nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    _no_horizontal_overflow(page)

    toggle.click()
    assert nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.click("#nav a[href='/admin/users']")
    page.wait_for_url(f"{live_server}/admin/users")
    assert not page.locator("#nav").is_visible()  # folded again on the new page
    _no_horizontal_overflow(page)

    for path in ("/", "/imports", "/admin/audit", "/no-such-page"):
        page.goto(f"{live_server}{path}")
        _no_horizontal_overflow(page)

    page.goto(f"{live_server}/")
    page.click(".lang-switch button[value='en']")
    page.wait_for_selector("html[lang='en']")
    assert page.locator("h1").inner_text() == "Overview"
    assert page.locator(".menu-toggle").inner_text().strip() == "Menu"
    page.locator(".menu-toggle").click()
    assert page.locator("#nav a[href='/imports']").inner_text() == "Imports"
    _no_horizontal_overflow(page)

    # 404 is expected from the last loop, and the browser reports it as a
    # failed resource load; nothing else may have gone wrong.
    unexpected = [e for e in console_errors if "404" not in e]
    assert unexpected == []
    _only_local(requests_seen, live_server)


def test_desktop_shows_the_menu_without_a_toggle(
    page, live_server, login, console_errors
):
    login()
    assert not page.locator(".menu-toggle").is_visible()
    assert page.locator("#nav a[href='/imports']").is_visible()
    _no_horizontal_overflow(page)
    assert console_errors == []
