"""Create forms for invoices and credit notes that help: the next number is proposed, the issue
date starts at today, and an invoice's due date follows its account's payment terms.

The due date is filled live in the browser (a small script with the page's CSP nonce asks
`payment_terms_view` for the chosen account's terms) and again on the server when it is left
empty, from the same terms. Terms come from the account as the user may read it: an account
outside a manager's rows answers 404, and terms hidden from the role are never used (a due date
derived from them would reveal them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import abort, jsonify, request
from flask_admin import expose
from flask_admin.contrib.sqla.validators import Unique
from flask_admin.form import BaseForm
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import Field, ValidationError
from wtforms.validators import DataRequired, InputRequired, StopValidation

from admin_views.generic import RoleAwareModelView, _record_id
from auth.permissions import CREATE, EDIT
from extensions import db
from models.accounts import Account
from models.base import utc_today
from models.numbering import next_number, number_taken
from models.scoping import restrict_to_visible_rows

DUE_DATE_HELP = "Left empty, it is the issue date plus the account's payment terms."
NO_TERMS_MESSAGE = "Enter a due date: the account's payment terms cannot fill it in."


def _due_date_or_terms(form: BaseForm, field: Field) -> None:
    """Left empty, the due date comes from the terms; when they cannot fill it, one error."""
    if field.data is None and not (field.raw_data or [""])[0].strip():
        field.errors[:] = []
        raise StopValidation(NO_TERMS_MESSAGE)


def _writable(form: BaseForm, name: str) -> bool:
    """On the form and not read-only for the role (read-only fields are drawn disabled)."""
    return name in form and not (form[name].render_kw or {}).get("disabled")


class NumberedDocumentMixin:
    """Proposes the next number on a new record's form and says clearly when it was taken."""

    first_number = ""
    document_name = ""

    def create_form(self, obj: Any = None) -> BaseForm:
        form = super().create_form(obj)  # type: ignore[misc]
        if _writable(form, "number"):
            if request.method == "GET" and not form.number.data:
                form.number.data = self._proposed_number()
                form.number.description = "Proposed: the next number after the last one used."
            kept = [v for v in form.number.validators if not isinstance(v, Unique)]
            form.number.validators = [*kept, self._refuse_taken_number]  # says what to do instead
        if request.method == "GET" and _writable(form, "issue_date") and not form.issue_date.data:
            form.issue_date.data = utc_today()
        return form

    def _proposed_number(self) -> str:
        return next_number(db.session, self.model, self.first_number)  # type: ignore[attr-defined]

    def _refuse_taken_number(self, form: BaseForm, field: Field) -> None:
        """Checked before saving; the unique constraint still decides a save at the same moment
        (`integrity_problems`)."""
        if field.data and number_taken(db.session, self.model, field.data.strip()):  # type: ignore[attr-defined]
            raise ValidationError(self._taken_message(field))

    def _taken_message(self, field: Field) -> str:
        taken, proposal = field.data, self._proposed_number()
        field.data = proposal
        return (
            f"{taken} is already used by another {self.document_name}, perhaps saved a moment "
            f"ago. The next free number, {proposal}, is now in the field: save again to use it."
        )

    def integrity_problems(self, form: BaseForm) -> list[tuple[str, str]]:
        if (
            "number" in form
            and form.number.data
            and number_taken(
                db.session,
                self.model,  # type: ignore[attr-defined]
                form.number.data,
            )
        ):
            return [("number", self._taken_message(form.number))]
        return super().integrity_problems(form)  # type: ignore[misc]


class InvoiceView(NumberedDocumentMixin, RoleAwareModelView):
    create_template = "admin/billing/invoice_create.html"
    first_number = "INV-00001"
    document_name = "invoice"

    def create_form(self, obj: Any = None) -> BaseForm:
        form = super().create_form(obj)
        if _writable(form, "due_date") and "due_date" not in self.field_rules().required:
            due = form.due_date
            due.description = DUE_DATE_HELP
            kept = [v for v in due.validators if not isinstance(v, DataRequired | InputRequired)]
            due.validators = [_due_date_or_terms, *kept]
            due.flags.required = False  # no * and no browser check: empty is an answer here
            if request.method == "POST" and not (due.raw_data or [""])[0].strip():
                self._due_date_from_terms(form)
        return form

    def _due_date_from_terms(self, form: BaseForm) -> None:
        """An empty due date becomes the issue date plus the chosen account's terms."""
        account = form.account.data if "account" in form else None
        issued = form.issue_date.data if "issue_date" in form else None
        terms = getattr(account, "payment_terms_days", None)  # None when unreadable
        if issued is None or terms is None:
            return
        due = issued + dt.timedelta(days=terms)
        form.due_date.data = due
        form.due_date.raw_data = [due.isoformat()]
        form.due_date.process_errors = []

    @expose("/payment-terms/")
    def payment_terms_view(self) -> Response:
        """{"days": N} for an account the user may pick; null when its terms are hidden."""
        if not {CREATE, EDIT} & self.allowed_operations():
            abort(403)
        wanted = sa.select(Account).where(Account.id == _record_id(request.args.get("account")))
        account = db.session.scalar(restrict_to_visible_rows(wanted, Account, current_user))
        if account is None:
            abort(404)
        return jsonify({"days": account.payment_terms_days})


class CreditNoteView(NumberedDocumentMixin, RoleAwareModelView):
    first_number = "CN-00001"
    document_name = "credit note"
