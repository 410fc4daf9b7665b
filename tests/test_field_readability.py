"""A field hidden from a role is hidden from every reader of that role, not only its form.

The outside attack of issue 14: with `Account.credit_limit`, `Account.billing_email` and
`User.last_name` hidden for managers, a manager still read them on the dashboard, the credit
report and its CSV, the credit requests' old limit, every label of a related user, look-ups
matching hidden columns, the account history and e-mails. Each path is tried here as the manager
takes it; tests/test_hidden_means_hidden.py crawls for the paths nobody listed.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account, FollowUpAction, User
from models.audit import AuditEvent
from models.config import FormFieldRule
from models.notifications import CreditRequest, OutboxMessage
from notifications.detection import detect_credit_limit_crossings
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice

HIDDEN_LIMIT = "7,654.00"
HIDDEN_EMAIL = "secret-billing@hidden.test"
HIDDEN_SURNAME = "Zanzibarson"


@pytest.fixture
def manager(login_as, today) -> User:
    """A manager of ACME, for whom the credit limit, billing e-mail and last names are hidden."""
    user = login_as("manager")
    contact = make_user("individual", "contact@acme.test", first_name="Pat",
                        last_name=HIDDEN_SURNAME)  # fmt: skip
    acme = add_account("ACME", account_manager=user, credit_limit=Decimal("7654.00"),
                       billing_email=HIDDEN_EMAIL, primary_contact=contact)  # fmt: skip
    contact.account = acme
    add_invoice(acme, "INV-1", "9000.00", issue_date=today - dt.timedelta(days=90),
                due_date=today - dt.timedelta(days=60))  # fmt: skip
    db.session.add_all(
        [
            FormFieldRule(entity="Account", field="credit_limit", role="manager", hidden=True),
            FormFieldRule(entity="Account", field="billing_email", role="manager", hidden=True),
            FormFieldRule(entity="User", field="last_name", role="manager", hidden=True),
            FollowUpAction(account=acme, assignee=contact, due_date=today, description="Call"),
        ]
    )
    db.session.commit()
    return user


def _acme() -> Account:
    return db.session.scalar(sa.select(Account).where(Account.code == "ACME"))


def _text(panel: Panel, url: str) -> str:
    response = panel.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_manager_dashboard_shows_no_hidden_credit_limit_nor_the_use_of_it(manager, panel) -> None:
    html = _text(panel, "/admin/")

    assert "ACME" in html and "9,000.00" in html
    assert HIDDEN_LIMIT not in html
    assert "Limit used" not in html and "Credit limit" not in html
    assert "118%" not in html  # 9,000 of 7,654


def test_credit_control_page_and_csv_hide_the_limit_and_list_by_overdue_only(
    manager, panel
) -> None:
    page = _text(panel, "/admin/reports/period/credit")
    csv_text = _text(panel, "/admin/reports/period/credit/download/csv")

    for text in (page, csv_text):
        assert "ACME" in text
        assert "7654" not in text and HIDDEN_LIMIT not in text
        assert "117.6" not in text
    header, row = csv_text.splitlines()[:2]
    assert header.split(",")[3] == "credit_limit"
    assert row.split(",")[3] == "(hidden)"


def test_credit_request_old_limit_is_hidden_with_the_accounts_limit(manager, panel) -> None:
    db.session.add(CreditRequest(account=_acme(), amount=Decimal("9000.00"), reason="More",
                                 status="accepted", old_limit=Decimal("7654.00")))  # fmt: skip
    db.session.commit()

    listing = _text(panel, "/admin/creditrequest/")

    assert "9,000.00" in listing
    assert HIDDEN_LIMIT not in listing and "7654" not in listing


def test_labels_of_related_users_leave_out_a_hidden_last_name(manager, panel) -> None:
    acme = _acme()
    pages = [
        f"/admin/account/details/?id={acme.id}",
        f"/admin/account/details/?id={acme.id}&tab=actions",
        f"/admin/account/details/?id={acme.id}&tab=users",
        "/admin/followupaction/",
        "/admin/user/ajax/lookup/?name=account&query=",
        "/admin/followupaction/ajax/lookup/?name=assignee&query=",
    ]
    for url in pages:
        text = _text(panel, url)
        assert HIDDEN_SURNAME not in text, url
    assert "Pat" in _text(panel, f"/admin/account/details/?id={acme.id}")


def test_look_ups_do_not_match_a_hidden_column(manager, panel) -> None:
    """A look-up matching the hidden billing e-mail would answer guesses about it, letter by
    letter (a prefix oracle)."""
    prefix = HIDDEN_EMAIL[:8]
    found = json.loads(_text(panel, f"/admin/user/ajax/lookup/?name=account&query={prefix}"))
    by_code = json.loads(_text(panel, "/admin/user/ajax/lookup/?name=account&query=acm"))

    assert found == []
    assert [label for _id, label in by_code] == ["ACME — ACME Ltd"]


def test_history_and_audit_log_do_not_show_changes_to_a_hidden_field(manager, app) -> None:
    """Managers have no history; admins do, so the billing e-mail is hidden for admins here."""
    acme = _acme()
    db.session.add_all([
        FormFieldRule(entity="Account", field="billing_email", role="admin", hidden=True),
        AuditEvent(action="update", entity="Account", entity_id=str(acme.id), changes={
            "billing_email": {"before": "old@hidden.test", "after": HIDDEN_EMAIL},
            "billing_phone": {"before": "111", "after": "222-333"},
        }),
    ])  # fmt: skip
    db.session.commit()
    admin = Panel(app.test_client())
    admin.login(make_user("admin").email)
    event_id = db.session.scalar(sa.select(AuditEvent.id))

    for url in (
        f"/admin/account/details/?id={acme.id}&tab=history",
        f"/admin/auditevent/details/?id={event_id}",
    ):
        text = _text(admin, url)
        assert "222-333" in text, url
        assert HIDDEN_EMAIL not in text and "old@hidden.test" not in text, url


def test_an_alert_a_manager_receives_leaves_out_the_limit_they_may_not_read(manager) -> None:
    detect_credit_limit_crossings(db.session)
    db.session.commit()

    alert = db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.event == "credit_limit_exceeded",
            OutboxMessage.to_addresses.contains(manager.email),
        )
    )

    assert "7,654.00" not in alert.body_text and "(hidden)" in alert.body_text


def test_an_admin_still_reads_what_managers_may_not(manager, app) -> None:
    admin = Panel(app.test_client())
    admin.login(make_user("admin").email)
    acme = _acme()

    page = _text(admin, f"/admin/account/details/?id={acme.id}")

    assert HIDDEN_LIMIT in page and HIDDEN_EMAIL in page and HIDDEN_SURNAME in page
