"""Training: the course catalogue, dated runs of courses, places booked on them, and awards.

The booking rules (a place only on a future date, never beyond capacity, a delegate employed by
the account the place is for, one place per delegate per date) live here, in `booking_problems`,
and are enforced for every write of a booking, whichever path makes it: a session hook checks
each booking as it is flushed, inside the transaction that saves it, after locking the course
date's row, so two people booking the last place at once get one booking and one refusal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, column_property, mapped_column, relationship

from extensions import db
from models.accounts import Account
from models.base import (
    CustomFieldValues,
    Money,
    PanelModel,
    Versioned,
    sort_index,
    utc_today,
    utcnow,
)
from models.billing import invoice_must_belong_to_account
from models.people import User

if TYPE_CHECKING:
    from models.billing import Invoice

BOOKING_STATUSES = ("booked", "cancellation_requested", "cancelled")
PLACE_HOLDING_STATUSES = ("booked", "cancellation_requested")
"""A place is held until the booking is cancelled; a pending request still holds it."""


class Course(Versioned, PanelModel, db.Model):
    """A course in the catalogue; it runs on one or more course dates."""

    __tablename__ = "courses"
    panel_category = "Training"
    panel_search_fields = ("code", "title")
    panel_shared_catalogue = True
    panel_system_columns = ("custom_fields",)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    dates: Mapped[list[CourseDate]] = relationship(back_populates="course")

    __table_args__ = (sa.UniqueConstraint("code", name="uq_courses_code"),)

    def __str__(self) -> str:
        return self.label_of(self.code, self.title)


class CourseDate(Versioned, PanelModel, db.Model):
    """One run of a course: when, where, how many places and at what price per place."""

    __tablename__ = "course_dates"
    panel_category = "Training"
    panel_search_fields = ("start_date", "venue")
    panel_derived_columns = ("booked_places", "free_places")
    panel_shared_catalogue = True
    panel_system_columns = ("custom_fields",)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    venue: Mapped[str] = mapped_column(sa.String(200))
    capacity: Mapped[int]
    price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    course: Mapped[Course] = relationship(back_populates="dates")

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="course_date_ends_after_start"),
        sa.CheckConstraint("capacity > 0", name="course_date_capacity_positive"),
        sa.CheckConstraint("price >= 0", name="course_date_price_not_negative"),
        sort_index("start_date"),
    )

    def __str__(self) -> str:
        venue = f"at {self.venue}" if self.venue else None
        return self.label_of(self.course, "on", self.start_date, venue)

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> dict[str, str]:
        errors = {}
        start, end = values.get("start_date"), values.get("end_date")
        if start and end and end < start:
            errors["end_date"] = "The course cannot end before it starts."
        capacity = values.get("capacity")
        if capacity is not None and capacity <= 0:
            errors["capacity"] = "A course date needs at least one place."
        price = values.get("price")
        if price is not None and price < 0:
            errors["price"] = "The price cannot be negative."
        return errors


class Booking(Versioned, PanelModel, db.Model):
    """A place on a course date for an account: for a named delegate, or a placeholder to name
    later. The account is the one the place is booked (and invoiced) for."""

    __tablename__ = "bookings"
    panel_category = "Training"
    panel_system_columns = ("booked_at", "custom_fields")
    panel_server_set_columns = ("booked_by",)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_date_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_dates.id", ondelete="RESTRICT")
    )  # indexed first in ix_bookings_date_status
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    delegate_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    """None: a placeholder, whose delegate is named later."""
    booked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_bookings_booked_by"), index=True
    )
    status: Mapped[str] = mapped_column(
        sa.Enum(
            *BOOKING_STATUSES, name="booking_status", native_enum=False, create_constraint=True
        ),
        default="booked",
        index=True,
    )
    invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="SET NULL"), index=True
    )
    booked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    course_date: Mapped[CourseDate] = relationship()
    account: Mapped[Account] = relationship()
    delegate: Mapped[User | None] = relationship(foreign_keys=[delegate_id])
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])
    invoice: Mapped[Invoice | None] = relationship()

    __table_args__ = (sa.Index("ix_bookings_date_status", "course_date_id", "status"),)

    def __str__(self) -> str:
        who = self.delegate.email if self.delegate else "(placeholder)"
        return self.label_of(who, "on", self.course_date)

    def set_server_values(self, actor: User, creating: bool) -> None:
        """Who booked is recorded, not chosen."""
        if creating:
            self.booked_by = actor

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> dict[str, str]:
        return invoice_must_belong_to_account(values)


class Award(Versioned, PanelModel, db.Model):
    """A course a person has passed, and until when the award is valid (none: for good)."""

    __tablename__ = "awards"
    panel_category = "Training"
    panel_account_via = "user"
    panel_system_columns = ("custom_fields",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    achieved_on: Mapped[dt.date]
    expires_on: Mapped[dt.date | None]
    """The last day the award is valid; None when it never expires."""
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "expires_on IS NULL OR expires_on >= achieved_on", name="award_expires_after_achieved"
        ),
        sort_index("achieved_on"),
        sort_index("expires_on"),
    )

    def __str__(self) -> str:
        return f"{self.course} for {self.user}"

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> dict[str, str]:
        achieved, expires = values.get("achieved_on"), values.get("expires_on")
        if achieved and expires and expires < achieved:
            return {"expires_on": "An award cannot expire before it was achieved."}
        return {}


def holds_a_place() -> sa.ColumnElement[bool]:
    """The bookings that take up a place on their course date."""
    return Booking.status.in_(PLACE_HOLDING_STATUSES)


CourseDate.booked_places = column_property(
    sa.select(sa.func.count(Booking.id))
    .where(Booking.course_date_id == CourseDate.id, holds_a_place())
    .correlate_except(Booking)
    .scalar_subquery(),
    deferred=True,
)
CourseDate.free_places = column_property(
    CourseDate.capacity - CourseDate.booked_places.expression, deferred=True
)


# --- the booking rules --------------------------------------------------------------------


class BookingRefused(Exception):
    """A booking the rules refuse; `problems` says why, by the field at fault."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def _lock_course_date(session: Session, course_date_id: int) -> None:
    """Serialise the bookings of one course date until this transaction ends.

    PostgreSQL locks the row (`SELECT ... FOR UPDATE`); SQLite has a single writer, so taking the
    write lock now (an UPDATE that changes nothing) makes the count below current.
    """
    if session.get_bind().dialect.name == "sqlite":
        table = CourseDate.__table__
        session.execute(sa.update(table).where(table.c.id == course_date_id).values(id=table.c.id))
    else:
        session.execute(
            sa.select(CourseDate.id).where(CourseDate.id == course_date_id).with_for_update()
        )


