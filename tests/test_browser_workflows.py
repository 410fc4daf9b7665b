"""In Chromium: a manager asks for a credit limit from the account page, books from the course
list and names the delegate of a placeholder place. Skipped where Chromium is missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from extensions import db
from models import Booking, CreditRequest
from tests.browser import log_in, needs_chromium
from tests.conftest import make_user
from tests.factories import add_account
from tests.test_training_bookings import add_booking, add_course_date, add_employee

pytestmark = needs_chromium


def test_a_manager_asks_for_credit_and_names_a_delegate_in_the_browser(
    live_server: str,
    browser_page,
    today: dt.date,
) -> None:
    page = browser_page
    manager = make_user("manager", "kim@example.test")
    account = add_account("MINE", account_manager=manager, credit_limit=Decimal("1000.00"))
    add_employee(account, "ann@mine.test")
    course_date = add_course_date(today, "FA", starts_in_days=30, venue="Leeds")
    placeholder = add_booking(course_date, account)
    log_in(page, live_server, manager.email)

    page.goto(f"{live_server}/admin/account/details/?id={account.id}")
    page.click("[data-testid=action-credit_request] summary")
    page.fill("[data-testid=action-credit_request] input[name=amount]", "2500")
    page.fill("[data-testid=action-credit_request] textarea[name=reason]", "New site opens")
    page.click("[data-testid=action-credit_request] button[type=submit]")
    assert "Credit limit requested" in page.inner_text(".alert-success")
    assert "New site opens" in page.inner_text("table.tab-rows, body")

    page.goto(f"{live_server}/admin/training/courses/")
    page.click(f"[data-testid=book-{course_date.id}]")
    assert "/admin/booking/new/" in page.url

    page.goto(f"{live_server}/admin/training/placeholders/")
    page.select_option(f"#delegate-{placeholder.id}", label="ann@mine.test")
    page.click(f"[data-testid=placeholder-{placeholder.id}] button")
    assert "is named for the place" in page.inner_text(".alert-success")

    db.session.expire_all()
    assert db.session.get(Booking, placeholder.id).delegate.email == "ann@mine.test"
    asked = db.session.scalars(sa.select(CreditRequest)).one()
    assert (asked.amount, asked.old_limit) == (Decimal("2500.00"), Decimal("1000.00"))
