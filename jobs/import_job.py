"""An import as a job: the check step (a dry run, for the preview) and the write step.

The write step is the all-or-nothing import of `bulk_io`, unchanged: one transaction, committed
only for a wholly good file, and the job's "done" is written inside that same transaction. A
worker killed mid-import therefore leaves no rows and a job still "running", which the next
worker start (or the periodic check) marks failed, retryable (`jobs.reaping`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from bulk_io.importing import ImportReport, run_import
from bulk_io.writing import write_csv
from extensions import db
from jobs import files, states
from jobs.progress import ProgressWriter
from jobs.running import dispatch
from models.jobs import Job

SAMPLES_KEPT = 10
ERRORS_KEPT = 500
"""Bad rows the job page lists; the error report (CSV) lists them all."""
GONE = "The uploaded file is no longer on the server. Upload it again."
NOT_ALLOWED = "Your role may no longer import these records; nothing was written."


class ImportProgress(ProgressWriter):
    """Reading the file until its first batch of rows (bytes read of the file's size), then
    checking or writing batch by batch; once the whole file is read, finishing (indexes, commit).

    Reading shows progress of its own because openpyxl reads an XLSX workbook's whole table of
    shared strings before its first row, with no row counted yet.
    """

    def __init__(self, job_id: int, step_phase: str) -> None:
        super().__init__(job_id, "reading")
        self.step_phase = step_phase

    def reading(self, bytes_read: int, file_size: int) -> None:
        if self.phase == "reading":
            self.write(bytes_read, file_size, 0)

    def __call__(self, units_done: int, units_total: int, rows_done: int) -> None:
        if self.phase == "reading":  # the first batch: show the step's phase and its rows at once
            self.phase = self.step_phase
            self.write(units_done, units_total, rows_done, force=True)
        elif units_done >= units_total and self.phase == "writing":
            self.phase = "finishing"
            self.write(units_done, units_total, rows_done, force=True)
        else:
            self.write(units_done, units_total, rows_done)


def run_import_job(job: Job) -> None:
    path = files.upload_path(job.token)
    if not path.exists():
        states.mark_failed(job.id, GONE, can_retry=False)
        return
    writing = job.step == "write"
    tracker = ImportProgress(job.id, "writing" if writing else "checking")
    tracker.write(0, 0, 0, force=True)
    job_id, user = job.id, job.user

    def record_done(session: Session, report: ImportReport) -> None:
        written = dataclasses.replace(report, written=True)
        states.mark_done_within(session, job_id, written.summary(), outcome_of(report), report.rows)

    try:
        report = run_import(
            db.session,
            job.parameters["import_kind"],
            path,
            user,
            dry_run=not writing,
            file_name=job.parameters["file_name"],
            ip=job.parameters.get("ip"),
            progress=tracker,
            on_read=tracker.reading,
            before_commit=record_done,
        )
    except PermissionError:
        states.mark_failed(job_id, NOT_ALLOWED, can_retry=False)
        return
    if report.written:
        files.remove_upload(job.token)
    elif report.ok:
        states.mark_previewed(job_id, report.summary(), outcome_of(report), report.rows)
    else:
        _write_error_report(job.token, report)
        states.mark_failed(
            job_id,
            report.summary(),
            can_retry=writing,  # the file passed its check; what changed since may be undone
            outcome=outcome_of(report),
            rows=report.rows,
            error_file=files.ERRORS,
        )


def outcome_of(report: ImportReport) -> dict[str, Any]:
    """What the job page shows of an import: counts, and the first rows it creates and changes."""
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "problems": len(report.errors) + report.unlisted_errors,
        "sample_creates": report.sample_creates[:SAMPLES_KEPT],
        "sample_updates": report.sample_updates[:SAMPLES_KEPT],
        "errors": [dataclasses.astuple(error) for error in report.errors[:ERRORS_KEPT]],
    }


def _write_error_report(token: str, report: ImportReport) -> None:
    with files.errors_path(token).open("w", encoding="utf-8", newline="") as out:
        rows = ((e.row, e.column, e.value, e.reason) for e in report.errors)
        write_csv(out, ("row", "column", "value", "reason"), rows)


def start_import(user: Any, import_kind: str, file_name: str, token: str, ip: str | None) -> Job:
    """Record the import of the file already saved under `token`, and start its check."""
    job = Job(
        user_id=user.id,
        kind="import",
        title=f"Import {import_kind.replace('-', ' ')} from {file_name}",
        parameters={"import_kind": import_kind, "file_name": file_name, "ip": ip},
        token=token,
        status="queued",
        step="check",
    )
    db.session.add(job)
    db.session.commit()
    dispatch(job.id, in_request=runs_in_request(token))
    return job


def confirm_import(job: Job, user_id: int) -> bool:
    """Queue the write step of a previewed import; False if it was confirmed already."""
    if not states.confirm(job.id, user_id):
        return False
    dispatch(job.id, in_request=runs_in_request(job.token))
    return True


def runs_in_request(token: str) -> bool:
    """A file this small is checked and written in the request: quicker than a round trip."""
    path = files.upload_path(token)
    limit = current_app.config["IMPORT_IN_REQUEST_MAX_BYTES"]
    return path.exists() and path.stat().st_size <= limit
