"""Short lists and tables: top overdue accounts, my open actions, credit requests waiting,
e-mails failed, the manager's accounts table, and the shortcuts of the role's menu."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from dashboards.receivables import aging_today, buckets_past, money
from dashboards.registry import (
    ACCOUNTS_TABLE,
    LINKS,
    NO_CACHE,
    ROWS,
    USER_SCOPE,
    IntParameter,
    WidgetKind,
    register,
)
from dashboards.results import AccountLine, AccountsResult, Amount, LinksResult, RowsResult
from dashboards.widget_figures import RECEIVABLES_READ
from forms_config.readability import readable
from models import Account, CreditRequest, OutboxMessage
from models.base import utc_today
from models.ledger import credit_use_percent
from models.scoping import restrict_to_visible_rows
from notifications.follow_ups import open_actions_for


def _limit(name: str = "limit", default: int = 5, most: int = 50) -> IntParameter:
    return IntParameter(name, "Rows", default, 1, most)


def top_overdue_accounts(session: Any, user: Any, params: Mapping[str, Any]) -> RowsResult:
    frame = aging_today(session, user, "account")
    frame = frame.assign(overdue=frame[buckets_past(0)].sum(axis=1))
    frame = frame[frame["overdue"] > 0].sort_values(
        ["currency", "overdue", "key"], ascending=[True, False, True]
    )
    largest = frame.groupby("currency").head(params["limit"])
    keys = [int(key) for key in largest["key"].unique()]
    names = sa.select(Account.id, Account.code, Account.name).where(Account.id.in_(keys))
    label = {
        account_id: f"{code} — {name}"
        for account_id, code, name in session.execute(
            restrict_to_visible_rows(names, Account, user)
        )
    }
    rows = tuple(
        (label.get(int(key), ""), Amount(money(cents), currency))
        for key, currency, cents in zip(
            largest["key"], largest["currency"], largest["overdue"], strict=True
        )
    )
    links = tuple(("account.details_view", {"id": int(key)}) for key in largest["key"])
    report = ("reports.aging", {"page": "account", "sort": "days_over_90", "desc": "1"})
    return RowsResult(("Account", "Overdue"), rows, links, "Nothing is overdue.", report)


def my_open_actions(session: Any, user: Any, params: Mapping[str, Any]) -> RowsResult:
    actions = open_actions_for(session, user)[: params["limit"]]
    today = utc_today()
    rows = tuple(
        (
            action.due_date,
            action.kind,
            action.account.code if action.account else "",
            action.invoice.number if action.invoice is not None else "",
            action.description or "",
            "late" if action.due_date < today else "",
        )
        for action in actions
    )
    links = tuple(("account.details_view", {"id": action.account_id}) for action in actions)
    return RowsResult(("Due", "Kind", "Account", "Invoice", "What", ""), rows, links,
                      "Nothing open.", ("my_actions.index", {}))  # fmt: skip


def credit_requests_waiting(session: Any, user: Any, params: Mapping[str, Any]) -> RowsResult:
    query = (
        sa.select(CreditRequest.id, CreditRequest.created_at, Account.code, CreditRequest.amount)
        .join(Account, Account.id == CreditRequest.account_id)
        .where(CreditRequest.status == "pending")
        .order_by(CreditRequest.created_at, CreditRequest.id)
        .limit(params["limit"])
    )
    found = session.execute(restrict_to_visible_rows(query, CreditRequest, user)).all()
    rows = tuple((created.date(), code, Amount(amount)) for _id, created, code, amount in found)
    links = tuple(("creditrequest.details_view", {"id": request_id}) for request_id, *_ in found)
    return RowsResult(("Asked on", "Account", "Limit asked"), rows, links,
                      "No request is waiting.", ("creditrequest.index_view", {}))  # fmt: skip


def emails_failed(session: Any, user: Any, params: Mapping[str, Any]) -> RowsResult:
    query = (
        sa.select(OutboxMessage.id, OutboxMessage.created_at, OutboxMessage.to_addresses,
                  OutboxMessage.subject, OutboxMessage.attempts)
        .where(OutboxMessage.status == "failed")
        .order_by(OutboxMessage.id.desc())
        .limit(params["limit"])
    )  # fmt: skip
    found = session.execute(restrict_to_visible_rows(query, OutboxMessage, user)).all()
    rows = tuple(
        (created.date(), to, subject, attempts) for _id, created, to, subject, attempts in found
    )
    links = tuple(("outboxmessage.details_view", {"id": message_id}) for message_id, *_ in found)
    return RowsResult(("Queued on", "To", "Subject", "Attempts"), rows, links,
                      "No e-mail has failed.", ("outboxmessage.index_view", {}))  # fmt: skip


def my_accounts(session: Any, user: Any, params: Mapping[str, Any]) -> AccountsResult:
    """The manager's former dashboard table, one line per account and currency: open amount,
    overdue amount and open invoices from the aging as of today; where the role may read it, the
    credit limit and how much of it the account uses (for an account invoicing in one currency:
    a limit has no currency, so it is not compared with amounts of several)."""
    visible = restrict_to_visible_rows(
        sa.select(Account.id, Account.code, Account.name, Account.credit_limit), Account, user
    )
    accounts = session.execute(visible.order_by(Account.code).limit(params["limit"])).all()
    count = session.scalar(sa.select(sa.func.count()).select_from(visible.subquery()))
    shows_credit = readable("Account", "credit_limit")
    frame = aging_today(session, user, "account")
    frame = frame[frame["key"].isin([account.id for account in accounts])]
    overdue_buckets = buckets_past(0)
    lines = []
    for account_id, code, name, credit_limit in accounts:
        figures = frame[frame["key"] == account_id]
        limit = credit_limit if shows_credit else None
        if figures.empty:
            lines.append(AccountLine(account_id, code, name, None, money(0), money(0), 0, limit,
                                     credit_use_percent(0, limit)))  # fmt: skip
            continue
        single_currency = len(figures) == 1
        for row in figures.itertuples(index=False):
            net = money(row.net_total)
            lines.append(AccountLine(
                account_id, code, name, row.currency, money(row.total),
                money(sum(getattr(row, bucket) for bucket in overdue_buckets)),
                int(row.open_invoices), limit,
                credit_use_percent(net, limit) if single_currency else None,
            ))  # fmt: skip
    return AccountsResult(tuple(lines), shows_credit, max(0, count - len(accounts)))


def shortcuts(_session: Any, _user: Any, _params: Mapping[str, Any]) -> LinksResult:
    """Drawn from the role's menu when the page is drawn (the menu is already role-checked)."""
    return LinksResult()


