"""The training portal: the pages a manager books and names delegates from.

- Course list: every course with its dates still to come that have a free place, "Book" on each.
- Course search: dates to come by words (course code, title, venue) and a date range.
- All delegates / Future delegates: the people booked on courses, for the manager's accounts.
- Placeholders: places booked without a name; the manager names the delegate right there.

Rows come from `models.training_listings` (row-scoped there); a column is drawn only when the
reader may read its field (`forms_config.readability`), and loaded records arrive with unreadable
values already blanked. Booking itself is the booking form's (`BookingView`), and naming a
delegate writes through the booking view's rules, audit and the booking rules of
`models.training`, so the portal adds pages, not another way to write.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from admin_views.access import LoginOrForbidden
from admin_views.generic import STALE_EDIT_MESSAGE, RoleAwareModelView, _record_id
from admin_views.training import BookingView
from auth.permissions import CREATE, VIEW, allowed_operations
from extensions import db
from forms_config.readability import readable
from models.audit import changed_values
from models.base import utc_today
from models.people import User
from models.training import Booking, BookingRefused
from models.training_listings import (
    CourseDateSearch,
    bookable_dates,
    catalogue,
    delegate_bookings,
    delegate_candidates,
    placeholder_bookings,
)
from reports.parameters import ParameterError, date_parameter, page_parameter

PAGE_SIZE = 50
COURSE_LIST_DATES = 1000
"""The course list shows at most this many dates to come: a catalogue, not an archive."""
SEARCH_RESULTS = 200
SHOWN_FIELDS = (
    "Course.code", "Course.title", "CourseDate.start_date", "CourseDate.end_date",
    "CourseDate.venue", "CourseDate.price", "CourseDate.free_places", "CourseDate.capacity",
    "Booking.account", "Booking.delegate", "Booking.status", "Booking.booked_by",
    "Booking.booked_at",
)  # fmt: skip
"""The fields the portal's tables draw; each column only for a reader who may read it."""


def readable_fields() -> dict[str, bool]:
    """`"Entity.field"` -> whether the current reader may read it (templates draw by this)."""
    shown = {}
    for ref in SHOWN_FIELDS:
        entity, _, field = ref.partition(".")
        shown[ref] = readable(entity, field)
    shown["CourseDate.free_places"] &= shown["CourseDate.capacity"]  # free = capacity - booked
    return shown


def may(operation: str, entity: str) -> bool:
    return current_user.is_authenticated and operation in allowed_operations(
        entity, "Training", current_user.role
    )


class PortalPage(LoginOrForbidden, BaseView):
    """A training portal page, open to the roles that may view `entity` (403 for the others)."""

    entity = "CourseDate"

    def is_accessible(self) -> bool:
        return may(VIEW, self.entity)

    def page_values(self) -> dict[str, Any]:
        return {
            "shown": readable_fields(),
            "may_book": may(CREATE, "Booking"),
        }


class CourseListView(PortalPage):
    """Every course, with its dates to come that have a free place."""

    @expose("/")
    def index(self) -> str:
        today = utc_today()
        courses = db.session.scalars(catalogue(current_user)).all()
        upcoming = bookable_dates(current_user, CourseDateSearch(), today, COURSE_LIST_DATES)
        dates_by_course: dict[int, list[Any]] = defaultdict(list)
        for course_date in db.session.scalars(upcoming):
            dates_by_course[course_date.course_id].append(course_date)
        return self.render(
            "admin/training/course_list.html",
            courses=courses,
            dates_by_course=dates_by_course,
            **self.page_values(),
        )


class CourseSearchView(PortalPage):
    """Dates to come, found by words and a range of start dates."""

    @expose("/")
    def index(self) -> Any:
        """The search form and its results; a date it cannot read is refused on the form (400)."""
        words = " ".join(request.args.get("q", "").split())[:200]
        try:
            search = CourseDateSearch(
                words=words,
                starts_from=date_parameter(request.args, "from", "The first start date", None),
                starts_until=date_parameter(request.args, "until", "The last start date", None),
                full_dates_too=request.args.get("full") == "1",
            )
        except ParameterError as error:
            page = self.render(
                "admin/training/course_search.html",
                search=CourseDateSearch(words=words),
                dates=[],
                more=False,
                error=error.message,
                **self.page_values(),
            )
            return page, 400
        dates = db.session.scalars(
            bookable_dates(current_user, search, utc_today(), SEARCH_RESULTS + 1)
        ).all()
        return self.render(
            "admin/training/course_search.html",
            search=search,
            dates=dates[:SEARCH_RESULTS],
            more=len(dates) > SEARCH_RESULTS,
            error=None,
            **self.page_values(),
        )


