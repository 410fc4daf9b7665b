"""Statements of account e-mailed by a worker: one account from its page, or the ticked ones.

For each account the job's user may see (`restrict_to_visible_rows`, as their user), read with
their role's field rules (`jobs.running`), the worker builds the statement and its PDF and writes
the e-mail to the outbox (`notifications.outbox.enqueue_email`: recipients and what each may
read are decided there, and nowhere else); the outbox sends it within the minute, with retries.
Each account's e-mail is keyed by (job, account): a job run again after a failure does not write
an e-mail twice, nor audit one twice. An account without a billing e-mail is skipped and named.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from extensions import db
from jobs import states
from jobs.progress import ProgressWriter
from jobs.replaying import panel_view, request_of
from jobs.running import queue_job
from models import Account, AuditEvent, Job, User
from models.readable_values import plural
from models.scoping import restrict_to_visible_rows
from notifications.outbox import enqueue_email
from reports.statement import account_statement
from reports.statement_email import (
    STATEMENT_EVENT,
    statement_attachment,
    statement_email_values,
)

ACCOUNTS_LISTED = 500
"""Accounts the job page lists (code, name, where the statement went)."""
ACCOUNTS_ENDPOINT = "account"
"""The accounts list, whose `may_email_statement` says who may e-mail statements."""
NOT_ALLOWED = "Your role may no longer e-mail statements; nothing was sent."


def start_statement_emails(
    user: User, accounts: list[Account], start: dt.date | None, as_of: dt.date, ip: str | None
) -> Job:
    """Record and queue the e-mailing of `accounts`' statements (`start`: None = the first day
    of `as_of`'s month)."""
    what = f"the statement of {accounts[0].code}" if len(accounts) == 1 else (
        f"statements of {plural(len(accounts), 'account')}"
    )  # fmt: skip
    return queue_job(
        user,
        "statement_email",
        f"E-mail {what} as of {as_of.isoformat()}",
        {
            "account_ids": [account.id for account in accounts],
            "start": start.isoformat() if start else None,
            "as_of": as_of.isoformat(),
            "ip": ip,
        },
        rows_total=len(accounts),
    )


def run_statement_job(job: Job) -> None:
    accounts_list = panel_view(ACCOUNTS_ENDPOINT)
    with request_of(job.user, accounts_list.url):
        allowed = accounts_list.may_email_statement()
    if not allowed:
        states.mark_failed(job.id, NOT_ALLOWED, can_retry=False)
        return
    parameters = job.parameters
    as_of = dt.date.fromisoformat(parameters["as_of"])
    start = dt.date.fromisoformat(parameters["start"]) if parameters["start"] else None
    accounts = list(
        db.session.scalars(
            restrict_to_visible_rows(sa.select(Account), Account, job.user)
            .where(Account.id.in_(parameters["account_ids"]))
            .order_by(Account.code)
        )
    )
    tracker = ProgressWriter(job.id, "sending")
    tracker.write(0, len(accounts), 0, force=True)
    queued, skipped, listed = 0, [], []
    for done, account in enumerate(accounts, start=1):
        if account.billing_email:
            queued += 1
            _queue_statement(job, account, start or as_of.replace(day=1), as_of)
        else:
            skipped.append(account.code)
        if done <= ACCOUNTS_LISTED:
            listed.append([account.id, account.code, account.name, account.billing_email or ""])
        db.session.commit()  # account by account: a run again goes on where this one stopped
        tracker(done, len(accounts), done)
    summary = _summary(queued, skipped, len(parameters["account_ids"]))
    states.mark_done(job.id, summary, rows=len(accounts), outcome={"statements": listed})


def _queue_statement(job: Job, account: Account, start: dt.date, as_of: dt.date) -> None:
    statement = account_statement(db.session, account, start, as_of)
    written = enqueue_email(
        db.session,
        dedupe_key=f"statement/job-{job.id}/account-{account.id}",
        event=STATEMENT_EVENT,
        values=statement_email_values(statement),
        to=[account.billing_email],
        account_id=account.id,
        attachments=[statement_attachment(statement)],
    )
    if written:
        db.session.add(_audit_entry(job, account, start, as_of))


def _audit_entry(job: Job, account: Account, start: dt.date, as_of: dt.date) -> AuditEvent:
    changes: dict[str, Any] = {"as_of": as_of.isoformat(), "start": start.isoformat(),
                               "job": job.id}  # fmt: skip
    return AuditEvent(
        action="statement_emailed",
        entity="Account",
        entity_id=str(account.id),
        changes=changes,
        user_id=job.user.id,
        actor_email=job.user.email,
        ip=job.parameters.get("ip"),
    )


def _summary(queued: int, skipped: list[str], asked: int) -> str:
    parts = [f"{plural(queued, 'statement')} queued in the e-mail outbox (sent within a minute)."]
    if skipped:
        parts.append(f"No billing e-mail, so no statement: {', '.join(skipped)}.")
    if gone := asked - queued - len(skipped):
        parts.append(f"{plural(gone, 'account')} you may no longer see left out.")
    return " ".join(parts)
