"""Big imports run as jobs on the real queue: progress, preview, confirmation, My jobs.

Every test here runs a worker (Huey's consumer in a thread) on the embedded SQLite queue, and on
Redis too when TEST_REDIS_URL is set. Files above `IMPORT_IN_REQUEST_MAX_BYTES` go to the
worker; the limit is lowered so that files of a few thousand rows do.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import Workbook

from bulk_io.importing import BATCH_ROWS
from bulk_io.reading import open_table
from extensions import db
from jobs.queue import build_queue
from models import AuditEvent, FormFieldRule, Invoice, Job, OutboxMessage, User
from notifications import switches
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice
from tests.job_helpers import running_worker, wait_for_job
from tests.notification_helpers import switch_on
from tests.test_import_cli import table_dump
from tests.test_import_panel import CONFIRM, ERRORS, upload

ROWS = 6000
JOB_PAGE = re.compile(r"/admin/jobs/(\d+)/$")
INVOICE_HEADER = ["number", "account_code", "issue_date", "due_date", "amount", "currency"]


@pytest.fixture(autouse=True)
def files_go_to_the_worker(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "IMPORT_IN_REQUEST_MAX_BYTES", 1000)


def invoice_rows(count: int, account: str = "ACME") -> list[list[str]]:
    return [
        [f"INV-{n:07d}", account, "2026-01-15", "2026-02-14", f"{n % 900 + 10}.25", "GBP"]
        for n in range(count)
    ]


def as_csv(rows: list[list[str]], header: list[str] = INVOICE_HEADER) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode()


def as_xlsx(rows: list[list[str]], header: list[str] = INVOICE_HEADER) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in [header, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def job_id_of(response) -> int:
    return int(JOB_PAGE.search(response.request.path).group(1))


def invoice_count() -> int:
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Invoice))


@pytest.mark.parametrize("file_type", ["csv", "xlsx"])
def test_a_large_file_is_checked_by_a_worker_with_progress_and_imported_on_confirmation(
    panel, login_as, worker, file_type
):
    admin = login_as("admin")
    add_account("ACME")
    content = (as_csv if file_type == "csv" else as_xlsx)(invoice_rows(ROWS))

    landed = upload(panel, "invoices", content, f"march.{file_type}")

    assert landed.status_code == 200
    job_id = job_id_of(landed)
    page = landed.get_data(as_text=True)
    assert f"Import invoices from march.{file_type}" in page
    assert 'data-testid="job-progress"' in page or "Dry run of" in page  # a fast worker
    state = panel.get(f"/admin/jobs/{job_id}/progress").get_json()
    assert state["status"] in {"queued", "running", "previewed"}
    assert {"phase", "phase_text", "rows_done", "rows_total", "percent"} <= set(state)

    wait_for_job(job_id, "previewed")
    page = panel.get(f"/admin/jobs/{job_id}/").get_data(as_text=True)
    assert f"Dry run of {ROWS} rows: it would create {ROWS}, update 0" in page
    assert "INV-0000000" in page  # the first rows it would create
    assert invoice_count() == 0
    assert panel.get(f"/admin/jobs/{job_id}/progress").get_json()["percent"] == 100

    confirmed = panel.post(CONFIRM.search(page).group(1), {}, follow_redirects=True)
    assert confirmed.request.path == f"/admin/jobs/{job_id}/"

    job = wait_for_job(job_id, "done", "failed")
    assert (job.status, job.message) == ("done", f"Imported {ROWS} rows: create {ROWS}, "
                                                  "update 0, leave 0 unchanged.")  # fmt: skip
    assert invoice_count() == ROWS
    assert job.started_at <= job.finished_at and job.attempts == 2  # checked, then written
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import"))
    assert (audit.user_id, audit.changes["created"]) == (admin.id, ROWS)
    listing = panel.get("/admin/jobs/").get_data(as_text=True)
    assert f"Import invoices from march.{file_type}" in listing and ">done<" in listing


def test_two_confirmations_of_one_upload_import_once(panel, login_as, worker):
    login_as("admin")
    add_account("ACME")
    landed = upload(panel, "invoices", as_csv(invoice_rows(2000)))
    job_id = job_id_of(landed)
    wait_for_job(job_id, "previewed")
    confirm_url = f"/admin/jobs/{job_id}/confirm"

    first = panel.post(confirm_url, {}, follow_redirects=True)
    second = panel.post(confirm_url, {}, follow_redirects=True)  # a double click, a back button

    assert "This import was already confirmed; it runs once." in second.get_data(as_text=True)
    assert first.status_code == second.status_code == 200
    wait_for_job(job_id, "done")
    assert invoice_count() == 2000
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "import")
    ) == 1  # fmt: skip
    third = panel.post(confirm_url, {}, follow_redirects=True)
    assert "already confirmed" in third.get_data(as_text=True)
    assert invoice_count() == 2000


def test_a_large_file_with_bad_rows_fails_with_every_bad_row_and_writes_nothing(
    panel, login_as, worker
):
    login_as("admin")
    add_account("ACME")
    rows = invoice_rows(3000)
    rows[10][2] = "2026-13-01"
    rows[2500][1] = '=HYPERLINK("http://evil.test")'
    before = table_dump()

    landed = upload(panel, "invoices", as_csv(rows))

    job = wait_for_job(job_id_of(landed), "failed")
    page = panel.get(f"/admin/jobs/{job.id}/").get_data(as_text=True)
    assert "Nothing was imported: 2 problems in 2 rows (of 3,000 data rows)." in page
    assert "Correct the file and upload it again." in page
    assert CONFIRM.search(page) is None and "Run it again" not in page
    report = panel.get(ERRORS.search(page).group(1))
    assert list(csv.reader(io.StringIO(report.get_data(as_text=True)))) == [
        ["row", "column", "value", "reason"],
        ["12", "issue_date", "2026-13-01", "Not a real date; the expected format is YYYY-MM-DD."],
        ["2502", "account_code", '\'=HYPERLINK("http://evil.test")', "Unknown account code."],
    ]
    assert table_dump() == before


def test_a_job_runs_as_its_user_within_their_accounts_and_field_rules(panel, login_as, worker):
    """The worker has no logged-in user: the job carries its user's rows and rules."""
    manager = login_as("manager")
    add_account("MINE", account_manager=manager)
    add_account("OTHERS")
    db.session.add(FormFieldRule(entity="User", field="last_name", role="manager", readonly=True))
    db.session.commit()
    rows = [[f"p{n}@mine.test", "Pat", "MINE"] for n in range(1500)]
    rows += [["x@others.test", "Xi", "OTHERS"], ["y@mine.test", "Yo", "MINE", "Smith"]]

    landed = upload(panel, "users", as_csv(rows, ["email", "first_name", "account_code",
                                                  "last_name"]))  # fmt: skip

    job = wait_for_job(job_id_of(landed), "failed")
    errors = {(row, column): reason for row, column, _value, reason in job.outcome["errors"]}
    assert errors[(1502, "account_code")] == "Unknown account code."  # OTHERS is not theirs
    assert "Read-only for your role" in errors[(1503, "last_name")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1  # the manager


def test_only_the_jobs_user_sees_it_a_super_admin_sees_it_read_only(app, panel, login_as, worker):
    login_as("admin")
    add_account("ACME")
    rows = invoice_rows(1500)
    rows[3][4] = "-1"
    job = wait_for_job(job_id_of(upload(panel, "invoices", as_csv(rows))), "failed")

    other = Panel(app.test_client())
    make_user("admin", "other-admin@example.test")
    other.login("other-admin@example.test")
    for url in ("/", "/progress", "/errors.csv"):
        assert other.get(f"/admin/jobs/{job.id}{url}").status_code == 404
    assert other.post(f"/admin/jobs/{job.id}/retry", {}).status_code == 404
    assert "Import invoices" not in other.get("/admin/jobs/").get_data(as_text=True)

    boss = Panel(app.test_client())
    make_user("super_admin", "boss@example.test")
    boss.login("boss@example.test")
    listing = boss.get("/admin/jobs/").get_data(as_text=True)
    assert "Import invoices" in listing and "admin@example.test" in listing
    assert boss.get(f"/admin/jobs/{job.id}/errors.csv").status_code == 200
    assert boss.post(f"/admin/jobs/{job.id}/cancel", {}).status_code == 404
    assert panel.get("/admin/jobs/999999/").status_code == 404


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"active": False}, "Your login was deactivated; the job did not run."),
        ({"role": "analyst"}, "Your role may no longer import these records; nothing was written."),
    ],
)
def test_a_user_deactivated_or_without_the_right_before_the_job_runs_gets_no_import(
    app, panel, login_as, job_queue, change, reason
):
    """No worker runs until the user changes; then the job refuses to run as them."""
    admin = login_as("admin")
    add_account("ACME")
    job_id = job_id_of(upload(panel, "invoices", as_csv(invoice_rows(1500))))
    for name, value in change.items():
        setattr(admin, name, value)
    db.session.commit()

    with running_worker(job_queue):
        job = wait_for_job(job_id, "failed")
    assert (job.message, job.can_retry) == (reason, False)
    assert invoice_count() == 0


