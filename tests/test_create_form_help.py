"""Create forms that help: proposed numbers, due dates from payment terms, required marks from
the rules (one clear error), and a preview that draws the form as the role sees it."""

from __future__ import annotations

import datetime as dt
import html
import re

import sqlalchemy as sa

import admin_views.billing_forms as billing_forms
from extensions import db
from models import Account, CreditNote, FormFieldRule, Invoice
from tests.browser_form import as_submitted
from tests.conftest import Panel
from tests.factories import add_account, add_credit_note, add_invoice

REQUIRED_MARK = '<strong class="text-danger">&#42;</strong>'


def field_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else ""


def errors_of(page: str, name: str) -> list[str]:
    """The error messages drawn under the field `name`."""
    block = re.search(rf'name="{name}".*?(?=<div class="form-group|</form>)', page, re.S)
    feedback = re.search(r'<div class="invalid-feedback">(.*?)</div>', block.group(0), re.S)
    found = re.findall(r"<li>(.*?)</li>", feedback.group(1)) if feedback else []
    return [html.unescape(message) for message in found]


def label_is_marked(page: str, name: str) -> bool:
    label = re.search(rf'<label for="{name}"[^>]*>(.*?)</label>', page, re.S)
    return label is not None and REQUIRED_MARK in label.group(1)


def invoice_form(account: Account, number: str, **values: str) -> dict[str, str]:
    return {"number": number, "account": str(account.id), "issue_date": "2026-03-01",
            "due_date": "", "amount": "100.00", "currency": "GBP", "status": "issued",
            **values}  # fmt: skip


def test_new_invoice_and_credit_note_forms_propose_the_next_number(login_as, panel, today) -> None:
    login_as("admin")
    assert field_value(panel.get("/admin/invoice/new/").get_data(as_text=True), "number") == (
        "INV-00001"
    )
    acme = add_account("ACME")
    add_invoice(acme, "INV-00041", "10.00")
    add_invoice(acme, "INV-00009", "10.00")  # typed by hand, out of order: the series decides
    add_credit_note(acme, "CN-0099", "1.00")

    page = panel.get("/admin/invoice/new/").get_data(as_text=True)

    assert field_value(page, "number") == "INV-00042"
    assert field_value(page, "issue_date") == today.isoformat()
    assert not label_is_marked(page, "due_date")  # left empty, the terms fill it
    assert label_is_marked(page, "issue_date")
    assert "Proposed: the next number after the last one used." in page
    credit_page = panel.get("/admin/creditnote/new/").get_data(as_text=True)
    assert field_value(credit_page, "number") == "CN-0100"


def test_a_number_taken_after_the_form_opened_is_refused_with_the_next_one_proposed(
    login_as, panel
) -> None:
    login_as("admin")
    acme = add_account("ACME")
    add_invoice(acme, "INV-00001", "10.00")
    proposed = field_value(panel.get("/admin/invoice/new/").get_data(as_text=True), "number")
    add_invoice(acme, proposed, "20.00")  # a colleague saves first

    response = panel.post("/admin/invoice/new/", invoice_form(acme, proposed))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert errors_of(page, "number") == [
        "INV-00002 is already used by another invoice, perhaps saved a moment ago. The next "
        "free number, INV-00003, is now in the field: save again to use it."
    ]
    assert field_value(page, "number") == "INV-00003"
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 2


def test_two_saves_of_the_same_number_at_once_store_one_and_say_why_to_the_other(
    app, login_as, panel, monkeypatch
) -> None:
    """The other save commits between this form's check and its own commit: the unique
    constraint refuses this one, and the form says which number and proposes the next."""
    login_as("admin")
    acme = add_account("ACME")
    checked = billing_forms.number_taken

    def taken_by_a_concurrent_save(session, model, number):
        free = checked(session, model, number)
        with db.engine.begin() as other_transaction:
            other_transaction.execute(
                sa.insert(Invoice).values(
                    number=number,
                    account_id=acme.id,
                    amount=5,
                    issue_date=dt.date(2026, 3, 1),
                    due_date=dt.date(2026, 3, 1),
                    currency="GBP",
                    status="issued",
                    disputed=False,
                    custom_fields={},
                    version_id=1,
                )  # fmt: skip
            )
        monkeypatch.setattr(billing_forms, "number_taken", checked)
        return free

    monkeypatch.setattr(billing_forms, "number_taken", taken_by_a_concurrent_save)
    response = panel.post("/admin/invoice/new/", invoice_form(acme, "INV-00007"))

    page = response.get_data(as_text=True)
    assert errors_of(page, "number") == [
        "INV-00007 is already used by another invoice, perhaps saved a moment ago. The next "
        "free number, INV-00008, is now in the field: save again to use it."
    ]
    amounts = db.session.scalars(sa.select(Invoice.amount).where(Invoice.number == "INV-00007"))
    assert [str(amount) for amount in amounts] == ["5.00"]


