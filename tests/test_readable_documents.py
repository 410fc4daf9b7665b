"""Documents read as documents: the statement is addressed, in its currency and numbered page by
page; report PDFs and pages label their columns; CSV and XLSX keep the documented column names
and offer a row of labels above them; e-mail addresses wrap at their "@" and dots."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader

from extensions import db
from models import FormFieldRule
from reports.pdf_document import WORD_BREAK, PanelPdf
from tests.factories import add_account, add_invoice, add_payment

AGING_COLUMNS = ["account_manager", "currency", "current", "days_1_30", "days_31_60",
                 "days_61_90", "days_over_90", "total", "unapplied_credit", "net_total",
                 "disputed", "open_invoices"]  # fmt: skip


def pdf_pages(content: bytes) -> list[str]:
    return [
        page.extract_text().replace(WORD_BREAK, "") for page in PdfReader(io.BytesIO(content)).pages
    ]


def test_statement_pdf_has_the_billing_address_currency_and_page_numbers(
    login_as, panel, today
) -> None:
    login_as("admin")
    acme = add_account("ACME", name="Acme Ltd", billing_address="1 High Street\nLeeds LS1 1AA")
    for number in range(60):  # enough activity for a second page
        add_invoice(acme, f"INV-{number:03}", "10.00", currency="EUR",
                    issue_date=today - dt.timedelta(days=20))  # fmt: skip
    add_payment(acme, "PAY-1", "15.00", payment_date=today - dt.timedelta(days=5))
    start = (today - dt.timedelta(days=30)).isoformat()

    response = panel.get(f"/admin/account/details/statement/pdf/?id={acme.id}&start={start}")
    pages = pdf_pages(response.data)

    assert response.status_code == 200 and len(pages) >= 2
    assert "1 High Street" in pages[0] and "Leeds LS1 1AA" in pages[0]
    assert "Currency: EUR" in pages[0]
    assert "Balance carried forward: EUR 585.00" in "".join(pages)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text


def test_statement_without_a_readable_address_prints_none(login_as, panel, today) -> None:
    db.session.add(FormFieldRule(entity="Account", field="billing_address", role="analyst",
                                 hidden=True))  # fmt: skip
    login_as("analyst")
    acme = add_account("ACME", billing_address="Secret Street 9")
    add_invoice(acme, "INV-1", "10.00", issue_date=today)

    pages = pdf_pages(panel.get(f"/admin/account/details/statement/pdf/?id={acme.id}").data)

    assert "Secret Street" not in "".join(pages) and "Currency: GBP" in pages[0]


def test_aging_pdf_and_page_name_columns_by_their_labels(login_as, panel, today) -> None:
    login_as("analyst")
    add_invoice(add_account("ACME"), "INV-1", "100.00", issue_date=today - dt.timedelta(days=80))

    text = pdf_pages(panel.get("/admin/reports/aging/manager/download/pdf").data)[0]
    page = panel.get("/admin/reports/aging/manager").get_data(as_text=True)

    for label in ("Days 1-30", "Over 90", "Unapplied credit", "Net total", "Open invoices"):
        assert label in text and label in page
    assert "days_over_90" not in text and "unapplied_credit" not in text
    assert "Page 1 of 1" in text


def test_csv_and_xlsx_keep_column_names_and_offer_a_label_row(login_as, panel, today) -> None:
    login_as("analyst")
    add_invoice(add_account("ACME"), "INV-1", "100.00", issue_date=today - dt.timedelta(days=80))
    url = "/admin/reports/aging/manager/download/{}"

    plain = list(csv.reader(io.StringIO(panel.get(url.format("csv")).get_data(as_text=True))))
    labelled_csv = panel.get(url.format("csv") + "?labels=1").get_data(as_text=True)
    labelled = list(csv.reader(io.StringIO(labelled_csv)))
    sheet = load_workbook(io.BytesIO(panel.get(url.format("xlsx") + "?labels=1").data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]

    assert plain[0] == AGING_COLUMNS  # the contract, untouched by default
    assert labelled[1] == AGING_COLUMNS and labelled[2:] == plain[1:]
    assert labelled[0][:4] == ["Account manager", "Currency", "Current", "Days 1-30"]
    assert rows[0][6] == "Over 90" and rows[1] == AGING_COLUMNS
    assert sheet.freeze_panes == "A3"
    page = panel.get("/admin/reports/aging/manager").get_data(as_text=True)
    assert 'data-testid="labelled-csv"' in page


def test_email_addresses_wrap_after_the_at_sign_and_before_dots() -> None:
    document = PanelPdf()
    document.add_page()
    document.set_font("DejaVu", "", 6)
    address = "margaret.hargreaves-smythe@accounts.northern-engineering.example"

    fitted, _lines = document.fitted(address, 36, 4)
    printed = document.multi_cell(36, 3, fitted, dry_run=True, output="LINES")  # as a cell prints

    parts = [line.replace(WORD_BREAK, "") for line in printed]
    assert len(parts) > 1 and "".join(parts) == address  # nothing lost, nothing cut
    for before, after in zip(parts, parts[1:], strict=False):
        assert before.endswith("@") or after.startswith("."), parts


def test_import_message_counts_problems_and_rows_apart(login_as, panel) -> None:
    login_as("admin")
    add_account("ACME")
    content = (
        b"number,account_code,issue_date,due_date,amount\n"
        b"INV-1,ACME,2026-01-01,2026-01-31,10.00\n"
        b"INV-2,NOPE,not-a-date,2026-01-31,-5\n"
    )
    response = panel.post(
        "/admin/import/preview",
        {"kind": "invoices", "file": (io.BytesIO(content), "invoices.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    page = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert "Nothing was imported: 3 problems in 1 row (of 2 data rows)." in page
