"""Job files do not pile up: an unconfirmed upload goes after a day, finished jobs' files after
`JOBS_KEEP_DAYS`; the jobs themselves stay listed."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from extensions import db
from jobs import files
from jobs.retention import NOT_CONFIRMED, discard_old_files
from models import Job
from models.base import utcnow
from tests.test_import_panel import upload
from tests.test_jobs_import import JOB_PAGE


@pytest.fixture
def small_import_job(panel, login_as):
    """An accounts import checked in the request: previewed, its upload waiting on disk."""
    login_as("admin")
    landed = upload(panel, "accounts", b"code,name\nNEW,New Co\n")
    job = db.session.get(Job, int(JOB_PAGE.search(landed.request.path).group(1)))
    assert job.status == "previewed" and files.upload_path(job.token).exists()
    return job


def test_an_upload_not_confirmed_within_a_day_is_discarded(panel, small_import_job):
    job = small_import_job
    discard_old_files()
    assert files.upload_path(job.token).exists()  # an hour-old preview stays

    job.finished_at = utcnow() - dt.timedelta(days=1, minutes=1)
    db.session.commit()
    discard_old_files()

    db.session.refresh(job)
    assert (job.status, job.message) == ("cancelled", NOT_CONFIRMED)
    assert not files.upload_path(job.token).exists()
    late = panel.post(f"/admin/jobs/{job.id}/confirm", {}, follow_redirects=True)
    assert "This import was cancelled; upload the file again" in late.get_data(as_text=True)
    assert "Import accounts from upload.csv" in panel.get("/admin/jobs/").get_data(as_text=True)


def test_a_finished_jobs_error_report_is_kept_for_the_configured_days(app: Flask, panel, login_as):
    login_as("admin")
    landed = upload(panel, "accounts", b"code,name,type\nNEW,New Co,planet\n")
    job = db.session.get(Job, int(JOB_PAGE.search(landed.request.path).group(1)))
    assert job.status == "failed" and job.error_file
    error_url = f"/admin/jobs/{job.id}/errors.csv"
    assert panel.get(error_url).status_code == 200

    job.finished_at = utcnow() - dt.timedelta(days=app.config["JOBS_KEEP_DAYS"] + 1)
    db.session.commit()
    discard_old_files()

    db.session.refresh(job)
    assert job.error_file is None
    assert panel.get(error_url).status_code == 404
    assert "Error report" not in panel.get("/admin/jobs/").get_data(as_text=True)
