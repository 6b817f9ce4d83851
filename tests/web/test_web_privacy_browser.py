"""The "Customer data" page in a real Chromium: look up, download, erase; refusals."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from esperia.auth.users import create_user

pytestmark = pytest.mark.browser

PASSWORD = "analyst-pass-1"


def _log_in(page, live_server: str, email: str, password: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/")


def _count(page, table: str) -> str:
    cell = page.locator(f"#stored tr[data-table='{table}'] td.num")
    return str(cell.inner_text())


def test_admin_looks_up_downloads_and_erases(
    page, live_server, workspace, workspace_store, seeded, console_errors, tmp_path
):
    _log_in(page, live_server, workspace.admin_email, workspace.admin_password)
    page.click("nav a[href='/admin/privacy']")
    page.wait_for_url(f"{live_server}/admin/privacy")
    assert page.locator("h1").inner_text() == "Dati dei clienti"

    page.fill("#lookup-id", "c3")
    page.click("form[action='/admin/privacy'] button[type=submit]")
    page.wait_for_selector("#stored")
    assert _count(page, "customers") == "1"
    assert _count(page, "feedback") == "1"
    assert _count(page, "orders") == "0"
    assert page.get_by_text("gentile").count() == 0  # counts, never the rows

    with page.expect_download() as info:
        page.click("#download-export")
    download = info.value
    assert download.suggested_filename == "customer-c3-export.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = json.loads(Path(saved).read_text(encoding="utf-8"))
    assert data["customer"]["customer_id"] == "c3"
    assert len(data["feedback"]) == 1

    page.fill("#erase-confirm", "c2")  # the wrong id erases nothing
    page.click("#erase-confirm ~ button[type=submit]")
    alert = page.locator(".alert")
    alert.wait_for()
    assert "Nulla è stato cancellato" in alert.inner_text()
    assert _count(page, "customers") == "1"

    page.fill("#erase-confirm", "c3")
    page.click("#erase-confirm ~ button[type=submit]")
    page.wait_for_selector("#erased")
    status = page.locator("#erased .notice").inner_text()
    assert status.startswith("Il cliente c3 è stato cancellato:")
    removed = page.locator("#erased tr[data-table='feedback'] td.num").inner_text()
    assert removed == "1"
    with workspace_store.connect() as conn:
        left = conn.scalar("SELECT count(*) FROM customers WHERE customer_id = 'c3'")
    assert left == 0

    page.fill("#lookup-id", "c3")
    page.click("form[action='/admin/privacy'] button[type=submit]")
    assert "Nessun cliente con codice c3." in page.locator(".alert").inner_text()
    # The refused erasure (400) and the final look-up (404) are failed loads
    # the browser reports; nothing else may have gone wrong.
    unexpected = [e for e in console_errors if "400" not in e and "404" not in e]
    assert unexpected == []


def test_a_non_admin_is_refused(
    page, live_server, workspace_store, seeded, console_errors
):
    create_user(workspace_store, "ada@example.com", PASSWORD, "analyst", "Ada")
    _log_in(page, live_server, "ada@example.com", PASSWORD)
    assert page.locator("nav a[href='/admin/privacy']").count() == 0
    page.goto(f"{live_server}/admin/privacy?customer_id=c3")
    assert urlsplit(page.url).path == "/admin/privacy"
    assert "riservata agli amministratori" in page.locator("main").inner_text()
    assert page.locator("#stored").count() == 0
    assert [e for e in console_errors if "403" not in e] == []
