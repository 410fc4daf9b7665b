"""Large imports take faster paths; the database must end up exactly as a small import leaves it.

A large import drops the plain indexes of its table and builds them again before committing
(SQLite), checks whole columns of cells at once, and runs Python's cycle collector less often.
The thresholds are lowered here so a few thousand rows take those paths.
"""

from __future__ import annotations

import gc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import bulk_io.importing
import bulk_io.inserting
from extensions import db
from models import Invoice
from tests.factories import add_account
from tests.test_import_bad_input import INVOICE_HEADER, import_bytes
from tests.test_import_cli import table_dump

ROWS = 3000


@pytest.fixture
def large_import_paths(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Large-import paths from a few thousand rows; returns the indexes each import dropped."""
    monkeypatch.setattr(bulk_io.inserting, "REBUILD_INDEXES_FROM_ROWS", 1000)
    monkeypatch.setattr(bulk_io.importing, "BATCH_ROWS", 500)
    dropped: list[list[str]] = []
    drop = bulk_io.inserting.PlainIndexes.drop_if_worth_it

    def drop_and_note(self: Any, new_rows: int) -> None:
        drop(self, new_rows)
        dropped.append(list(self.dropped))

    monkeypatch.setattr(bulk_io.inserting.PlainIndexes, "drop_if_worth_it", drop_and_note)
    return dropped


def invoice_indexes() -> list[tuple[str, str]]:
    """Every index of the invoices table with its definition, as the database itself holds it."""
    if db.engine.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'invoices'"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'invoices'"
    return sorted(tuple(row) for row in db.session.execute(sa.text(query)))


def amount_of(n: int) -> str:
    return f"{n % 900 + 1}.{n % 100:02}"


def invoice_rows(count: int) -> list[str]:
    return [f"INV-{n:05},ACME,2026-01-01,,{amount_of(n)},,,,Course {n % 7}" for n in range(count)]


def test_a_large_import_builds_the_indexes_it_dropped_again_as_they_were(
    app, tmp_path: Path, large_import_paths: list[list[str]]
) -> None:
    add_account("ACME", payment_terms_days=10)
    indexes_before, collector_before = invoice_indexes(), gc.get_threshold()

    content = "\n".join([INVOICE_HEADER, *invoice_rows(ROWS)]).encode()
    result = import_bytes(app, tmp_path, "invoices", content)

    assert result.exit_code == 0, result.output
    assert f"Imported {ROWS} rows: create {ROWS}" in result.output
    if db.engine.dialect.name == "sqlite":
        assert large_import_paths and len(large_import_paths[0]) == 4  # the four plain indexes
    assert invoice_indexes() == indexes_before
    assert gc.get_threshold() == collector_before
    count, total = db.session.execute(sa.select(sa.func.count(), sa.func.sum(Invoice.amount))).one()
    assert count == ROWS
    assert total == sum(Decimal(amount_of(n)) for n in range(ROWS))
    last = db.session.scalar(sa.select(Invoice).where(Invoice.number == f"INV-{ROWS - 1:05}"))
    assert (last.due_date - last.issue_date).days == 10  # derived from the account's terms


def test_a_large_import_failing_late_keeps_its_rows_out_and_its_indexes(
    app, tmp_path: Path, large_import_paths: list[list[str]]
) -> None:
    add_account("ACME")
    indexes_before, before = invoice_indexes(), table_dump()

    rows = [*invoice_rows(ROWS), "INV-LAST,ACME,2026-01-01,,12.345,,,,"]
    result = import_bytes(app, tmp_path, "invoices", "\n".join([INVOICE_HEADER, *rows]).encode())

    assert result.exit_code == 1
    assert f"Row {ROWS + 2}, column amount (value '12.345'): More than 2 decimals" in result.output
    if db.engine.dialect.name == "sqlite":
        assert large_import_paths and len(large_import_paths[0]) == 4  # dropped, then rolled back
    assert table_dump() == before
    assert invoice_indexes() == indexes_before


def test_amounts_are_read_to_the_cent_and_add_up_exactly(app, tmp_path: Path) -> None:
    add_account("ACME")
    amounts = ["0.1", "0.2", "1234567890.12", "7", "+3.05"]
    rows = [f"INV-{n},ACME,2026-01-01,,{amount},,,," for n, amount in enumerate(amounts)]

    result = import_bytes(app, tmp_path, "invoices", "\n".join([INVOICE_HEADER, *rows]).encode())

    assert result.exit_code == 0, result.output
    stored = db.session.scalars(sa.select(Invoice.amount).order_by(Invoice.number)).all()
    assert stored == [Decimal(amount) for amount in amounts]
    first_two = sa.select(sa.func.sum(Invoice.amount)).where(Invoice.number.in_(["INV-0", "INV-1"]))
    assert db.session.scalar(first_two) == Decimal("0.30")


def test_a_key_repeated_batches_later_names_the_row_that_had_it_first(
    app, tmp_path: Path, large_import_paths: list[list[str]]
) -> None:
    add_account("ACME")
    before = table_dump()

    rows = [*invoice_rows(ROWS), "INV-00007,ACME,2026-02-01,,5.00,,,,"]
    result = import_bytes(app, tmp_path, "invoices", "\n".join([INVOICE_HEADER, *rows]).encode())

    assert result.exit_code == 1
    duplicate = f"Row {ROWS + 2}, column number (value 'INV-00007'): Duplicate key: row 9 has"
    assert duplicate in result.output
    assert table_dump() == before
