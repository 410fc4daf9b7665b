"""Failing the jobs whose worker died, so that their users see why and can run them again.

A job is "running" from the moment a worker claims it until its outcome is written. If the
worker is killed (SIGKILL, out of memory, a server restart), the database rolled its work back,
but the row still says "running". A worker starting, and every worker once a minute, look for
such rows: one whose worker was on this machine and whose process is gone, or whose heartbeat
(`jobs.progress`) is older than `JOBS_STALE_SECONDS` (a worker on another machine), is failed.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time

import sqlalchemy as sa
from flask import current_app

from extensions import db
from jobs import progress, states
from models.jobs import Job


def fail_dead_jobs() -> int:
    """Mark failed every running job whose worker is gone; returns how many."""
    running = db.session.execute(
        sa.select(Job.id, Job.worker, Job.started_at).where(Job.status == "running")
    ).all()
    db.session.commit()  # end the read: the moves below use their own connection
    failed = 0
    for job_id, worker, started_at in running:
        started = started_at.replace(tzinfo=dt.UTC).timestamp() if started_at else 0.0
        if worker and _is_dead(job_id, worker, started):
            failed += states.mark_stopped(job_id, worker)
    return failed


def _is_dead(job_id: int, worker: str, started: float) -> bool:
    host, _, pid = worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and not _process_exists(int(pid)):
        return True
    beat = progress.latest(job_id)
    last_sign_of_life = beat.at if beat else started
    return time.time() - last_sign_of_life > current_app.config["JOBS_STALE_SECONDS"]


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True
