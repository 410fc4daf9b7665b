"""`flask import` and `flask export` from the command line: create, update, dry run, round trip."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa
from flask import Flask

from extensions import db
from models import Account, AuditEvent, CreditNote, Invoice, Payment, User
from tests.conftest import make_user
from tests.factories import add_account, add_invoice

RECORDS_OF_ATTEMPTS = {"jobs"}
"""Tables that record an import's attempt (its job), not the records it imports."""


def table_dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every record table, in key order: equal dumps mean untouched records."""
    db.session.commit()
    dump = {}
    for table in db.metadata.sorted_tables:
        if table.name in RECORDS_OF_ATTEMPTS:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        dump[table.name] = [
            tuple(row) for row in db.session.execute(table.select().order_by(*order))
        ]
    return dump


def run_cli(app: Flask, *args: str) -> Any:
    db.session.commit()
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_admin_imports_accounts_with_their_managers_and_an_audit_event(app, tmp_path):
    make_user("manager", "priya@example.test")
    path = write(
        tmp_path,
        "accounts.csv",
        "code,name,type,account_manager_email,payment_terms_days,credit_limit\n"
        "ACME,Acme Ltd,customer,Priya@Example.test,45,1500.50\n"
        "BIRCH,Birch Training,provider,,,\n",
    )
    result = run_cli(app, "import", "accounts", str(path))

    assert result.exit_code == 0, result.output
    assert "Imported 2 rows: create 2" in result.output
    acme = db.session.scalar(sa.select(Account).where(Account.code == "ACME"))
    assert acme.account_manager.email == "priya@example.test"
    assert (acme.payment_terms_days, acme.credit_limit) == (45, Decimal("1500.50"))
    birch = db.session.scalar(sa.select(Account).where(Account.code == "BIRCH"))
    assert (birch.type, birch.status, birch.payment_terms_days) == ("provider", "enabled", 30)
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import"))
    assert audit.entity == "Account" and audit.user_id is None
    assert audit.changes == {
        "file": "accounts.csv", "rows": 2, "created": 2, "updated": 0, "unchanged": 0
    }  # fmt: skip


def test_rows_whose_key_exists_update_that_record_and_bump_its_version(app, tmp_path):
    account = add_account("ACME")
    invoice = add_invoice(account, "INV-1", "100.00", description="old")
    path = write(
        tmp_path,
        "invoices.csv",
        "number,amount,description\nINV-1,120.00,corrected\n",
    )
    result = run_cli(app, "import", "invoices", str(path))

    assert result.exit_code == 0, result.output
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.amount, invoice.description, invoice.version_id) == (
        Decimal("120.00"),
        "corrected",
        2,
    )
    assert invoice.issue_date == dt.date(2026, 1, 1)  # columns not in the file are left alone


def test_new_invoice_without_due_date_gets_the_accounts_payment_terms(app, tmp_path):
    add_account("ACME", payment_terms_days=14)
    path = write(
        tmp_path,
        "invoices.csv",
        "number,account_code,issue_date,amount\nINV-9,ACME,2026-03-01,99.99\n",
    )
    assert run_cli(app, "import", "invoices", str(path)).exit_code == 0
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.number == "INV-9"))
    assert invoice.due_date == dt.date(2026, 3, 15)
    assert (invoice.currency, invoice.status, invoice.disputed) == ("GBP", "issued", False)


def test_dry_run_reports_what_would_happen_and_writes_nothing(app, tmp_path):
    add_account("ACME")
    path = write(
        tmp_path, "inv.csv", "number,account_code,issue_date,amount\nI1,ACME,2026-01-05,5\n"
    )
    before = table_dump()

    result = run_cli(app, "import", "invoices", str(path), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Dry run of 1 rows: it would create 1" in result.output
    assert table_dump() == before


def test_every_bad_row_is_reported_with_exit_status_1_and_nothing_is_written(app, tmp_path):
    account = add_account("ACME")
    add_invoice(account, "INV-OLD", "10.00")
    make_user("manager", "priya@example.test")
    path = write(
        tmp_path,
        "invoices.csv",
        "number,account_code,issue_date,due_date,amount,disputed\n"
        "INV-1,ACME,2026-01-01,2026-01-31,100.00,no\n"  # good, but the file fails as a whole
        "INV-2,NOPE,2026-01-01,,100.00,\n"
        "INV-3,ACME,31/01/2026,,100.00,\n"
        "INV-4,ACME,2026-01-01,,-5.00,\n"
        "INV-1,ACME,2026-01-01,,1.00,\n"
        "INV-5,ACME,2026-01-01,,1.005,maybe\n"
        "INV-6,ACME,2026-02-01,2026-01-01,1.00,\n"
        "INV-OLD,ACME,2026-01-01,,0,\n",
    )
    before = table_dump()

    result = run_cli(app, "import", "invoices", str(path))

    assert result.exit_code == 1
    expected = [
        "Row 3, column account_code (value 'NOPE'): Unknown account code.",
        "Row 4, column issue_date (value '31/01/2026'): Not a date in the expected format "
        "YYYY-MM-DD",
        "Row 5, column amount (value '-5.00'): The amount must be greater than zero.",
        "Row 6, column number (value 'INV-1'): Duplicate key: row 2 has the same number.",
        "Row 7, column amount (value '1.005'): More than 2 decimals",
        "Row 7, column disputed (value 'maybe'): Not a yes/no value",
        "Row 8, column due_date (value '2026-01-01'): The due date cannot be before the issue",
        "Row 9, column amount (value '0'): The amount must be greater than zero.",
    ]
    for line in expected:
        assert line in result.output
    assert "Nothing was imported: 8 problems in 7 rows (of 8 data rows)." in result.output
    assert table_dump() == before


def test_unknown_manager_email_and_unknown_group_are_refused(app, tmp_path):
    make_user("analyst", "ann@example.test")  # not someone who can manage accounts
    path = write(
        tmp_path,
        "accounts.csv",
        "code,name,account_manager_email,account_group\nACME,Acme,ann@example.test,Nowhere\n",
    )
    result = run_cli(app, "import", "accounts", str(path))

    assert result.exit_code == 1
    assert "column account_manager_email (value 'ann@example.test'): Unknown manager e-mail" in (
        result.output
    )
    assert "column account_group (value 'Nowhere'): Unknown account group." in result.output


def test_a_new_record_missing_a_required_column_is_refused_but_updates_need_only_the_key(
    app, tmp_path
):
    add_account("ACME", name="Acme")
    path = write(tmp_path, "accounts.csv", "code,billing_phone\nACME,0113 496 0000\nNEW,1\n")
    result = run_cli(app, "import", "accounts", str(path))

    assert result.exit_code == 1
    assert "Row 3, column name: Missing required column: a new account needs name." in (
        result.output
    )
    assert "Row 2" not in result.output


def test_unknown_and_missing_key_columns_are_reported_against_the_header(app, tmp_path):
    path = write(tmp_path, "accounts.csv", "name,colour\nAcme,red\n")
    result = run_cli(app, "import", "accounts", str(path))

    assert result.exit_code == 1
    assert "Row 1, column colour (value 'colour'): Unknown column for accounts." in result.output
    assert "Row 1, column code: Missing required column: every row needs its key, code." in (
        result.output
    )


def test_payments_and_credit_notes_refer_to_invoices_of_the_same_account(app, tmp_path):
    acme, birch = add_account("ACME"), add_account("BIRCH")
    add_invoice(acme, "INV-1", "100.00")
    payments = write(
        tmp_path,
        "payments.csv",
        "reference,account_code,invoice_number,payment_date,amount,method\n"
        "PAY-1,ACME,INV-1,2026-01-10,60.00,card\n"
        "PAY-2,BIRCH,,2026-01-11,10.00,\n",
    )
    assert run_cli(app, "import", "payments", str(payments)).exit_code == 0
    notes = write(
        tmp_path,
        "notes.csv",
        "number,account_code,invoice_number,issue_date,amount,reason\n"
        "CN-1,BIRCH,INV-1,2026-01-12,5.00,Wrong account\n",
    )
    result = run_cli(app, "import", "credit-notes", str(notes))

    assert result.exit_code == 1
    assert "column invoice_number (value 'INV-1'): This invoice belongs to another account." in (
        result.output
    )
    paid = {p.reference: (p.account_id, p.invoice_id, p.method) for p in Payment.query.all()}
    assert paid["PAY-1"][0] == acme.id and paid["PAY-1"][2] == "card"
    assert paid["PAY-2"] == (birch.id, None, "bank_transfer")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CreditNote)) == 0


def test_users_import_normalises_emails_and_links_their_employer(app, tmp_path):
    add_account("ACME")
    path = write(
        tmp_path,
        "users.csv",
        "email,first_name,last_name,role,account_code\nJo@Acme.TEST,Jo,Bloggs,,ACME\n",
    )
    assert run_cli(app, "import", "users", str(path)).exit_code == 0
    jo = db.session.scalar(sa.select(User).where(User.email == "jo@acme.test"))
    assert (jo.role, jo.account.code, jo.password_hash) == ("individual", "ACME", None)


def test_export_edit_import_round_trip_assigns_account_managers(app, tmp_path):
    """The seed's workflow: export the accounts, add an Account Manager column, import it back."""
    make_user("manager", "priya@example.test")
    add_account("ACME", credit_limit=Decimal("2500.00"))
    add_account("BIRCH")
    exported = tmp_path / "accounts.xlsx"
    assert run_cli(app, "export", "accounts", str(exported)).exit_code == 0

    workbook = openpyxl.load_workbook(exported)
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    manager_column = header.index("account_manager_email") + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 1).value in ("ACME", "BIRCH"):
            sheet.cell(row, manager_column).value = "priya@example.test"
    workbook.save(exported)
    result = run_cli(app, "import", "accounts", str(exported))

    assert result.exit_code == 0, result.output
    assert "update 2, leave 1 unchanged" in result.output  # the guest account is unchanged
    managed = db.session.scalars(
        sa.select(Account.code).join(Account.account_manager).order_by(Account.code)
    )
    assert list(managed) == ["ACME", "BIRCH"]
    assert db.session.scalar(sa.select(Account.credit_limit).where(Account.code == "ACME")) == (
        Decimal("2500.00")
    )


def test_exported_csv_imports_back_unchanged(app, tmp_path):
    account = add_account("ACME", billing_address='=HYPERLINK("http://evil")')
    add_invoice(account, "INV-1", "10.50", disputed=True, description="+ tax")
    for kind in ("accounts", "invoices"):
        exported = tmp_path / f"{kind}.csv"
        assert run_cli(app, "export", kind, str(exported)).exit_code == 0
        before = table_dump()
        result = run_cli(app, "import", kind, str(exported))
        assert result.exit_code == 0, result.output
        assert "create 0, update 0" in result.output
        after = table_dump()
        assert len(after.pop("audit_events")) == len(before.pop("audit_events")) + 1
        assert after == before
