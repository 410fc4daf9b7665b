"""The import preview (dry run) counts as updates only rows that change something, and shows
each change as old -> new."""

from __future__ import annotations

import re

from extensions import db
from models import CustomField
from tests.conftest import make_user
from tests.factories import add_account, add_invoice
from tests.test_import_panel import upload


def changes_shown(page: str) -> list[tuple[str, str, str]]:
    """(column, now, after) for each row of the preview's changes table."""
    table = re.search(r'data-testid="import-updates">(.*?)</table>', page, re.S)
    assert table, "no changes table"
    rows = re.findall(
        r"<td><strong>(.*?)</strong></td>\s*<td[^>]*><del>(.*?)</del></td>\s*<td[^>]*>&rarr;</td>"
        r"\s*<td>(.*?)</td>",
        table.group(1),
    )
    return rows


def test_only_rows_that_change_something_are_updates_and_each_change_shows_old_and_new(
    panel, login_as
) -> None:
    login_as("admin")
    kim = make_user("manager", "kim@example.test")
    add_account("ACME", name="Acme", payment_terms_days=30, credit_limit=500)
    add_account("BETA", name="Beta", account_manager=kim)
    add_account("GAMMA", name="Gamma")
    content = (
        b"code,name,payment_terms_days,credit_limit,account_manager_email\n"
        b"ACME,Acme Group,45,500.00,kim@example.test\n"  # three changes
        b"BETA,Beta,30,,kim@example.test\n"  # exactly as stored
        b"GAMMA,Gamma,30,,\n"  # exactly as stored
    )

    page = upload(panel, "accounts", content).get_data(as_text=True)

    assert "Dry run of 3 rows: it would create 0, update 1, leave 2 unchanged." in page
    assert sorted(changes_shown(page)) == [
        ("account_manager_email", "(blank)", "kim@example.test"),
        ("name", "Acme", "Acme Group"),
        ("payment_terms_days", "30", "45"),
    ]
    assert "credit_limit" not in str(changes_shown(page))  # 500.00 is what is stored


def test_a_file_repeating_what_is_stored_updates_nothing(panel, login_as) -> None:
    """Blank cells included: a custom field never set and left blank is no change."""
    login_as("admin")
    acme = add_account("ACME", name="Acme")
    add_invoice(acme, "INV-1", "120.50", description="Training")
    db.session.add(CustomField(entity="Invoice", key="po_number", label="PO number"))
    db.session.commit()
    content = (
        b"number,account_code,issue_date,due_date,amount,currency,status,disputed,description,"
        b"po_number\nINV-1,ACME,2026-01-01,2026-01-31,120.50,GBP,issued,false,Training,\n"
    )
    page = upload(panel, "invoices", content).get_data(as_text=True)

    assert "it would create 0, update 0, leave 1 unchanged." in page
    assert 'data-testid="import-updates"' not in page


def test_a_custom_field_change_shows_old_and_new(panel, login_as) -> None:
    login_as("admin")
    acme = add_account("ACME", name="Acme")
    add_invoice(acme, "INV-1", "120.50", custom_fields={"po_number": "PO-1"})
    db.session.add(CustomField(entity="Invoice", key="po_number", label="PO number"))
    db.session.commit()
    page = upload(panel, "invoices", b"number,po_number\nINV-1,PO-2\n").get_data(as_text=True)
    assert "update 1, leave 0 unchanged" in page
    assert changes_shown(page) == [("po_number", "PO-1", "PO-2")]
