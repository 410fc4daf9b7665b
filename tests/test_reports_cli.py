"""`flask report aging` as a user runs it: files by extension, and clear refusals of bad input."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from tests.factories import add_account, add_invoice


def run(app, *options: str):
    return app.test_cli_runner().invoke(args=["report", "aging", *options])


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (["--as-of", "2026-02-30"], "'2026-02-30' is not a date in the form YYYY-MM-DD"),
        (["--as-of", "31/03/2026"], "is not a date in the form YYYY-MM-DD"),
        (["--buckets", "30,sixty"], "whole numbers of days separated by commas"),
        (["--buckets", "60,30"], "in increasing order"),
        (["--buckets", "0,30"], "above 0"),
        (["--by", "region"], "'region' is not one of"),
        (["--basis", "paid"], "'paid' is not one of"),
        (["--output", "aging.txt"], "the file must end in .csv, .xlsx, .pdf"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_reason(app, options: list[str], reason: str) -> None:
    result = run(app, *options)
    assert result.exit_code != 0
    assert reason in result.output


def test_as_of_defaults_to_today(app, today) -> None:
    account = add_account("A1")
    add_invoice(account, "I-1", "5.00", issue_date=today, due_date=today)
    lines = run(app).stdout.splitlines()
    assert lines[1].startswith("(unassigned),GBP,5.00,")


def test_output_files_by_extension(app, tmp_path) -> None:
    add_invoice(add_account("A1"), "I-1", "1234.56", issue_date=dt.date(2026, 1, 1))
    as_of = ["--as-of", "2026-03-31", "--by", "account"]
    csv_file, xlsx_file, pdf_file = (tmp_path / f"aging.{kind}" for kind in ("csv", "xlsx", "pdf"))
    assert run(app, *as_of, "--output", str(csv_file)).exit_code == 0
    assert csv_file.read_text().splitlines()[1].startswith("A1,A1 Ltd,(unassigned),GBP,0.00,")
    assert run(app, *as_of, "--output", str(xlsx_file)).exit_code == 0
    sheet = openpyxl.load_workbook(xlsx_file).active
    assert [cell.value for cell in sheet[3]][:4] == ["TOTAL", None, None, "GBP"]
    assert sheet["J3"].value == pytest.approx(1234.56)
    assert run(app, *as_of, "--output", str(pdf_file)).exit_code == 0
    assert pdf_file.read_bytes().startswith(b"%PDF")
