"""Custom fields travel through imports and exports as one column per key, typed and ruled."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account, CustomField, FormFieldRule
from tests.conftest import Panel
from tests.factories import add_account
from tests.test_import_panel import CONFIRM, upload


@pytest.fixture
def account_fields() -> None:
    db.session.add_all([
        CustomField(entity="Account", key="vat_number", label="VAT number", type="text"),
        CustomField(entity="Account", key="seats", label="Seats", type="number"),
        CustomField(entity="Account", key="renewal_on", label="Renewal on", type="date"),
    ])  # fmt: skip
    db.session.commit()


def import_through_panel(panel: Panel, content: bytes) -> str:
    page = upload(panel, "accounts", content).get_data(as_text=True)
    confirm = CONFIRM.search(page)
    return panel.post(confirm.group(1), {}).get_data(as_text=True) if confirm else page


def custom_values(code: str) -> dict:
    db.session.expire_all()
    return db.session.scalar(sa.select(Account.custom_fields).where(Account.code == code))


def test_custom_field_columns_are_imported_typed_and_merged_on_update(
    panel, login_as, account_fields
):
    login_as("admin")
    import_through_panel(
        panel, b"code,name,vat_number,seats,renewal_on\nACME,Acme,GB123,12,2027-01-31\n"
    )
    assert custom_values("ACME") == {"vat_number": "GB123", "seats": 12, "renewal_on": "2027-01-31"}

    import_through_panel(panel, b"code,seats\nACME,15\n")

    assert custom_values("ACME") == {"vat_number": "GB123", "seats": 15, "renewal_on": "2027-01-31"}


def test_bad_custom_values_and_unknown_columns_are_reported(panel, login_as, account_fields):
    login_as("admin")
    page = import_through_panel(
        panel, b"code,name,seats,renewal_on,colour\nACME,Acme,many,31/01/2027,red\n"
    )
    assert "Unknown column for accounts." in page
    page = import_through_panel(panel, b"code,name,seats,renewal_on\nACME,Acme,many,31/01/2027\n")
    assert "Seats must be a whole number." in page
    assert "Renewal on must be a date in the format YYYY-MM-DD." in page
    assert db.session.scalar(sa.select(Account).where(Account.code == "ACME")) is None


def test_a_custom_field_required_for_the_role_must_be_given(panel, login_as, account_fields):
    login_as("admin")
    db.session.add(FormFieldRule(entity="Account", field="vat_number", role="admin", required=True))
    db.session.commit()

    page = import_through_panel(panel, b"code,name\nNEW,New Co\n")
    assert "a new account needs vat_number." in page
    page = import_through_panel(panel, b"code,name,vat_number\nNEW,New Co,\n")
    assert "Required for your role (Configure Forms): a value is needed." in page


def test_custom_fields_round_trip_through_the_list_export(panel, login_as, account_fields):
    login_as("admin")
    add_account("ACME", custom_fields={"vat_number": "GB1", "seats": 3})

    exported = panel.get("/admin/account/export/csv/?search=ACME").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported)))
    header, acme = rows[0], rows[1]
    assert header[-3:] == ["renewal_on", "seats", "vat_number"]  # in the definitions' order
    assert acme[-3:] == ["", "3", "GB1"]

    acme[header.index("seats")] = "4"
    edited = io.StringIO()
    csv.writer(edited).writerows([header, acme])
    import_through_panel(panel, edited.getvalue().encode())

    assert custom_values("ACME") == {"vat_number": "GB1", "seats": 4, "renewal_on": None}
