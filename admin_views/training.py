"""Training pages: booking places and cancelling them, the course dates still to come, and the
awards report.

The booking rules themselves live in `models.training` and run when a booking is flushed; the
views here only show their refusals on the form and offer the dates that can still be booked
(who booked is a server-set column, filled by the model). Everything else (scoping, field
rules, audit, exports) is the generic view's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.form import BaseForm
from flask_admin.model.template import BaseListRowAction, EndpointLinkRowAction
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from admin_views.access import LoginOrForbidden
from admin_views.generic import (
    STALE_EDIT_MESSAGE,
    RoleAwareModelView,
    ScopedAjaxModelLoader,
    _record_id,
)
from admin_views.search import matching_any
from auth.permissions import CREATE, EXPORT, VIEW, allowed_operations
from bulk_io.writing import XLSX_MIMETYPE, csv_chunks, file_chunks, xlsx_file
from extensions import db
from forms_config import may_read, reader_role
from models.audit import changed_values
from models.base import utc_today
from models.config import Setting
from models.setting_catalogue import MANAGERS_MAY_CANCEL_BOOKINGS
from models.training import BookingRefused, Course, CourseDate, cancellation_status
from reports.parameters import choice_parameter, date_parameter, whole_number_parameter
from reports.training_awards import (
    AWARD_STATUSES,
    DEFAULT_WITHIN_DAYS,
    awards_report,
    report_rows,
)

MANAGER_HIDDEN_BOOKING_FIELDS = frozenset({"status", "invoice"})
"""Managers book places; admins decide their status and invoice them."""
MANAGER_FIXED_AFTER_BOOKING = frozenset({"course_date", "account"})
"""A booked place moves by cancelling and booking again; only the delegate is named later."""
BOOK_A_PLACE = EndpointLinkRowAction(
    "fa fa-user-plus", "booking.create_view", title="Book a place", id_arg="course_date"
)


class BookingRulesOnFormMixin:
    """Shows a refusal of the booking rules on the form, next to the field at fault."""

    def create_model(self, form: BaseForm) -> Any:
        try:
            return super().create_model(form)  # type: ignore[misc]
        except BookingRefused as refusal:
            return _refused(form, refusal)

    def update_model(self, form: BaseForm, model: Any) -> bool:
        try:
            return super().update_model(form, model)  # type: ignore[misc]
        except BookingRefused as refusal:
            return _refused(form, refusal)


def _refused(form: BaseForm, refusal: BookingRefused) -> bool:
    db.session.rollback()
    for name, message in refusal.problems.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "danger")
    return False


class UpcomingCourseDateLoader(ScopedAjaxModelLoader):
    """The booking form's date picker lists dates still to come with a free place; a date posted
    anyway is still found, so the booking rules can say why it cannot be booked."""

    def get_list(self, term: str, offset: int = 0, limit: int = 20) -> list[Any]:
        """Dates whose course title contains `term`, or whose course code, start date
        ("2026-05") or venue starts with it: people look for a date by its course's name.

        Only readable columns are matched (a hidden one would answer guesses); the catalogue
        is small, so a title is matched anywhere in it, not only at its start.
        """
        query = self.get_query().join(CourseDate.course)
        words = " ".join(term.split())
        if words:
            role = reader_role()
            course_shown = may_read("CourseDate", "course", role)  # or its name tells it
            own = [c for c in self._cached_fields if may_read("CourseDate", c.key, role)]
            if course_shown and may_read("Course", "code", role):
                own.append(Course.code)
            conditions = [matching_any(own, words, db.engine.dialect.name)] if own else []
            if course_shown and may_read("Course", "title", role):
                title = sa.func.lower(Course.title)
                conditions.append(title.contains(words.lower(), autoescape=True))
            found = [condition for condition in conditions if condition is not None]
            query = query.filter(sa.or_(*found) if found else sa.false())
        return query.order_by(CourseDate.id).offset(offset).limit(limit).all()

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .filter(CourseDate.start_date > utc_today(), CourseDate.free_places > 0)
            .order_by(CourseDate.start_date)
        )

    def get_one(self, pk: Any) -> Any:
        with db.session.no_autoflush:
            found = super().get_query().filter(CourseDate.id == _record_id(pk))
            return found.one_or_none()


class BookingView(BookingRulesOnFormMixin, RoleAwareModelView):
    """Bookings: managers book, name delegates and cancel."""

    details_template = "admin/training/booking_details.html"

    def hidden_names(self) -> set[str]:
        hidden = super().hidden_names()
        if self.acting_role() == "manager":
            hidden |= MANAGER_HIDDEN_BOOKING_FIELDS
        return hidden

    def readonly_names(self, creating: bool) -> set[str]:
        readonly = super().readonly_names(creating)
        if self.acting_role() == "manager" and not creating:
            readonly |= MANAGER_FIXED_AFTER_BOOKING
        return readonly

    def create_form(self, obj: Any = None) -> BaseForm:
        """Opened from a course date's "Book a place", the form starts on that date."""
        form = super().create_form(obj)
        wanted = request.args.get("course_date")
        if request.method == "GET" and wanted and "course_date" in form:
            form.course_date.data = self._form_ajax_refs["course_date"].get_one(wanted)
        return form

    def _create_ajax_loader(self, name: str, options: dict[str, Any]) -> QueryAjaxModelLoader:
        if name == "course_date":
            return UpcomingCourseDateLoader(name, self.session, CourseDate, **options)
        return super()._create_ajax_loader(name, options)

    def cancellation_label(self, booking: Any) -> str | None:
        """The cancel button's text on a booking's page, or None when it is not offered."""
        if not self.can_edit or booking.status == "cancelled":
            return None
        if current_user.role == "manager" and not self._managers_may_cancel():
            if booking.status == "cancellation_requested":
                return None
            return "Request cancellation"
        return "Cancel booking"

    @expose("/cancel/", methods=["POST"])
    def cancel_view(self) -> Response:
        """Cancel a booking, or for a manager without that right, ask an admin to."""
        if not self.can_edit:
            abort(403)
        booking = self.get_one(request.form.get("id"))
        details = url_for(".details_view", id=booking.id)
        if request.form.get("loaded_version") != str(booking.version_id):
            flash(STALE_EDIT_MESSAGE, "danger")
            return redirect(details)
        try:
            status = cancellation_status(
                booking, current_user.role, self._managers_may_cancel(), utc_today()
            )
        except BookingRefused as refusal:
            flash(str(refusal), "danger")
            return redirect(details)
        before = {"status": booking.status}
        booking.status = status
        action = "cancel" if status == "cancelled" else "cancellation_request"
        self._audit(action, booking, changed_values(before, {"status": status}))
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash(STALE_EDIT_MESSAGE, "danger")
            return redirect(details)
        if status == "cancelled":
            flash("The booking is cancelled and its place is free again.", "success")
        else:
            flash("Cancellation requested: an admin will confirm it.", "success")
        return redirect(details)

    @staticmethod
    def _managers_may_cancel() -> bool:
        return Setting.is_enabled(db.session, MANAGERS_MAY_CANCEL_BOOKINGS)


