"""Looking up, in batches, the records an import file names, within the importing user's rows.

An account code or invoice number outside what the user may see is answered exactly as one that
does not exist: "unknown". Found values are cached for the whole import, so a file that names the
same account on every row queries it once. The queries run on the session's connection as plain
Core statements: an import reads rows of values, never ORM objects, and needs no autoflush.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from bulk_io.kinds import ACCOUNT_MANAGER_ROLES, Kind
from models import Account, AccountGroup, Invoice, User
from models.scoping import SCOPED_ROLES, HasRole, restrict_to_visible_rows

LOOKUP_CHUNK = 1000
"""Values per `IN (...)`: well below SQLite's and PostgreSQL's limits on bound parameters."""


class Found(NamedTuple):
    """A record a cell names; shaped for the models' `cross_field_errors` (`.id`, `.account_id`).

    A tuple of numbers, so the garbage collector stops scanning the import's cache of them.
    """

    id: int
    account_id: int | None = None
    payment_terms_days: int = 0


UNKNOWN_REASONS = {
    "account": "Unknown account code.",
    "invoice": "Unknown invoice number.",
    "manager": "Unknown manager e-mail: no user with a manager or admin role has it.",
    "group": "Unknown account group.",
}


def chunks(values: Collection[str], size: int = LOOKUP_CHUNK) -> Iterator[list[str]]:
    listed = list(values)
    for start in range(0, len(listed), size):
        yield listed[start : start + size]


def one_of(column: Any, values: list[str], dialect: str) -> sa.ColumnElement[bool]:
    """`column IN (values)`, the values sent as one parameter where the database allows it.

    SQLAlchemy renders a thousand-value IN list afresh on every execution, which cost a
    million-row import more than the look-ups themselves. The values go as one JSON array, made
    by `json.dumps` in C: SQLite reads it with `json_each`, PostgreSQL with
    `json_array_elements_text` (psycopg's dumping of a Python list as an array cost a tenth of
    an import). Any other database gets the list, and so do values holding a NUL character,
    which neither database's JSON reading takes.
    """
    if dialect not in ("sqlite", "postgresql") or "\0" in "".join(values):
        return column.in_(values)  # type: ignore[no-any-return]
    array = json.dumps(values)
    if dialect == "sqlite":
        listed = sa.func.json_each(array).table_valued("value")
    else:
        as_json = sa.cast(sa.literal(array, sa.Text), sa.JSON)
        listed = sa.func.json_array_elements_text(as_json).table_valued("value")
    return column.in_(sa.select(listed.c.value))  # type: ignore[no-any-return]


class References:
    """The look-ups of one import, for one user."""

    def __init__(self, session: Session, actor: HasRole) -> None:
        self.session = session
        self.actor = actor
        self.dialect = session.get_bind().dialect.name
        self.found: dict[str, dict[str, Found | None]] = {name: {} for name in UNKNOWN_REASONS}

    def resolve(self, reference: str, values: Sequence[Any]) -> list[Found | None]:
        """What each value names; None where it names nothing, or is not a name (None, UNSET)."""
        cache = self.found[reference]
        found = list(map(cache.get, values))
        if None not in found:  # every name known from earlier batches: the usual case
            return found
        missing = {
            value
            for value, hit in zip(values, found, strict=True)
            if hit is None and isinstance(value, str) and value not in cache
        }
        if not missing:
            return found
        for chunk in chunks(missing):
            for value in chunk:
                cache[value] = None
            rows = self.session.connection().execute(self._statement(reference, chunk)).all()
            cache.update((row[0], Found(*row[1:])) for row in rows)  # all(): one fetchall
        return list(map(cache.get, values))

    def _statement(self, reference: str, values: list[str]) -> sa.Select[Any]:
        if reference == "account":
            statement = sa.select(
                Account.code, Account.id, Account.id, Account.payment_terms_days
            ).where(one_of(Account.code, values, self.dialect))
            return restrict_to_visible_rows(statement, Account, self.actor)
        if reference == "invoice":
            statement = sa.select(Invoice.number, Invoice.id, Invoice.account_id).where(
                one_of(Invoice.number, values, self.dialect)
            )
            return restrict_to_visible_rows(statement, Invoice, self.actor)
        if reference == "manager":
            return sa.select(User.email, User.id).where(
                one_of(User.email, values, self.dialect), User.role.in_(ACCOUNT_MANAGER_ROLES)
            )
        return sa.select(AccountGroup.name, AccountGroup.id).where(
            one_of(AccountGroup.name, values, self.dialect)
        )


class ExistingRecords:
    """The records of the importing kind whose keys a batch names, as the user may see them."""

    def __init__(self, session: Session, kind: Kind, actor: HasRole) -> None:
        self.session = session
        self.kind = kind
        self.actor = actor
        self.dialect = session.get_bind().dialect.name
        model = kind.model
        self.key_column = getattr(model, kind.key)
        fields = [getattr(model, column.field) for column in kind.columns]
        extra = []
        if "invoice_id" in kind.table.c:
            invoice = aliased(Invoice)
            extra.append(
                sa.select(invoice.account_id)
                .where(invoice.id == model.invoice_id)  # type: ignore[attr-defined]
                .correlate_except(invoice)
                .scalar_subquery()
                .label("invoice_account_id")
            )
        extra += [  # what a reference holds, by the name the file uses: for "old -> new"
            column.export.label(f"shown_{column.field}")
            for column in kind.columns
            if column.reference is not None
        ]
        self.columns = [model.id, model.version_id, model.custom_fields, *fields, *extra]  # type: ignore[attr-defined]

    def by_key(self, keys: Collection[str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """(visible records by key, as {field: value}; keys that exist outside the user's rows)."""
        visible: dict[str, dict[str, Any]] = {}
        hidden: set[str] = set()
        if not keys or self._none_between(min(keys), max(keys)):
            return visible, hidden
        for chunk in chunks(keys):
            named = one_of(self.key_column, chunk, self.dialect)
            statement = sa.select(*self.columns).where(named)
            scoped = restrict_to_visible_rows(statement, self.kind.model, self.actor)
            for row in self.session.connection().execute(scoped).mappings().all():
                visible[row[self.kind.key]] = dict(row)
            if self.actor.role in SCOPED_ROLES:
                everything = sa.select(self.key_column).where(named)
                hidden |= set(self.session.connection().scalars(everything)) - visible.keys()
        return visible, hidden

    def _none_between(self, lowest: str, highest: str) -> bool:
        """True if no record at all, visible or not, has a key from `lowest` to `highest`.

        New records mostly come with new keys, numbered on from the last ones: then one look
        in the key's index answers for a whole batch, instead of one look per key. Only on
        SQLite, and for a key without a collation, where text compares as Python's `min` and
        `max` compare it (by code point); elsewhere every key is looked up.
        """
        if self.dialect != "sqlite" or getattr(self.key_column.type, "collation", None):
            return False
        anything = sa.select(self.key_column).where(self.key_column.between(lowest, highest))
        return self.session.connection().scalar(anything.limit(1)) is None
