"""Report parameters read from a query string: the one place that says what a report accepts.

Every report page and download (the aging pages, their chart and drill-down, the period reports,
the statement of account, the awards report) reads its parameters here:

- a value that cannot be used raises `ParameterError` (a 400 whose message says why): text where
  a number or date belongs, a number or date outside the range a report can use, a choice not
  offered. Dates run from 1900-01-01 to 2199-12-31, where pandas' timestamps and the reports' day
  arithmetic hold; whole numbers stop at the largest id the databases' INTEGER keys can hold.
- a parameter naming a record the user may not see raises `OutOfScope` (a 404, as for a crafted
  id): an account manager, an account group or an account. Which records those are comes from
  `models.scoping.restrict_to_visible_rows`, the row scoping every reader uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest, NotFound

from forms_config.readability import HIDDEN
from models import Account, AccountGroup, User
from models.accounts import ACCOUNT_TYPES
from models.base import utc_today
from models.scoping import HasRole, restrict_to_visible_rows
from reports.aging import UNASSIGNED
from reports.aging_parameters import BASES, AgingParameters, parse_bucket_edges
from reports.period import PeriodParameters
from reports.readable_columns import may_read_column

EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
LARGEST_WHOLE_NUMBER = 2**31 - 1
"""The largest INTEGER key of both databases; no page, id or day count a report takes is more."""
DEFAULT_PERIOD_DAYS = 90
DEFAULT_BUCKETS = "30,60,90"
TRUE_WORDS = frozenset({"1", "on", "true", "yes"})


class ParameterError(BadRequest):
    """A parameter the user typed that a report cannot use; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(description=message)
        self.message = message


class OutOfScope(NotFound):
    """A parameter naming a record outside the user's rows, or no record at all."""


def date_parameter(args: Mapping[str, str], name: str, what: str, default: dt.date) -> dt.date:
    """The date in `args[name]` (YYYY-MM-DD), `default` when left out; `what` names it."""
    text = args.get(name) or ""
    if not text:
        return default
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise ParameterError(f"{what} must be a date (YYYY-MM-DD).") from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ParameterError(
            f"{what} must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}."
        )
    return value


def whole_number_parameter(
    args: Mapping[str, str],
    name: str,
    what: str,
    *,
    smallest: int = 0,
    largest: int = LARGEST_WHOLE_NUMBER,
) -> int | None:
    """The whole number in `args[name]` from `smallest` to `largest`, None when left out."""
    text = args.get(name) or ""
    if not text:
        return None
    digits = len(str(largest))
    if not (text.isascii() and text.isdigit() and len(text) <= digits) or not (
        smallest <= int(text) <= largest
    ):
        raise ParameterError(f"{what} must be a whole number from {smallest:,} to {largest:,}.")
    return int(text)


def choice_parameter(
    args: Mapping[str, str], name: str, choices: Collection[str], message: str
) -> str | None:
    """One of `choices`, None when left out; `message` is the refusal of anything else."""
    value = args.get(name) or None
    if value is not None and value not in choices:
        raise ParameterError(message)
    return value


def aging_parameters(session: Session, args: Mapping[str, str], viewer: Any) -> AgingParameters:
    """An aging report's parameters: as-of date (today), basis, buckets and filters."""
    try:
        edges = parse_bucket_edges(args.get("buckets") or DEFAULT_BUCKETS)
    except ValueError as problem:
        raise ParameterError(str(problem)) from None
    parameters = AgingParameters(
        as_of=date_parameter(args, "as_of", "The as-of date", utc_today()),
        viewer=viewer,
        basis=choice_parameter(args, "basis", BASES,
                               "Choose days past the due date or the issue date.") or "due",
        bucket_edges=edges,
        account_group_id=whole_number_parameter(args, "account_group", "The account group",
                                                smallest=1),
        account_type=choice_parameter(args, "account_type", ACCOUNT_TYPES,
                                      "Choose an account type from the list."),
        disputed_only=args.get("disputed_only") in TRUE_WORDS,
        account_manager_id=whole_number_parameter(args, "manager", "The account manager"),
        search=(args.get("q") or "").strip(),
    )  # fmt: skip
    if parameters.account_group_id is not None:
        require_visible_group(session, parameters.account_group_id, viewer)
    if parameters.account_manager_id is not None:
        visible_manager_name(session, parameters.account_manager_id, viewer)
    return parameters


def period_parameters(args: Mapping[str, str], viewer: Any) -> PeriodParameters:
    """A period report's parameters: the last 90 days to today when left out."""
    end = date_parameter(args, "end", "The period's end", utc_today())
    default_start = max(end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), EARLIEST_DATE)
    start = date_parameter(args, "start", "The period's start", default_start)
    try:
        return PeriodParameters(start=start, end=end, viewer=viewer)
    except ValueError as problem:
        raise ParameterError(str(problem)) from None


def page_parameter(args: Mapping[str, str], name: str = "p") -> int:
    """A page number from 1 (the first page when left out)."""
    return whole_number_parameter(args, name, "The page", smallest=1) or 1


def groups_the_user_may_name(viewer: HasRole) -> sa.CompoundSelect:
    """Ids of the account groups `viewer` may filter by: every group they may see, and the
    groups of their accounts (a manager sees no group on its own, only through an account)."""
    return sa.union(
        restrict_to_visible_rows(sa.select(AccountGroup.id), AccountGroup, viewer),
        restrict_to_visible_rows(sa.select(Account.group_id), Account, viewer).where(
            Account.group_id.is_not(None)
        ),
    )


def managers_the_user_may_name(viewer: HasRole) -> sa.CompoundSelect:
    """Ids of the users `viewer` may name as an account manager: every user they may see, and
    the account managers of their accounts."""
    return sa.union(
        restrict_to_visible_rows(sa.select(User.id), User, viewer),
        restrict_to_visible_rows(sa.select(Account.account_manager_id), Account, viewer).where(
            Account.account_manager_id.is_not(None)
        ),
    )


def require_visible_group(session: Session, group_id: int, viewer: HasRole) -> None:
    """Refuse an account group `viewer` may not name."""
    found = session.scalar(
        sa.select(AccountGroup.id).where(
            AccountGroup.id == group_id, AccountGroup.id.in_(groups_the_user_may_name(viewer))
        )
    )
    if found is None:
        raise OutOfScope()


def visible_manager_name(session: Session, manager_id: int, viewer: HasRole) -> str:
    """The e-mail of account manager `manager_id` (0: `(unassigned)`), whom `viewer` must be
    able to see, shown as the report's manager column is (hidden where the role may not read
    it)."""
    if manager_id == 0:
        return UNASSIGNED
    email = session.scalar(
        sa.select(User.email).where(
            User.id == manager_id, User.id.in_(managers_the_user_may_name(viewer))
        )
    )
    if email is None:
        raise OutOfScope()
    return email if may_read_column("account_manager", viewer) else HIDDEN


def visible_account(session: Session, account_id: int, viewer: HasRole) -> Account:
    """The account `account_id` (a path's id may be any size), which `viewer` must see."""
    if not 0 < account_id <= LARGEST_WHOLE_NUMBER:
        raise OutOfScope()
    statement = sa.select(Account).where(Account.id == account_id)
    account = session.scalar(restrict_to_visible_rows(statement, Account, viewer))
    if account is None:
        raise OutOfScope()
    return account