class DelegatesView(PortalPage):
    """The people booked on courses for the reader's accounts (all, or from today on)."""

    entity = "Booking"
    from_today_on = False
    summary = "Everyone booked on a course for your accounts, latest course first."

    @expose("/")
    def index(self) -> str:
        words = " ".join(request.args.get("q", "").split())[:200]
        page = page_parameter(request.args, "page")
        query = delegate_bookings(current_user, utc_today(), self.from_today_on, words)
        rows = db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
        return self.render(
            "admin/training/delegates.html",
            summary=self.summary,
            bookings=rows[:PAGE_SIZE],
            words=words,
            page=page,
            has_next=len(rows) > PAGE_SIZE,
            **self.page_values(),
        )


class FutureDelegatesView(DelegatesView):
    from_today_on = True
    summary = "Everyone booked on a course that starts today or later, soonest first."


class PlaceholdersView(PortalPage):
    """Places booked without a delegate's name, and naming one."""

    entity = "Booking"

    def booking_view(self) -> BookingView:
        return next(view for view in self.admin._views if isinstance(view, BookingView))

    def may_name(self, bookings: RoleAwareModelView) -> bool:
        """Naming a delegate edits the booking's delegate: the role must edit bookings, and the
        field rules must leave the delegate writable for it."""
        return bookings.can_edit and "delegate" not in bookings.not_writable_names(creating=False)

    @expose("/")
    def index(self) -> str:
        page = page_parameter(request.args, "page")
        query = placeholder_bookings(current_user).offset((page - 1) * PAGE_SIZE)
        rows = db.session.scalars(query.limit(PAGE_SIZE + 1)).all()
        bookings = rows[:PAGE_SIZE]
        may_name = self.may_name(self.booking_view())
        account_of = self._stored_account_ids([booking.id for booking in bookings])
        candidates: dict[int, list[User]] = defaultdict(list)
        if may_name and account_of:
            for person in db.session.scalars(
                delegate_candidates(current_user, set(account_of.values()))
            ):
                candidates[person.account_id].append(person)
        return self.render(
            "admin/training/placeholders.html",
            bookings=bookings,
            candidates={
                booking.id: sorted(candidates[account_of[booking.id]], key=str)
                for booking in bookings
            },
            may_name=may_name,
            may_add_people=may(CREATE, "User"),
            page=page,
            has_next=len(rows) > PAGE_SIZE,
            **self.page_values(),
        )

    @staticmethod
    def _stored_account_ids(booking_ids: list[int]) -> dict[int, int]:
        """booking id -> its account's id, as stored: whom the place may be named for is the
        server's question, even for a reader from whom a rule hides the booking's account."""
        if not booking_ids:
            return {}
        rows = db.session.execute(
            sa.select(Booking.id, Booking.account_id).where(Booking.id.in_(booking_ids))
        )
        return dict(rows.all())

    @expose("/<int:booking_id>/name/", methods=["POST"])
    def name_delegate(self, booking_id: int) -> Response:
        """Name the delegate of one placeholder: a booking outside the reader's rows is 404, a
        person outside its account or the reader's rows is refused, a stale page is refused."""
        bookings = self.booking_view()
        if not self.may_name(bookings):
            abort(403)
        booking = bookings.get_one(str(booking_id))
        back = redirect(url_for(".index"))
        if bookings.change_refusals(booking):
            abort(403)
        if request.form.get("loaded_version") != str(booking.version_id):
            flash(STALE_EDIT_MESSAGE, "danger")
            return back
        if booking.delegate_id is not None or booking.status == "cancelled":
            flash("This place is no longer a placeholder: nothing was changed.", "warning")
            return back
        account_id = self._stored_account_ids([booking.id])[booking.id]
        delegate = db.session.scalar(
            delegate_candidates(current_user, {account_id}).where(
                User.id == _record_id(request.form.get("delegate"))
            )
        )
        if delegate is None:
            flash("Choose one of the account's people to name as the delegate.", "danger")
            return back
        booking.delegate = delegate
        try:
            db.session.flush()
            change = changed_values({"delegate": None}, {"delegate": delegate})
            bookings._audit("update", booking, change)
            db.session.commit()
        except BookingRefused as refusal:
            db.session.rollback()
            flash(str(refusal), "danger")
            return back
        except StaleDataError:
            db.session.rollback()
            flash(STALE_EDIT_MESSAGE, "danger")
            return back
        flash(f"{delegate} is named for the place on {booking.course_date}.", "success")
        return back


def training_portal_views() -> list[BaseView]:
    """The portal's pages, in the Training menu in the order a manager uses them."""
    pages = (
        (CourseListView, "Course list", "courses"),
        (CourseSearchView, "Course search", "course_search"),
        (DelegatesView, "All delegates", "delegates"),
        (FutureDelegatesView, "Future delegates", "future_delegates"),
        (PlaceholdersView, "Placeholders", "placeholders"),
    )
    return [
        page(
            name=name,
            category="Training",
            endpoint=f"training_{key}",
            url=f"/admin/training/{key.replace('_', '-')}",
        )
        for page, name, key in pages
    ]