class CourseDateView(BookingRulesOnFormMixin, RoleAwareModelView):
    """Course dates, soonest first; managers browse only the dates still to come."""

    column_default_sort = ("start_date", False)

    def get_list_row_actions(self) -> list[BaseListRowAction]:
        actions = super().get_list_row_actions()
        if CREATE in allowed_operations("Booking", "Training", current_user.role):
            actions.append(BOOK_A_PLACE)
        return actions

    def get_query(self) -> Any:
        return self._upcoming_for_managers(super().get_query())

    def get_count_query(self) -> Any:
        return self._upcoming_for_managers(super().get_count_query())

    @staticmethod
    def _upcoming_for_managers(query: Any) -> Any:
        if current_user.is_authenticated and current_user.role == "manager":
            return query.filter(CourseDate.start_date > utc_today())
        return query


class AwardsReportView(LoginOrForbidden, BaseView):
    """Awards of the people the user may see: achieved, expiring soon, expired; CSV or XLSX."""

    def _operations(self) -> frozenset[str]:
        if not current_user.is_authenticated:
            return frozenset()
        return allowed_operations("Award", "Training", current_user.role)

    def is_accessible(self) -> bool:
        return VIEW in self._operations()

    def _parameters(self) -> tuple[dt.date, int, str]:
        as_of = date_parameter(request.args, "as_of", "The as-of date", utc_today())
        within_days = whole_number_parameter(request.args, "within_days", "The days ahead")
        show = choice_parameter(
            request.args, "show", ("all", *AWARD_STATUSES), "Choose which awards to show."
        )
        return as_of, DEFAULT_WITHIN_DAYS if within_days is None else within_days, show or "all"

    def _frame(self) -> tuple[Any, dt.date, int, str]:
        as_of, within_days, show = self._parameters()
        frame = awards_report(db.session, current_user, as_of, within_days)
        if show != "all":
            frame = frame[frame["status"] == show]
        return frame, as_of, within_days, show

    @expose("/")
    def index(self) -> str:
        frame, as_of, within_days, show = self._frame()
        return self.render(
            "admin/training/awards.html",
            rows=frame.to_dict("records"),
            as_of=as_of,
            within_days=within_days,
            show=show,
            statuses=AWARD_STATUSES,
            can_export=EXPORT in self._operations(),
        )

    @expose("/export/<file_type>")
    def export(self, file_type: str) -> Response:
        if EXPORT not in self._operations() or file_type not in ("csv", "xlsx"):
            abort(403 if file_type in ("csv", "xlsx") else 404)
        frame, as_of, _within_days, show = self._frame()
        header, rows = list(frame.columns), report_rows(frame)
        name = secure_filename(f"awards_{show}_{as_of.isoformat()}.{file_type}")
        disposition = {"Content-Disposition": f"attachment;filename={name}"}
        if file_type == "csv":
            return Response(csv_chunks(header, rows), mimetype="text/csv", headers=disposition)
        spooled = xlsx_file(header, rows, "Awards")
        return Response(file_chunks(spooled), mimetype=XLSX_MIMETYPE, headers=disposition)
