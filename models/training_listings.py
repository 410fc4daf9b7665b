"""The training portal's lists: course dates that can still be booked, the delegates booked on
courses, and the placeholder places still waiting for a name.

Each is a `select()` narrowed by `models.scoping.restrict_to_visible_rows` (a manager's bookings
are their accounts' bookings; the catalogue is shared), so the portal pages show a manager exactly
the rows the generic lists would. Text search matches only the columns its reader may read: a
match on a hidden column would answer guesses about it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload, undefer

from forms_config.readability import may_read
from models.people import User
from models.scoping import HasRole, restrict_to_visible_rows
from models.training import Booking, Course, CourseDate, holds_a_place

SEARCHED_COURSE_COLUMNS = (
    ("Course", "code", Course.code),
    ("Course", "title", Course.title),
    ("CourseDate", "venue", CourseDate.venue),
)
SEARCHED_DELEGATE_COLUMNS = (
    ("User", "email", User.email),
    ("User", "first_name", User.first_name),
    ("User", "last_name", User.last_name),
    ("Course", "code", Course.code),
    ("Course", "title", Course.title),
)


@dataclass(frozen=True)
class CourseDateSearch:
    """What a course search asks for; the defaults are the course list's: every date to come
    that has a free place."""

    words: str = ""
    starts_from: dt.date | None = None
    starts_until: dt.date | None = None
    full_dates_too: bool = False


def containing_every_word(
    columns: Sequence[tuple[str, str, Any]], words: str, role: str | None
) -> sa.ColumnElement[bool] | None:
    """Each word is found (anywhere, any case) in some column `role` may read; None: no words.

    Catalogue and delegate lists are an account's or a training team's size, not a ledger's: a
    containment match reads them whole, and finds "aid" in "First aid at work".
    """
    readable = [column for entity, field, column in columns if may_read(entity, field, role)]
    conditions = []
    for word in words.split():
        escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        matches = [sa.func.lower(column).like(pattern, escape="\\") for column in readable]
        conditions.append(sa.or_(*matches) if matches else sa.false())
    return sa.and_(*conditions) if conditions else None


def bookable_dates(
    reader: HasRole, search: CourseDateSearch, today: dt.date, limit: int
) -> sa.Select[tuple[CourseDate]]:
    """Course dates starting after `today` (bookable ones: with a free place, unless the search
    asks for full ones too), soonest first, with their course and place counts loaded."""
    query = (
        sa.select(CourseDate)
        .join(CourseDate.course)
        .options(
            contains_eager(CourseDate.course),
            undefer(CourseDate.booked_places),
            undefer(CourseDate.free_places),
        )
        .where(CourseDate.start_date > today)
    )
    if not search.full_dates_too:
        query = query.where(CourseDate.free_places > 0)
    if search.starts_from is not None:
        query = query.where(CourseDate.start_date >= search.starts_from)
    if search.starts_until is not None:
        query = query.where(CourseDate.start_date <= search.starts_until)
    matching = containing_every_word(SEARCHED_COURSE_COLUMNS, search.words, reader.role)
    if matching is not None:
        query = query.where(matching)
    query = restrict_to_visible_rows(query, CourseDate, reader)
    return query.order_by(CourseDate.start_date, Course.title, CourseDate.id).limit(limit)


def catalogue(reader: HasRole) -> sa.Select[tuple[Course]]:
    """Every course of the catalogue the reader may see, by title."""
    query = restrict_to_visible_rows(sa.select(Course), Course, reader)
    return query.order_by(Course.title, Course.id)


def delegate_bookings(
    reader: HasRole, today: dt.date, from_today_on: bool, words: str = ""
) -> sa.Select[tuple[Booking]]:
    """Bookings holding a place for a named delegate, on the reader's accounts; with
    `from_today_on`, only courses starting today or later. Soonest course first."""
    query = (
        sa.select(Booking)
        .join(Booking.course_date)
        .join(CourseDate.course)
        .join(Booking.delegate)
        .where(holds_a_place())
    )
    if from_today_on:
        query = query.where(CourseDate.start_date >= today).order_by(CourseDate.start_date)
    else:
        query = query.order_by(CourseDate.start_date.desc())
    matching = containing_every_word(SEARCHED_DELEGATE_COLUMNS, words, reader.role)
    if matching is not None:
        query = query.where(matching)
    return _with_related(restrict_to_visible_rows(query, Booking, reader).order_by(Booking.id))


def placeholder_bookings(reader: HasRole) -> sa.Select[tuple[Booking]]:
    """Places booked with no delegate named yet, on the reader's accounts, soonest first."""
    query = (
        sa.select(Booking)
        .join(Booking.course_date)
        .where(Booking.delegate_id.is_(None), holds_a_place())
        .order_by(CourseDate.start_date, Booking.id)
    )
    return _with_related(restrict_to_visible_rows(query, Booking, reader))


def _with_related(query: sa.Select[tuple[Booking]]) -> sa.Select[tuple[Booking]]:
    return query.options(
        selectinload(Booking.course_date).selectinload(CourseDate.course),
        selectinload(Booking.account),
        selectinload(Booking.delegate),
    )


def delegate_candidates(reader: HasRole, account_ids: set[int]) -> sa.Select[tuple[User]]:
    """The active people of these accounts who may be named as delegates, as the reader may see
    them (a manager: only their accounts' employees). In id order: sorting by a name or e-mail
    the reader may not read would reveal it, so the page sorts by the labels it shows."""
    query = sa.select(User).where(User.account_id.in_(account_ids), User.active.is_(True))
    query = restrict_to_visible_rows(query, User, reader)
    return query.order_by(User.account_id, User.id)
