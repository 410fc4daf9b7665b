"""Files the importer must survive: each is refused with a clear reason, or read correctly."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from extensions import db
from models import Account, Invoice
from tests.factories import add_account
from tests.test_import_cli import run_cli, table_dump

INVOICE_HEADER = (
    "number,account_code,issue_date,due_date,amount,currency,status,disputed,description"
)


def import_bytes(app, tmp_path: Path, kind: str, content: bytes, name: str = "file.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return run_cli(app, "import", kind, str(path))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "The file is empty: the first row must name the columns."),
        (b"\n\n", "The file is empty: the first row must name the columns."),
        (b"code,name\n", "The file has a header row but no data rows."),
        (b"code;name\nACME;Acme\n", 'The columns are separated by ";"; they must be separated'),
        (b"code\tname\nACME\tAcme\n", "The columns are separated by tab; they must be separated"),
        (b"code,name\nACM\xc9,Soci\xe9t\xe9\n", "line 2 has the byte 0xc9, which is not UTF-8"),
        (b"code,name\nACME,Acme,extra\n", "Row 2 (value 'extra'): Too many values"),
        (b'code,name\nACME,"Acme\n', "cannot be read as CSV"),
    ],
    ids=[
        "empty",
        "blank-lines",
        "header-only",
        "semicolons",
        "tabs",
        "latin-1",
        "too-many-columns",
        "unclosed-quote",
    ],
)
def test_bad_files_are_refused_with_a_reason_and_change_nothing(app, tmp_path, content, reason):
    before = table_dump()
    result = import_bytes(app, tmp_path, "accounts", content)

    assert result.exit_code == 1
    assert reason in result.output
    assert "Nothing was imported" in result.output
    assert table_dump() == before


def test_utf8_with_a_byte_order_mark_is_read_as_utf8(app, tmp_path):
    content = "code,name\nCAFE,Café Ünïcode\n".encode("utf-8-sig")
    result = import_bytes(app, tmp_path, "accounts", content)

    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Account.name).where(Account.code == "CAFE")) == (
        "Café Ünïcode"
    )


def test_header_names_ignore_case_and_spaces_and_trailing_empty_columns(app, tmp_path):
    result = import_bytes(app, tmp_path, "accounts", b" Code , NAME ,,\nACME,Acme,,\n")
    assert result.exit_code == 0, result.output


def test_dates_in_another_format_name_the_expected_iso_format(app, tmp_path):
    add_account("ACME")
    content = f"{INVOICE_HEADER}\nI1,ACME,2026/01/31,,10,,,,\nI2,ACME,2026-02-30,,10,,,,\n"
    result = import_bytes(app, tmp_path, "invoices", content.encode())

    assert result.exit_code == 1
    assert "Row 2, column issue_date (value '2026/01/31'): Not a date in the expected format " in (
        result.output
    )
    assert "YYYY-MM-DD" in result.output
    assert "Row 3, column issue_date (value '2026-02-30'): Not a real date" in result.output


def test_formula_like_cells_are_stored_as_text_and_exported_neutralised(app, tmp_path):
    add_account("ACME")
    content = (
        f"{INVOICE_HEADER}\n"
        'I1,ACME,2026-01-01,,10.00,,,,"=HYPERLINK(""http://evil.test"",""Click"")"\n'
        "I2,ACME,2026-01-01,,10.00,,,,@SUM(A1)\n"
    )
    assert import_bytes(app, tmp_path, "invoices", content.encode()).exit_code == 0
    stored = db.session.scalar(sa.select(Invoice.description).where(Invoice.number == "I1"))
    assert stored == '=HYPERLINK("http://evil.test","Click")'

    exported = tmp_path / "out.csv"
    assert run_cli(app, "export", "invoices", str(exported)).exit_code == 0
    text = exported.read_text(encoding="utf-8")
    assert '"\'=HYPERLINK(""http://evil.test"",""Click"")"' in text
    assert "'@SUM(A1)" in text
    workbook_path = tmp_path / "out.xlsx"
    assert run_cli(app, "export", "invoices", str(workbook_path)).exit_code == 0
    sheet = openpyxl.load_workbook(workbook_path).active
    descriptions = [row[8] for row in sheet.iter_rows(min_row=2, values_only=True)]
    amounts = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert descriptions == ['\'=HYPERLINK("http://evil.test","Click")', "'@SUM(A1)"]
    assert all(isinstance(amount, int | float) for amount in amounts)  # numbers stay numbers


def test_an_xlsx_formula_is_read_as_its_text_never_evaluated(app, tmp_path):
    add_account("ACME")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["number", "account_code", "issue_date", "amount", "description"])
    sheet.append(["I1", "ACME", "2026-01-01", 12.5, '=HYPERLINK("http://evil.test")'])
    sheet.append(["I2", "ACME", "2026-01-01", "=2*3", "plain"])
    path = tmp_path / "invoices.xlsx"
    workbook.save(path)

    result = run_cli(app, "import", "invoices", str(path))

    assert result.exit_code == 1
    assert "Row 3, column amount (value '=2*3'): Not an amount" in result.output
    sheet.delete_rows(3)
    workbook.save(path)
    assert run_cli(app, "import", "invoices", str(path)).exit_code == 0
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.number == "I1"))
    assert invoice.description == '=HYPERLINK("http://evil.test")'
    assert invoice.amount == Decimal("12.50")


def test_a_file_that_is_not_a_workbook_but_looks_like_one_is_refused(app, tmp_path):
    result = import_bytes(app, tmp_path, "accounts", b"PK\x03\x04 not really a zip", "x.xlsx")
    assert result.exit_code == 1
    assert "The file is not a readable XLSX workbook." in result.output


def test_a_failure_late_in_a_large_file_leaves_the_database_exactly_as_it_was(app, tmp_path):
    """Earlier batches were written inside the transaction; the bad last row rolls them back."""
    add_account("ACME")
    rows = [f"INV-{n},ACME,2026-01-01,,{n % 500 + 1}.25,,,,Course" for n in range(25_000)]
    rows.append("INV-LAST,ACME,2026-01-01,,12.345,,,,")
    before = table_dump()

    content = "\n".join([INVOICE_HEADER, *rows]).encode()
    assert len(content) > 1024 * 1024  # large enough for the progress bar
    result = import_bytes(app, tmp_path, "invoices", content)

    assert result.exit_code == 1
    assert "Importing file.csv" in result.output
    assert "Row 25002, column amount (value '12.345'): More than 2 decimals" in result.output
    assert table_dump() == before
