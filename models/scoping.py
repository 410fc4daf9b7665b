"""Row scoping (ARCHITECTURE §5): which records a user may see, decided in this one place.

Managers see the accounts they are account manager of, plus those a `ManagerAccess` grant gives
them, and the records that belong to those accounts; of the people, only those accounts'
employees (role `individual`), never a colleague with panel rights. Every other panel role sees
every row. List pages, counts, single-record look-ups, pick lists, exports and reports all narrow
their queries with `restrict_to_visible_rows`, so no path can show a manager more than another.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import sqlalchemy as sa

from extensions import db
from models.accounts import Account, ManagerAccess
from models.people import User

SCOPED_ROLES = frozenset({"manager"})
Statement = TypeVar("Statement", bound=Any)


class HasRole(Protocol):
    id: int
    role: str


def managed_account_ids(user: HasRole) -> sa.BindParameter[list[int]]:
    """The ids of the accounts `user` manages or has been granted, written into the statement.

    They are read first and sent as a literal list, not as a subquery: seeing exactly which and
    how many accounts, PostgreSQL walks the sort index for a manager of thousands of accounts and
    looks up a few accounts' rows for a small one. Given a subquery it guessed, and hash-joined
    every invoice in the table for a large grant.
    """
    ids = db.session.scalars(
        sa.union(
            sa.select(Account.id).where(Account.account_manager_id == user.id),
            sa.select(ManagerAccess.account_id).where(ManagerAccess.user_id == user.id),
        )
    ).all()
    return sa.bindparam("managed_account_ids", ids, expanding=True, literal_execute=True)


def account_condition(model: type, account_ids: Any) -> sa.ColumnElement[bool] | None:
    """The condition tying a model's rows to `account_ids`, or None for rows outside any account.

    Through `account_id`, or through the relation named by the model's `panel_account_via`.
    """
    if model is Account:
        return Account.id.in_(account_ids)
    if hasattr(model, "account_id"):
        return model.account_id.in_(account_ids)
    via = getattr(model, "panel_account_via", None)
    if via is None:
        return None
    relation = sa.inspect(model).relationships[via]
    target = relation.mapper.class_
    inner = account_condition(target, account_ids)
    if inner is None:
        return None
    (local_column,) = relation.local_columns
    return local_column.in_(sa.select(target.id).where(inner))


def restrict_to_visible_rows(statement: Statement, model: type, user: HasRole | None) -> Statement:
    """Narrow a `select()` or legacy `Query` over `model` to the rows `user` may see.

    Anonymous callers see nothing; a model with no account column is invisible to scoped roles.
    """
    if user is None:
        return statement.where(sa.false())
    if user.role not in SCOPED_ROLES:
        return statement
    if getattr(model, "panel_shared_catalogue", False):
        return statement
    condition = account_condition(model, managed_account_ids(user))
    if condition is None:
        return statement.where(sa.false())
    statement = statement.where(condition)
    if model is User:
        statement = statement.where(User.role == "individual")
    return statement


def is_visible(record: Any, user: HasRole | None, session: Any) -> bool:
    """Whether a saved record is still within `user`'s rows: nobody may write outside them."""
    if user is not None and user.role not in SCOPED_ROLES:
        return True
    model = type(record)
    query = restrict_to_visible_rows(sa.select(model.id).where(model.id == record.id), model, user)
    return session.scalar(query) is not None
