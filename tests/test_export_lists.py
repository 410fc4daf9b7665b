"""List exports from the panel: its filters, search, rows and columns, with safe cells."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from decimal import Decimal

import openpyxl
import sqlalchemy as sa

from extensions import db
from models import Account, FormFieldRule, Invoice, ManagerAccess
from tests.conftest import make_user
from tests.factories import add_account, add_invoice, add_payment


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_invoice_list_export_keeps_the_lists_search_and_filters(panel, login_as):
    login_as("admin")
    acme, birch = add_account("ACME"), add_account("BIRCH")
    add_invoice(acme, "TRN-1", "100.00", description="Training March")
    add_invoice(acme, "TRN-2", "250.50", description="Training April", status="draft")
    add_invoice(birch, "CON-3", "75.00", description="Consulting")

    everything = csv_rows(panel.get("/admin/invoice/export/csv/"))
    searched = csv_rows(panel.get("/admin/invoice/export/csv/?search=trn"))

    assert everything[0] == [
        "number", "account_code", "issue_date", "due_date", "amount", "currency", "status",
        "disputed", "description",
    ]  # fmt: skip
    assert sorted(row[0] for row in everything[1:]) == ["CON-3", "TRN-1", "TRN-2"]
    assert sorted(row[0] for row in searched[1:]) == ["TRN-1", "TRN-2"]
    listing = panel.get("/admin/invoice/").get_data(as_text=True)
    status_filter = _filter_index(listing, "Status", "equals")
    filtered = csv_rows(
        panel.get(f"/admin/invoice/export/csv/?search=trn&flt0_{status_filter}=draft")
    )
    assert [row[0] for row in filtered[1:]] == ["TRN-2"]
    assert filtered[1][1:5] == ["ACME", "2026-01-01", "2026-01-31", "250.50"]


def _filter_index(listing: str, column: str, operation: str) -> str:
    """The index Flask-Admin gives a filter, read from the list page as a browser would."""
    data = re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', listing, re.S).group(1)
    filters = json.loads(html.unescape(data))
    for entry in filters[column]:
        if entry["operation"] == operation:
            return str(entry["index"])
    raise AssertionError(f"no {operation} filter on {column}")


def test_a_manager_exports_only_the_rows_of_their_accounts(panel, login_as):
    manager = login_as("manager")
    mine = add_account("MINE", account_manager=manager)
    granted = add_account("GRANTED")
    db.session.add(ManagerAccess(user=manager, account=granted))
    others = add_account("OTHERS")
    add_invoice(mine, "INV-MINE", "10.00")
    add_invoice(granted, "INV-GRANTED", "20.00")
    add_invoice(others, "INV-OTHERS", "30.00")

    invoices = csv_rows(panel.get("/admin/invoice/export/csv/"))
    accounts = csv_rows(panel.get("/admin/account/export/csv/"))

    assert sorted(row[0] for row in invoices[1:]) == ["INV-GRANTED", "INV-MINE"]
    assert sorted(row[0] for row in accounts[1:]) == ["GRANTED", "MINE"]


def test_analysts_may_export_but_roles_without_export_get_403(app, panel, login_as):
    add_account("ACME")
    login_as("analyst")
    assert "ACME" in [row[0] for row in csv_rows(panel.get("/admin/account/export/csv/"))]
    assert panel.get("/admin/auditevent/export/csv/").status_code == 403  # not in their menu


def test_formula_like_text_is_neutralised_and_numbers_stay_numbers_in_xlsx(panel, login_as):
    login_as("admin")
    acme = add_account("ACME", name='=HYPERLINK("http://evil.test","x")', credit_limit=Decimal(5))
    add_invoice(acme, "INV-1", "1234.56", description="-2+3", due_date=dt.date(2026, 2, 1))

    response = panel.get("/admin/invoice/export/xlsx/")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header, row = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    record = dict(zip(header, row, strict=True))
    assert record["description"] == "'-2+3"
    assert record["amount"] == 1234.56 and isinstance(record["amount"], float)
    assert record["issue_date"].date() == dt.date(2026, 1, 1)
    assert record["disputed"] is False

    accounts = csv_rows(panel.get("/admin/account/export/csv/?search=ACME"))
    assert accounts[1][1] == '\'=HYPERLINK("http://evil.test","x")'
    assert accounts[1][accounts[0].index("credit_limit")] == "5.00"


def test_columns_hidden_from_the_role_are_not_exported(panel, login_as):
    login_as("admin")
    add_account("ACME", billing_phone="0113 496 0000")
    db.session.add(
        FormFieldRule(entity="Account", field="billing_phone", role="admin", hidden=True)
    )
    db.session.commit()

    header = csv_rows(panel.get("/admin/account/export/csv/"))[0]

    assert "billing_phone" not in header and "code" in header


def test_lists_of_other_models_export_their_list_columns(panel, login_as):
    login_as("super_admin")
    acme = add_account("ACME")
    add_payment(acme, "PAY-1", "10.00")
    make_user("manager", "priya@example.test")
    db.session.add(ManagerAccess(user_id=make_user("manager", "tom@example.test").id, account=acme))
    db.session.commit()

    rows = csv_rows(panel.get("/admin/manageraccess/export/csv/"))

    assert len(rows) == 2 and "tom@example.test" in ",".join(rows[1])


def test_a_list_export_is_streamed(panel, login_as):
    login_as("admin")
    acme = db.session.scalar(sa.select(Account).where(Account.code == "GUEST"))
    for number in range(1200):
        db.session.add(
            Invoice(
                number=f"INV-{number:05}", account=acme, issue_date=dt.date(2026, 1, 1),
                due_date=dt.date(2026, 1, 31), amount=Decimal("1.00"),
            )
        )  # fmt: skip
    db.session.commit()

    response = panel.client.get("/admin/invoice/export/csv/", buffered=False)

    assert response.is_streamed
    assert len(response.get_data(as_text=True).splitlines()) == 1201
