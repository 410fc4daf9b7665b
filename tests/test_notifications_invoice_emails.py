"""Invoice e-mails: issued, fully paid and overdue each reach the billing address exactly once,
through a real SMTP server; switched off, opted out or without a server, nothing is lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from extensions import db
from models import EmailTemplate, InvoiceEmailOptOut, OutboxMessage
from models.notifications import EMAIL_EVENTS
from notifications import switches
from notifications.email_templates import DEFAULT_TEMPLATES
from notifications.runner import run_notify
from notifications.sending import MAX_ATTEMPTS, MailSettings, send_due_messages
from tests.conftest import make_user
from tests.factories import add_account, add_invoice, add_payment
from tests.notification_helpers import mail_server_for, outbox, run_notify_command, switch_on
from tests.smtp_server import LoopbackSmtpServer, free_port

ALL_INVOICE_EMAILS = (
    switches.INVOICE_ISSUED_EMAILS,
    switches.INVOICE_PAID_EMAILS,
    switches.INVOICE_OVERDUE_EMAILS,
)


@pytest.fixture
def mail_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackSmtpServer]:
    with mail_server_for(app, monkeypatch) as server:
        yield server


def customer_with_manager(**fields: object):
    manager = make_user("manager", "kim@example.test")
    return add_account(
        "ACME", billing_email="billing@acme.test", account_manager=manager, **fields
    ), manager


def test_issued_invoice_is_emailed_once_with_the_account_manager_in_copy(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    switch_on(switches.INVOICE_ISSUED_EMAILS, switches.CC_ACCOUNT_MANAGER)
    account, _manager = customer_with_manager()
    invoice = add_invoice(account, "INV-1", "250.00", issue_date=today)

    run_notify_command(app)
    run_notify_command(app)

    [received] = mail_server.inbox.received
    assert received.subject == "Invoice INV-1 for 250.00 GBP"
    assert received.message["To"] == "billing@acme.test"
    assert received.message["Cc"] == "kim@example.test"
    assert received.message["From"] == "desk@example.test"
    assert sorted(received.envelope_to) == ["billing@acme.test", "kim@example.test"]
    assert "is due on" in received.part("text/plain")
    [message] = outbox()
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.dedupe_key == f"invoice_issued:invoice:{invoice.id}"


def test_paid_and_overdue_invoices_are_each_emailed_once(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    switch_on(*ALL_INVOICE_EMAILS)
    account = add_account("ACME", billing_email="billing@acme.test")
    old = today - dt.timedelta(days=40)
    add_invoice(
        account, "INV-LATE", "100.00", issue_date=old, due_date=today - dt.timedelta(days=2)
    )
    paid = add_invoice(account, "INV-PAID", "80.00", issue_date=old, due_date=today)
    add_payment(account, "PAY-1", "30.00", invoice=paid, payment_date=today - dt.timedelta(days=1))
    add_payment(account, "PAY-2", "50.00", invoice=paid, payment_date=today)

    run_notify_command(app)
    run_notify_command(app)

    assert sorted(mail_server.inbox.subjects()) == [
        "Invoice INV-LATE is overdue",
        "Invoice INV-PAID is paid",
    ]
    late = next(r for r in mail_server.inbox.received if "INV-LATE" in r.subject)
    assert "100.00 GBP is still open" in late.part("text/plain")


def test_a_partly_paid_invoice_is_not_announced_as_paid(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    switch_on(switches.INVOICE_PAID_EMAILS)
    account = add_account("ACME", billing_email="billing@acme.test")
    invoice = add_invoice(account, "INV-1", "100.00", issue_date=today - dt.timedelta(days=3))
    add_payment(account, "PAY-1", "99.99", invoice=invoice, payment_date=today)

    run_notify_command(app)
    assert mail_server.inbox.received == []

    add_payment(account, "PAY-2", "0.01", invoice=invoice, payment_date=today)
    run_notify_command(app)
    assert mail_server.inbox.subjects() == ["Invoice INV-1 is paid"]


def test_events_switched_off_are_recorded_and_not_replayed_when_switched_on(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    account = add_account("ACME", billing_email="billing@acme.test")
    add_invoice(account, "INV-1", "100.00", issue_date=today)

    run_notify_command(app)
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    run_notify_command(app)

    assert mail_server.inbox.received == []
    [message] = outbox()
    assert (message.status, message.skip_reason) == ("skipped", "switched off in settings")


def test_an_account_that_opted_out_gets_no_invoice_emails(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    switch_on(*ALL_INVOICE_EMAILS)
    account = add_account("ACME", billing_email="billing@acme.test")
    db.session.add(InvoiceEmailOptOut(account=account, reason="Prefers post"))
    add_invoice(account, "INV-1", "100.00", issue_date=today)

    run_notify_command(app)

    assert mail_server.inbox.received == []
    assert [m.skip_reason for m in outbox()] == ["account opted out"]


def test_old_invoices_are_history_not_news(app: Flask, mail_server: LoopbackSmtpServer) -> None:
    switch_on(*ALL_INVOICE_EMAILS)
    account = add_account("ACME", billing_email="billing@acme.test")
    add_invoice(account, "INV-OLD", "100.00", issue_date=dt.date(2020, 1, 1))

    run_notify_command(app)

    assert mail_server.inbox.received == []
    assert outbox() == []


def test_without_a_mail_server_emails_wait_in_the_outbox_visible_in_the_panel(
    app: Flask, login_as, panel, today: dt.date
) -> None:
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    account = add_account("ACME", billing_email="billing@acme.test")
    add_invoice(account, "INV-1", "100.00", issue_date=today)

    output = run_notify_command(app)

    assert "MAIL_SERVER is not set" in output
    assert [m.status for m in outbox()] == ["queued"]
    login_as("super_admin")
    assert "Invoice INV-1 for 100.00 GBP" in panel.get("/admin/outboxmessage/").get_data(
        as_text=True
    )


def test_a_down_smtp_server_keeps_messages_queued_and_they_are_sent_later(
    app: Flask, monkeypatch: pytest.MonkeyPatch, today: dt.date
) -> None:
    port = free_port()  # nothing listens here yet
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    account = add_account("ACME", billing_email="billing@acme.test")
    add_invoice(account, "INV-1", "100.00", issue_date=today)

    output = run_notify_command(app)

    [message] = outbox()
    assert "to retry: 1" in output
    assert (message.status, message.attempts) == ("queued", 1)
    assert "cannot reach the mail server" in message.last_error
    retry_at = message.next_attempt_at
    run_notify_command(app)  # before the back-off has passed: not tried again
    assert db.session.get(OutboxMessage, message.id).attempts == 1

    server = LoopbackSmtpServer(port).start()
    try:
        later = retry_at + dt.timedelta(seconds=1)
        summary = send_due_messages(db.session, MailSettings.from_config(app.config), later)
    finally:
        server.stop()

    assert summary.sent == 1
    assert server.inbox.subjects() == ["Invoice INV-1 for 100.00 GBP"]
    message = db.session.get(OutboxMessage, message.id)
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, None)


def test_a_message_is_given_up_after_the_last_attempt(
    app: Flask, monkeypatch: pytest.MonkeyPatch, today: dt.date
) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    add_invoice(add_account("ACME", billing_email="b@acme.test"), "INV-1", "1.00", issue_date=today)
    settings = MailSettings.from_config(app.config)
    run_notify(db.session, settings)

    moment = dt.datetime.now()
    for _attempt in range(MAX_ATTEMPTS):
        moment += dt.timedelta(days=1)
        send_due_messages(db.session, settings, moment)

    [message] = outbox()
    assert (message.status, message.attempts) == ("failed", MAX_ATTEMPTS)


def test_html_part_escapes_what_users_typed(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    account = add_account(
        "ACME", name="<script>alert(1)</script> & Co", billing_email="billing@acme.test"
    )
    add_invoice(account, "INV-1", "100.00", issue_date=today)

    run_notify_command(app)

    [received] = mail_server.inbox.received
    html = received.part("text/html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "<script>" not in html
    assert "<script>alert(1)</script> & Co" in received.part("text/plain")


def test_a_super_admin_edits_a_template_and_it_is_used(
    app: Flask, mail_server: LoopbackSmtpServer, login_as, panel, today: dt.date
) -> None:
    login_as("super_admin")
    response = panel.post(
        "/admin/email-templates/invoice_issued/",
        {
            "subject": "Your bill {{ invoice.number }} from us",
            "body_text": "Pay {{ invoice.amount }} by {{ invoice.due_date }}.",
            "loaded_version": "0",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    account = add_account("ACME", billing_email="billing@acme.test")
    add_invoice(account, "INV-9", "12.50", issue_date=today, due_date=today)

    run_notify_command(app)

    [received] = mail_server.inbox.received
    assert received.subject == "Your bill INV-9 from us"
    assert received.part("text/plain").strip() == f"Pay 12.50 by {today.isoformat()}."
    assert db.session.scalar(sa.select(sa.func.count(EmailTemplate.id))) == 1


def test_admins_may_read_the_outbox_but_not_edit_templates(login_as, panel) -> None:
    login_as("admin")
    assert panel.get("/admin/outboxmessage/").status_code == 200
    assert panel.get("/admin/email-templates/").status_code == 403


def test_money_in_emails_is_exact(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    account = add_account("ACME", billing_email="billing@acme.test")
    add_invoice(account, "INV-1", "1234567.89", issue_date=today)

    run_notify_command(app)

    assert mail_server.inbox.subjects() == ["Invoice INV-1 for 1,234,567.89 GBP"]


def test_every_email_event_has_a_built_in_wording() -> None:
    assert set(DEFAULT_TEMPLATES) == set(EMAIL_EVENTS)


def test_a_template_with_a_syntax_error_is_refused(login_as, panel) -> None:
    login_as("super_admin")
    response = panel.post(
        "/admin/email-templates/invoice_paid/",
        {"subject": "Paid {{ invoice.number", "body_text": "Thanks", "loaded_version": "0"},
    )
    assert "Template error on line 1" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(EmailTemplate.id))) == 0


def test_a_template_that_fails_to_render_falls_back_to_the_default(
    app: Flask, mail_server: LoopbackSmtpServer, today: dt.date
) -> None:
    db.session.add(
        EmailTemplate(event="invoice_issued", subject="{{ no_such_value }}", body_text="x")
    )
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    account = add_account("ACME", billing_email="billing@acme.test")
    add_invoice(account, "INV-1", "100.00", issue_date=today)

    run_notify_command(app)

    assert mail_server.inbox.subjects() == ["Invoice INV-1 for 100.00 GBP"]
