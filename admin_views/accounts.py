"""The accounts view: the account page (`AccountPageMixin`, `AccountStatementMixin`), and on the
list bulk actions: give many accounts the same account manager at once, and e-mail the ticked
accounts' statements (a background job)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from admin_views.account_page import AccountPageMixin
from admin_views.account_statement import (
    MAIL_NOT_CONFIGURED_MESSAGE,
    AccountStatementMixin,
    job_started_message,
)
from admin_views.generic import (
    STALE_EDIT_MESSAGE,
    UNEXPECTED_MESSAGE,
    RoleAwareModelView,
    _record_id,
)
from bulk_io.kinds import ACCOUNT_MANAGER_ROLES
from error_references import logged_error_message
from extensions import db
from jobs.statement_job import start_statement_emails
from models import Account, Invoice, User
from models.audit import changed_values
from models.base import utc_today
from models.labels import field_label
from reports.statement_email import mail_configured

ASSIGN_ACTION = "assign_account_manager"
STATEMENTS_ACTION = "email_statements"


class AccountView(AccountStatementMixin, AccountPageMixin, RoleAwareModelView):
    def is_action_allowed(self, name: str) -> bool:
        if name == ASSIGN_ACTION:  # the same right, and the same field rule, as the edit form
            return self.can_edit and "account_manager" not in self.not_writable_names(False)
        if name == STATEMENTS_ACTION:  # the same rights as the account page's e-mail button
            invoices = self.view_for(Invoice)
            return invoices is not None and invoices.is_accessible() and self.may_email_statement()
        return super().is_action_allowed(name)

    @action(
        STATEMENTS_ACTION,
        "E-mail statements",
        "E-mail this month's statement of account to each ticked account's billing e-mail?",
    )
    def action_email_statements(self, ids: list[str]) -> Response:
        """This month's statement, to date, for each ticked account the user may see."""
        if not mail_configured(current_app.config):
            flash(MAIL_NOT_CONFIGURED_MESSAGE, "warning")
            return redirect(url_for(".index_view"))
        accounts = self._visible_accounts(ids)
        if not accounts:
            flash("Tick the accounts whose statements to e-mail.", "warning")
            return redirect(url_for(".index_view"))
        job = start_statement_emails(
            current_user._get_current_object(), accounts, None, utc_today(),
            request.remote_addr,
        )  # fmt: skip
        flash(job_started_message(job, "The statements are being prepared and e-mailed"), "info")
        return redirect(url_for(".index_view"))

    @action(ASSIGN_ACTION, "Assign account manager")
    def action_assign_account_manager(self, ids: list[str]) -> str:
        """Ticked accounts -> a page to pick the manager; the pick is posted to `assign_manager`."""
        return self.render(
            "admin/accounts/assign_manager.html",
            accounts=self._visible_accounts(ids),
            managers=self._managers(),
        )

    @expose("/assign-manager/", methods=["POST"])
    def assign_manager(self) -> Response:
        if not self.is_action_allowed(ASSIGN_ACTION):
            abort(403)
        raw_manager = request.form.get("manager_id", "")
        manager = None
        if raw_manager:
            manager = db.session.scalar(
                self._managers_query().where(User.id == _record_id(raw_manager))
            )
            if manager is None:
                flash("Choose a manager from the list.", "danger")
                return redirect(url_for(".index_view"))
        accounts = self._visible_accounts(request.form.getlist("account_id"))
        changed = []
        for account in accounts:
            if account.account_manager is manager:
                continue
            refusals = self.bulk_change_refusals(account, {"account_manager": manager})
            for field, reason in refusals.items():
                flash(f"{account}: {field_label(Account, field)}: {reason} Not changed.", "danger")
            if not refusals:
                changed.append(account)
        for account in changed:
            self.set_manager(account, manager)
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash(STALE_EDIT_MESSAGE, "danger")
            return redirect(url_for(".index_view"))
        except SQLAlchemyError:
            db.session.rollback()
            ticked = request.form.getlist("account_id")
            context = f"assigning manager {raw_manager!r} to accounts {ticked}"
            flash(logged_error_message(UNEXPECTED_MESSAGE, context), "danger")
            return redirect(url_for(".index_view"))
        who = manager.email if manager else "no account manager"
        flash(f"{len(changed)} account(s) now have {who}.", "success")
        return redirect(url_for(".index_view"))

    def set_manager(self, account: Account, manager: User | None) -> None:
        """Give `account` to `manager` (or to nobody), audited; the caller checks and commits.
        The bulk action and the account page both come here."""
        before = {"account_manager": account.account_manager}
        account.account_manager = manager
        self._audit("update", account, changed_values(before, {"account_manager": manager}))

    def _visible_accounts(self, ids: list[str]) -> list[Any]:
        """Only accounts the user may change: a crafted id outside them changes nothing."""
        return sorted(self.records_to_change(ids), key=lambda account: account.code)

    @staticmethod
    def _managers_query() -> sa.Select[tuple[User]]:
        return sa.select(User).where(User.role.in_(ACCOUNT_MANAGER_ROLES), User.active.is_(True))

    def _managers(self) -> list[User]:
        return list(db.session.scalars(self._managers_query().order_by(User.email)))
