"""Failing the jobs whose worker died, so that their users see why and can run them again.

A job is "running" from the moment a worker claims it until its outcome is written. If the
worker is killed (SIGKILL, out of memory, a server restart), the database rolled its work back,
but the row still says "running". A worker starting, and every worker once a minute, look for
such rows: one whose worker was on this machine and whose process is gone, or whose heartbeat
(`jobs.progress`) is older than `JOBS_STALE_SECONDS` (a worker on another machine), is failed.

A waiting job can be lost too: Redis here keeps nothing on disk, so a restart or a flush drops
the queue's messages while the rows still say "queued". The same periodic check looks for
waiting jobs whose message is in the queue no more, and queues them again once they have been
missing for `JOBS_LOST_GRACE_SECONDS` (the grace covers a message a worker has taken but not yet
claimed). Queueing twice is harmless: a run starts with a conditional claim, so a second message
for the same job does nothing. A queue that refuses the message fails the job, retryable.
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
from jobs.queue import job_queue
from jobs.running import dispatch
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


def requeue_lost_jobs() -> int:
    """Queue again every waiting job missing from the queue for the grace period; how many."""
    waiting = list(db.session.scalars(sa.select(Job.id).where(Job.status == "queued")))
    db.session.commit()
    if not waiting:
        return 0
    huey = job_queue().huey
    in_queue = {
        task.args[0]
        for task in [*huey.pending(), *huey.scheduled()]
        if task.name == "run_job" and task.args
    }
    grace = current_app.config["JOBS_LOST_GRACE_SECONDS"]
    requeued = 0
    for job_id in waiting:
        key = f"job-missing-since:{job_id}"
        if job_id in in_queue:
            huey.delete(key)
            continue
        missing_since = huey.get(key, peek=True)
        if missing_since is None:
            missing_since = time.time()
            huey.put(key, missing_since)
        if time.time() - missing_since >= grace:
            huey.delete(key)
            requeued += _queue_again(job_id)
    return requeued


def _queue_again(job_id: int) -> int:
    current_app.logger.warning("job %s: its queue message was lost; queueing it again", job_id)
    dispatch(job_id, in_request=False)  # a queue that refuses it fails the job, retryable
    return 1
