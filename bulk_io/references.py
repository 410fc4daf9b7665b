"""Looking up, in batches, the records an import file names, within the importing user's rows.

An account code or invoice number outside what the user may see is answered exactly as one that
does not exist: "unknown". Found values are cached for the whole import, so a file that names the
same account on every row queries it once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from bulk_io.kinds import ACCOUNT_MANAGER_ROLES, Kind
from models import Account, AccountGroup, Invoice, User
from models.scoping import SCOPED_ROLES, HasRole, restrict_to_visible_rows

LOOKUP_CHUNK = 1000
"""Values per `IN (...)`: well below SQLite's and PostgreSQL's limits on bound parameters."""


@dataclass(frozen=True)
class Found:
    """A record a cell names; shaped for the models' `cross_field_errors` (`.id`, `.account_id`)."""

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


class References:
    """The look-ups of one import, for one user."""

    def __init__(self, session: Session, actor: HasRole) -> None:
        self.session = session
        self.actor = actor
        self.found: dict[str, dict[str, Found | None]] = {name: {} for name in UNKNOWN_REASONS}

    def look_up(self, reference: str, values: Iterable[str]) -> None:
        cache = self.found[reference]
        missing = {value for value in values if value not in cache}
        for chunk in chunks(missing):
            for value in chunk:
                cache[value] = None
            for row in self.session.execute(self._statement(reference, chunk)):
                cache[row[0]] = Found(*row[1:])

    def get(self, reference: str, value: str) -> Found | None:
        return self.found[reference].get(value)

    def _statement(self, reference: str, values: list[str]) -> sa.Select[Any]:
        if reference == "account":
            statement = sa.select(
                Account.code, Account.id, Account.id, Account.payment_terms_days
            ).where(Account.code.in_(values))
            return restrict_to_visible_rows(statement, Account, self.actor)
        if reference == "invoice":
            statement = sa.select(Invoice.number, Invoice.id, Invoice.account_id).where(
                Invoice.number.in_(values)
            )
            return restrict_to_visible_rows(statement, Invoice, self.actor)
        if reference == "manager":
            return sa.select(User.email, User.id).where(
                User.email.in_(values), User.role.in_(ACCOUNT_MANAGER_ROLES)
            )
        return sa.select(AccountGroup.name, AccountGroup.id).where(AccountGroup.name.in_(values))


class ExistingRecords:
    """The records of the importing kind whose keys a batch names, as the user may see them."""

    def __init__(self, session: Session, kind: Kind, actor: HasRole) -> None:
        self.session = session
        self.kind = kind
        self.actor = actor
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
        self.columns = [model.id, model.version_id, model.custom_fields, *fields, *extra]  # type: ignore[attr-defined]

    def by_key(self, keys: Collection[str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """(visible records by key, as {field: value}; keys that exist outside the user's rows)."""
        visible: dict[str, dict[str, Any]] = {}
        hidden: set[str] = set()
        for chunk in chunks(keys):
            statement = sa.select(*self.columns).where(self.key_column.in_(chunk))
            scoped = restrict_to_visible_rows(statement, self.kind.model, self.actor)
            for row in self.session.execute(scoped).mappings():
                visible[row[self.kind.key]] = dict(row)
            if self.actor.role in SCOPED_ROLES:
                everything = sa.select(self.key_column).where(self.key_column.in_(chunk))
                hidden |= set(self.session.scalars(everything)) - visible.keys()
        return visible, hidden
