"""Live progress of a running job, and the heartbeat that says its worker is alive.

Kept in the queue's own key-value storage, beside the queue, not in the `jobs` row: an import
holds its database transaction open from its first written batch to its commit, and on SQLite
that transaction holds the one write lock, so no other connection could update the row until
the import is over. The queue's storage (its own SQLite file, or Redis) takes a write at any
time. What lasts (status, phase reached, rows, outcome) is written to the row when a run
starts and ends; this is only "how far, right now".
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import asdict, dataclass

from jobs.queue import job_queue

WRITE_EVERY_SECONDS = 0.5
"""At most two writes a second, as often as the job page asks: an import reports after every
batch, and each write on the embedded queue is a synced commit to its SQLite file (about 10 ms of
the import's own time on a busy disk). A change of phase is written at once."""


def worker_name() -> str:
    """`host:pid`: which process runs a job, so a restarted worker can tell a dead run."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Progress:
    phase: str
    rows_done: int
    rows_total: int | None
    """Exact for XLSX (the sheet says); estimated from bytes read for CSV."""
    fraction: float
    at: float
    """When it was written (seconds since the epoch): the heartbeat."""


def _key(job_id: int) -> str:
    return f"job-progress:{job_id}"


def latest(job_id: int) -> Progress | None:
    stored = job_queue().huey.get(_key(job_id), peek=True)
    return Progress(**stored) if stored else None


def forget(job_id: int) -> None:
    job_queue().huey.delete(_key(job_id))


class ProgressWriter:
    """Called by a running job after each batch; writes at most every `WRITE_EVERY_SECONDS`."""

    def __init__(self, job_id: int, phase: str) -> None:
        self.job_id = job_id
        self.phase = phase
        self._written_at = 0.0

    def __call__(self, units_done: int, units_total: int, rows_done: int) -> None:
        self.write(units_done, units_total, rows_done)

    def write(self, units_done: int, units_total: int, rows_done: int, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._written_at < WRITE_EVERY_SECONDS:
            return
        self._written_at = now
        fraction = min(units_done / units_total, 1.0) if units_total else 0.0
        rows_total = round(rows_done / fraction) if fraction and rows_done else None
        progress = Progress(self.phase, rows_done, rows_total, fraction, now)
        job_queue().huey.put(_key(self.job_id), asdict(progress))
