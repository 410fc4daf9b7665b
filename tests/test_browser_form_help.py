"""In Chromium: the invoice form fills the due date from the chosen account's payment terms as
the user picks, the preview draws the account picker, and the Settings page saves a switch,
all without a Content-Security-Policy refusal. Skipped where Chromium or Playwright is missing."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from extensions import db
from models import Invoice, Setting
from models.setting_catalogue import HIDE_FINANCE_FROM_MANAGERS
from tests.browser import csp_refusals, log_in, needs_chromium
from tests.conftest import make_user
from tests.factories import add_account

pytestmark = needs_chromium


def value_once_set(page, selector: str, unlike: str = "") -> str:
    """The field's value once it is no longer `unlike` (polled: the page's CSP forbids eval)."""
    for _attempt in range(50):
        value = page.input_value(selector)
        if value != unlike:
            return value
        page.wait_for_timeout(100)
    return page.input_value(selector)


def pick_account(page, code: str) -> None:
    page.click("#s2id_account a.select2-choice")
    page.keyboard.type(code)
    page.wait_for_selector(".select2-result-selectable")
    page.keyboard.press("Enter")


def test_the_due_date_follows_the_chosen_accounts_terms_until_the_user_types_one(
    live_server: str,
    browser_page,
    today: dt.date,
) -> None:
    page = browser_page
    refused = csp_refusals(page)
    add_account("ACME", name="Acme", payment_terms_days=45)
    log_in(page, live_server, make_user("admin").email)

    page.goto(f"{live_server}/admin/invoice/new/")
    assert page.input_value("#number") == "INV-00001"
    assert page.input_value("#issue_date") == today.isoformat()
    page.fill("#issue_date", "2026-03-01")
    pick_account(page, "ACME")
    assert value_once_set(page, "#due_date") == "2026-04-15"
    assert "45 days after the issue date" in page.inner_text("[data-testid=due-date-note]")

    page.fill("#issue_date", "2026-03-10")
    page.dispatch_event("#issue_date", "change")
    assert value_once_set(page, "#due_date", unlike="2026-04-15") == "2026-04-24"

    page.fill("#due_date", "2026-03-31")  # the user's own date is kept
    page.fill("#issue_date", "2026-03-02")
    page.dispatch_event("#issue_date", "change")
    page.wait_for_timeout(300)
    assert page.input_value("#due_date") == "2026-03-31"
    page.fill("#amount", "100.00")
    page.click("input[type=submit][value=Save]")
    page.wait_for_url(f"{live_server}/admin/invoice/**")
    db.session.commit()
    assert db.session.scalar(sa.select(Invoice.due_date)) == dt.date(2026, 3, 31)
    assert refused == [], refused


def test_a_super_admin_previews_a_form_and_switches_a_setting(
    live_server: str,
    browser_page,
) -> None:
    page = browser_page
    refused = csp_refusals(page)
    log_in(page, live_server, make_user("super_admin").email)

    page.goto(f"{live_server}/admin/invoice/preview/?role=admin")
    assert page.is_visible("#s2id_account")  # the account picker is drawn

    page.goto(f"{live_server}/admin/settings/")
    page.click(f"label[for='setting-{HIDE_FINANCE_FROM_MANAGERS}']")
    with page.expect_navigation():
        page.click("[data-testid=settings-form] button[type=submit]")
    assert "Saved: 1 setting(s) changed." in page.content()
    db.session.commit()
    assert Setting.is_enabled(db.session, HIDE_FINANCE_FROM_MANAGERS)
    assert refused == [], refused
