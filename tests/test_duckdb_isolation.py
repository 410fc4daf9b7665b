"""DuckDB reads a SQLite database from a process of its own, never beside the app's connections.

Its SQLite scanner carries another copy of the SQLite library; in the app's process, closing its
handle dropped the locks of the app's own connections, and another process then missed rows the
app had committed (a worker did not find its job). These tests read the aging report through
DuckDB, as a page does, then check what the process holds and what another process sees.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account
from tests.factories import add_account, add_invoice

MAPS = Path("/proc/self/maps")


@pytest.fixture
def aging_on_duckdb(app, login_as):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("DuckDB reads PostgreSQL over the network, in the app's process")
    app.config["AGING_ENGINE"] = "duckdb"
    yield login_as("analyst")
    app.config.pop("AGING_ENGINE")


def read_aging_page(panel, today: dt.date) -> str:
    add_invoice(add_account("ACME"), "INV-1", "125.00", due_date=today)
    page = panel.get("/admin/reports/aging/account").get_data(as_text=True)
    assert "ACME" in page and "125.00" in page
    return page


@pytest.mark.skipif(not MAPS.exists(), reason="reads the process's memory map (Linux)")
def test_the_apps_process_never_loads_duckdbs_sqlite_library(aging_on_duckdb, panel, today) -> None:
    read_aging_page(panel, today)
    assert "sqlite_scanner" not in MAPS.read_text()


def test_another_process_sees_what_the_app_commits_after_a_duckdb_report(
    aging_on_duckdb, panel, today
) -> None:
    read_aging_page(panel, today)
    for round_ in range(3):
        db.session.add(Account(code=f"LATER{round_}", name="Committed after the report"))
        db.session.commit()
        read_aging_page_again = panel.get("/admin/reports/aging/account")
        assert read_aging_page_again.status_code == 200
    database = db.engine.url.database
    counted = subprocess.run(
        [sys.executable, "-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1])"
         ".execute(\"select count(*) from accounts where code like 'LATER%'\").fetchone()[0])",
         database],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert counted.stdout.strip() == "3"
    assert db.session.scalar(sa.select(sa.func.count()).where(Account.code.like("LATER%"))) == 3


def test_a_duckdb_process_started_before_its_database_is_known_reads_the_first_asked_for(
    aging_on_duckdb, panel, today
) -> None:
    """The report command starts DuckDB's process before it builds the app; the first report
    attaches it, and no other process is started."""
    from reports import duckdb_reader

    duckdb_reader.forget_connections()
    duckdb_reader.start_duckdb_process()
    (started,) = duckdb_reader._unattached

    read_aging_page(panel, today)

    assert duckdb_reader._unattached == []
    assert list(duckdb_reader._connections.values()) == [started]


def test_a_duckdb_process_nobody_attached_ends_with_the_others(app) -> None:
    from reports import duckdb_reader

    duckdb_reader.start_duckdb_process()
    (started,) = duckdb_reader._unattached
    child = started._started()

    duckdb_reader.forget_connections()

    assert child.poll() is not None and duckdb_reader._unattached == []
