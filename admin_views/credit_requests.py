"""Credit requests in the panel: managers and admins ask, approvers accept or reject.

The generic view lists, filters and exports requests; this subclass narrows the create form to
what a requester states (account, amount, reason), starts each request pending, and adds the
accept / reject buttons; the requester is a server-set column, filled by the model. The rules
themselves live in `notifications.credit_requests`.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from admin_views.generic import RoleAwareModelView, _format_money_cell
from auth.impersonation import audit_actor
from extensions import db
from forms_config.readability import readable
from models.notifications import CreditRequest, stored_credit_limit
from notifications.credit_requests import (
    CreditRequestRefused,
    announce_request,
    decide,
    may_decide,
)

REQUESTER_FIELDS = ("account", "amount", "reason")
DECIDED_MEANWHILE_MESSAGE = "Someone decided this request meanwhile. Reload to see the decision."


class CreditRequestView(RoleAwareModelView):
    details_template = "notifications/credit_request_details.html"
    column_default_sort = ("created_at", True)

    def __init__(self, model: type[CreditRequest], session: Any, **kwargs: Any) -> None:
        super().__init__(model, session, **kwargs)
        self.form_columns = list(REQUESTER_FIELDS)
        self.column_formatters["old_limit"] = _format_money_cell
        self._refresh_forms_cache()

    def build_new_instance(self) -> CreditRequest:
        """A request starts pending, whatever the form says."""
        credit_request = super().build_new_instance()
        credit_request.status = "pending"
        return credit_request

    def create_model(self, form: Any) -> Any:
        """Saved requests are announced to the approvers by e-mail."""
        credit_request = super().create_model(form)
        if credit_request:
            announce_request(db.session, credit_request)
            db.session.commit()
        return credit_request

    def may_decide(self) -> bool:
        return may_decide(db.session, current_user)

    def current_limit(self, credit_request: CreditRequest) -> str | None:
        """The account's limit now, as the approver weighs a pending request against it; None
        when the reader may not read the limit (then the old limit is hidden too)."""
        if not readable("CreditRequest", "old_limit"):
            return None
        limit = stored_credit_limit(credit_request.account_id)
        return "no limit" if limit is None else f"{limit:,.2f}"

    @expose("/decide/<int:request_id>/", methods=["POST"])
    def decide_view(self, request_id: int) -> Response:
        if not self.may_decide():
            abort(403)
        credit_request = self.get_one(str(request_id))
        decision = request.form.get("decision", "")
        try:
            decide(
                db.session,
                credit_request,
                decision,
                current_user._get_current_object(),
                request.form.get("reason"),
                audit_actor(),
            )
            db.session.commit()
        except CreditRequestRefused as refusal:
            db.session.rollback()
            flash(str(refusal), "danger")
        except StaleDataError:
            db.session.rollback()
            flash(DECIDED_MEANWHILE_MESSAGE, "danger")
        else:
            flash(f"The request is {decision}.", "success")
        return redirect(url_for(".details_view", id=request_id))
