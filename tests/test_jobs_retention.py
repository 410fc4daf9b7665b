"""Job files do not pile up: an unconfirmed upload goes after a day, finished jobs' files after
`JOBS_KEEP_DAYS`; the jobs themselves stay listed."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from extensions import db
from jobs import files
from jobs.retention import NOT_CONFIRMED, discard_old_files
from models import Job, OutboxAttachment, OutboxMessage
from models.base import utcnow
from notifications.outbox import enqueue_email
from reports.statement_email import STATEMENT_EVENT
from tests.factories import add_account
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


def _statement_email(account_id: int, key: str) -> OutboxMessage:
    values = {"account": {"code": "ACME", "name": "Acme"}, "period_start": "2026-01-01",
              "as_of": "2026-01-31", "balance": "GBP 10.00"}  # fmt: skip
    enqueue_email(db.session, dedupe_key=key, event=STATEMENT_EVENT, values=values,
                  to=["billing@acme.test"], account_id=account_id,
                  attachments=[("statement.pdf", "application/pdf", b"%PDF-1.7 ...")])  # fmt: skip
    return db.session.scalars(sa.select(OutboxMessage).filter_by(dedupe_key=key)).one()


def test_a_statements_pdf_goes_once_its_email_is_finished_for_the_configured_days(app: Flask):
    account = add_account("ACME")
    long_ago = utcnow() - dt.timedelta(days=app.config["JOBS_KEEP_DAYS"] + 1)
    sent_long_ago = _statement_email(account.id, "sent long ago")
    sent_long_ago.status, sent_long_ago.sent_at = "sent", long_ago
    sent_today = _statement_email(account.id, "sent today")
    sent_today.status, sent_today.sent_at = "sent", utcnow()
    waiting = _statement_email(account.id, "still waiting")
    waiting.created_at = long_ago  # a mail server down for weeks: its PDF is still owed
    db.session.commit()

    discard_old_files()

    kept = db.session.scalars(sa.select(OutboxAttachment.message_id)).all()
    assert sorted(kept) == sorted([sent_today.id, waiting.id])
    assert db.session.get(OutboxMessage, sent_long_ago.id).status == "sent"  # the e-mail stays
