"""`flask --app app worker`: run queued jobs and the periodic tasks (notify, dead-job checks)."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext

from extensions import db

if TYPE_CHECKING:
    from huey.consumer import Consumer

    from jobs.queue import JobQueue

IDLE_POLL_SECONDS = 0.5
"""The longest an idle worker on the SQLite queue waits before looking again (Huey: 10 s); a
job's progress must show within a second of its upload. Redis hands jobs over at once."""

WORKER_NICENESS = 10
"""How much lower than the panel's the worker's CPU priority is (Unix `nice`). An import keeps
a core busy for minutes; at 10 the scheduler gives a waiting panel request about nine times the
worker's share of a contended core, and the worker still has every cycle nobody else wants."""


def make_consumer(queue: JobQueue, threads: int, periodic: bool = True) -> Consumer:
    return queue.huey.create_consumer(
        workers=threads,
        worker_type="thread",
        periodic=periodic,
        initial_delay=0.05,
        max_delay=IDLE_POLL_SECONDS,
        check_worker_health=True,
    )


@click.command("worker")
@click.option(
    "--threads",
    default=None,
    type=click.IntRange(1, 32),
    help="Jobs run at once by this worker [default: 2; 1 on SQLite, which takes one writer at a "
    "time]. Imports are CPU-bound: for more, start more workers.",
)
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Also run the periodic tasks (notify every minute, dead-job checks).",
)
@click.option(
    "--nice",
    "niceness",
    default=WORKER_NICENESS,
    show_default=True,
    type=click.IntRange(0, 19),
    help="Lower this worker's CPU priority by this much (as `nice`), so that people's page "
    "requests win the CPU while a big import runs. 0 keeps the panel's priority. The database "
    "server's own processes keep theirs.",
)
@with_appcontext
def worker_command(threads: int | None, periodic: bool, niceness: int) -> None:
    """Run background jobs: big imports, and every minute `flask notify`'s work.

    Uses the queue the settings name: Redis when JOBS_REDIS_URL (or REDIS_URL) is set, else a
    SQLite file in the instance folder. Ctrl-C lets running jobs finish, then stops; SIGTERM
    stops at once: a job being written is rolled back, shown failed, and can be run again.
    """
    from app import load_pages
    from jobs.queue import job_queue  # Huey loads only for the worker, not for every command
    from jobs.reaping import fail_dead_jobs
    from reports.duckdb_reader import start_duckdb
    from reports.report_service import serving_reports

    if niceness:
        os.nice(niceness)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()
    load_pages(app)  # big list exports replay their list view
    queue = job_queue()
    if threads is None:
        threads = 1 if db.engine.dialect.name == "sqlite" else 2
    stopped = fail_dead_jobs()
    if stopped:
        click.echo(f"{stopped} job(s) left running by a stopped worker were marked failed.")
    click.echo(
        f"Worker on the {queue.backend} queue, {threads} thread(s), nice {os.nice(0)}; "
        "Ctrl-C stops it."
    )
    app.logger.setLevel(logging.INFO)
    start_duckdb(db.engine)  # opened once, for the reports it makes
    with serving_reports(app) as report_socket:
        if report_socket:
            click.echo(f"It makes `flask report aging`'s files too, asked on {report_socket}.")
        make_consumer(queue, threads, periodic).run()
