"""The columns of each importable kind (ARCHITECTURE §6): one definition for import and export.

A column names its header, the table column it writes, the model field it stands for (the name
forms, field rules and the list's export columns use), how a cell is parsed, and how the value is
read back for export. Blank cells follow one rule everywhere:
- a required column (a new record cannot exist without it) refuses a blank cell;
- a column with a default gives new records the default and leaves existing records unchanged;
- any other column stores nothing (None), which clears the value of an existing record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from auth.permissions import CREATE, EDIT, allowed_operations
from bulk_io import cells
from models import Account, AccountGroup, CreditNote, Invoice, Payment, User

ACCOUNT_MANAGER_ROLES = ("super_admin", "admin", "manager")
"""Who may be an account's account manager: people with a panel role that manages customers."""


@dataclass(frozen=True)
class Column:
    name: str
    """The header in the file."""
    field: str
    """The table column written (`account_id` for `account_code`)."""
    parse: cells.CellParser
    export: Any
    """SQL expression giving the exported value, correlated to the kind's model."""
    form_field: str = ""
    """The model field the column stands for in forms and lists (`account`); default `field`."""
    reference: str | None = None
    """Which look-up turns the cell into a record id (see `references`)."""
    required: bool = False
    default: Any = None

    @property
    def rule_field(self) -> str:
        return self.form_field or self.field


@dataclass(frozen=True)
class Kind:
    name: str
    model: type
    key: str
    columns: tuple[Column, ...]
    complete_new: Callable[[dict[str, Any], dict[str, Any]], None] | None = None
    """Fills values a new record derives from others (an invoice's due date from its terms)."""
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {column.name: column for column in self.columns})

    @property
    def table(self) -> sa.Table:
        return self.model.__table__  # type: ignore[attr-defined]

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def fields(self) -> list[str]:
        """The table columns an import writes, one per file column."""
        return [column.field for column in self.columns]


def _length(model: type, name: str) -> int | None:
    return getattr(model.__table__.c[name].type, "length", None)  # type: ignore[attr-defined]


def _text(model: type, name: str) -> Column:
    return Column(name, name, cells.Text(_length(model, name)), getattr(model, name))


def _choice(model: type, name: str) -> Column:
    column = model.__table__.c[name]  # type: ignore[attr-defined]
    return Column(
        name,
        name,
        cells.choice(column.type.enums),
        getattr(model, name),
        default=column.default.arg,
    )


def _plain(model: type, name: str, parse: cells.CellParser, **options: Any) -> Column:
    return Column(name, name, parse, getattr(model, name), **options)


def _account_code_of(model: type, required: bool = True) -> Column:
    account = aliased(Account)
    code = (
        sa.select(account.code)
        .where(account.id == model.account_id)  # type: ignore[attr-defined]
        .correlate_except(account)
        .scalar_subquery()
    )
    parse = cells.Text(_length(Account, "code"))
    return Column(
        "account_code", "account_id", parse, code, "account", reference="account", required=required
    )


def _invoice_number_of(model: type) -> Column:
    invoice = aliased(Invoice)
    number = (
        sa.select(invoice.number)
        .where(invoice.id == model.invoice_id)  # type: ignore[attr-defined]
        .correlate_except(invoice)
        .scalar_subquery()
    )
    parse = cells.Text(_length(Invoice, "number"))
    return Column("invoice_number", "invoice_id", parse, number, "invoice", reference="invoice")


def _key(model: type, name: str) -> Column:
    return Column(name, name, cells.Text(_length(model, name)), getattr(model, name), required=True)


def _manager_email() -> Column:
    manager = aliased(User)
    email = (
        sa.select(manager.email)
        .where(manager.id == Account.account_manager_id)
        .correlate_except(manager)
        .scalar_subquery()
    )
    return Column(
        "account_manager_email",
        "account_manager_id",
        cells.email,
        email,
        "account_manager",
        reference="manager",
    )


def _group_name() -> Column:
    group = aliased(AccountGroup)
    name = (
        sa.select(group.name)
        .where(group.id == Account.group_id)
        .correlate_except(group)
        .scalar_subquery()
    )
    parse = cells.Text(_length(AccountGroup, "name"))
    return Column("account_group", "group_id", parse, name, "group", reference="group")


def _due_date_from_terms(values: dict[str, Any], found: dict[str, Any]) -> None:
    """No due date given: the account's payment terms after the issue date, as the panel would."""
    account = found.get("account")
    if values.get("due_date") is None and values.get("issue_date") and account is not None:
        values["due_date"] = values["issue_date"] + dt.timedelta(days=account.payment_terms_days)


ACCOUNTS = Kind(
    "accounts",
    Account,
    "code",
    (
        _key(Account, "code"),
        Column("name", "name", cells.Text(_length(Account, "name")), Account.name, required=True),
        _choice(Account, "type"),
        _choice(Account, "status"),
        _group_name(),
        _manager_email(),
        _plain(Account, "payment_terms_days", cells.whole_number, default=30),
        _plain(Account, "credit_limit", cells.money),
        _plain(Account, "billing_email", cells.email),
        _text(Account, "billing_phone"),
        _text(Account, "billing_address"),
    ),
)
USERS = Kind(
    "users",
    User,
    "email",
    (
        Column("email", "email", cells.email, User.email, required=True),
        _text(User, "first_name"),
        _text(User, "last_name"),
        _choice(User, "role"),
        _account_code_of(User, required=False),
    ),
)
INVOICES = Kind(
    "invoices",
    Invoice,
    "number",
    (
        _key(Invoice, "number"),
        _account_code_of(Invoice),
        _plain(Invoice, "issue_date", cells.iso_date, required=True),
        _plain(Invoice, "due_date", cells.iso_date),
        _plain(Invoice, "amount", cells.money, required=True),
        _plain(Invoice, "currency", cells.currency, default="GBP"),
        _choice(Invoice, "status"),
        _plain(Invoice, "disputed", cells.boolean, default=False),
        _text(Invoice, "description"),
    ),
    complete_new=_due_date_from_terms,
)
PAYMENTS = Kind(
    "payments",
    Payment,
    "reference",
    (
        _key(Payment, "reference"),
        _account_code_of(Payment),
        _invoice_number_of(Payment),
        _plain(Payment, "payment_date", cells.iso_date, required=True),
        _plain(Payment, "amount", cells.money, required=True),
        _choice(Payment, "method"),
    ),
)
CREDIT_NOTES = Kind(
    "credit-notes",
    CreditNote,
    "number",
    (
        _key(CreditNote, "number"),
        _account_code_of(CreditNote),
        _invoice_number_of(CreditNote),
        _plain(CreditNote, "issue_date", cells.iso_date, required=True),
        _plain(CreditNote, "amount", cells.money, required=True),
        _text(CreditNote, "reason"),
    ),
)

KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (ACCOUNTS, USERS, INVOICES, PAYMENTS, CREDIT_NOTES)
}
KIND_BY_MODEL: dict[type, Kind] = {kind.model: kind for kind in KINDS.values()}


def importable_kinds(role: str | None) -> list[Kind]:
    """The kinds `role` may import: importing creates and edits, so it needs both permissions."""
    return [
        kind
        for kind in KINDS.values()
        if {CREATE, EDIT}
        <= allowed_operations(kind.model.__name__, kind.model.panel_category, role)  # type: ignore[attr-defined]
    ]
