"""Every move of a job's status: one conditional UPDATE each, in its own short transaction.

"Conditional" is what makes a job run once: an UPDATE ... WHERE status = 'previewed' changes one
row for the first of two confirmations and none for the second, on SQLite and PostgreSQL alike,
whatever the queue delivers. Each move commits on a connection of its own, never inside the
work's transaction; the one exception is `mark_done_within`, which an import calls inside its
own transaction so that the import and its "done" are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from extensions import db
from models.base import utcnow
from models.jobs import Job

STOPPED = (
    "The worker running this job stopped before it finished (it was killed, or the server "
    "restarted). Nothing was written. You can run it again."
)


def _move(
    job_id: int, from_statuses: Iterable[str], values: dict[str, Any], *conditions: Any
) -> bool:
    statement = (
        sa.update(Job)
        .where(Job.id == job_id, Job.status.in_(tuple(from_statuses)), *conditions)
        .values(values)
    )
    with db.engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def claim(job_id: int, worker: str) -> bool:
    """queued -> running, for exactly one worker."""
    return _move(
        job_id,
        ["queued"],
        {
            "status": "running",
            "phase": "reading",
            "worker": worker,
            "started_at": utcnow(),
            "finished_at": None,
            "attempts": Job.attempts + 1,
            "message": None,
            "error_file": None,
            "can_retry": False,
        },
    )


def mark_previewed(job_id: int, message: str, outcome: dict[str, Any], rows: int) -> bool:
    """running -> previewed: the check passed; the user decides whether to write."""
    values = _finished("previewed", message, outcome, rows)
    return _move(job_id, ["running"], values)


def mark_done_within(
    session: Session, job_id: int, message: str, outcome: dict[str, Any], rows: int
) -> None:
    """running -> done, inside the caller's transaction (committed with the work, or not)."""
    values = _finished("done", message, outcome, rows)
    session.execute(sa.update(Job).where(Job.id == job_id).values(values))


def mark_done(
    job_id: int,
    message: str,
    result_file: str | None = None,
    rows: int = 0,
    outcome: dict[str, Any] | None = None,
) -> bool:
    """running -> done, for work whose outcome is kept apart from it (a file, e-mails)."""
    values = _finished("done", message, outcome or {}, rows)
    values["result_file"] = result_file
    return _move(job_id, ["running"], values)


def mark_failed(
    job_id: int,
    message: str,
    *,
    can_retry: bool,
    outcome: dict[str, Any] | None = None,
    rows: int = 0,
    error_file: str | None = None,
) -> bool:
    """running -> failed, with the reason the job page shows."""
    values = _finished("failed", message, outcome or {}, rows)
    values.update(can_retry=can_retry, error_file=error_file)
    return _move(job_id, ["running"], values)


def mark_unqueued(job_id: int, message: str) -> bool:
    """queued -> failed, when the queue could not take the job (Redis down)."""
    values = {"status": "failed", "finished_at": utcnow(), "message": message, "can_retry": True}
    return _move(job_id, ["queued"], values)


def mark_stopped(job_id: int, worker: str) -> bool:
    """running -> failed, for a run whose worker died (only if that worker still has it)."""
    values = {"status": "failed", "finished_at": utcnow(), "message": STOPPED, "can_retry": True}
    return _move(job_id, ["running"], values, Job.worker == worker)


def confirm(job_id: int, user_id: int) -> bool:
    """previewed -> queued to write: the first of two confirmations wins, the second is a no-op."""
    values = {"status": "queued", "step": "write", "phase": "waiting", "finished_at": None}
    return _move(job_id, ["previewed"], values, Job.user_id == user_id)


def retry(job_id: int, user_id: int) -> bool:
    """failed (and retryable) -> queued, the same step again."""
    values = {"status": "queued", "phase": "waiting", "finished_at": None, "can_retry": False}
    return _move(job_id, ["failed"], values, Job.user_id == user_id, Job.can_retry.is_(True))


def cancel(job_id: int, user_id: int) -> bool:
    """Waiting, previewed or failed -> cancelled; a running job is not interrupted."""
    values = {"status": "cancelled", "finished_at": utcnow(), "can_retry": False}
    return _move(job_id, ["queued", "previewed", "failed"], values, Job.user_id == user_id)


def _finished(status: str, message: str, outcome: dict[str, Any], rows: int) -> dict[str, Any]:
    return {
        "status": status,
        "phase": "finished",
        "finished_at": utcnow(),
        "message": message,
        "outcome": outcome,
        "rows_done": rows,
        "rows_total": rows,
    }