def test_a_waiting_job_can_be_cancelled_and_then_never_runs(panel, login_as, job_queue):
    login_as("admin")
    add_account("ACME")
    landed = upload(panel, "invoices", as_csv(invoice_rows(1500)))
    job_id = job_id_of(landed)
    assert "Waiting for a worker" in landed.get_data(as_text=True)

    cancelled = panel.post(f"/admin/jobs/{job_id}/cancel", {}, follow_redirects=True)

    assert "The job was cancelled; nothing was written." in cancelled.get_data(as_text=True)
    from jobs.running import run_job

    run_job(job_id)  # the queue still delivers it: the claim refuses
    assert db.session.get(Job, job_id, populate_existing=True).status == "cancelled"
    assert invoice_count() == 0


def test_an_upload_above_the_import_limit_is_refused_and_other_posts_keep_the_usual_limit(
    app, panel, login_as, monkeypatch
):
    login_as("admin")
    add_account("ACME")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    monkeypatch.setitem(app.config, "IMPORT_MAX_UPLOAD_BYTES", 4 * 1024 * 1024)
    content = as_csv(invoice_rows(30_000))
    assert 1024 * 1024 < len(content) < 4 * 1024 * 1024

    accepted = upload(panel, "invoices", content)
    too_big = upload(panel, "invoices", content * 3)
    other_form = panel.post("/admin/account/new/", {"code": "X" * 2 * 1024 * 1024})

    assert accepted.status_code == 200 and JOB_PAGE.search(accepted.request.path)
    assert too_big.status_code == 413
    assert "The file is larger than 4 MB" in too_big.get_data(as_text=True)
    assert other_form.status_code == 413


