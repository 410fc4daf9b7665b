"""Statements e-mailed in the background: from the accounts list for the ticked accounts (only
those the user may see), through the outbox, once per account even when the job runs again, and
naming the super admin who started it while viewing as someone."""

from __future__ import annotations

import re

import sqlalchemy as sa

from extensions import db
from jobs import states
from jobs.running import dispatch, run_job
from jobs.statement_job import NOT_ALLOWED as STATEMENTS_NOT_ALLOWED
from models import AuditEvent, Job, OutboxMessage
from tests.conftest import make_user
from tests.factories import add_account, add_invoice
from tests.job_helpers import wait_for_job
from tests.notification_helpers import mail_server_for

JOB_LINK = re.compile(r'href="/admin/jobs/(\d+)/">follow it on its job page')


def tick_and_email(panel, accounts) -> Job:
    response = panel.post(
        "/admin/account/action/",
        {"action": "email_statements", "rowid": [str(account.id) for account in accounts]},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "The statements are being prepared and e-mailed in the background" in page, page
    return wait_for_job(int(JOB_LINK.search(page).group(1)), "done", "failed")


def outbox() -> list[OutboxMessage]:
    db.session.commit()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_an_admin_emails_the_ticked_accounts_statements_and_hears_of_those_without_an_address(
    app, panel, login_as, worker, monkeypatch
):
    login_as("admin")
    acme = add_account("ACME", billing_email="billing@acme.test")
    birch = add_account("BIRCH", billing_email="accounts@birch.test")
    cedar = add_account("CEDAR")
    add_invoice(acme, "INV-1", "120.00")
    add_account("DOVE", billing_email="dove@dove.test")  # not ticked
    listing = panel.get("/admin/account/").get_data(as_text=True)
    assert "E-mail statements" in listing

    with mail_server_for(app, monkeypatch):
        job = tick_and_email(panel, [acme, birch, cedar])

    assert job.status == "done", job.message
    assert job.message == (
        "2 statements queued in the e-mail outbox (sent within a minute). "
        "No billing e-mail, so no statement: CEDAR."
    )
    assert job.title.startswith("E-mail statements of 3 accounts as of ")
    messages = outbox()
    assert [m.to_addresses for m in messages] == ["billing@acme.test", "accounts@birch.test"]
    assert all(m.subject.startswith("Statement of account ") for m in messages)
    assert [len(m.attachments) for m in messages] == [1, 1]
    assert messages[0].attachments[0].content.startswith(b"%PDF")
    page = panel.get(f"/admin/jobs/{job.id}/").get_data(as_text=True)
    assert "to billing@acme.test" in page and "none: no billing e-mail" in page
    assert "DOVE" not in page


def test_a_manager_emails_only_statements_of_accounts_they_manage(
    app, panel, login_as, worker, monkeypatch
):
    kim = login_as("manager", "kim@example.test")
    mine = add_account("MINE", account_manager=kim, billing_email="billing@mine.test")
    theirs = add_account("THEIRS", billing_email="billing@theirs.test")

    with mail_server_for(app, monkeypatch):
        job = tick_and_email(panel, [mine, theirs])  # a crafted id beside their own

    assert job.status == "done" and job.rows_total == 1
    assert [m.to_addresses for m in outbox()] == ["billing@mine.test"]


def test_a_statement_job_run_again_writes_each_email_and_its_audit_once(
    app, panel, login_as, worker, monkeypatch
):
    admin = login_as("admin")
    acme = add_account("ACME", billing_email="billing@acme.test")
    with mail_server_for(app, monkeypatch):
        job = tick_and_email(panel, [acme])
        db.session.execute(sa.update(Job).where(Job.id == job.id).values(
            status="failed", can_retry=True))  # fmt: skip
        db.session.commit()
        assert states.retry(job.id, admin.id)
        dispatch(job.id, in_request=False)
        again = wait_for_job(job.id, "done", "failed")
    assert again.attempts == 2
    assert len(outbox()) == 1
    assert db.session.query(AuditEvent).filter_by(action="statement_emailed").count() == 1


def test_a_statement_job_started_while_viewing_as_names_the_super_admin(
    app, panel, login_as, worker, monkeypatch
):
    boss = login_as("super_admin", "boss@example.test")
    admin = make_user("admin", "ada@example.test")
    acme = add_account("ACME", billing_email="billing@acme.test")
    panel.post(f"/view-as/{admin.id}", {})
    with mail_server_for(app, monkeypatch):
        tick_and_email(panel, [acme])
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "statement_emailed"))
    assert (audit.user_id, audit.impersonator_id) == (admin.id, boss.id)
    assert audit.impersonator_email == "boss@example.test"


def test_without_a_mail_server_the_list_action_says_so_and_starts_nothing(
    app, panel, login_as, job_queue, monkeypatch
):
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    login_as("admin")
    acme = add_account("ACME", billing_email="billing@acme.test")
    response = panel.post(
        "/admin/account/action/",
        {"action": "email_statements", "rowid": [str(acme.id)]},
        follow_redirects=True,
    )
    assert "E-mail is not configured on this server" in response.get_data(as_text=True)
    assert db.session.scalar(sa.func.count(Job.id)) == 0


def test_a_role_that_lost_the_right_before_the_job_ran_gets_a_failed_job_and_no_email(
    app, panel, login_as, job_queue, monkeypatch
):
    ada = login_as("admin", "ada@example.test")
    acme = add_account("ACME", billing_email="billing@acme.test")
    with mail_server_for(app, monkeypatch):
        response = panel.post(
            "/admin/account/action/",
            {"action": "email_statements", "rowid": [str(acme.id)]},
            follow_redirects=True,
        )
        job_id = int(JOB_LINK.search(response.get_data(as_text=True)).group(1))
        ada.role = "analyst"  # analysts read and export; they write to no customer
        db.session.commit()

        run_job(job_id)

    job = db.session.get(Job, job_id, populate_existing=True)
    assert (job.status, job.message) == ("failed", STATEMENTS_NOT_ALLOWED)
    assert outbox() == []
    assert db.session.query(AuditEvent).filter_by(action="statement_emailed").count() == 0
