"""A job a super admin started while viewing as another user writes audit entries naming both
people, as the request would have, though it runs in a worker long after that request."""

from __future__ import annotations

import sqlalchemy as sa

from extensions import db
from models import AuditEvent, Job
from tests.conftest import make_user
from tests.factories import add_account
from tests.job_helpers import wait_for_job
from tests.test_import_panel import CONFIRM
from tests.test_jobs_import import as_csv, files_go_to_the_worker, invoice_rows, job_id_of, upload

__all__ = ["files_go_to_the_worker"]  # the autouse fixture: these files go to the worker


def test_an_import_started_while_viewing_as_names_the_super_admin_in_its_audit(
    panel, login_as, worker
):
    boss = login_as("super_admin", "boss@example.test")
    admin = make_user("admin", "ada@example.test")
    add_account("ACME")
    assert panel.post(f"/view-as/{admin.id}", {}).status_code == 302

    landed = upload(panel, "invoices", as_csv(invoice_rows(1500)))
    job_id = job_id_of(landed)
    wait_for_job(job_id, "previewed")
    page = panel.get(f"/admin/jobs/{job_id}/").get_data(as_text=True)
    panel.post(CONFIRM.search(page).group(1), {})
    assert wait_for_job(job_id, "done", "failed").status == "done"

    job = db.session.get(Job, job_id)
    assert (job.user_id, job.impersonator_id) == (admin.id, boss.id)
    page = panel.get(f"/admin/jobs/{job_id}/").get_data(as_text=True)
    assert "boss@example.test" in page  # the job page says who really started it
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import"))
    assert (audit.user_id, audit.impersonator_id) == (admin.id, boss.id)
    assert audit.impersonator_email == "boss@example.test"


def test_a_job_started_as_oneself_names_no_impersonator(panel, login_as, worker):
    login_as("admin")
    add_account("ACME")
    job_id = job_id_of(upload(panel, "invoices", as_csv(invoice_rows(1500))))
    wait_for_job(job_id, "previewed")
    page = panel.get(f"/admin/jobs/{job_id}/").get_data(as_text=True)
    panel.post(CONFIRM.search(page).group(1), {})
    wait_for_job(job_id, "done")
    assert db.session.get(Job, job_id).impersonator_id is None
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import"))
    assert audit.impersonator_id is None
