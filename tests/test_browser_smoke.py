"""End to end in Debian's Chromium: each role logs in, opens every menu entry; an admin creates
and edits an account. Skipped where Chromium or Playwright is missing."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from extensions import db
from models import Account
from tests.conftest import PASSWORD, make_user

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed"
)
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the browser smoke test runs once, on SQLite")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser_page(live_server: str) -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


@pytest.mark.parametrize("role", ["super_admin", "admin", "manager", "analyst"])
def test_each_role_opens_every_menu_entry(role: str, live_server: str, browser_page) -> None:
    page = browser_page
    user = make_user(role)
    db.session.commit()
    log_in(page, live_server, user.email)
    assert user.email in page.inner_text("[data-testid=whoami]")
    links = page.eval_on_selector_all(
        "#admin-navbar-collapse a.dropdown-item, #admin-navbar-collapse a.nav-link",
        "anchors => anchors.map(a => a.href).filter(h => h.includes('/admin/'))",
    )
    assert links, "the menu is empty"
    for link in sorted(set(links)):
        response = page.goto(link)
        assert response.status == 200, link
        assert "Internal Server Error" not in page.content()


def test_admin_creates_edits_and_deletes_an_account(live_server: str, browser_page) -> None:
    page = browser_page
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    admin = make_user("admin")
    log_in(page, live_server, admin.email)

    page.goto(f"{live_server}/admin/account/new/")
    page.fill("input[name=code]", "BROWSER1")
    page.fill("input[name=name]", "Browser Made Ltd")
    page.fill("input[name=credit_limit]", "2500.00")
    page.click("input[type=submit][value=Save]")
    page.wait_for_url(f"{live_server}/admin/account/**")
    assert "Record was successfully created." in page.content()

    account_id = db.session.scalar(sa.select(Account.id).where(Account.code == "BROWSER1"))
    page.goto(f"{live_server}/admin/account/edit/?id={account_id}")
    page.fill("input[name=name]", "Browser Edited Ltd")
    page.click("input[type=submit][value=Save]")
    page.wait_for_url(f"{live_server}/admin/account/**")
    assert "Record was successfully saved." in page.content()
    db.session.commit()
    assert db.session.get(Account, account_id).name == "Browser Edited Ltd"

    page.goto(f"{live_server}/admin/account/?search=BROWSER1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/admin/account/delete/'] button")
    page.wait_for_url(f"{live_server}/admin/account/**")
    assert "Record was successfully deleted." in page.content()
    db.session.commit()
    assert db.session.get(Account, account_id) is None
    assert refused == [], refused