register(WidgetKind(
    key="top_overdue_accounts", label="Top overdue accounts", shape=ROWS, width=6,
    compute=top_overdue_accounts, reads=(*RECEIVABLES_READ, "Account.code", "Account.name"),
    description="The accounts with the most overdue, per currency.",
    parameters=(_limit(),),
))  # fmt: skip
register(WidgetKind(
    key="my_open_actions", label="My open actions", shape=ROWS, width=6,
    compute=my_open_actions, scope=USER_SCOPE,
    reads=("FollowUpAction.due_date", "FollowUpAction.kind", "FollowUpAction.description",
           "Account.code"),
    description="Follow-up actions assigned to the viewer, earliest due first.",
    parameters=(_limit(default=10),),
))  # fmt: skip
register(WidgetKind(
    key="credit_requests_waiting", label="Credit requests waiting", shape=ROWS, width=6,
    compute=credit_requests_waiting, reads=("CreditRequest.amount", "Account.code"),
    description="Credit limit requests not decided yet, oldest first.",
    parameters=(_limit(),),
))  # fmt: skip
register(WidgetKind(
    key="emails_failed", label="E-mails failed", shape=ROWS, width=6, compute=emails_failed,
    reads=("OutboxMessage.to_addresses", "OutboxMessage.subject", "OutboxMessage.status"),
    description="E-mails the outbox gave up sending, newest first.",
    parameters=(_limit(),),
))  # fmt: skip
register(WidgetKind(
    key="my_accounts", label="My accounts", shape=ACCOUNTS_TABLE, width=12, compute=my_accounts,
    reads=(*RECEIVABLES_READ, "Account.code", "Account.name"),
    description="Each account's open and overdue amounts per currency, and its credit limit use.",
    parameters=(_limit(default=50, most=500),),
))  # fmt: skip
register(WidgetKind(
    key="shortcuts", label="Shortcuts", shape=LINKS, width=12, compute=shortcuts, reads=(),
    scope=NO_CACHE, description="The pages of the role's menu, grouped as in the menu.",
))  # fmt: skip
