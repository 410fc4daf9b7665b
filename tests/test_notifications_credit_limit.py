"""Credit-limit alerts: the account manager and the approvers hear once per crossing, whether an
invoice pushed the balance over or the limit was lowered; the account shows it meanwhile."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask

from extensions import db
from models import Account
from notifications.detection import is_over_credit_limit
from tests.conftest import make_user
from tests.factories import add_account, add_invoice, add_payment
from tests.notification_helpers import mail_server_for, outbox, run_notify_command
from tests.smtp_server import LoopbackSmtpServer


@pytest.fixture
def mail_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackSmtpServer]:
    with mail_server_for(app, monkeypatch) as server:
        yield server


def limited_account(limit: str = "1000.00") -> Account:
    manager = make_user("manager", "kim@example.test")
    make_user("admin", "ada@example.test")
    make_user("analyst", "ann@example.test")
    return add_account("ACME", account_manager=manager, credit_limit=Decimal(limit))


def test_going_over_the_limit_alerts_the_manager_and_approvers_once(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    account = limited_account()
    add_invoice(account, "INV-1", "600.00", issue_date=today)
    run_notify_command(app)
    assert mail_server.inbox.received == []

    add_invoice(account, "INV-2", "600.00", issue_date=today)
    run_notify_command(app)
    run_notify_command(app)

    [alert] = mail_server.inbox.received
    assert alert.subject == "ACME is over its credit limit"
    assert sorted(alert.envelope_to) == ["ada@example.test", "kim@example.test"]
    assert "owes 1,200.00, over its credit limit of 1,000.00" in alert.part("text/plain")


def test_each_new_crossing_is_alerted_again(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    account = limited_account()
    add_invoice(account, "INV-1", "1200.00", issue_date=today)
    run_notify_command(app)
    add_payment(account, "PAY-1", "500.00", payment_date=today)
    run_notify_command(app)  # back under the limit: no alert, the next crossing is a new one
    add_invoice(account, "INV-2", "400.00", issue_date=today)
    run_notify_command(app)

    assert mail_server.inbox.subjects() == ["ACME is over its credit limit"] * 2
    keys = [message.dedupe_key for message in outbox() if message.event == "credit_limit_exceeded"]
    assert keys == [
        f"credit_limit_exceeded:account:{account.id}:1",
        f"credit_limit_exceeded:account:{account.id}:2",
    ]


def test_lowering_the_limit_below_the_balance_alerts(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    account = limited_account("5000.00")
    add_invoice(account, "INV-1", "1200.00", issue_date=today)
    run_notify_command(app)
    account.credit_limit = Decimal("1000.00")
    db.session.commit()

    run_notify_command(app)

    assert mail_server.inbox.subjects() == ["ACME is over its credit limit"]


def test_an_account_without_a_limit_is_never_over() -> None:
    assert not is_over_credit_limit(Decimal("1000000"), None)
    assert not is_over_credit_limit(Decimal("1000.00"), Decimal("1000.00"))
    assert is_over_credit_limit(Decimal("1000.01"), Decimal("1000.00"))
    assert is_over_credit_limit(Decimal("0.01"), Decimal("0"))


def test_the_account_page_warns_while_the_account_is_over_its_limit(login_as, panel, today) -> None:
    login_as("admin")
    account = add_account("ACME", credit_limit=Decimal("1000.00"))
    add_invoice(account, "INV-1", "999.99", issue_date=today)
    page = f"/admin/account/details/?id={account.id}"
    html = panel.get(page).get_data(as_text=True)
    assert 'data-figure="total_due">999.99<' in html  # the page is there, without the warning
    assert 'data-testid="over-credit-limit"' not in html

    add_invoice(account, "INV-2", "100.00", issue_date=today)

    html = panel.get(page).get_data(as_text=True)
    assert 'data-testid="over-credit-limit"' in html
    assert "by 99.99." in html
