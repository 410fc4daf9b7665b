"""How long a job's files stay: an upload nobody confirms, the files of finished jobs, and the
statements they attached to e-mails.

An upload waiting for its confirmation (or for a retry) is discarded after a day, as the panel
always did with previews; a finished job's folder (its error report, a result file) after
`JOBS_KEEP_DAYS` days, and so is a statement's PDF once its e-mail is sent, failed or skipped
(nothing sends it again; the PDF is the customer's document, not a record to keep). The job
rows and the outbox e-mails stay: My jobs and the outbox are a history.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from extensions import db
from jobs import files
from models.base import utcnow
from models.jobs import Job
from models.notifications import OutboxAttachment, OutboxMessage

UNCONFIRMED_AFTER = dt.timedelta(days=1)
NOT_CONFIRMED = "Not confirmed within a day: the upload was discarded and nothing was written."


def discard_old_files() -> None:
    now = utcnow()
    waiting = db.session.scalars(
        sa.select(Job).where(
            Job.status.in_(("previewed", "failed")),
            sa.func.coalesce(Job.finished_at, Job.created_at) < now - UNCONFIRMED_AFTER,
        )
    ).all()
    for job in waiting:
        if job.status == "previewed":
            job.status, job.message = "cancelled", NOT_CONFIRMED
        job.can_retry = False
        files.remove_upload(job.token)
    keep = dt.timedelta(days=current_app.config["JOBS_KEEP_DAYS"])
    expired = db.session.scalars(
        sa.select(Job).where(
            Job.status.in_(("done", "failed", "cancelled")),
            Job.finished_at < now - keep,
            sa.or_(Job.error_file.is_not(None), Job.result_file.is_not(None)),
        )
    ).all()
    for job in expired:
        files.remove_folder(job.token)
        job.error_file = job.result_file = None
    _discard_attachments_of_mail_older_than(now - keep)
    db.session.commit()


def _discard_attachments_of_mail_older_than(moment: dt.datetime) -> None:
    """The files of e-mails that reached a final status before `moment`."""
    finished = sa.select(OutboxMessage.id).where(
        OutboxMessage.status.in_(("sent", "failed", "skipped")),
        sa.func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < moment,
    )
    db.session.execute(sa.delete(OutboxAttachment).where(OutboxAttachment.message_id.in_(finished)))
