"""Two `notify` runs at the same moment (as overlapping cron jobs) still send each e-mail once.

The guarantee rests on PostgreSQL row locks (`FOR UPDATE SKIP LOCKED`, conditional updates and
the unique dedupe key), so the race is run there; SQLite serialises writers and has one runner.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask

from extensions import db
from notifications import switches
from notifications.runner import NotifyReport, run_notify
from notifications.sending import MailSettings
from tests.conftest import make_user
from tests.factories import add_account, add_invoice
from tests.notification_helpers import mail_server_for, outbox, switch_on
from tests.smtp_server import LoopbackSmtpServer

INVOICES = 30
RUNNERS = 3


@pytest.fixture
def mail_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackSmtpServer]:
    with mail_server_for(app, monkeypatch) as server:
        yield server


def run_at_once(app: Flask, runners: int) -> list[NotifyReport]:
    """`runners` notify runs in threads, each with its own app context, session and connection."""
    start = threading.Barrier(runners)
    reports: list[NotifyReport] = []
    errors: list[BaseException] = []

    def one_run() -> None:
        with app.app_context():
            try:
                start.wait()
                reports.append(run_notify(db.session, MailSettings.from_config(app.config)))
            except BaseException as error:  # reported to the test below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one_run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return reports


def test_concurrent_notify_runs_send_every_email_exactly_once(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the concurrent claim relies on PostgreSQL row locks")
    switch_on(
        switches.INVOICE_ISSUED_EMAILS,
        switches.INVOICE_OVERDUE_EMAILS,
        switches.INVOICE_PAID_EMAILS,
    )
    manager = make_user("manager", "kim@example.test")
    make_user("admin", "ada@example.test")
    account = add_account(
        "ACME",
        billing_email="billing@acme.test",
        account_manager=manager,
        credit_limit=Decimal("100.00"),
    )
    for number in range(INVOICES):
        add_invoice(
            account,
            f"INV-{number}",
            "10.00",
            issue_date=today - dt.timedelta(days=3),
            due_date=today - dt.timedelta(days=1) if number % 2 else today,
        )
    db.session.commit()

    reports = run_at_once(app, RUNNERS)

    db.session.expire_all()
    events = Counter(item.message["X-Accounts-Desk-Event"] for item in mail_server.inbox.received)
    assert events and max(events.values()) == 1
    expected = INVOICES + INVOICES // 2 + 1  # issued, overdue, one limit crossing
    assert len(events) == expected
    assert sum(report.sending.sent for report in reports) == expected
    assert sum(report.invoice_events for report in reports) == INVOICES + INVOICES // 2
    assert sum(report.credit_limit_alerts for report in reports) == 1
    assert {message.status for message in outbox()} == {"sent"}
