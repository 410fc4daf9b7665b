"""A worker killed in the middle of an import: nothing is written, the job says it failed, and
running it again imports the file once.

The worker is `flask --app app worker` in a process of its own, as an operator runs it, killed
with SIGKILL (no clean-up of any kind) while the import is writing batches inside its one
transaction. The next worker to start finds the job "running" with its process gone.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from flask import Flask

from jobs import progress
from jobs.states import STOPPED
from tests.factories import add_account
from tests.job_helpers import start_worker_process, wait_for_job
from tests.test_import_cli import table_dump
from tests.test_import_panel import upload
from tests.test_jobs_import import as_csv, invoice_count, invoice_rows, job_id_of

ROWS = 150_000


@pytest.fixture
def worker_processes(app: Flask, job_queue):
    """Start worker processes on demand; any still running is stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = start_worker_process(app, job_queue)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def wait_until_writing(job_id: int, process: subprocess.Popen[bytes]) -> None:
    """Until the worker has written at least one batch (and not yet finished)."""
    deadline = time.monotonic() + 120
    while True:
        live = progress.latest(job_id)
        if live and live.phase == "writing" and live.rows_done >= 10_000:
            return
        assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.02)


def test_a_worker_killed_mid_import_writes_nothing_and_the_job_fails_and_can_run_again(
    app, panel, login_as, worker_processes, monkeypatch
):
    monkeypatch.setitem(app.config, "IMPORT_IN_REQUEST_MAX_BYTES", 1000)
    login_as("admin")
    add_account("ACME")
    first_worker = worker_processes()
    job_id = job_id_of(upload(panel, "invoices", as_csv(invoice_rows(ROWS))))
    wait_for_job(job_id, "previewed")
    before = table_dump()
    panel.post(f"/admin/jobs/{job_id}/confirm", {})
    wait_until_writing(job_id, first_worker)

    first_worker.send_signal(signal.SIGKILL)
    first_worker.wait(timeout=30)

    assert table_dump() == before  # not one of the batches it wrote is in the database
    assert invoice_count() == 0
    worker_processes()  # a worker starting finds the dead worker's job
    job = wait_for_job(job_id, "failed")
    assert (job.message, job.can_retry) == (STOPPED, True)
    page = panel.get(f"/admin/jobs/{job_id}/").get_data(as_text=True)
    assert "The worker running this job stopped before it finished" in page
    assert "Run it again" in page
    assert table_dump() == before

    panel.post(f"/admin/jobs/{job_id}/retry", {})

    job = wait_for_job(job_id, "done", "failed")
    assert job.status == "done", job.message
    assert job.attempts == 3  # checked, killed while writing, written
    assert invoice_count() == ROWS
