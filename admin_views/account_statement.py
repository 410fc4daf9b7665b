"""The statement of account from the account page: shown in the page, as a PDF, or e-mailed to
the account's billing e-mail (by a background job, through the outbox: `jobs.statement_job`).

Who may see it: whoever may see the account's invoices (so "hide finance from managers" hides it
too). Who may e-mail it: whoever may also do collections work on the account (create follow-up
actions). The account comes through the scoped `get_one`: outside a manager's accounts, 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup

from extensions import db
from jobs.statement_job import start_statement_emails
from models import Account, FollowUpAction, Invoice, Job
from models.base import utc_today
from reports.parameters import date_parameter
from reports.statement import AccountStatement, account_statement
from reports.statement_email import mail_configured, statement_file_name
from reports.statement_pdf import statement_pdf

MAIL_NOT_CONFIGURED_MESSAGE = (
    "E-mail is not configured on this server (MAIL_SERVER is not set), so the statement was not "
    "sent. Download the PDF and send it yourself, or ask an administrator to configure e-mail."
)


class AccountStatementMixin:
    """Mixed into `AccountView`, after `AccountPageMixin` (`account_from_request`, `view_for`)."""

    def _statement_for_request(self) -> tuple[Account, AccountStatement]:
        page: Any = self
        account = page.account_from_request()
        invoices = page.view_for(Invoice)
        if invoices is None or not invoices.is_accessible():
            abort(403)
        as_of = date_parameter(request.values, "as_of", "The statement date", utc_today())
        start = date_parameter(request.values, "start", "The period's start", as_of.replace(day=1))
        if start > as_of:
            abort(400, "The period cannot start after the statement date.")
        return account, account_statement(db.session, account, start, as_of)

    def may_email_statement(self) -> bool:
        actions = self.view_for(FollowUpAction)  # type: ignore[attr-defined]
        return actions is not None and actions.is_accessible() and actions.can_create

    @staticmethod
    def _statement_args(statement: AccountStatement) -> dict[str, str]:
        return {"start": statement.period_start.isoformat(), "as_of": statement.as_of.isoformat()}

    @expose("/details/statement/")
    def statement_view(self) -> str:
        account, statement = self._statement_for_request()
        page: Any = self
        return page.render(
            "admin/accounts/statement.html",
            account=account,
            statement=statement,
            query=self._statement_args(statement),
            may_email=self.may_email_statement() and bool(account.billing_email),
            mail_configured=mail_configured(current_app.config),
        )

    @expose("/details/statement/pdf/")
    def statement_pdf_view(self) -> Response:
        account, statement = self._statement_for_request()
        disposition = f"attachment;filename={statement_file_name(statement)}"
        return Response(
            statement_pdf(statement),
            mimetype="application/pdf",
            headers={"Content-Disposition": disposition},
        )

    @expose("/details/statement/email/", methods=["POST"])
    def statement_email(self) -> Response:
        account, statement = self._statement_for_request()
        back = url_for(".statement_view", id=account.id, **self._statement_args(statement))
        if not self.may_email_statement():
            abort(403)
        if not account.billing_email:
            flash("This account has no billing e-mail to send the statement to.", "danger")
            return redirect(back)
        if not mail_configured(current_app.config):
            flash(MAIL_NOT_CONFIGURED_MESSAGE, "warning")
            return redirect(back)
        job = start_statement_emails(
            current_user._get_current_object(),
            [account],
            statement.period_start,
            statement.as_of,
            request.remote_addr,
        )
        flash(job_started_message(job, "The statement is being prepared and e-mailed"), "info")
        return redirect(back)


def job_started_message(job: Job, what: str) -> Markup:
    """ "... in the background: follow it under My jobs" with a link to the job's page."""
    link = url_for("jobs.details", job_id=job.id)
    return Markup('{} in the background; <a href="{}">follow it on its job page</a>.').format(
        what, link
    )
