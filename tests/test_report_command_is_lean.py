"""`flask report aging` loads what its output needs and no more: no admin views for a command
line, openpyxl only for an XLSX, fpdf and matplotlib only for a PDF, Alembic never, and for
`--help` not even the app (no models, no SQLAlchemy ORM, no pandas).

Run in a fresh process, as a user runs it; Python's `-X importtime` lists every module loaded.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import add_account, add_invoice

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("flask_admin", "admin_views", "openpyxl", "fpdf", "matplotlib", "pandas", "alembic")
THE_APP = ("app", "models", "sqlalchemy", "flask_sqlalchemy", "duckdb")


def modules_loaded_by(app, *arguments: str, among: tuple[str, ...] = HEAVY) -> set[str]:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    command = [sys.executable, "-X", "importtime", "-m", "flask", "--app", "app", *arguments]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DATABASE_URL": url})  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = re.findall(r"^import time:.*\|\s*([\w.]+)$", done.stderr, flags=re.MULTILINE)
    return {name.split(".")[0] for name in loaded} & set(among)


@pytest.fixture
def ledger(app) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the modules a command loads do not depend on the database")
    add_invoice(add_account("A1"), "I-1", "10.00", issue_date=dt.date(2026, 3, 1))


def test_help_loads_no_page_spreadsheet_pdf_chart_or_pandas(app, ledger) -> None:
    assert modules_loaded_by(app, "report", "aging", "--help") == set()


def test_help_and_a_refused_option_answer_without_building_the_app(app, ledger) -> None:
    assert modules_loaded_by(app, "report", "aging", "--help", among=THE_APP) == set()
    command = [sys.executable, "-m", "flask", "--app", "app", "report", "aging", "--as-of", "31/3"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "'31/3' is not a date in the form YYYY-MM-DD" in done.stderr


def test_a_csv_report_loads_pandas_and_nothing_for_pages_sheets_or_pdfs(
    app, ledger, tmp_path
) -> None:
    output = str(tmp_path / "aging.csv")
    loaded = modules_loaded_by(app, "report", "aging", "--as-of", "2026-03-31", "--output", output)
    assert loaded == {"pandas"}


def test_an_xlsx_report_loads_openpyxl_and_a_pdf_loads_fpdf_and_matplotlib(
    app, ledger, tmp_path
) -> None:
    as_of = ["report", "aging", "--as-of", "2026-03-31", "--output"]
    assert modules_loaded_by(app, *as_of, str(tmp_path / "a.xlsx")) == {"pandas", "openpyxl"}
    pdf = modules_loaded_by(app, *as_of, str(tmp_path / "a.pdf"))
    assert pdf == {"pandas", "fpdf", "matplotlib"}
