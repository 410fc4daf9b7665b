"""E-mail templates: every event with its built-in wording; a super admin overrides it with
plain placeholders, previews it, resets it; hidden values stay hidden in what is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from extensions import db
from models import AuditEvent, EmailTemplate, FormFieldRule, OutboxMessage
from models.notifications import EMAIL_EVENTS
from notifications import switches
from notifications.email_templates import DEFAULT_TEMPLATES
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice
from tests.notification_helpers import mail_server_for, run_notify_command, switch_on
from tests.smtp_server import LoopbackSmtpServer

PAGE = "/admin/email-templates/"


@pytest.fixture
def mail_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackSmtpServer]:
    with mail_server_for(app, monkeypatch) as server:
        yield server


def save(panel: Panel, event: str, loaded_version: str = "0", **parts: str) -> object:
    wording = {"subject": "Bill {{ invoice.number }}", "body_text": "Pay {{ invoice.amount }}."}
    return panel.post(f"{PAGE}{event}/", {**wording, **parts, "loaded_version": loaded_version})


def test_every_event_is_listed_with_its_built_in_wording(login_as, panel: Panel) -> None:
    login_as("super_admin")
    page = panel.get(PAGE).get_data(as_text=True)
    for event in EMAIL_EVENTS:
        assert f"{PAGE}{event}/" in page
    one = panel.get(f"{PAGE}invoice_overdue/").get_data(as_text=True)
    assert "built-in wording" in one
    assert "{{ invoice.open_amount }}" in one and "what is still owed on it" in one
    assert "is still open. Please arrange" in one  # the built-in text, to start from


def test_a_super_admin_previews_then_saves_an_override_and_it_is_audited(
    login_as, panel: Panel
) -> None:
    admin = login_as("super_admin")
    preview = save(panel, "invoice_issued", action="preview", body_html="<p>{{ account.name }}</p>")
    page = preview.get_data(as_text=True)
    assert 'data-testid="preview-subject">Bill INV-00042<' in page
    assert "Pay 1,250.00." in page
    assert 'srcdoc="&lt;p&gt;Acme Training Ltd&lt;/p&gt;"' in page
    assert db.session.scalar(sa.select(sa.func.count(EmailTemplate.id))) == 0  # not saved

    assert save(panel, "invoice_issued").status_code == 302

    [row] = db.session.scalars(sa.select(EmailTemplate))
    assert (row.event, row.subject) == ("invoice_issued", "Bill {{ invoice.number }}")
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "EmailTemplate"))
    assert (event.action, event.entity_id, event.user_id) == (
        "email_template_changed",
        "invoice_issued",
        admin.id,
    )
    assert event.changes["subject"]["after"] == "Bill {{ invoice.number }}"
    assert "your wording" in panel.get(f"{PAGE}invoice_issued/").get_data(as_text=True)


def test_reset_goes_back_to_the_built_in_wording(app: Flask, login_as, panel: Panel) -> None:
    login_as("super_admin")
    save(panel, "invoice_issued")
    row = db.session.scalar(sa.select(EmailTemplate))

    response = panel.post(f"{PAGE}invoice_issued/reset", {"loaded_version": str(row.version_id)})

    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(EmailTemplate.id))) == 0
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id))
    assert list(actions) == ["email_template_changed", "email_template_reset"]
    assert "built-in wording" in panel.get(f"{PAGE}invoice_issued/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("subject", "problem"),
    [
        ("{{ 'x' * 100000000 }}", "Only placeholders such as"),
        ("{% for i in range(9) %}x{% endfor %}", "Only placeholders such as"),
        ("{{ invoice.number | upper }}", "Only placeholders such as"),
        ("{{ invoice.__class__ }}", "Unknown placeholder {{ invoice.__class__ }}"),
        ("{{ account.credit_limit }}", "Unknown placeholder {{ account.credit_limit }}"),
        ("{{ config }}", "Unknown placeholder {{ config }}"),
        ("Paid {{ invoice.number", "Template error on line 1"),
        ("", "An e-mail needs a subject."),
    ],
)
def test_anything_but_plain_placeholders_is_refused(
    subject: str, problem: str, login_as, panel: Panel
) -> None:
    login_as("super_admin")
    response = save(panel, "invoice_paid", subject=subject)
    assert response.status_code == 400
    assert problem in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(EmailTemplate.id))) == 0


def test_an_override_written_around_the_page_is_not_used(
    app: Flask, mail_server, login_as, today: dt.date
) -> None:
    db.session.add(
        EmailTemplate(event="invoice_issued", subject="{{ invoice.number|upper }}", body_text="x")
    )
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    add_invoice(
        add_account("ACME", billing_email="b@acme.test"), "inv-1", "10.00", issue_date=today
    )
    run_notify_command(app)
    assert mail_server.inbox.subjects() == ["Invoice inv-1 for 10.00 GBP"]


def test_a_value_hidden_from_the_recipient_stays_hidden_in_an_override(
    app: Flask, login_as, panel: Panel, today: dt.date
) -> None:
    login_as("super_admin")
    save(panel, "invoice_issued", subject="Bill {{ invoice.number }}: {{ invoice.amount }}")
    manager = make_user("manager", "boss@acme.test")
    db.session.add(FormFieldRule(entity="Invoice", field="amount", role="manager", hidden=True))
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    account = add_account("ACME", billing_email=manager.email)
    add_invoice(account, "INV-7", "99.00", issue_date=today)

    run_notify_command(app)

    assert db.session.scalar(sa.select(OutboxMessage.subject)) == "Bill INV-7: (hidden)"


@pytest.mark.parametrize("role", ["admin", "manager", "analyst"])
def test_only_super_admins_edit_templates(role: str, login_as, panel: Panel) -> None:
    login_as(role)
    assert panel.get(PAGE).status_code == 403
    assert panel.get(f"{PAGE}invoice_paid/").status_code == 403
    assert save(panel, "invoice_paid").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(EmailTemplate.id))) == 0


def test_an_unknown_event_answers_404_and_a_post_without_csrf_is_refused(
    login_as, panel: Panel
) -> None:
    login_as("super_admin")
    assert panel.get(f"{PAGE}no_such_event/").status_code == 404
    response = panel.post_without_csrf(
        f"{PAGE}invoice_paid/", {"subject": "x", "body_text": "y", "loaded_version": "0"}
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(EmailTemplate.id))) == 0


def test_a_save_over_a_newer_override_is_refused(login_as, panel: Panel) -> None:
    login_as("super_admin")
    save(panel, "invoice_paid", subject="First {{ invoice.number }}")
    response = save(panel, "invoice_paid", loaded_version="0", subject="Second")
    assert response.status_code == 302
    assert "Someone else changed this template" in panel.get(f"{PAGE}invoice_paid/").get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(EmailTemplate.subject)) == "First {{ invoice.number }}"


def test_every_built_in_wording_uses_only_its_declared_placeholders() -> None:
    from notifications.email_templates import wording_problems

    for event, wording in DEFAULT_TEMPLATES.items():
        assert wording_problems(event, wording) == {}, event
