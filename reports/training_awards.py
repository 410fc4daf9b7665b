"""The awards report: who holds which award as of a date, what expires soon, what has expired,
and whether each award has been renewed already or a renewal is booked.

Definitions (as of date D, expiring window N days):
- an award counts when it was achieved on or before D;
- `days_left` = expires_on - D (empty when the award never expires); the award is valid through
  its `expires_on` day;
- `status`: `expired` when days_left < 0, `expiring` when 0 <= days_left <= N, else `current`;
- `renewed`: the same person achieved the same course again after this award, on or before D;
- `renewing`: the same person holds a place (booked, or cancellation requested) on a date of the
  same course that starts after D.
Rows are those the user may see (`models.scoping`), sorted by account, person, course, date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from models.accounts import Account
from models.people import User
from models.scoping import HasRole, restrict_to_visible_rows
from models.training import Award, Booking, Course, CourseDate, holds_a_place
from reports.readable_columns import readable_report

AWARD_STATUSES = ("current", "expiring", "expired")
DEFAULT_WITHIN_DAYS = 90
COLUMNS = (
    "account_code",
    "account_name",
    "email",
    "first_name",
    "last_name",
    "course_code",
    "course_title",
    "achieved_on",
    "expires_on",
    "days_left",
    "status",
    "renewed",
    "renewing",
)


def _awards_query(user: HasRole | None, as_of: dt.date) -> sa.Select[Any]:
    later = aliased(Award)
    renewed = (
        sa.exists()
        .where(
            later.user_id == Award.user_id,
            later.course_id == Award.course_id,
            later.achieved_on > Award.achieved_on,
            later.achieved_on <= as_of,
        )
        .correlate(Award)
    )
    renewing = (
        sa.exists()
        .where(
            Booking.delegate_id == Award.user_id,
            holds_a_place(),
            Booking.course_date_id == CourseDate.id,
            CourseDate.course_id == Award.course_id,
            CourseDate.start_date > as_of,
        )
        .correlate(Award)
    )
    query = (
        sa.select(
            Account.code,
            Account.name,
            User.email,
            User.first_name,
            User.last_name,
            Course.code,
            Course.title,
            Award.achieved_on,
            Award.expires_on,
            renewed.label("renewed"),
            renewing.label("renewing"),
        )
        .select_from(Award)
        .join(User, Award.user_id == User.id)
        .join(Course, Award.course_id == Course.id)
        .outerjoin(Account, User.account_id == Account.id)
        .where(Award.achieved_on <= as_of)
        .order_by(Account.code, User.email, Course.code, Award.achieved_on)
    )
    return restrict_to_visible_rows(query, Award, user)


def awards_report(
    session: Session, user: HasRole | None, as_of: dt.date, within_days: int
) -> pd.DataFrame:
    """One row per award `user` may see, achieved by `as_of`, in the columns of `COLUMNS`."""
    selected = [name for name in COLUMNS if name not in ("days_left", "status")]
    frame = pd.DataFrame(session.execute(_awards_query(user, as_of)).all(), columns=selected)
    expires = pd.to_datetime(frame["expires_on"])
    days_left = (expires - pd.Timestamp(as_of)).dt.days
    frame["days_left"] = days_left.astype("Int64")
    frame["status"] = np.select(
        [days_left < 0, days_left <= within_days], ["expired", "expiring"], default="current"
    )
    frame["renewed"] = frame["renewed"].astype(bool)
    frame["renewing"] = frame["renewing"].astype(bool)
    return readable_report(frame[list(COLUMNS)], user)


def report_rows(frame: pd.DataFrame) -> Iterator[list[Any]]:
    """The frame's rows as plain Python values (None for blanks), ready for a CSV/XLSX writer."""
    for row in frame.astype(object).itertuples(index=False):
        yield [None if value is pd.NA or value is None else _plain(value) for value in row]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
