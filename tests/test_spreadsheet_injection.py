"""Text users typed cannot run as a formula in any CSV or XLSX the panel writes: not at the start
of a cell, and not after a line break inside one (a lone CR used to end the row in report CSVs,
so `=cmd...` started a row of its own)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from extensions import db
from models import Account, Award, FollowUpAction, Note
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice
from tests.test_import_cli import run_cli
from tests.test_import_panel import ERRORS, upload
from tests.test_training_bookings import add_course_date, add_employee

PAYLOAD = "Acme\r=cmd|' /C calc'!A0"
"""The attack: an account name whose CR used to start a row with a live formula."""
LINES = "Called\n+SUM(1,2)\r\n-2+3\n@A1\r\r=1+1\tend"
"""Every line break (LF, CRLF, CR, CR CR) followed by every formula start."""
EMAIL = "+mo@example.test"
"""An e-mail the form accepts that starts with a formula character."""


@pytest.fixture
def typed_formulas(today) -> Account:
    manager = make_user("manager", EMAIL)
    account = add_account("ACME", name=PAYLOAD, account_manager=manager)
    overdue = {
        "issue_date": today - dt.timedelta(days=70),
        "due_date": today - dt.timedelta(days=40),
    }
    add_invoice(account, "INV-1", "100.00", description=LINES, **overdue)
    employee = add_employee(account, "ann@acme.test")
    employee.first_name = PAYLOAD
    course = add_course_date(today, "FA").course
    db.session.add_all(
        [
            Note(account=account, body=LINES),
            FollowUpAction(account=account, due_date=today, description=LINES),
            Award(user=employee, course=course, achieved_on=today - dt.timedelta(days=1)),
        ]
    )
    db.session.commit()
    return account


def rows_of(text: str) -> list[list[str]]:
    """The CSV as a spreadsheet reads it (the csv module ends a row at an unquoted CR or LF)."""
    return list(csv.reader(io.StringIO(text, newline="")))


def as_typed(cell: str) -> str:
    """The cell without the `'` put before each line that would start a formula."""
    return re.sub(r"(^|[\r\n])'", r"\1", cell)


def assert_every_row_whole_and_no_formula(rows: list[list[str]], records: int) -> None:
    assert len(rows) == 1 + records
    assert all(len(row) == len(rows[0]) for row in rows)
    for row in rows:
        for cell in row:
            assert not re.search(r"[\r\n][=+\-@]", cell), cell


def cell_typed_as(rows: list[list[str]], typed: str) -> str:
    matches = [cell for row in rows for cell in row if as_typed(cell) == typed]
    assert matches, f"{typed!r} is not in the file intact"
    return matches[0]


@pytest.mark.parametrize(
    ("url", "records", "typed"),
    [
        ("/admin/reports/aging/manager/download/csv", 2, EMAIL),
        ("/admin/reports/aging/account/download/csv", 2, PAYLOAD),
        ("/admin/reports/period/actions/download/csv", 2, EMAIL),
        ("/admin/reports/period/credit/download/csv", 1, PAYLOAD),
        ("/admin/reports/period/collections/download/csv", 2, EMAIL),
        ("/admin/account/export/csv/", 2, PAYLOAD),  # with the guest account
        ("/admin/invoice/export/csv/", 1, LINES),
        ("/admin/note/export/csv/", 1, LINES),
        ("/admin/followupaction/export/csv/", 1, LINES),
        ("/admin/user/export/csv/?search=ann", 1, PAYLOAD),
        ("/admin/account/details/export/notes/csv/?id={id}", 1, LINES),
        ("/admin/account/details/export/invoices/csv/?id={id}", 1, LINES),
        ("/admin/awards/export/csv", 1, PAYLOAD),
    ],
)
def test_csv_downloads_keep_typed_line_breaks_inside_one_quoted_and_neutralised_cell(
    url: str, records: int, typed: str, typed_formulas: Account, login_as, panel: Panel
) -> None:
    login_as("super_admin")
    response = panel.get(url.format(id=typed_formulas.id))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = rows_of(response.get_data(as_text=True))
    assert_every_row_whole_and_no_formula(rows, records)
    cell = cell_typed_as(rows, typed)
    assert not cell.startswith(("=", "+", "-", "@"))


def test_the_import_error_report_neutralises_the_values_it_quotes(login_as, panel: Panel) -> None:
    login_as("admin")
    content = "code,name,payment_terms_days\r\nNEW,New Co,\"30\r=cmd|' /C calc'!A0\"\r\n"
    preview = upload(panel, "accounts", content.encode(), "accounts.csv")
    report = panel.get(ERRORS.search(preview.get_data(as_text=True)).group(1))
    rows = rows_of(report.get_data(as_text=True))
    assert_every_row_whole_and_no_formula(rows, 1)
    assert rows[1][:3] == ["2", "payment_terms_days", "30\r'=cmd|' /C calc'!A0"]


def test_the_command_line_export_round_trips_neutralised_text(
    app, tmp_path, typed_formulas: Account
) -> None:
    typed_formulas.account_manager = None  # an e-mail starting with "+" does not import back
    db.session.commit()
    exported = tmp_path / "accounts.csv"
    assert run_cli(app, "export", "accounts", str(exported)).exit_code == 0
    with exported.open(encoding="utf-8", newline="") as written:
        rows = rows_of(written.read())
    assert_every_row_whole_and_no_formula(rows, 2)
    assert cell_typed_as(rows, PAYLOAD) == "Acme\r'=cmd|' /C calc'!A0"
    result = run_cli(app, "import", "accounts", str(exported))
    assert result.exit_code == 0, result.output
    assert db.session.get(Account, typed_formulas.id).name == PAYLOAD


@pytest.mark.parametrize(
    ("url", "typed"),
    [
        ("/admin/reports/aging/account/download/xlsx", PAYLOAD),
        ("/admin/account/export/xlsx/", PAYLOAD),
        ("/admin/note/export/xlsx/", LINES),
        ("/admin/account/details/export/notes/xlsx/?id={id}", LINES),
        ("/admin/awards/export/xlsx", PAYLOAD),
    ],
)
def test_xlsx_downloads_hold_typed_text_as_neutralised_strings(
    url: str, typed: str, typed_formulas: Account, login_as, panel: Panel
) -> None:
    login_as("super_admin")
    response = panel.get(url.format(id=typed_formulas.id))
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    as_xml_reads_it = re.sub(r"\r\n?", "\n", typed)  # XML reads every line end as LF
    typed_cells = [cell for cell in cells if as_typed(cell.value) == as_xml_reads_it]
    assert typed_cells and all(cell.data_type == "s" for cell in cells)
    assert not any(re.search(r"(^|[\r\n])[=+\-@]", cell.value) for cell in typed_cells)


def test_control_characters_a_worksheet_cannot_hold_do_not_break_an_xlsx_export(
    typed_formulas: Account, login_as, panel: Panel
) -> None:
    db.session.add(Note(account=typed_formulas, body="bell\x07 escape\x1b"))
    db.session.commit()
    login_as("admin")
    response = panel.get("/admin/note/export/xlsx/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    bodies = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "bell\ufffd escape\ufffd" in bodies
