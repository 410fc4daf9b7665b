"""Background jobs: one row per piece of long work a user started (an import, a report file).

The row, not the queue, is the record of a job: who started it, what it is, where it stands and
what came of it. The queue (Huey, `jobs/`) only carries a job's id to a worker, so My jobs, the
job page and "two confirmations import once" read the same whichever queue runs it.

An import's life: `queued` (checking) -> `running` -> `previewed` (waits for the user's
confirmation) -> `queued` (writing) -> `running` -> `done`; any run may end `failed` (bad rows,
the database refused, the worker died) and a failed run whose file is still there may be queued
again. Each move is one conditional UPDATE (`jobs.states`), so of two confirmations only one
moves a job from `previewed` to `queued`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import CustomFieldValues, utcnow
from models.people import User

JOB_STATUSES = ("queued", "running", "previewed", "done", "failed", "cancelled")
FINISHED_STATUSES = ("done", "failed", "cancelled")
JOB_STEPS = ("check", "write")
"""What a queued import run does: `check` (a dry run for the preview) or `write` (the import)."""


class Job(db.Model):
    """Not a panel model: users reach jobs through My jobs, which shows only their own."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    """What the job does: `import` (more kinds register in `jobs.running`)."""
    title: Mapped[str] = mapped_column(sa.String(200))
    """What My jobs calls it: "Import invoices from march.xlsx"."""
    parameters: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    """Names the job's folder of files (the upload, the reports): never a name a user chose."""
    status: Mapped[str] = mapped_column(sa.String(20), default="queued", index=True)
    step: Mapped[str] = mapped_column(sa.String(20), default="check")
    phase: Mapped[str] = mapped_column(sa.String(20), default="waiting")
    """The last phase the job reported: waiting, reading, checking, writing, finishing."""
    rows_done: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rows_total: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    worker: Mapped[str | None] = mapped_column(sa.String(200))
    """`host:pid` of the process running it, so a restarted worker can tell a dead run."""
    attempts: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(sa.Text)
    """The outcome in a sentence: the import's summary, or why the job failed."""
    outcome: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)
    """What the job page shows beyond the message (an import's counts and sample rows)."""
    result_file: Mapped[str | None] = mapped_column(sa.String(200))
    """A file in the job's folder for its user to download (a report), by its download name."""
    error_file: Mapped[str | None] = mapped_column(sa.String(200))
    """The per-row error report in the job's folder, when there is one."""
    can_retry: Mapped[bool] = mapped_column(default=False)
    impersonator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_jobs_impersonator"), index=True
    )
    """The super admin who started the job while viewing as its user: the job's audit entries
    name them too (`auth.impersonation`), as the request's would have."""

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    impersonator: Mapped[User | None] = relationship(foreign_keys=[impersonator_id])

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES
