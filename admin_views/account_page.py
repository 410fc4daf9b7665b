"""The customer account page (the account's details view): summary, key figures, tabs, search
within the account, and the actions taken from it (note, follow-up action, credit, manager).

Every list and every action goes through the entity's own generic view: its permissions, row
scoping, Configure Forms rules, validation and audit apply here exactly as on its own pages. The
account itself is fetched with `get_one`, so an account outside a manager's scope answers 404.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_admin import expose
from flask_admin.model.fields import AjaxSelectField
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.utils import secure_filename

from admin_views.account_search import search_account
from admin_views.account_tabs import (
    EXPORT_ROW_LIMIT,
    TAB_BY_KEY,
    TABS,
    AccountTab,
    ListArguments,
    account_code_filter,
    export_table,
    list_tab,
    searchable_text,
)
from admin_views.generic import STALE_EDIT_MESSAGE, RoleAwareModelView, _record_id
from bulk_io.writing import XLSX_MIMETYPE, csv_chunks, file_chunks, xlsx_file
from extensions import db
from forms_config import may_read
from models import Account, CreditNote, CreditRequest, FollowUpAction, Invoice, Note, User
from models.account_currency import currency_of_account
from models.base import CENT, utc_today
from models.ledger import account_figures, credit_use_percent, receivables_per_account
from reports.table_pdf import table_pdf

SUMMARY_ORDER = (
    "code", "name", "billing_address", "billing_phone", "billing_email", "primary_contact",
    "account_manager", "payment_terms_days", "type", "status", "group", "created_at",
)  # fmt: skip
"""Summary fields in reading order; custom fields and any other visible field follow."""
FIGURE_COLUMNS = frozenset({"balance", "credit_limit"})
"""Shown among the key figures rather than in the summary."""
SERVER_SET_FIELDS = {"account"}
"""Set by the page, never by the user: the account of the page (authors are the model's)."""


@dataclass(frozen=True)
class PageForm:
    """A record created from the account page, and the tab that lists it."""

    model: type
    tab: str
    done: str


PAGE_FORMS = {
    "note": PageForm(Note, "notes", "Note added."),
    "follow_up": PageForm(FollowUpAction, "actions", "Follow-up action created."),
    "credit": PageForm(CreditNote, "credit_notes", "Credit note issued."),
    "credit_request": PageForm(
        CreditRequest, "credit_requests", "Credit limit requested: an approver will decide."
    ),
}


@dataclass(frozen=True)
class KeyFigures:
    """An account's money as of a day; every amount to the cent."""

    total_due: Decimal
    overdue: Decimal
    balance: Decimal
    lifetime_value: Decimal
    open_invoices: int
    credit_limit: Decimal | None

    @property
    def account_credit(self) -> Decimal:
        """Unapplied payments and credit notes, and any excess paid over an invoice."""
        return self.total_due - self.balance

    @property
    def is_current(self) -> bool:
        return self.overdue <= 0

    @property
    def credit_use_percent(self) -> int | None:
        return credit_use_percent(self.balance, self.credit_limit)


def key_figures(account: Account, today: dt.date) -> KeyFigures:
    """The page's figures, computed in SQL by `models.ledger` (one definition of each)."""
    one_account = sa.select(Account).where(Account.id == account.id)
    figures = db.session.execute(account_figures(one_account, today)).one()
    receivables = db.session.execute(receivables_per_account(one_account)).one_or_none()
    return KeyFigures(
        total_due=Decimal(receivables.total_due if receivables else 0).quantize(CENT),
        overdue=Decimal(figures.overdue).quantize(CENT),
        balance=Decimal(figures.balance).quantize(CENT),
        lifetime_value=Decimal(receivables.lifetime_value if receivables else 0).quantize(CENT),
        open_invoices=figures.open_invoices,
        credit_limit=account.credit_limit,
    )


class AccountPageMixin:
    """Mixed into `AccountView` (a `RoleAwareModelView` over `Account`)."""

    details_template = "admin/accounts/details.html"

    # --- the other entities' views -------------------------------------------------------------

    def view_for(self, model: type) -> RoleAwareModelView | None:
        admin = self.admin  # type: ignore[attr-defined]
        return next(
            (v for v in admin._views if isinstance(v, RoleAwareModelView) and v.model is model),
            None,
        )

    def tabs_for_request(self) -> list[AccountTab]:
        """The tabs whose entity the current user may list (and filter by account)."""
        shown = []
        for tab in TABS:
            view = self.view_for(tab.model)
            if view is None or not view.is_accessible():
                continue
            if tab.key != "history" and account_code_filter(view) is None:
                continue
            shown.append(tab)
        return shown

    def tab_for_request(self, tab_key: str) -> AccountTab:
        """The tab a tab URL names: no such tab is 404; a tab outside the user's menu is 403,
        as the entity's own URLs are (the account's scope is checked first, so a record outside
        a manager's accounts still answers 404)."""
        tab = TAB_BY_KEY.get(tab_key)
        if tab is None:
            abort(404)
        if tab not in self.tabs_for_request():
            abort(403)
        return tab

    def account_from_request(self) -> Account:
        """The page's account through the scoped `get_one`: out of scope answers 404."""
        return self.get_one(request.args.get("id"))  # type: ignore[attr-defined]

    def page_url(self, account: Account, **args: Any) -> str:
        return url_for(".details_view", id=account.id, **args)

    # --- the page --------------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self) -> Any:
        view: Any = self
        if not view.can_view_details:
            abort(403)
        account = self.account_from_request()
        tabs = self.tabs_for_request()
        tab = TAB_BY_KEY.get(request.args.get("tab", ""))
        if tab not in tabs:
            tab = tabs[0] if tabs else None
        listing = None
        if tab is not None:
            target = self.view_for(tab.model)
            listing = list_tab(target, tab, account, ListArguments.from_args(request.args))
        invoice_view = self.view_for(Invoice)
        money_visible = invoice_view is not None and invoice_view.is_accessible()
        search_text = searchable_text(request.args.get("q"))
        today = utc_today()
        return view.render(
            self.details_template,
            model=account,
            summary=self._summary(account),
            figures=key_figures(account, today) if money_visible else None,
            currency=currency_of_account(db.session, account.id) if money_visible else None,
            credit_limit_visible=may_read("Account", "credit_limit", view.acting_role(), account),
            open_actions=self._open_action_count(account),
            tabs=tabs,
            listing=listing,
            search_text=search_text,
            search_hits=search_account(self.view_for, account, search_text)
            if search_text
            else None,
            forms=self._action_forms(account),
            managers=view._managers() if self._may_change_manager() else None,
            return_url=url_for(".index_view"),
            today=today,
        )

    def _summary(self, account: Account) -> list[tuple[str, Any]]:
        view: Any = self
        columns = dict(view._details_columns)
        ordered = [name for name in SUMMARY_ORDER if name in columns]
        ordered += [name for name in columns if name not in ordered and name not in FIGURE_COLUMNS]
        summary = []
        for name in ordered:
            if name == "payment_terms_days":
                summary.append(("Payment terms", f"NET{account.payment_terms_days}"))
            elif name == "created_at":
                summary.append(("Date joined", account.created_at.date().isoformat()))
            else:
                summary.append((columns[name], view.get_detail_value(None, account, name)))
        return summary

    def _open_action_count(self, account: Account) -> int | None:
        actions = self.view_for(FollowUpAction)
        if actions is None or not actions.is_accessible():
            return None
        query = actions.get_count_query().filter(
            FollowUpAction.account_id == account.id, FollowUpAction.status == "open"
        )
        return query.scalar()

    # --- tab exports -----------------------------------------------------------------------------

    @expose("/details/export/<tab_key>/<export_type>/")
    def export_tab(self, tab_key: str, export_type: str) -> Response:
        """A tab as CSV, XLSX or PDF: the rows the tab shows (search, sort), every page."""
        account = self.account_from_request()
        tab = self.tab_for_request(tab_key)
        target = self.view_for(tab.model)
        if not target.can_export:
            abort(403)
        header, rows = export_table(target, tab, account, ListArguments.from_args(request.args))
        name = secure_filename(f"{account.code}_{tab.key}_{utc_today().isoformat()}")
        if export_type == "csv":
            body: Any = csv_chunks(header, rows)
            mimetype = "text/csv"
        elif export_type == "xlsx":
            body = file_chunks(xlsx_file(header, rows, tab.label))
            mimetype = XLSX_MIMETYPE
        elif export_type == "pdf":
            body = table_pdf(f"{account.code} — {account.name}: {tab.label}", header, rows)
            mimetype = "application/pdf"
        else:
            abort(404)
        disposition = f"attachment;filename={name}.{export_type}"
        return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})

    @expose("/details/print/<tab_key>/")
    def print_tab(self, tab_key: str) -> str:
        """The whole tab on one plain page, laid out for the browser's print."""
        account = self.account_from_request()
        tab = self.tab_for_request(tab_key)
        target = self.view_for(tab.model)
        arguments = dataclasses.replace(ListArguments.from_args(request.args), page=0)
        listing = list_tab(target, tab, account, arguments, page_size=EXPORT_ROW_LIMIT)
        return render_template(
            "admin/accounts/print_tab.html", account=account, listing=listing, today=utc_today()
        )

    # --- actions ---------------------------------------------------------------------------------

    def _action_forms(self, account: Account) -> dict[str, Any]:
        """The create forms the user may post from the page, each its entity's own form."""
        forms = {}
        for key, page_form in PAGE_FORMS.items():
            target = self.view_for(page_form.model)
            if target is not None and target.is_accessible() and target.can_create:
                form = target.create_form()
                forms[key] = {
                    "form": form,
                    "fields": [
                        field
                        for field in form
                        if field.name not in SERVER_SET_FIELDS | {"loaded_version"}
                    ],
                    "choices": self._relation_choices(target, form, account),
                }
        return forms

    def _relation_choices(
        self, target: RoleAwareModelView, form: Any, account: Account
    ) -> dict[str, list[tuple[int, str]]]:
        """Options for pick lists on the page: this account's invoices, or the scoped records."""
        choices = {}
        for field in form:
            if not isinstance(field, AjaxSelectField) or field.name in SERVER_SET_FIELDS:
                continue
            related = target.model_fields.relations[field.name]
            if related is Invoice:
                invoices = self.view_for(Invoice)
                query = invoices.get_query().filter(Invoice.account_id == account.id)
                records = query.order_by(Invoice.issue_date.desc()).limit(200).all()
            else:
                records = field.loader.get_list("", offset=0, limit=200)
            choices[field.name] = [(record.id, str(record)) for record in records]
        return choices

    @expose("/details/add/<form_key>/", methods=["POST"])
    def add_record(self, form_key: str) -> Response:
        """Create a note, follow-up action or credit note on this account through its own view."""
        account = self.account_from_request()
        page_form = PAGE_FORMS.get(form_key)
        target = self.view_for(page_form.model) if page_form else None
        if target is None:
            abort(404)
        if not target.is_accessible() or not target.can_create:
            abort(403)
        form = target.create_form()
        tab = page_form.tab
        if target.validate_form(form):
            # The page's account is set here, whatever was posted.
            if "account" in form:
                form.account.data = account
            if "assignee" in form and form.assignee.data is None:
                form.assignee.data = current_user._get_current_object()
            if target.create_model(form):
                flash(page_form.done, "success")
                return redirect(self.page_url(account, tab=tab))
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "danger")
        return redirect(self.page_url(account, tab=tab))

    def _may_change_manager(self) -> bool:
        view: Any = self
        return view.can_edit and "account_manager" not in view.not_writable_names(creating=False)

    @expose("/details/account-manager/", methods=["POST"])
    def change_manager(self) -> Response:
        """Assign or change this account's manager, refusing a stale page like the edit form."""
        view: Any = self
        account = self.account_from_request()
        if not self._may_change_manager() or view.change_refusals(account):
            abort(403)
        if request.form.get("loaded_version") != str(account.version_id):
            flash(STALE_EDIT_MESSAGE, "danger")
            return redirect(self.page_url(account))
        manager = None
        if raw := request.form.get("manager_id", ""):
            manager = db.session.scalar(view._managers_query().where(User.id == _record_id(raw)))
            if manager is None:
                flash("Choose a manager from the list.", "danger")
                return redirect(self.page_url(account))
        if refusals := view.bulk_change_refusals(account, {"account_manager": manager}):
            for reason in refusals.values():
                flash(reason, "danger")
            return redirect(self.page_url(account))
        view.set_manager(account, manager)
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash(STALE_EDIT_MESSAGE, "danger")
            return redirect(self.page_url(account))
        flash(f"Account manager: {manager.email if manager else 'none'}.", "success")
        return redirect(self.page_url(account))
