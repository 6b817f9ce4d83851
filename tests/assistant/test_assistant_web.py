"""The chat API over real HTTP, the widget embedded by another site in Chromium,
and the agent view."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from esperia.config import Settings

#: Pages the other site serves, by path (filled by each test).
PAGES: dict[str, str] = {}


@pytest.fixture
def site(workspace_settings: Settings, intent_model_file: Path) -> Iterator[str]:
    """Another origin serving a shop page that embeds the widget; allowed by CORS."""
    folder = workspace_settings.workspace / "assistant"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(intent_model_file, folder / "intents.pkl")
    pages = PAGES
    pages.clear()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    workspace_settings.assistant_allowed_origins = [origin]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield origin
    server.shutdown()
    server.server_close()
    pages.clear()


def test_chat_api_cors_and_agent_reads(live_server: str, site: str, workspace) -> None:
    url = f"{live_server}/api/v1/assistant/messages"
    allowed = httpx.options(
        url, headers={"Origin": site, "Access-Control-Request-Method": "POST"}
    )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == site
    other = "http://evil.example"
    refused = httpx.options(url, headers={"Origin": other})
    assert refused.status_code == 403
    assert (
        httpx.post(url, json={"message": "ciao"}, headers={"Origin": other}).status_code
        == 403
    )
    reply = httpx.post(
        url, json={"message": "how do I return a book?"}, headers={"Origin": site}
    )
    assert reply.status_code == 200
    assert reply.headers["access-control-allow-origin"] == site
    data = reply.json()
    assert data["citations"][0]["entry_id"] == "en-returns"
    empty = httpx.post(url, json={"message": "  "})
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "invalid_input"
    # Errors carry the CORS headers too, so the widget can read them.
    for body, status in (({"message": "  "}, 400), ({"text": "no message"}, 422)):
        failed = httpx.post(url, json=body, headers={"Origin": site})
        assert failed.status_code == status
        assert failed.headers["access-control-allow-origin"] == site
        assert failed.json()["error"]["message"]
    refused_error = httpx.post(url, json={"message": " "}, headers={"Origin": other})
    assert "access-control-allow-origin" not in refused_error.headers
    # Agent reads need a key.
    assert httpx.get(f"{live_server}/api/v1/assistant/handovers").status_code == 401


@pytest.mark.browser
def test_widget_on_another_site_answers_with_citation(
    page, live_server: str, site: str, console_errors
) -> None:
    import urllib.parse

    PAGES["/shop.html"] = (
        "<!doctype html><html lang='it'><head><title>Shop</title>"
        "<link rel='icon' href='data:,'></head><body>"
        f"<h1>Libreria</h1><script src='{live_server}/assistant/widget.js'></script>"
        "</body></html>"
    )
    page.goto(f"{site}/shop.html")
    page.locator("#esperia-chat .btn").click()
    page.locator("#esperia-chat input").fill("quanto costa la spedizione?")
    page.locator("#esperia-chat button.send").click()
    cite = page.locator("#esperia-chat .bot .cite")
    cite.wait_for(timeout=15_000)
    assert cite.get_attribute("data-entry") == "it-spedizione-costi"
    assert "4,90" in page.locator("#esperia-chat .bot").last.inner_text()
    assert (
        urllib.parse.urlsplit(page.url).port != urllib.parse.urlsplit(live_server).port
    )
    assert console_errors == []


@pytest.mark.browser
def test_agent_view_shows_handover_and_turns_a_correction_into_an_example(
    page, live_server: str, site: str, workspace, workspace_store, console_errors
) -> None:
    url = f"{live_server}/api/v1/assistant/messages"
    first = httpx.post(url, json={"message": "blorf zenith quasar"}).json()
    cid = first["conversation_id"]
    httpx.post(url, json={"message": "voglio un operatore", "conversation_id": cid})
    page.goto(f"{live_server}/login?next=/assistant")
    page.fill("#email", workspace.admin_email)
    page.fill("#password", workspace.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/assistant")
    assert page.locator("table.handovers tbody tr").count() == 1
    page.locator("table.handovers a").first.click()
    page.wait_for_url(f"{live_server}/assistant?conversation={cid}")
    form = page.locator("table.transcript form").first
    form.locator("select").select_option("events")
    form.locator("button").click()
    page.wait_for_url(f"{live_server}/assistant?conversation={cid}")
    with workspace_store.connect() as conn:
        rows = conn.fetchall("SELECT text, label, source FROM assistant_examples")
    assert rows == [("blorf zenith quasar", "events", "correction")]
    assert console_errors == []
