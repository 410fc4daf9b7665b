"""Fixtures for tests that run the real job queue: a worker in a thread, or in a process.

The embedded queue (SQLite) always; Redis too when TEST_REDIS_URL is set (`.ci/run` sets it
when Redis answers on 127.0.0.1:6379). Loaded by `pytest_plugins` in conftest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask

from app import PROJECT_ROOT
from extensions import db
from jobs.command_line import make_consumer
from jobs.queue import JobQueue, build_queue
from models.jobs import Job

QUEUES = ["sqlite"] + (["redis"] if os.environ.get("TEST_REDIS_URL") else [])
WAIT_SECONDS = 120


@pytest.fixture(params=QUEUES)
def job_queue(request: pytest.FixtureRequest, app: Flask) -> Iterator[JobQueue]:
    """The app's queue for this test: its own SQLite file, or a Redis queue of its own name."""
    before = app.extensions.pop("job_queue", None)
    name = f"test-{uuid.uuid4().hex[:12]}"
    redis_url = os.environ["TEST_REDIS_URL"] if request.param == "redis" else None
    saved = {key: app.config[key] for key in ("JOBS_QUEUE_NAME", "JOBS_SQLITE_PATH")}
    app.config["JOBS_QUEUE_NAME"] = name
    app.config["JOBS_SQLITE_PATH"] = str(Path(saved["JOBS_SQLITE_PATH"]).with_name(f"{name}.db"))
    queue = build_queue(app, redis_url=redis_url)
    app.extensions["job_queue"] = queue
    yield queue
    queue.huey.flush()
    app.extensions.pop("job_queue")
    if before is not None:
        app.extensions["job_queue"] = before
    app.config.update(saved)


@contextmanager
def running_worker(queue: JobQueue) -> Iterator[JobQueue]:
    """A worker in this process: Huey's consumer with one thread, until the block ends."""
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    handlers = {sig: signal.getsignal(sig) for sig in signals}  # the consumer sets its own
    consumer = make_consumer(queue, threads=1, periodic=False)
    consumer.start()
    try:
        yield queue
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


@pytest.fixture
def worker(job_queue: JobQueue) -> Iterator[JobQueue]:
    with running_worker(job_queue) as queue:
        yield queue


def start_worker_process(app: Flask, job_queue: JobQueue, *options: str) -> subprocess.Popen[bytes]:
    """`flask --app app worker [options]` as an operator runs it, on the test's database and
    queue."""
    environment = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret",
        "JOBS_QUEUE_NAME": app.config["JOBS_QUEUE_NAME"],
        "JOBS_SQLITE_PATH": app.config["JOBS_SQLITE_PATH"],
    }
    environment.pop("JOBS_REDIS_URL", None)
    environment.pop("REDIS_URL", None)
    if job_queue.backend == "redis":
        environment["JOBS_REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    command = [sys.executable, "-m", "flask", "--app", "app", "worker", "--threads", "1",
               "--no-periodic", *options]  # fmt: skip
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def wait_for_job(job_id: int, *statuses: str) -> Job:
    """The job, once its row shows one of `statuses` (each look is a fresh read)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        db.session.commit()
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is not None and job.status in statuses:
            return job
        if time.monotonic() > deadline:
            status = job.status if job else "missing"
            raise AssertionError(f"job {job_id} is {status}, not {statuses}, after {WAIT_SECONDS}s")
        time.sleep(0.05)
