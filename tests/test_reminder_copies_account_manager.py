"""Overdue-invoice reminders copy the account's manager (setting cc_account_manager_on_reminders,
on unless a super admin turns it off), and the copy shows only what every recipient may read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask

from extensions import db
from models import Account, FormFieldRule, Setting, User
from models.setting_catalogue import CC_ACCOUNT_MANAGER_ON_REMINDERS
from notifications import switches
from tests.conftest import make_user
from tests.factories import add_account, add_invoice
from tests.notification_helpers import (
    mail_server_for,
    outbox,
    run_notify_command,
    set_settings,
    switch_on,
)
from tests.smtp_server import LoopbackSmtpServer

MANAGER_EMAIL = "kim@example.test"


@pytest.fixture
def mail_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackSmtpServer]:
    with mail_server_for(app, monkeypatch) as server:
        yield server


@pytest.fixture
def manager() -> User:
    return make_user("manager", MANAGER_EMAIL)


def account_with_late_and_new_invoices(manager: User, today: dt.date) -> Account:
    account = add_account("ACME", billing_email="billing@acme.test", account_manager=manager)
    add_invoice(
        account,
        "INV-LATE",
        "1234.56",
        issue_date=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=3),
    )
    add_invoice(account, "INV-NEW", "99.00", issue_date=today)
    return account


def test_the_overdue_reminder_copies_the_account_manager_by_default(
    app: Flask, mail_server: LoopbackSmtpServer, manager: User, today: dt.date
) -> None:
    switch_on(switches.INVOICE_OVERDUE_EMAILS, switches.INVOICE_ISSUED_EMAILS)
    account_with_late_and_new_invoices(manager, today)

    run_notify_command(app)

    late = next(r for r in mail_server.inbox.received if "INV-LATE" in r.subject)
    assert late.message["To"] == "billing@acme.test"
    assert late.message["Cc"] == MANAGER_EMAIL
    assert sorted(late.envelope_to) == ["billing@acme.test", MANAGER_EMAIL]
    assert "1,234.56 GBP is still open" in late.part("text/plain")
    issued = next(r for r in mail_server.inbox.received if "INV-NEW" in r.subject)
    assert issued.message["Cc"] is None, "only reminders are copied by this setting"


@pytest.mark.parametrize("value", ["no", "false", "0", "off", ""])
def test_a_super_admin_turns_the_copy_off(
    app: Flask, mail_server: LoopbackSmtpServer, manager: User, value: str, today: dt.date
) -> None:
    switch_on(switches.INVOICE_OVERDUE_EMAILS)
    set_settings({CC_ACCOUNT_MANAGER_ON_REMINDERS: value})
    account_with_late_and_new_invoices(manager, today)

    run_notify_command(app)

    [late] = mail_server.inbox.received
    assert late.message["Cc"] is None
    assert late.envelope_to == ["billing@acme.test"]


def test_the_setting_is_on_when_absent_and_off_when_said_so(app: Flask) -> None:
    assert Setting.is_enabled(db.session, CC_ACCOUNT_MANAGER_ON_REMINDERS) is True
    set_settings({CC_ACCOUNT_MANAGER_ON_REMINDERS: "No"})
    assert Setting.is_enabled(db.session, CC_ACCOUNT_MANAGER_ON_REMINDERS) is False


def test_an_account_without_a_manager_or_with_a_deactivated_one_copies_nobody(
    app: Flask, manager: User, today: dt.date
) -> None:
    switch_on(switches.INVOICE_OVERDUE_EMAILS)
    account = account_with_late_and_new_invoices(manager, today)
    add_invoice(
        add_account("SOLO", billing_email="billing@solo.test"),
        "INV-SOLO",
        "10.00",
        issue_date=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=2),
    )
    manager.active = False
    db.session.commit()

    run_notify_command(app)

    overdue = [m for m in outbox() if m.event == "invoice_overdue"]
    assert {m.to_addresses for m in overdue} == {"billing@acme.test", "billing@solo.test"}
    assert [m.cc_addresses for m in overdue] == ["", ""]
    assert account.id in {m.account_id for m in overdue}


def test_a_manager_who_may_not_read_the_amount_gets_a_copy_without_it(
    app: Flask, mail_server: LoopbackSmtpServer, manager: User, today: dt.date
) -> None:
    """The customer's reminder is complete; the manager, for whom Configure Forms hides invoice
    amounts, gets their own copy with the amount hidden (notifications.outbox.enqueue_email)."""
    switch_on(switches.INVOICE_OVERDUE_EMAILS)
    db.session.add(FormFieldRule(entity="Invoice", field="amount", role="manager", hidden=True))
    db.session.commit()
    account_with_late_and_new_invoices(manager, today)

    run_notify_command(app)

    by_recipient = {mail.message["To"]: mail for mail in mail_server.inbox.received}
    assert set(by_recipient) == {"billing@acme.test", MANAGER_EMAIL}
    customers = by_recipient["billing@acme.test"]
    assert customers.message["Cc"] is None
    assert "1,234.56 GBP is still open" in customers.part("text/plain")
    managers_copy = by_recipient[MANAGER_EMAIL].part("text/plain")
    assert "1,234.56" not in managers_copy and "1234.56" not in managers_copy
    assert "(hidden) GBP is still open" in managers_copy
    assert "INV-LATE" in managers_copy, "what the manager may read is still there"

    run_notify_command(app)
    assert len(mail_server.inbox.received) == 2, "each copy is sent once"


def test_without_the_copy_the_customer_reads_every_value(
    app: Flask, mail_server: LoopbackSmtpServer, manager: User, today: dt.date
) -> None:
    switch_on(switches.INVOICE_OVERDUE_EMAILS)
    set_settings({CC_ACCOUNT_MANAGER_ON_REMINDERS: "no"})
    db.session.add(FormFieldRule(entity="Invoice", field="amount", role="manager", hidden=True))
    db.session.commit()
    account_with_late_and_new_invoices(manager, today)

    run_notify_command(app)

    [late] = mail_server.inbox.received
    assert "1,234.56 GBP is still open" in late.part("text/plain")
