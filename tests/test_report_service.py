"""A running worker makes `flask report aging`'s file, the same file the command makes itself;
where no worker can, the command makes it, and says why when a worker refused."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest

import reports.command_line
from reports.command_line import AgingRequest
from reports.report_service import (
    made_by_worker,
    new_socket_path,
    serving_reports,
    worker_sockets,
)
from tests.factories import add_account, add_invoice, add_payment
from tests.job_helpers import start_worker_process

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AS_OF = ["--as-of", "2026-03-31"]


@pytest.fixture
def ledger() -> None:
    first, second = add_account("A1"), add_account("A2")
    add_invoice(first, "I-1", "1234.56", issue_date=dt.date(2026, 1, 1))
    add_invoice(first, "I-2", "80.00", issue_date=dt.date(2026, 3, 20))
    paid = add_invoice(second, "I-3", "500.00", issue_date=dt.date(2026, 2, 1))
    add_payment(second, "P-1", "120.25", invoice=paid, payment_date=dt.date(2026, 3, 1))


@pytest.fixture
def made_here(monkeypatch) -> list[str]:
    """The reports the command made itself (not a worker), by their request's grouping."""
    calls: list[str] = []
    make_it = reports.command_line._made_here

    def counted(info, request):
        calls.append(request.grouping)
        return make_it(info, request)

    monkeypatch.setattr(reports.command_line, "_made_here", counted)
    return calls


def run(app, *options: str):
    return app.test_cli_runner().invoke(args=["report", "aging", *options])


def test_a_running_worker_makes_the_same_csv_the_command_makes(app, ledger, made_here) -> None:
    for grouping in ("account-manager", "account"):
        made_by_the_command = run(app, *AS_OF, "--by", grouping).stdout
        with serving_reports(app):
            made_by_the_worker = run(app, *AS_OF, "--by", grouping)
        assert made_by_the_worker.exit_code == 0
        assert made_by_the_worker.stdout == made_by_the_command
        assert "1234.56" in made_by_the_command.replace(",", "")
    assert made_here == ["account-manager", "account"]  # once each, without the worker


def test_a_worker_writes_xlsx_and_pdf_files_too(app, ledger, made_here, tmp_path) -> None:
    xlsx_file, pdf_file = tmp_path / "aging.xlsx", tmp_path / "aging.pdf"
    with serving_reports(app):
        xlsx = run(app, *AS_OF, "--by", "account", "--output", str(xlsx_file))
        pdf = run(app, *AS_OF, "--by", "account", "--output", str(pdf_file))
    assert xlsx.exit_code == pdf.exit_code == 0
    assert f"Wrote 3 rows to {xlsx_file}." in xlsx.stderr
    sheet = openpyxl.load_workbook(xlsx_file).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "A1",
        "A2",
        "TOTAL",
    ]
    assert pdf_file.read_bytes().startswith(b"%PDF")
    assert made_here == []


def test_a_worker_answers_two_commands_at_once(app, ledger, tmp_path) -> None:
    requests = [AgingRequest(dt.date(2026, 3, 31), grouping, "due", (30, 60, 90), "csv")
                for grouping in ("account-manager", "account")]  # fmt: skip
    with serving_reports(app), ThreadPoolExecutor(max_workers=2) as pool:
        made = list(pool.map(lambda request: made_by_worker(app, request), requests))
    assert [report.rows for report in made] == [2, 3]
    run(app, *AS_OF, "--by", "account", "--output", str(tmp_path / "by-account.csv"))
    assert made[1].content == (tmp_path / "by-account.csv").read_bytes()


def test_as_of_today_is_decided_by_the_worker_with_the_same_clock(app, today, made_here) -> None:
    add_invoice(add_account("A1"), "I-1", "5.00", issue_date=today, due_date=today)
    with serving_reports(app):
        lines = run(app).stdout.splitlines()
    assert lines[1].startswith("(unassigned),GBP,5.00,")
    assert made_here == []


def test_the_socket_is_private_and_gone_when_the_worker_stops(app) -> None:
    with serving_reports(app) as path:
        assert worker_sockets(app) == [path]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not path.exists()
    assert worker_sockets(app) == []


def test_several_workers_for_one_database_all_answer_and_one_stopping_leaves_the_others(
    app, ledger, made_here
) -> None:
    with serving_reports(app) as first:
        with serving_reports(app) as second:
            assert sorted(worker_sockets(app)) == sorted([first, second])
            assert run(app, *AS_OF).exit_code == 0
        assert worker_sockets(app) == [first]
        assert run(app, *AS_OF).exit_code == 0
    assert made_here == []


def test_a_worker_that_cannot_make_its_socket_runs_without_it(
    app, ledger, made_here, tmp_path, monkeypatch
) -> None:
    too_deep = tmp_path / ("instance-" * 12)  # a socket's path may not exceed 107 bytes
    monkeypatch.setattr(app, "instance_path", str(too_deep))
    with serving_reports(app) as path:
        assert path is None
        assert run(app, *AS_OF).exit_code == 0
    assert made_here == ["account-manager"]


