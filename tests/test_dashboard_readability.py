"""A dashboard widget reads through the same rules as every page: a widget reading a field the
role may not read is neither offered nor drawn, and nothing of the hidden value reaches the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from extensions import db
from models import FormFieldRule, Setting
from models.config import HIDE_FINANCE_FROM_MANAGERS
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice
from tests.page_text import flashed, widget_texts

SENTINEL_LIMIT = Decimal("7654.31")
SENTINEL_TEXTS = ("7,654.31", "7654.31", "7654", "118%", "117%")  # 9,000 is 117.6% of the limit
EDITOR = "/admin/configure-dashboards/"


@pytest.fixture
def manager_with_a_hidden_limit(app, today) -> Panel:
    """A manager whose layout (saved before the rule) places Credit used; then the credit limit
    is hidden from managers."""
    manager = make_user("manager")
    acme = add_account("ACME", account_manager=manager, credit_limit=SENTINEL_LIMIT)
    add_invoice(acme, "INV-1", "9000.00", issue_date=today - dt.timedelta(days=40),
                due_date=today - dt.timedelta(days=10))  # fmt: skip
    super_admin = Panel(app.test_client())
    make_user("super_admin")
    super_admin.login("super_admin@example.test")
    placed = {
        "version": "0", "count": "2", "w0.widget": "credit_used", "w0.threshold_percent": "50",
        "w1.widget": "my_accounts", "w1.limit": "20",
    }  # fmt: skip
    assert super_admin.post(f"{EDITOR}save?role=manager", placed).status_code == 302
    db.session.add(
        FormFieldRule(entity="Account", field="credit_limit", role="manager", hidden=True)
    )
    db.session.commit()
    panel = Panel(app.test_client())
    panel.login(manager.email)
    return panel


def test_a_widget_reading_a_hidden_credit_limit_is_not_drawn(manager_with_a_hidden_limit) -> None:
    page = manager_with_a_hidden_limit.get("/admin/").get_data(as_text=True)

    assert not widget_texts(page, "credit_used")
    (accounts,) = widget_texts(page, "my_accounts")
    assert "ACME — ACME Ltd GBP 9,000.00 9,000.00 1" in accounts
    assert "Credit limit" not in accounts and "Limit used" not in accounts
    for text in SENTINEL_TEXTS:
        assert text not in page, text


def test_the_configurator_no_longer_offers_it_and_refuses_to_save_it(
    manager_with_a_hidden_limit, login_as, panel
) -> None:
    login_as("super_admin", "another-super@example.test")
    page = panel.get(f"{EDITOR}?role=manager").get_data(as_text=True)

    assert '<option value="credit_used"' not in page
    assert "Not shown: it reads a field or records this role may not read." in page
    refused = {
        "version": "1",
        "count": "1",
        "w0.widget": "credit_used",
        "w0.threshold_percent": "80",
    }
    landed = panel.post(f"{EDITOR}save?role=manager", refused)
    assert "Widget 1 (Credit used) reads fields or records the manager role may not read." in (
        flashed(panel.get(landed.headers["Location"]).get_data(as_text=True))
    )
    preview = panel.get(f"{EDITOR}preview?role=manager").get_data(as_text=True)
    assert not widget_texts(preview, "credit_used")
    for text in SENTINEL_TEXTS:
        assert text not in preview, text


def test_other_roles_still_see_the_credit_limit_widget(
    manager_with_a_hidden_limit, login_as, panel
) -> None:
    login_as("admin")
    (credit,) = widget_texts(panel.get("/admin/").get_data(as_text=True), "credit_used")
    assert "1 account at 80% of their credit limit or more; 1 over it" in credit


def test_an_option_reading_a_hidden_field_is_not_offered(login_as, panel) -> None:
    db.session.add(FormFieldRule(entity="User", field="email", role="analyst", hidden=True))
    db.session.commit()
    login_as("super_admin")

    page = panel.get(f"{EDITOR}?role=analyst").get_data(as_text=True)
    analyst = Panel(panel.client.application.test_client())
    make_user("analyst")
    analyst.login("analyst@example.test")

    assert '<option value="account-manager"' not in page and '<option value="account"' in page
    assert not widget_texts(analyst.get("/admin/").get_data(as_text=True), "aging_chart")


def test_hiding_finance_from_managers_takes_the_receivables_widgets_away(login_as, panel) -> None:
    manager = login_as("manager")
    add_account("MINE", account_manager=manager)
    db.session.add(Setting(key=HIDE_FINANCE_FROM_MANAGERS, value="true"))
    db.session.commit()

    page = panel.get("/admin/").get_data(as_text=True)

    for key in ("total_due", "overdue", "credit_used", "my_accounts", "aging_chart"):
        assert not widget_texts(page, key), key
    assert widget_texts(page, "open_actions") and widget_texts(page, "my_open_actions")


def test_figures_cached_before_a_field_was_hidden_are_not_served_after(login_as, panel) -> None:
    manager = login_as("manager")
    add_account("ACME", account_manager=manager, credit_limit=SENTINEL_LIMIT)
    assert "7,654.31" in panel.get("/admin/").get_data(as_text=True)  # now in the cache

    db.session.add(
        FormFieldRule(entity="Account", field="credit_limit", role="manager", hidden=True)
    )
    db.session.commit()
    page = panel.get("/admin/").get_data(as_text=True)

    assert widget_texts(page, "my_accounts")
    for text in SENTINEL_TEXTS:
        assert text not in page, text
