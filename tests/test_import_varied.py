"""Varied invoices go in exactly as written, whichever way the database is written to.

PostgreSQL receives an import's new rows through COPY and SQLite through INSERTs; both must store
every cell exactly (money to the cent, text with tabs, backslashes, line breaks and formula-like
starts unchanged, a blank description as no description), export back to a file that imports
as "nothing to change", and keep an import all or nothing when the database itself refuses a row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

import bulk_io.importing
from bulk_io.importing import DATABASE_REFUSED
from bulk_io.references import ExistingRecords
from extensions import db
from models import Invoice
from tests.factories import add_account, add_invoice
from tests.test_import_bad_input import INVOICE_HEADER, import_bytes
from tests.test_import_cli import run_cli, table_dump

TRICKY_TEXTS = [
    "",
    "Réparation — lot 5, «urgent»",
    'Licence "Pro", seat 3',
    "tab\there",
    "back\\slash and \\N and \\t",
    "two\nlines",
    "=SUM(A1:A9)",
    "+44 20 7946 0000",
    "-5 discount",
    "@mention",
    "\\.",
]
"""Descriptions that a COPY stream or a spreadsheet could misread."""


def varied_file() -> tuple[str, list[list[str]]]:
    rows = []
    for n, text in enumerate(TRICKY_TEXTS):
        issued = dt.date(2026, 1, 1) + dt.timedelta(days=37 * n)
        rows.append(
            [
                f"INV-{(n * 7919) % 1000:04}",  # gaps, out of order
                ("ACME", "GLOBEX")[n % 2],
                issued.isoformat(),
                (issued + dt.timedelta(days=(0, 14, 30, 90)[n % 4])).isoformat(),
                ("0.01", "1.10", "9999999999.99", "123.45", "7")[n % 5],
                ("GBP", "EUR", "USD", "CHF")[n % 4],
                ("issued", "draft", "void")[n % 3],
                ("true", "false")[n % 2],
                text,
            ]
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(INVOICE_HEADER.split(","))
    writer.writerows(rows)
    return out.getvalue(), rows


def test_varied_invoices_are_stored_exactly_and_export_back_unchanged(app, tmp_path: Path) -> None:
    add_account("ACME")
    add_account("GLOBEX")
    content, rows = varied_file()

    result = import_bytes(app, tmp_path, "invoices", content.encode())

    assert result.exit_code == 0, result.output
    assert f"create {len(rows)}, update 0" in result.output
    stored = {invoice.number: invoice for invoice in db.session.scalars(sa.select(Invoice)).all()}
    assert len(stored) == len(rows)
    for number, code, issued, due, amount, currency, status, disputed, text in rows:
        invoice = stored[number]
        assert invoice.account.code == code
        assert (invoice.issue_date.isoformat(), invoice.due_date.isoformat()) == (issued, due)
        assert invoice.amount == Decimal(amount) and isinstance(invoice.amount, Decimal)
        assert (invoice.currency, invoice.status) == (currency, status)
        assert invoice.disputed is (disputed == "true")
        assert invoice.description == (text or None)
        assert invoice.custom_fields == {} and invoice.version_id == 1

    exported = tmp_path / "exported.csv"
    assert run_cli(app, "export", "invoices", str(exported)).exit_code == 0
    cells = {row[0]: row for row in csv.reader(exported.open(encoding="utf-8-sig"))}
    assert cells["INV-0514"][-1] == "'=SUM(A1:A9)"  # neutralised in the file, not in the table
    before = table_dump()
    again = run_cli(app, "import", "invoices", str(exported))
    assert again.exit_code == 0, again.output
    assert f"create 0, update 0, leave {len(rows)} unchanged" in again.output
    after = table_dump()
    after.pop("audit_events"), before.pop("audit_events")
    assert after == before


def test_a_row_the_database_refuses_when_written_leaves_every_batch_out(
    app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key taken between the check and the write (here: the check is made to miss it) is
    refused by the database; the batches already written are rolled back with it."""
    acme = add_account("ACME")
    add_invoice(acme, "INV-TAKEN", "5.00")
    monkeypatch.setattr(bulk_io.importing, "BATCH_ROWS", 2)
    monkeypatch.setattr(ExistingRecords, "by_key", lambda self, keys: ({}, set()))
    before = table_dump()
    rows = [f"INV-{n},ACME,2026-01-01,,10.00,,,," for n in range(4)] + [
        "INV-TAKEN,ACME,2026-01-01,,10.00,,,,"
    ]

    result = import_bytes(app, tmp_path, "invoices", "\n".join([INVOICE_HEADER, *rows]).encode())

    assert result.exit_code == 1
    assert DATABASE_REFUSED.split(" (")[0] in result.output
    assert table_dump() == before