def test_a_worker_answers_only_for_its_own_database_and_engine(app) -> None:
    with serving_reports(app):
        for setting, value in (("SQLALCHEMY_DATABASE_URI", "sqlite:////tmp/other.db"),
                               ("AGING_ENGINE", "sql")):  # fmt: skip
            saved = app.config.get(setting)
            app.config[setting] = value
            try:
                assert worker_sockets(app) == []
            finally:
                app.config[setting] = saved
        assert len(worker_sockets(app)) == 1


def socket_bound_where_a_worker_listens(app) -> socket.socket:
    """A socket bound at a new worker socket path for `app`'s database, not listening yet."""
    path = new_socket_path(app)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    bound = socket.socket(socket.AF_UNIX)
    bound.bind(str(path))
    return bound


def killed_workers_socket(app) -> Path:
    """A socket file bound and never listened on: what `kill -9` leaves of a worker's."""
    with socket_bound_where_a_worker_listens(app) as killed_worker:
        return Path(killed_worker.getsockname())


def test_a_socket_left_by_a_killed_worker_is_passed_over(app, ledger, made_here) -> None:
    left = killed_workers_socket(app)
    try:
        result = run(app, *AS_OF)
    finally:
        left.unlink()
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines()[0].startswith("account_manager,currency,")
    assert made_here == ["account-manager"]


def test_a_starting_worker_removes_the_sockets_killed_workers_left(app, ledger, made_here) -> None:
    left = killed_workers_socket(app)
    with serving_reports(app) as path:
        assert not left.exists()
        assert worker_sockets(app) == [path]
        assert run(app, *AS_OF).exit_code == 0
    assert made_here == []


def test_a_worker_whose_code_changed_refuses_and_the_command_makes_the_report(
    app, ledger, made_here, tmp_path, monkeypatch
) -> None:
    module = tmp_path / "upgraded_module.py"
    module.write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("upgraded_module")
    with serving_reports(app):
        later = time.time() + 5
        os.utime(module, (later, later))  # an upgrade replaced a file the worker runs
        result = run(app, *AS_OF)
    sys.modules.pop("upgraded_module")
    assert result.exit_code == 0
    assert "upgraded_module.py changed since the worker started; restart the worker" in (
        result.stderr
    )
    assert "making it here." in result.stderr
    assert "1234.56" in result.stdout.replace(",", "")
    assert made_here == ["account-manager"]


def test_a_worker_that_dies_mid_answer_is_noticed_and_the_command_makes_the_report(
    app, ledger, made_here
) -> None:
    with socket_bound_where_a_worker_listens(app) as dying_worker:
        path = Path(dying_worker.getsockname())
        dying_worker.listen()

        def answer_half() -> None:
            connection, _ = dying_worker.accept()
            with connection:
                connection.makefile("rb").readline()
                connection.sendall(b'{"rows": 3, "bytes": 4000}\naccount_manager,curr')

        answering = threading.Thread(target=answer_half)
        answering.start()
        try:
            result = run(app, *AS_OF)
        finally:
            answering.join()
            path.unlink()
    assert result.exit_code == 0
    assert result.stderr.startswith("the worker's answer was cut short; making it here.")
    assert "1234.56" in result.stdout.replace(",", "")
    assert made_here == ["account-manager"]


def test_a_request_the_worker_cannot_read_is_refused_with_a_reason(app) -> None:
    with serving_reports(app) as path, socket.socket(socket.AF_UNIX) as connection:
        connection.connect(str(path))
        connection.sendall(b'{"as_of": "31/03/2026"}\n')
        header = json.loads(connection.makefile("rb").readline())
    assert header["refused"].startswith("the worker did not make the report: a request it could")


def test_an_operators_worker_answers_an_operators_command_without_the_app(
    app, ledger, job_queue, tmp_path
) -> None:
    """As run on a server: `flask --app app worker`, then the command in another process. The
    command loads neither SQLAlchemy, the models nor pandas: the worker did that once."""
    worker = start_worker_process(app, job_queue)
    try:
        _wait_for_a_socket(worker, app)
        command = [sys.executable, "-X", "importtime", "-m", "flask", "--app", "app", "report",
                   "aging", *AS_OF, "--output", str(tmp_path / "aging.csv")]  # fmt: skip
        done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=120, env={**os.environ, "DATABASE_URL": app.config[
                                  "SQLALCHEMY_DATABASE_URI"]})  # fmt: skip
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(re.findall(r"^import time:.*\|\s*([\w.]+)$", done.stderr, flags=re.MULTILINE))
    assert {"sqlalchemy", "models", "pandas", "duckdb", "app"}.isdisjoint(loaded)
    assert (tmp_path / "aging.csv").read_text() == run(app, *AS_OF).stdout
    assert worker_sockets(app) == []


def _wait_for_a_socket(worker: subprocess.Popen[bytes], app) -> None:
    deadline = time.monotonic() + 120
    while not worker_sockets(app):
        assert worker.poll() is None, worker.stdout.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the worker did not start answering reports"
        time.sleep(0.1)
