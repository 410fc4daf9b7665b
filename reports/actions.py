"""Follow-up actions per account manager in a period: due, still open, overdue and completed.

An action counts under the account manager of its account (`(unassigned)` for none). Counted in
SQL with one GROUP BY; the period is `start` to `end` inclusive:
- `due`: actions due in the period; `open`: of those, still open;
- `overdue`: open actions due before the period's end (or before today, if the period ends later);
- `completed`: actions marked done with a completion time in the period.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Account, FollowUpAction, User
from models.base import utc_today
from models.scoping import restrict_to_visible_rows
from reports.aging import TOTAL, UNASSIGNED
from reports.period import PeriodParameters
from reports.queries import frame_of
from reports.readable_columns import readable_report

ACTION_COLUMNS = ["account_manager", "due", "open", "overdue", "completed"]


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def actions_per_manager(session: Session, parameters: PeriodParameters) -> pd.DataFrame:
    """One row per account manager with any action counted, then a TOTAL row."""
    start, end = parameters.start, parameters.end
    overdue_before = min(end, utc_today())
    after_end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    manager = sa.func.coalesce(User.email, UNASSIGNED)  # one bind, so GROUP BY matches SELECT
    is_open = FollowUpAction.status == "open"
    due_in_period = FollowUpAction.due_date.between(start, end)
    statement = (
        sa.select(
            manager.label("account_manager"),
            _count(due_in_period).label("due"),
            _count(due_in_period & is_open).label("open"),
            _count(is_open & (FollowUpAction.due_date < overdue_before)).label("overdue"),
            _count(
                (FollowUpAction.status == "done")
                & (FollowUpAction.completed_at >= dt.datetime.combine(start, dt.time()))
                & (FollowUpAction.completed_at < after_end)
            ).label("completed"),
        )
        .join(Account, Account.id == FollowUpAction.account_id)
        .outerjoin(User, User.id == Account.account_manager_id)
        .group_by(manager)
        .order_by(manager)
    )
    scoped = restrict_to_visible_rows(statement, FollowUpAction, parameters.viewer)
    counts = frame_of(session, scoped)
    counted = counts[ACTION_COLUMNS[1:]].astype("int64")
    counts = counts[(counted.sum(axis=1) > 0).to_numpy()]
    counts[ACTION_COLUMNS[1:]] = counts[ACTION_COLUMNS[1:]].astype("int64")
    counts = readable_report(counts, parameters.viewer)
    total = pd.DataFrame([{"account_manager": TOTAL, **counts[ACTION_COLUMNS[1:]].sum()}])
    return pd.concat([counts, total], ignore_index=True)[ACTION_COLUMNS]