def test_notify_runs_every_minute_in_the_worker(panel, worker, today):
    """`flask notify`'s work is a periodic task of the queue; run here without the minute's wait."""
    switch_on(switches.INVOICE_ISSUED_EMAILS)
    account = add_account("ACME", billing_email="billing@acme.test")
    add_invoice(account, "INV-1", "100.00", issue_date=today)
    periodic = {task.name for task in worker.huey.read_periodic(dt.datetime.now())}
    assert {"notify", "fail_dead_jobs"} <= periodic
    on_the_hour = dt.datetime.combine(today, dt.time(12, 0))
    assert "warm_dashboards" in {task.name for task in worker.huey.read_periodic(on_the_hour)}

    worker.notify()

    deadline = dt.datetime.now() + dt.timedelta(seconds=60)
    while not db.session.scalars(sa.select(OutboxMessage)).all():
        assert dt.datetime.now() < deadline, "notify did not run in the worker"
        db.session.commit()
    [message] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert (message.to_addresses, message.status) == ("billing@acme.test", "queued")


def test_a_queue_that_does_not_answer_fails_the_job_with_a_reason_it_can_be_retried(
    app, panel, login_as, monkeypatch, caplog
):
    """Redis down: the upload is kept, the job says why it did not start, with a reference."""
    login_as("admin")
    add_account("ACME")
    unreachable = build_queue(app, redis_url="redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.extensions, "job_queue", unreachable)

    landed = upload(panel, "invoices", as_csv(invoice_rows(1500)))

    page = landed.get_data(as_text=True)
    assert landed.status_code == 200
    assert "The job queue did not answer, so the job could not start." in page
    assert "The error was logged with reference" in page and "Run it again" in page
    job = db.session.get(Job, job_id_of(landed))
    assert (job.status, job.can_retry) == ("failed", True)
    assert "ConnectionError" in caplog.text or "Connection refused" in caplog.text


def progress_written(job_queue, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Every progress figure the job writes to the queue's storage, in order."""
    written: list[dict] = []
    put = job_queue.huey.put

    def record(key: str, value: dict) -> None:
        if key.startswith("job-progress:"):
            written.append(value)
        put(key, value)

    monkeypatch.setattr(job_queue.huey, "put", record)
    return written


def test_an_xlsx_file_shows_how_much_of_it_is_read_before_its_first_row(
    panel, login_as, job_queue, monkeypatch
):
    login_as("admin")
    add_account("ACME")
    content = as_xlsx(invoice_rows(ROWS))
    job_id = job_id_of(upload(panel, "invoices", content, "march.xlsx"))
    monkeypatch.setattr("jobs.progress.WRITE_EVERY_SECONDS", 0)
    written = progress_written(job_queue, monkeypatch)
    from jobs.running import run_job

    run_job(job_id)  # as the worker runs it

    assert wait_for_job(job_id, "previewed").rows_total == ROWS
    reading = [p for p in written if p["phase"] == "reading"]
    assert written[: len(reading)] == reading  # reading first, then checking
    fractions = [p["fraction"] for p in reading]
    assert fractions == sorted(fractions) and 0 < fractions[-1] <= 1  # the bar moves, forward
    assert all(p["rows_done"] == 0 for p in reading)
    assert {p["phase"] for p in written[len(reading) :]} == {"checking"}


def test_the_first_rows_show_at_once_and_later_figures_at_most_twice_a_second(
    panel, login_as, job_queue, monkeypatch
):
    login_as("admin")
    add_account("ACME")
    job_id = job_id_of(upload(panel, "invoices", as_csv(invoice_rows(ROWS))))
    monkeypatch.setattr("jobs.progress.WRITE_EVERY_SECONDS", 3600)  # a slow machine's import
    written = progress_written(job_queue, monkeypatch)
    from jobs.running import run_job

    run_job(job_id)

    assert wait_for_job(job_id, "previewed").status == "previewed"
    assert [(p["phase"], p["rows_done"]) for p in written] == [
        ("reading", 0),  # the worker has it
        (
            "checking",
            BATCH_ROWS,
        ),  # its first batch: at once, however recent the last write
    ]


def test_a_workbook_that_does_not_state_its_size_is_not_read_through_before_its_first_row(
    tmp_path,
):
    unsized = tmp_path / "unsized.xlsx"
    unsized.write_bytes(as_xlsx(invoice_rows(20_000)))  # written row by row: no <dimension>
    read: list[int] = []

    with open_table(unsized, lambda done, _size: read.append(done)) as table:
        read_before_the_rows = max(read)
        rows = list(table.rows)

    assert read_before_the_rows < unsized.stat().st_size / 10
    assert (table.size, len(rows)) == (0, 20_000)  # no total known: rows are counted
    assert rows[0] == (2, invoice_rows(1)[0]) and rows[-1][0] == 20_001


def test_a_workbook_that_states_its_size_still_gives_it(tmp_path):
    workbook = Workbook()
    for row in [INVOICE_HEADER, *invoice_rows(3)]:
        workbook.active.append(row)
    sized = tmp_path / "sized.upload"
    workbook.save(sized)

    with open_table(sized) as table:
        assert (table.size, len(list(table.rows))) == (4, 3)
