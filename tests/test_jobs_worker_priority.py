"""The worker gives way to people: it runs at a lower CPU priority than the panel, by default.

An import keeps a core busy for minutes; page requests waiting for that core should win it.
The worker is `flask --app app worker` in a process of its own, as an operator starts it.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from flask import Flask

from jobs.command_line import WORKER_NICENESS
from tests.job_helpers import start_worker_process


def niceness_once_started(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """The worker's priority once it says it is running, and what it said."""
    said = []
    for line in process.stdout:
        said.append(line.decode())
        if said[-1].startswith("Worker on the"):
            return os.getpriority(os.PRIO_PROCESS, process.pid), "".join(said)
    raise AssertionError(f"the worker stopped before running: {''.join(said)}")


@pytest.mark.parametrize(
    ("options", "lowered_by"), [((), WORKER_NICENESS), (("--nice", "0"), 0), (("--nice", "3"), 3)]
)
def test_the_worker_runs_at_a_lower_cpu_priority_than_the_panel_unless_told_otherwise(
    app: Flask, job_queue, options, lowered_by
):
    own = os.getpriority(os.PRIO_PROCESS, 0)
    process = start_worker_process(app, job_queue, *options)
    try:
        niceness, said = niceness_once_started(process)
    finally:
        process.terminate()
        process.wait(timeout=30)

    assert niceness == min(own + lowered_by, 19)
    assert f"nice {niceness};" in said


def test_a_priority_outside_nices_range_is_refused_with_the_range(app: Flask, job_queue):
    process = start_worker_process(app, job_queue, "--nice", "25")
    said = process.communicate(timeout=60)[0].decode()

    assert process.returncode == 2
    assert "Invalid value for '--nice'" in said and "0<=x<=19" in said
