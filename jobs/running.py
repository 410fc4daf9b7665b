"""Running one job, as the user who started it.

A job reads and writes with its user's eyes: `reading_as(role)` blanks the fields that role may
not read, and the work itself is handed the user, so row scoping (`models.scoping`) and the
permission table apply as they would in the user's own request. A user deactivated, or whose
role lost the right, between starting a job and its run gets a failed job, not the work. A job
a super admin started while viewing as its user writes audit entries naming them too, as that
request would have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auth.impersonation import acting_for_job
from error_references import logged_error_message
from extensions import db
from forms_config.readability import reading_as
from jobs import files, progress, states
from jobs.queue import enqueue
from models.jobs import Job

JobHandler = Callable[[Job], None]
UNEXPECTED = "The job stopped on an unexpected error. Nothing was written. You can run it again."
DEACTIVATED = "Your login was deactivated; the job did not run."
UNQUEUED = "The job queue did not answer, so the job could not start. You can try again."


def _handlers() -> dict[str, JobHandler]:
    from jobs.export_job import run_export_job
    from jobs.import_job import run_import_job
    from jobs.report_job import run_report_job
    from jobs.statement_job import run_statement_job

    return {
        "import": run_import_job,
        "aging_report": run_report_job,
        "list_export": run_export_job,
        "statement_email": run_statement_job,
    }


def queue_job(user: Any, kind: str, title: str, parameters: dict[str, Any], **counts: int) -> Job:
    """Record a job that writes a file or sends mail for `user`, and hand it to a worker."""
    job = Job(
        user_id=user.id,
        kind=kind,
        title=title,
        parameters=parameters,
        token=files.new_token(),
        status="queued",
        step="write",
        **counts,
    )
    db.session.add(job)
    db.session.commit()
    dispatch(job.id, in_request=False)
    return job


def dispatch(job_id: int, in_request: bool) -> None:
    """Small work runs at once, in the request that asked for it; the rest goes to a worker."""
    if in_request:
        run_job(job_id)
        return
    try:
        enqueue(job_id)
    except Exception:
        states.mark_unqueued(job_id, logged_error_message(UNQUEUED, f"queueing job {job_id}"))


def run_job(job_id: int) -> None:
    """Claim the job (if another worker or a cancellation got there first, do nothing), run it."""
    if not states.claim(job_id, progress.worker_name()):
        return
    job = db.session.get(Job, job_id, populate_existing=True)  # the claim changed it
    try:
        if job is None:
            return
        if not job.user.active:
            states.mark_failed(job_id, DEACTIVATED, can_retry=False)
            return
        with reading_as(job.user.role), acting_for_job(job.impersonator):
            _handlers()[job.kind](job)
    except Exception:
        db.session.rollback()
        states.mark_failed(
            job_id, logged_error_message(UNEXPECTED, f"job {job_id}"), can_retry=True
        )
    finally:
        progress.forget(job_id)