def _places_held(session: Session, course_date_id: int, other_than: int | None) -> int:
    query = sa.select(sa.func.count(Booking.id)).where(
        Booking.course_date_id == course_date_id, holds_a_place()
    )
    if other_than is not None:
        query = query.where(Booking.id != other_than)
    return session.scalar(query) or 0


def _related(session: Session, booking: Booking, relation: str, model: type) -> Any:
    """The related record, whether the writer set the relation or only its id."""
    value = getattr(booking, relation)
    set_by_relation = sa.inspect(booking).attrs[relation].history.has_changes()
    record_id = getattr(booking, f"{relation}_id")
    if value is None and not set_by_relation and record_id is not None:
        value = session.get(model, record_id)
    return value


def _changed(booking: Booking, *names: str) -> bool:
    state = sa.inspect(booking)
    return state.persistent is False or any(
        state.attrs[name].history.has_changes() for name in names
    )


def booking_problems(session: Session, booking: Booking, today: dt.date) -> dict[str, str]:
    """Why `booking`, as it is about to be saved, breaks the booking rules (empty: it does not).

    Only what changed is checked: naming the delegate of a past placeholder is fine, moving a
    booking to a past date is not. A booking that takes a place locks its course date first.
    """
    problems: dict[str, str] = {}
    account = _related(session, booking, "account", Account)
    delegate = _related(session, booking, "delegate", User)
    course_date = _related(session, booking, "course_date", CourseDate)
    employer = account.id if account is not None else None
    delegate_or_account_set = _changed(booking, "delegate", "delegate_id", "account", "account_id")
    if delegate is not None and delegate.account_id != employer and delegate_or_account_set:
        problems["delegate"] = (
            f"{delegate.email} is not an employee of the account this place is booked for."
        )
    status = booking.status or "booked"  # the column default, applied only on INSERT
    takes_a_place = status in PLACE_HOLDING_STATUSES and _changed(
        booking, "course_date", "course_date_id", "status", "delegate", "delegate_id"
    )
    if course_date is None or not takes_a_place:
        return problems
    moved = _changed(booking, "course_date", "course_date_id") or (
        sa.inspect(booking).attrs.status.history.deleted == ["cancelled"]
    )
    if moved and course_date.start_date <= today:
        problems["course_date"] = (
            f"{course_date} has already started or is in the past: book a future date."
        )
        return problems
    _lock_course_date(session, course_date.id)
    if moved and _places_held(session, course_date.id, booking.id) >= course_date.capacity:
        problems["course_date"] = (
            f"{course_date} is full: all {course_date.capacity} places are booked. "
            "Choose another date."
        )
    if delegate is not None:
        same_delegate = sa.select(Booking.id).where(
            Booking.course_date_id == course_date.id,
            Booking.delegate_id == delegate.id,
            holds_a_place(),
        )
        if booking.id is not None:
            same_delegate = same_delegate.where(Booking.id != booking.id)
        if session.scalar(same_delegate.limit(1)) is not None:
            problems["delegate"] = f"{delegate.email} already has a place on this course date."
    return problems


