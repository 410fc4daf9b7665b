"""A waiting job whose queue message was lost (Redis restarted empty, a flush) is queued again
by the worker's periodic check, once, and then runs once; on the embedded queue and on Redis."""

from __future__ import annotations

import pytest

from extensions import db
from jobs.reaping import requeue_lost_jobs
from models import Job
from tests.factories import add_account, add_invoice
from tests.job_helpers import running_worker, wait_for_job
from tests.test_jobs_import import job_id_of

PREPARE = "/admin/reports/aging/manager/prepare/csv?as_of=2026-03-31"


def queued_job_ids(job_queue) -> list[int]:
    return [task.args[0] for task in job_queue.huey.pending() if task.name == "run_job"]


@pytest.fixture
def waiting_job(panel, login_as, job_queue) -> int:
    """A report job waiting in the queue (no worker yet)."""
    login_as("analyst")
    add_invoice(add_account("ACME"), "INV-1", "120.00")
    job_id = job_id_of(panel.post(PREPARE, {}, follow_redirects=True))
    assert queued_job_ids(job_queue) == [job_id]
    return job_id


def test_a_waiting_job_whose_message_was_flushed_is_queued_again_after_the_grace_and_runs_once(
    app, job_queue, waiting_job, monkeypatch
):
    job_queue.huey.storage.flush_queue()  # what a Redis restart without persistence does
    assert queued_job_ids(job_queue) == []

    monkeypatch.setitem(app.config, "JOBS_LOST_GRACE_SECONDS", 60)
    assert requeue_lost_jobs() == 0  # missing, but maybe just taken by a worker: wait
    assert queued_job_ids(job_queue) == []
    monkeypatch.setitem(app.config, "JOBS_LOST_GRACE_SECONDS", 0)
    assert requeue_lost_jobs() == 1
    assert queued_job_ids(job_queue) == [waiting_job]
    assert requeue_lost_jobs() == 0  # its message is there now

    with running_worker(job_queue):
        job = wait_for_job(waiting_job, "done", "failed")
    assert (job.status, job.attempts) == ("done", 1)


def test_a_job_queued_twice_runs_once(app, job_queue, waiting_job, monkeypatch):
    """Queueing again is safe even when the message was not lost: the run claims the job once."""
    job_queue.run_job(waiting_job)
    assert queued_job_ids(job_queue) == [waiting_job, waiting_job]
    with running_worker(job_queue):
        wait_for_job(waiting_job, "done", "failed")
        while queued_job_ids(job_queue):  # the second message is taken and does nothing
            db.session.commit()
    job = wait_for_job(waiting_job, "done")
    assert job.attempts == 1


def test_a_lost_job_the_queue_will_not_take_again_fails_with_run_it_again(
    app, panel, job_queue, waiting_job, monkeypatch
):
    job_queue.huey.storage.flush_queue()
    monkeypatch.setitem(app.config, "JOBS_LOST_GRACE_SECONDS", 0)

    def refuse(job_id: int) -> None:
        raise ConnectionError("the queue is down")

    monkeypatch.setattr("jobs.running.enqueue", refuse)
    assert requeue_lost_jobs() == 1
    job = db.session.get(Job, waiting_job, populate_existing=True)
    assert (job.status, job.can_retry) == ("failed", True)
    page = panel.get(f"/admin/jobs/{waiting_job}/").get_data(as_text=True)
    assert "The job queue did not answer, so the job could not start." in page
    assert "Run it again" in page
