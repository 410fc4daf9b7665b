"""Background jobs: long work (a big import, a report file) leaves the request.

A top-level package because the concern fits none of the others: it is not a view (views only
start jobs and show them), not a model (the `Job` row lives in `models.jobs`), and it runs
outside any request, in `flask --app app worker`. It never imports `admin_views`.

One job per module:
- `queue`: the Huey queue (SQLite file in the instance folder by default, Redis when
  `JOBS_REDIS_URL` or `REDIS_URL` is set), its tasks and periodic tasks;
- `states`: every move of a job's status, each one conditional UPDATE in its own transaction;
- `progress`: live progress and the heartbeat, kept beside the queue (see there why);
- `running`: running one job as the user who started it (their role's field rules, their rows);
- `import_job`: an import's check (preview) and write steps as a job;
- `report_job`: an aging report file (CSV, XLSX, PDF) prepared as a job;
- `files`: each job's folder of files (the upload, the error report, a result file);
- `reaping`: failing the jobs whose worker died, so they can be retried, and queueing again
  the waiting jobs whose queue message was lost;
- `retention`: discarding unconfirmed uploads after a day, finished jobs' files after two weeks;
- `command_line`: the `flask worker` command.
"""

from __future__ import annotations

import os

from flask import Flask

DEFAULT_QUEUE_NAME = "accounts-desk"


def init_jobs(app: Flask) -> None:
    """Settings (the instance's config.py wins over the environment) and the worker command.
    The queue itself is built on first use (`jobs.queue.job_queue`), so a command that queues
    nothing (a report, an import) does not load Huey and Redis."""
    from jobs.command_line import worker_command

    redis_url = os.environ.get("JOBS_REDIS_URL") or os.environ.get("REDIS_URL")
    app.config.setdefault("JOBS_REDIS_URL", redis_url or None)
    sqlite_path = os.environ.get("JOBS_SQLITE_PATH")
    app.config.setdefault("JOBS_SQLITE_PATH", sqlite_path or f"{app.instance_path}/jobs-queue.db")
    app.config.setdefault("JOBS_QUEUE_NAME", os.environ.get("JOBS_QUEUE_NAME", DEFAULT_QUEUE_NAME))
    app.config.setdefault("JOBS_STALE_SECONDS", 600)
    app.config.setdefault("JOBS_LOST_GRACE_SECONDS", 120)
    app.config.setdefault("JOBS_KEEP_DAYS", 14)
    app.config.setdefault("IMPORT_IN_REQUEST_MAX_BYTES", 1024 * 1024)
    app.config.setdefault("IMPORT_MAX_UPLOAD_BYTES", 1024 * 1024 * 1024)
    app.cli.add_command(worker_command)
