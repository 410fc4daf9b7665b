"""Create, edit and delete every entity through the panel's forms, asserting on the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from extensions import db
from models import (
    Account,
    AccountGroup,
    AuditEvent,
    CreditNote,
    CustomField,
    FollowUpAction,
    FormFieldRule,
    Invoice,
    ManagerAccess,
    Note,
    Payment,
    User,
)
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice


def create_payloads(account: Account, invoice: Invoice, manager: User) -> dict[type, dict]:
    """A valid create form per model, as a browser would post it."""
    return {
        AccountGroup: {"name": "Northern region"},
        Account: {"code": "NEW1", "name": "New Co", "type": "customer", "status": "enabled",
                  "payment_terms_days": "45", "credit_limit": "1500.50",
                  "account_manager": str(manager.id)},
        User: {"email": "Jo@Customer.test", "first_name": "Jo", "role": "individual",
               "account": str(account.id), "active": "y"},
        ManagerAccess: {"user": str(manager.id), "account": str(account.id)},
        Invoice: {"number": "INV-NEW", "account": str(account.id), "issue_date": "2026-02-01",
                  "due_date": "2026-03-03", "amount": "1200.10", "currency": "GBP",
                  "status": "issued"},
        Payment: {"reference": "PAY-NEW", "account": str(account.id), "invoice": str(invoice.id),
                  "payment_date": "2026-02-10", "amount": "200.05", "method": "card"},
        CreditNote: {"number": "CN-NEW", "account": str(account.id), "issue_date": "2026-02-11",
                     "amount": "10.00", "reason": "Late delivery"},
        Note: {"account": str(account.id), "body": "Called the customer."},
        FollowUpAction: {"account": str(account.id), "assignee": str(manager.id), "kind": "call",
                         "due_date": "2026-02-20", "status": "open"},
        FormFieldRule: {"entity": "Account", "field": "billing_phone", "role": "manager",
                        "hidden": "y"},
        CustomField: {"entity": "Account", "key": "vat_number", "label": "VAT number",
                      "type": "text", "order": "1"},
    }  # fmt: skip


EDITS: dict[type, tuple[str, str, Any]] = {
    AccountGroup: ("name", "Southern region", "Southern region"),
    Account: ("name", "Renamed Co", "Renamed Co"),
    User: ("last_name", "Smith", "Smith"),
    Invoice: ("amount", "99.99", Decimal("99.99")),
    Payment: ("amount", "150.00", Decimal("150.00")),
    CreditNote: ("reason", "Goodwill", "Goodwill"),
    Note: ("body", "Left a voicemail.", "Left a voicemail."),
    FollowUpAction: ("status", "done", "done"),
    FormFieldRule: ("role", "analyst", "analyst"),
    CustomField: ("label", "VAT no.", "VAT no."),
}


@pytest.fixture
def ledger() -> tuple[Account, Invoice, User]:
    manager = make_user("manager", "mgr@example.test")
    account = add_account("ACME")
    return account, add_invoice(account, "INV-1", "500.00"), manager


def form_values(model: type, record: Any, payload: dict[str, str]) -> dict[str, str]:
    """What the edit form would post back: the create payload plus the version it loaded."""
    return {**payload, "loaded_version": str(record.version_id)}


@pytest.mark.parametrize("model", list(EDITS) + [ManagerAccess], ids=lambda m: m.__name__)
def test_super_admin_creates_edits_and_deletes(model: type, ledger, login_as, panel: Panel) -> None:
    login_as("super_admin")
    payload = create_payloads(*ledger)[model]
    endpoint = model.__name__.lower()

    response = panel.post(f"/admin/{endpoint}/new/", payload)
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalars(sa.select(model).order_by(model.id.desc())).first()
    assert created is not None
    created_id = created.id
    created_event = sa.select(AuditEvent).where(
        AuditEvent.entity == model.__name__, AuditEvent.action == "create"
    )
    assert db.session.scalar(created_event) is not None

    if model in EDITS:
        field, posted, stored = EDITS[model]
        values = form_values(model, created, payload) | {field: posted}
        response = panel.post(f"/admin/{endpoint}/edit/?id={created_id}", values)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert getattr(db.session.get(model, created_id), field) == stored

    response = panel.post(f"/admin/{endpoint}/delete/", {"id": str(created_id)})
    assert response.status_code == 302
    assert db.session.get(model, created_id) is None


def test_created_account_holds_exact_values(ledger, login_as, panel: Panel) -> None:
    login_as("admin")
    account, invoice, manager = ledger
    panel.post("/admin/account/new/", create_payloads(*ledger)[Account])
    created = db.session.scalar(sa.select(Account).where(Account.code == "NEW1"))
    assert created.credit_limit == Decimal("1500.50")
    assert created.payment_terms_days == 45
    assert created.account_manager_id == manager.id
    user_payload = create_payloads(*ledger)[User]
    panel.post("/admin/user/new/", user_payload)
    assert db.session.scalar(sa.select(User.email).where(User.first_name == "Jo")) == (
        "jo@customer.test"
    )


def test_invoice_list_shows_paid_open_and_overdue(login_as, panel: Panel) -> None:
    login_as("admin")
    account = add_account("ACME")
    invoice = add_invoice(account, "INV-9", "1000.00", issue_date=dt.date(2026, 1, 1))
    db.session.add(
        Payment(reference="P1", account=account, invoice=invoice, amount=Decimal("250.25"),
                payment_date=dt.date(2026, 1, 5))
    )  # fmt: skip
    db.session.add(
        CreditNote(number="C1", account=account, invoice=invoice, amount=Decimal("49.75"),
                   issue_date=dt.date(2026, 1, 6))
    )  # fmt: skip
    db.session.commit()
    html = panel.get("/admin/invoice/").get_data(as_text=True)
    assert "300.00" in html  # paid: payment + credit note
    assert "700.00" in html  # open
    assert "overdue" in html  # due 2026-01-31, long past
    accounts_html = panel.get("/admin/account/").get_data(as_text=True)
    assert "700.00" in accounts_html  # the account's balance


def test_post_without_csrf_token_is_refused_and_writes_nothing(login_as, panel: Panel) -> None:
    login_as("admin")
    response = panel.post_without_csrf("/admin/accountgroup/new/", {"name": "Sneaky"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(AccountGroup).where(AccountGroup.name == "Sneaky")) is None


def test_stale_edit_is_refused_and_the_newer_data_survives(app, login_as, panel: Panel) -> None:
    account = add_account("ACME", name="Original")
    login_as("admin", "first@example.test")
    second = Panel(app.test_client())
    make_user("admin", "second@example.test")
    second.login("second@example.test")
    opened_version = str(account.version_id)
    base = {"code": "ACME", "type": "customer", "status": "enabled", "payment_terms_days": "30"}

    first_save = panel.post(
        f"/admin/account/edit/?id={account.id}",
        base | {"name": "First edit", "loaded_version": opened_version},
    )
    assert first_save.status_code == 302
    stale_save = second.post(
        f"/admin/account/edit/?id={account.id}",
        base | {"name": "Second edit", "loaded_version": opened_version},
    )
    assert stale_save.status_code == 200
    assert "Someone else changed this record" in stale_save.get_data(as_text=True)
    assert db.session.get(Account, account.id).name == "First edit"


def test_edit_form_without_loaded_version_is_refused(login_as, panel: Panel) -> None:
    account = add_account("ACME", name="Original")
    login_as("admin")
    response = panel.post(
        f"/admin/account/edit/?id={account.id}",
        {"code": "ACME", "name": "Forged", "type": "customer", "status": "enabled",
         "payment_terms_days": "30"},
    )  # fmt: skip
    assert "Someone else changed this record" in response.get_data(as_text=True)
    assert db.session.get(Account, account.id).name == "Original"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"code": "", "name": ""}, "This field is required."),
        ({"code": "X1", "name": "X", "credit_limit": "lots"}, "Not a valid decimal value."),
        ({"code": "ACME", "name": "Duplicate"}, "Already exists."),
        ({"code": "X2", "name": "X", "credit_limit": "-5"}, "cannot be negative"),
    ],
    ids=["empty-required", "text-in-money", "duplicate-code", "negative-limit"],
)
def test_bad_account_input_gets_a_form_error_and_writes_nothing(
    payload: dict, message: str, login_as, panel: Panel
) -> None:
    add_account("ACME")
    login_as("admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Account))
    form = {"type": "customer", "status": "enabled", "payment_terms_days": "30"} | payload
    response = panel.post("/admin/account/new/", form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == before


def test_due_date_before_issue_date_is_refused(ledger, login_as, panel: Panel) -> None:
    login_as("admin")
    payload = create_payloads(*ledger)[Invoice] | {"due_date": "2026-01-15"}
    response = panel.post("/admin/invoice/new/", payload)
    assert "The due date cannot be before the issue date." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Invoice).where(Invoice.number == "INV-NEW")) is None


def test_payment_for_another_accounts_invoice_is_refused(ledger, login_as, panel: Panel) -> None:
    login_as("admin")
    other = add_account("OTHER")
    payload = create_payloads(*ledger)[Payment] | {"account": str(other.id)}
    response = panel.post("/admin/payment/new/", payload)
    assert "This invoice belongs to another account." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Payment)) is None


def test_deleting_an_account_with_invoices_is_refused_clearly(ledger, login_as, panel) -> None:
    login_as("admin")
    account = ledger[0]
    response = panel.post("/admin/account/delete/", {"id": str(account.id)}, follow_redirects=True)
    assert "cannot be deleted" in response.get_data(as_text=True)
    assert db.session.get(Account, account.id) is not None


def test_audit_log_records_before_and_after_values(login_as, panel: Panel) -> None:
    account = add_account("ACME", name="Before Ltd")
    admin = login_as("admin")
    panel.post(
        f"/admin/account/edit/?id={account.id}",
        {"code": "ACME", "name": "After Ltd", "type": "customer", "status": "enabled",
         "payment_terms_days": "30", "loaded_version": str(account.version_id)},
    )  # fmt: skip
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.user_id == admin.id and event.actor_email == admin.email
    assert event.entity == "Account" and event.entity_id == str(account.id)
    assert event.changes == {"name": {"before": "Before Ltd", "after": "After Ltd"}}


def test_unknown_id_in_an_optional_pick_list_is_refused_not_blanked(ledger, login_as, panel):
    login_as("admin")
    payload = create_payloads(*ledger)[Payment] | {"invoice": "987654"}
    response = panel.post("/admin/payment/new/", payload)
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Payment)) is None