def cancellation_status(
    booking: Booking, role: str, managers_may_cancel: bool, today: dt.date
) -> str:
    """The status cancelling `booking` moves it to: `cancelled`, or for a manager without the
    right to cancel, `cancellation_requested` (an admin then cancels it). Refused with a reason
    when there is nothing to cancel, or when a manager asks once the course has started."""
    if booking.status == "cancelled":
        raise BookingRefused({"status": "This booking is already cancelled."})
    if role != "manager":
        return "cancelled"
    if booking.course_date.start_date <= today:
        raise BookingRefused(
            {"status": "The course has already started: ask an admin to cancel this booking."}
        )
    if managers_may_cancel:
        return "cancelled"
    if booking.status == "cancellation_requested":
        raise BookingRefused({"status": "A cancellation has already been requested."})
    return "cancellation_requested"


def capacity_problems(session: Session, course_date: CourseDate) -> dict[str, str]:
    """A course date's capacity cannot drop below the places already booked on it."""
    if course_date.id is None or not _changed(course_date, "capacity"):
        return {}
    _lock_course_date(session, course_date.id)
    held = _places_held(session, course_date.id, None)
    if held > course_date.capacity:
        return {"capacity": f"{held} places are already booked: the capacity cannot be lower."}
    return {}


def _course_date_id_of(record: Booking | CourseDate) -> int:
    if isinstance(record, CourseDate):
        return record.id or 0
    return (record.course_date.id if record.course_date else record.course_date_id) or 0


@sa.event.listens_for(Session, "before_flush")
def _enforce_booking_rules(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Every booking written, by any path, passes the rules in the transaction that saves it."""
    today = utc_today()
    problems: dict[str, str] = {}
    # Course dates are locked in id order, so two transactions never wait on each other in a cycle.
    for record in sorted(
        (r for r in (*session.new, *session.dirty) if isinstance(r, Booking | CourseDate)),
        key=_course_date_id_of,
    ):
        if isinstance(record, Booking):
            problems |= booking_problems(session, record, today)
        else:
            problems |= capacity_problems(session, record)
    if problems:
        raise BookingRefused(problems)
