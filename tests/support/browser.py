"""A real Chromium for web tests, driven by Playwright.

Playwright cannot download its own browsers here, so it drives the system
Chromium (Debian package ``chromium``); ``ESPERIA_TEST_CHROMIUM`` names another
executable. One browser per session, a fresh context (cookies, storage) per test.
Console errors and uncaught page exceptions are collected so a test can assert
that a page rendered without any.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from support import unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = [
    "CHROMIUM_ARGS",
    "browser",
    "chromium_path",
    "console_errors",
    "page",
]

CHROMIUM_ENV = "ESPERIA_TEST_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
#: Milliseconds a Playwright action or navigation may take before failing.
TIMEOUT_MS = 15_000


def chromium_path() -> Path:
    """The Chromium executable to drive; skip (or fail under CI) if missing."""
    path = Path(os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        unavailable(
            f"Chromium not found at {path}; install the Debian package `chromium`"
        )
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package `playwright` is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(executable),
            headless=True,
            args=list(CHROMIUM_ARGS),
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught exceptions of this test's ``page``."""
    return []


@pytest.fixture
def page(browser: Browser, console_errors: list[str]) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies shared between tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    new_page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            url, line = message.location.get("url"), message.location.get("lineNumber")
            console_errors.append(f"console: {message.text} ({url}:{line})")

    def on_page_error(error: Any) -> None:
        console_errors.append(f"exception: {error}")

    new_page.on("console", on_console)
    new_page.on("pageerror", on_page_error)
    try:
        yield new_page
    finally:
        context.close()
