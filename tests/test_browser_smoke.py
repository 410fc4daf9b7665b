"""End to end in Debian's Chromium: each role logs in, opens every menu entry; an admin creates
and edits an account. Skipped where Chromium or Playwright is missing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account
from tests.browser import csp_refusals, log_in, needs_chromium
from tests.conftest import make_user

pytestmark = needs_chromium


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
    refused = csp_refusals(page)
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
