"""Row scoping (ARCHITECTURE §5): which records a user may see, decided in this one place.

Managers see the accounts they are account manager of, plus those a `ManagerAccess` grant gives
them, and the records that belong to those accounts; of the people, only those accounts'
employees (role `individual`), never a colleague with panel rights. Every other panel role sees
every row. List pages, counts, single-record look-ups, pick lists, exports and reports all narrow
their queries with `restrict_to_visible_rows`, so no path can show a manager more than another.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


_remembered_ids: ContextVar[dict[int, list[int]] | None] = ContextVar(
    "remembered_account_ids", default=None
)


@contextmanager
def account_ids_read_once() -> Iterator[None]:
    """Within the block, each user's account ids are read from the database once.

    For one read of a list page (its capped count, then its page of rows), which would otherwise
    read them twice; never around a write, which must see the accounts as they are after it.
    """
    token = _remembered_ids.set({})
    try:
        yield
    finally:
        _remembered_ids.reset(token)


def _read_account_ids(user_id: int) -> list[int]:
    """The accounts a manager manages or has been granted, in id order, read as one value where
    the database can aggregate them: a big manager's 2,500 ids as 2,500 result rows took 3-6 ms of
    CPU a request (SQLAlchemy handles each row), as one array or JSON text about 1 ms."""
    managed = sa.union(
        sa.select(Account.id).where(Account.account_manager_id == user_id),
        sa.select(ManagerAccess.account_id).where(ManagerAccess.user_id == user_id),
    ).subquery()
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        ids = db.session.scalar(sa.select(sa.func.array_agg(managed.c.id))) or []
    elif dialect == "sqlite":
        ids = json.loads(db.session.scalar(sa.select(sa.func.json_group_array(managed.c.id))))
    else:
        ids = db.session.scalars(sa.select(managed.c.id)).all()
    return sorted(ids)


def managed_account_ids(user: HasRole) -> sa.BindParameter[list[int]]:
    """The ids of the accounts `user` manages or has been granted, written into the statement.

    They are read first and sent as a literal list, not as a subquery: seeing exactly which and
    how many accounts, PostgreSQL walks the sort index for a manager of thousands of accounts and
    looks up a few accounts' rows for a small one. Given a subquery it guessed, and hash-joined
    every invoice in the table for a large grant.
    """
    remembered = _remembered_ids.get()
    if remembered is not None and user.id in remembered:
        ids = remembered[user.id]
    else:
        ids = _read_account_ids(user.id)
        if remembered is not None:
            remembered[user.id] = ids
    return sa.bindparam("managed_account_ids", ids, expanding=True, literal_execute=True)


def _among(column: Any, account_ids: Any) -> sa.ColumnElement[bool]:
    """`column IN (...)` of the ids, written into the SQL text once.

    A manager's few thousand ids, as a literal-execute parameter, were rendered again, value by
    value, for every statement and every place the condition appears in it (a list page's count,
    its page of ids and the page's rows): a millisecond each on the manager's invoice list. Here
    the list is written once, from whole numbers only; anything else (a subquery) is left to
    `in_`.
    """
    ids = account_ids.value if isinstance(account_ids, sa.BindParameter) else account_ids
    if not isinstance(ids, list | tuple) or not all(type(value) is int for value in ids):
        return column.in_(account_ids)
    if not ids:
        return sa.false()
    return column.op("IN")(sa.literal_column(f"({','.join(map(str, ids))})"))


def account_condition(model: type, account_ids: Any) -> sa.ColumnElement[bool] | None:
    """The condition tying a model's rows to `account_ids`, or None for rows outside any account.

    Through `account_id`, or through the relation named by the model's `panel_account_via`.
    """
    if model is Account:
        return _among(Account.id, account_ids)
    if hasattr(model, "account_id"):
        return _among(model.account_id, account_ids)
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
