"""The job queue: Huey, with its SQLite storage as the embedded default and Redis in production.

Huey rather than a hand-made queue, and rather than Celery or RQ: its SQLite storage needs no
server (a file in the instance folder, so the README's one command still runs everything), its
Redis storage serves several machines, and it schedules periodic tasks itself (no cron, no beat
process). RQ needs Redis even on a laptop; Celery needs a broker and a separate scheduler.

Only a job's id travels through the queue; the `Job` row holds everything else. Tasks run in an
app context of the app that built the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper


@dataclass(frozen=True)
class JobQueue:
    huey: Huey
    run_job: TaskWrapper
    """Calling it with a job id queues the job."""
    notify: TaskWrapper
    """`flask notify`'s work; the worker's scheduler queues it every minute."""

    @property
    def backend(self) -> str:
        return "redis" if isinstance(self.huey, RedisHuey) else "sqlite"


def build_queue(app: Flask, redis_url: str | None = None) -> JobQueue:
    """The queue the app's settings name (`redis_url` overrides them: tests try both)."""
    name = app.config["JOBS_QUEUE_NAME"]
    redis_url = redis_url or app.config["JOBS_REDIS_URL"]
    if redis_url:
        huey: Huey = RedisHuey(name, url=redis_url, results=False)
    else:
        huey = SqliteHuey(name, filename=app.config["JOBS_SQLITE_PATH"], results=False)
    return JobQueue(huey, *_register_tasks(huey, app))


def job_queue() -> JobQueue:
    """The app's queue, built the first time it is needed."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "job_queue" not in app.extensions:
        app.extensions["job_queue"] = build_queue(app)
    return app.extensions["job_queue"]


def enqueue(job_id: int) -> None:
    job_queue().run_job(job_id)


def _register_tasks(huey: Huey, app: Flask) -> tuple[TaskWrapper, TaskWrapper]:
    from jobs.reaping import fail_dead_jobs, requeue_lost_jobs
    from jobs.retention import discard_old_files
    from jobs.running import run_job
    from notifications.runner import run_notify
    from notifications.sending import MailSettings

    @huey.task(name="run_job")
    def run_job_task(job_id: int) -> None:
        with app.app_context():
            run_job(job_id)

    @huey.periodic_task(crontab(minute="*"), name="notify")
    def notify_task() -> None:
        """`flask notify`'s work, every minute: safe to overlap with a cron-run `flask notify`."""
        with app.app_context():
            from extensions import db

            report = run_notify(db.session, MailSettings.from_config(app.config))
            app.logger.info("notify: %s", report.summary().replace("\n", "; "))

    @huey.periodic_task(crontab(minute="*"), name="fail_dead_jobs")
    def fail_dead_jobs_task() -> None:
        """A worker on another machine may have died: its jobs go stale and are failed here;
        a queue that restarted empty lost its waiting jobs' messages: they are queued again."""
        with app.app_context():
            fail_dead_jobs()
            requeue_lost_jobs()

    @huey.periodic_task(crontab(minute="*/5"), name="warm_dashboards")
    @huey.lock_task("warm_dashboards")
    def warm_dashboards_task() -> None:
        """Dashboards' figures kept fresh (they are cached 15 minutes), so that on a large ledger
        no viewer waits for one; a run still going when the next is due makes that one skip."""
        from dashboards.warming import warm_dashboards
        from extensions import db

        with app.app_context():
            warmed = warm_dashboards(db.session)
            app.logger.info(
                "dashboards: %s widget(s) for %s viewer(s)", warmed.widgets, warmed.viewers
            )

    @huey.periodic_task(crontab(minute="7"), name="discard_old_job_files")
    def discard_old_files_task() -> None:
        with app.app_context():
            discard_old_files()

    return run_job_task, notify_task
