"""The statement of account from the account page: shown in the page, as a PDF, or e-mailed to
the account's billing e-mail.

Who may see it: whoever may see the account's invoices (so "hide finance from managers" hides it
too). Who may e-mail it: whoever may also do collections work on the account (create follow-up
actions). The account comes through the scoped `get_one`: outside a manager's accounts, 404.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from werkzeug.utils import secure_filename

from extensions import db
from models import Account, FollowUpAction, Invoice
from models.readable_values import money_text
from reports.parameters import date_parameter
from reports.statement import AccountStatement, account_statement
from reports.statement_email import MailNotConfigured, mail_configured, send_pdf
from reports.statement_pdf import statement_pdf

log = logging.getLogger(__name__)

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
        as_of = date_parameter(request.values, "as_of", "The statement date", dt.date.today())
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
        return Response(
            statement_pdf(statement),
            mimetype="application/pdf",
            headers={"Content-Disposition": f"attachment;filename={self._pdf_name(statement)}"},
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
        try:
            send_pdf(
                current_app.config,
                to=account.billing_email,
                subject=f"Statement of account {account.code} as of {statement.as_of.isoformat()}",
                body=(
                    f"Dear {account.name},\n\nPlease find attached your statement of account "
                    f"for {statement.period_start.isoformat()} to {statement.as_of.isoformat()}."
                    f"\nBalance carried forward: "
                    f"{money_text(statement.carried_forward, statement.currency)}.\n"
                ),
                filename=self._pdf_name(statement),
                pdf=statement_pdf(statement),
            )
        except MailNotConfigured:
            flash(MAIL_NOT_CONFIGURED_MESSAGE, "warning")
            return redirect(back)
        except (smtplib.SMTPException, OSError):
            log.exception("sending the statement of %s failed", account.code)
            flash("The statement could not be sent: the mail server refused it.", "danger")
            return redirect(back)
        page: Any = self
        page._audit(
            "statement_emailed",
            account,
            {"as_of": statement.as_of.isoformat(), "start": statement.period_start.isoformat()},
        )
        db.session.commit()
        flash("The statement was sent to the billing e-mail.", "success")
        return redirect(back)

    @staticmethod
    def _pdf_name(statement: AccountStatement) -> str:
        name = f"statement_{statement.account_code}_{statement.as_of.isoformat()}.pdf"
        return secure_filename(name)
