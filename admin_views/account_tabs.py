"""The account page's tabs: an account's invoices, payments, credit notes, users, notes, follow-up
actions, credit requests (with their decisions) and history, each listed through the entity's own
generic view.

A record tab's rows come from that view's `get_list` with its "account code equals" filter, so
they are row-scoped, searched, sorted and narrowed to the columns the role may see exactly as the
entity's own list is. The history tab lists the audit events of the account and of every record
that belongs to it, through the audit log view's scoped query.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_admin.contrib.sqla.filters import FilterEqual

from admin_views.generic import RoleAwareModelView, page_within_reach
from models import (
    Account,
    AuditEvent,
    CreditNote,
    CreditRequest,
    FollowUpAction,
    Invoice,
    ManagerAccess,
    Note,
    Payment,
    User,
)

TAB_PAGE_SIZE = 20
EXPORT_ROW_LIMIT = 20_000
"""A tab's export (PDF, print) is one account's records; this bounds a pathological account."""


@dataclass(frozen=True)
class AccountTab:
    key: str
    label: str
    model: type


TABS = (
    AccountTab("invoices", "Invoices", Invoice),
    AccountTab("payments", "Payments", Payment),
    AccountTab("credit_notes", "Credit notes", CreditNote),
    AccountTab("users", "Users", User),
    AccountTab("notes", "Notes", Note),
    AccountTab("actions", "Follow-up actions", FollowUpAction),
    AccountTab("credit_requests", "Credit requests", CreditRequest),
    AccountTab("history", "History", AuditEvent),
)
TAB_BY_KEY = {tab.key: tab for tab in TABS}

ACCOUNT_RECORD_MODELS = (
    Invoice, Payment, CreditNote, Note, FollowUpAction, CreditRequest, User, ManagerAccess,
)  # fmt: skip
"""Models whose rows belong to an account by `account_id`: their audit events are its history."""


@dataclass(frozen=True)
class ListArguments:
    """What the user asked of a tab's list: sort column index, direction, search text, page."""

    sort: int | None = None
    desc: bool = False
    search: str = ""
    page: int = 0

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ListArguments:
        return cls(
            sort=_whole_number(args.get("sort")),
            desc=args.get("desc") == "1",
            search=searchable_text(args.get("search")),
            page=page_within_reach(_whole_number(args.get("page"))),
        )


@dataclass
class TabListing:
    """One page of a tab, with what the template needs to draw headers, pager and links."""

    tab: AccountTab
    view: RoleAwareModelView
    columns: list[tuple[str, str]]
    sortable: set[str]
    records: list[Any]
    total: int
    arguments: ListArguments
    list_filter_arg: str | None
    """The entity list's URL argument for "account code equals", when the role may use it."""

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / TAB_PAGE_SIZE), 1)


def searchable_text(text: str | None) -> str:
    """Search text as typed, trimmed (NUL characters never get this far: web_hardening)."""
    return (text or "").strip()


def _whole_number(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def account_code_filter(view: RoleAwareModelView) -> tuple[int, str | None] | None:
    """The index of the view's "account code equals" filter, and its URL argument when the
    current role may filter on the account (Configure Forms drops it where `account` is hidden).
    """
    for index, flt in enumerate(view._filters or ()):
        column = flt.column
        if (
            isinstance(flt, FilterEqual)
            and getattr(column, "table", None) is Account.__table__
            and column.key == "code"
        ):
            arg = view.get_filter_arg(index, flt)
            return index, arg if arg in view._filter_args else None
    return None


def history_condition(account: Account) -> sa.ColumnElement[bool]:
    """Audit events about the account itself or about a record that belongs to it."""
    about_records = [
        sa.and_(
            AuditEvent.entity == model.__name__,
            AuditEvent.entity_id.in_(
                sa.select(sa.cast(model.id, sa.String)).where(model.account_id == account.id)
            ),
        )
        for model in ACCOUNT_RECORD_MODELS
    ]
    about_account = sa.and_(AuditEvent.entity == "Account", AuditEvent.entity_id == str(account.id))
    return sa.or_(about_account, *about_records)


def list_tab(
    view: RoleAwareModelView,
    tab: AccountTab,
    account: Account,
    arguments: ListArguments,
    page_size: int = TAB_PAGE_SIZE,
) -> TabListing:
    """One page of the tab's records (`page_size` of them), as the entity's list has them."""
    columns = tab_columns(view)
    sort_name = _sort_column(view, columns, arguments.sort)
    if tab.model is AuditEvent:
        total, records = _history_page(view, account, arguments, sort_name, page_size)
        filter_arg = None
    else:
        account_filter = account_code_filter(view)
        if account_filter is None:
            raise LookupError(f"{tab.model.__name__} has no account code filter")
        index, filter_arg = account_filter
        total, records = view.get_list(
            arguments.page,
            sort_name,
            arguments.desc,
            arguments.search,
            [(index, "account", account.code)],
            page_size=page_size,
        )
    return TabListing(
        tab=tab,
        view=view,
        columns=columns,
        sortable=set(view._sortable_columns),
        records=list(records),
        total=total or 0,
        arguments=arguments,
        list_filter_arg=filter_arg,
    )


def tab_columns(view: RoleAwareModelView) -> list[tuple[str, str]]:
    """The entity list's columns, then the visible detail columns a list leaves out for width
    (a note's body, an invoice's description): on the account page they are the point. The
    account column is left out: every row is the page's account."""
    listed = list(view._list_columns)
    names = {name for name, _label in listed}
    columns = listed + [(name, label) for name, label in view._details_columns if name not in names]
    return [(name, label) for name, label in columns if name != "account"]


def _sort_column(
    view: RoleAwareModelView, columns: list[tuple[str, str]], index: int | None
) -> str | None:
    if index is None or not 0 <= index < len(columns):
        return None
    name = columns[index][0]
    return name if name in view._sortable_columns else None


def _history_page(
    view: RoleAwareModelView,
    account: Account,
    arguments: ListArguments,
    sort_name: str | None,
    page_size: int,
) -> tuple[int, list[AuditEvent]]:
    query = view.get_query().filter(history_condition(account))
    if arguments.search:
        pattern = f"%{arguments.search}%"
        searched = [column.ilike(pattern) for column, _path in view._search_fields or ()]
        query = query.filter(sa.or_(*searched) if searched else sa.false())
    total = query.order_by(None).count()
    sort_column = getattr(AuditEvent, sort_name) if sort_name else AuditEvent.at
    descending = arguments.desc if sort_name else True
    query = query.order_by(sort_column.desc() if descending else sort_column, AuditEvent.id.desc())
    if page_size:
        query = query.offset(arguments.page * page_size).limit(page_size)
    return total, query.all()


def export_table(
    view: RoleAwareModelView, tab: AccountTab, account: Account, arguments: ListArguments
) -> tuple[list[str], Iterable[Sequence[Any]]]:
    """The whole tab (as searched and sorted) in the entity's export columns and values."""
    first_page = dataclasses.replace(arguments, page=0)
    listing = list_tab(view, tab, account, first_page, page_size=EXPORT_ROW_LIMIT)
    columns = view.export_columns_for_request()
    header = [label for _name, label in columns]
    rows = (
        [view.get_export_value(record, name) for name, _label in columns]
        for record in listing.records
    )
    return header, rows
