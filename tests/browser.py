"""The browser tests' fixtures: the app served on a free port and a page of Debian's Chromium at
the panel's reference size (1366x900), driven by Playwright. Registered from conftest.py, so a
browser test only asks for `live_server` and `browser_page` and marks itself `needs_chromium`.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from importlib.util import find_spec

import pytest
from flask import Flask
from werkzeug.serving import make_server

from extensions import db
from tests.conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1366, "height": 900}

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None or find_spec("playwright") is None,
    reason="Debian's chromium or Playwright is not installed",
)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a free port; the browser tests run once, on SQLite."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the browser tests run once, on SQLite")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser_page(live_server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def log_in(page, base_url: str, email: str) -> None:
    """Sign in through the login page, as a user does, and wait for the home page."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def open_settings_page(page, base_url: str, menu_entry: str, role_tab: str) -> None:
    """Open a super admin's settings page (Configure lists, Configure dashboards) from the menu
    and pick the tab of `role_tab` (a role's label), as a user does. The menu's toggle is a
    `javascript:` link, so the entry's address is followed rather than the menu clicked open."""
    entry = page.locator(f"a.dropdown-item:has-text('{menu_entry}')")
    page.goto(base_url + entry.get_attribute("href"))
    page.click(f"a.nav-link:has-text('{role_tab}')")
    page.wait_for_selector(f"a.nav-link.active:has-text('{role_tab}')")


def csp_refusals(page) -> list[str]:
    """The console messages, from now on, where Chromium refused something under the page's
    Content Security Policy (an inline script or handler, a `javascript:` link): a test that
    ends with this list empty proves the page's scripts run as served."""
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    return refused