def test_an_empty_due_date_follows_the_accounts_payment_terms(login_as, panel) -> None:
    login_as("admin")
    acme = add_account("ACME", payment_terms_days=45)

    response = panel.post("/admin/invoice/new/", invoice_form(acme, "INV-00001"))

    assert response.status_code == 302, response.get_data(as_text=True)
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.number == "INV-00001"))
    assert invoice.due_date == dt.date(2026, 4, 15)


def test_a_due_date_typed_by_the_user_is_kept(login_as, panel) -> None:
    login_as("admin")
    acme = add_account("ACME", payment_terms_days=45)
    panel.post("/admin/invoice/new/", invoice_form(acme, "INV-00001", due_date="2026-03-10"))
    assert db.session.scalar(sa.select(Invoice.due_date)) == dt.date(2026, 3, 10)


def test_the_payment_terms_look_up_answers_only_what_the_user_may_read(
    login_as, panel: Panel
) -> None:
    admin = login_as("admin")
    acme = add_account("ACME", payment_terms_days=14)
    assert panel.get(f"/admin/invoice/payment-terms/?account={acme.id}").get_json() == {"days": 14}
    assert panel.get("/admin/invoice/payment-terms/?account=99999").status_code == 404
    assert panel.get("/admin/invoice/payment-terms/?account=x").status_code == 404
    db.session.add(
        FormFieldRule(entity="Account", field="payment_terms_days", role="admin", hidden=True)
    )
    db.session.commit()
    answer = panel.get(f"/admin/invoice/payment-terms/?account={acme.id}").get_json()
    assert answer == {"days": None}
    response = panel.post("/admin/invoice/new/", invoice_form(acme, "INV-00001"))
    assert errors_of(response.get_data(as_text=True), "due_date") == [
        "Enter a due date: the account's payment terms cannot fill it in."
    ]
    assert admin.role == "admin"


def test_roles_that_cannot_create_invoices_get_no_payment_terms(login_as, panel) -> None:
    acme = add_account("ACME")
    login_as("analyst")
    assert panel.get(f"/admin/invoice/payment-terms/?account={acme.id}").status_code == 403


def test_a_field_newly_required_is_marked_and_gives_one_error_when_empty(login_as, panel) -> None:
    login_as("admin")
    db.session.add(
        FormFieldRule(entity="Invoice", field="description", role="admin", required=True)
    )
    db.session.add(
        FormFieldRule(entity="Account", field="payment_terms_days", role="admin", required=True)
    )
    db.session.commit()

    invoice_page = panel.get("/admin/invoice/new/").get_data(as_text=True)
    account_page = panel.get("/admin/account/new/").get_data(as_text=True)

    assert label_is_marked(invoice_page, "description")
    assert label_is_marked(account_page, "payment_terms_days")
    assert not label_is_marked(account_page, "billing_phone")
    form = as_submitted(account_page, code="ACME", name="Acme", payment_terms_days="")
    response = panel.post("/admin/account/new/", form)
    assert errors_of(response.get_data(as_text=True), "payment_terms_days") == [
        "This field is required."
    ]
    assert db.session.scalar(sa.select(sa.func.count(Account.id))) == 1  # the guest account


def test_the_preview_draws_pickers_and_required_marks_as_the_role_sees_them(
    login_as, panel
) -> None:
    login_as("super_admin")
    db.session.add(
        FormFieldRule(entity="Invoice", field="description", role="admin", required=True)
    )
    db.session.add(FormFieldRule(entity="Invoice", field="currency", role="admin", readonly=True))
    db.session.add(FormFieldRule(entity="Invoice", field="disputed", role="admin", hidden=True))
    db.session.commit()

    page = panel.get("/admin/invoice/preview/?role=admin").get_data(as_text=True)

    assert re.search(r'data-role="select2-ajax"[^>]*id="account"', page)  # the account picker
    assert "select2" in page and "form.js" in page  # and the script that draws it
    assert label_is_marked(page, "description")
    assert label_is_marked(page, "account")
    assert not label_is_marked(page, "currency")
    assert "Read-only for admin." in page
    assert 'name="disputed"' not in page
    assert "None</small>" not in page
    manager_page = panel.get("/admin/invoice/preview/?role=manager").get_data(as_text=True)
    assert "Manager cannot create Invoice records" in manager_page


def test_credit_note_numbers_are_refused_when_taken(login_as, panel) -> None:
    login_as("admin")
    acme = add_account("ACME")
    add_credit_note(acme, "CN-0001", "1.00")
    response = panel.post(
        "/admin/creditnote/new/",
        {"number": "CN-0001", "account": str(acme.id), "issue_date": "2026-03-01", "amount": "5"},
    )
    assert errors_of(response.get_data(as_text=True), "number")[0].startswith(
        "CN-0001 is already used by another credit note"
    )
    assert db.session.scalar(sa.select(sa.func.count(CreditNote.id))) == 1
