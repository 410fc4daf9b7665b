"""A report file prepared by a worker: the aging report as CSV, XLSX or PDF.

The worker builds exactly what the page's download would give its user (`reports.aging_file`,
read as the job's user: their rows, their role's readable fields) and keeps it in the job's
folder, where only that user (or a super admin) may download it.
"""

from __future__ import annotations

from typing import Any

from extensions import db
from jobs import files, states
from jobs.running import queue_job
from models.jobs import Job
from reports.aging_file import TITLES, aging_file
from reports.parameters import ParameterError

READY = "The file is ready to download."


def start_report(user: Any, page: str, file_format: str, query: dict[str, str]) -> Job:
    return queue_job(
        user,
        "aging_report",
        f"{TITLES[page]} ({file_format.upper()})",
        {"page": page, "file_format": file_format, "query": query},
    )


def run_report_job(job: Job) -> None:
    parameters = job.parameters
    try:
        written = aging_file(db.session, parameters["query"], job.user, parameters["page"],
                             parameters["file_format"])  # fmt: skip
    except ParameterError as problem:
        states.mark_failed(job.id, problem.message, can_retry=False)
        return
    finally:
        db.session.rollback()  # a report only reads
    files.result_path(job.token).write_bytes(written.content)
    states.mark_done(job.id, READY, result_file=written.file_name)
