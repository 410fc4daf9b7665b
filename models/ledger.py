"""What accounts owe, computed in SQL: open amounts per invoice and the figures per account.

The account page, the manager dashboard and the credit checks read these, so "overdue" and
"balance" mean the same everywhere. (The aging report has its own as-of-date definition in
`reports/aging.py`; these figures are as of today, on all payments and credit notes recorded.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models.accounts import Account
from models.base import Money
from models.billing import CreditNote, Invoice, Payment


def cents(amount: Any) -> sa.ColumnElement[int]:
    """An amount in whole cents: exact even where SQLite stores Numeric as REAL."""
    return sa.cast(sa.func.round(amount * 100), sa.Integer)


def applied_per_invoice(account_ids: sa.Select[Any] | None = None) -> sa.Subquery:
    """invoice_id -> the sum of payments and credit notes applied to it; given `account_ids`,
    for those accounts' invoices only (read through the indexed `account_id`)."""
    payments = sa.select(Payment.invoice_id, Payment.amount).where(Payment.invoice_id.is_not(None))
    credits = sa.select(CreditNote.invoice_id, CreditNote.amount).where(
        CreditNote.invoice_id.is_not(None)
    )
    if account_ids is not None:
        payments = payments.where(Payment.account_id.in_(account_ids))
        credits = credits.where(CreditNote.account_id.in_(account_ids))
    applied = sa.union_all(payments, credits).subquery()
    return (
        sa.select(applied.c.invoice_id, sa.func.sum(applied.c.amount).label("applied"))
        .group_by(applied.c.invoice_id)
        .subquery()
    )


def account_figures(accounts: sa.Select[Any], today: dt.date) -> sa.Select[Any]:
    """One row per account of `accounts` (a SELECT of Account rows): balance, overdue amount,
    open invoice count and credit-limit use in %.
    """
    scoped = accounts.subquery()
    applied = applied_per_invoice(sa.select(scoped.c.id))
    open_amount = Invoice.amount - sa.func.coalesce(applied.c.applied, 0)
    open_invoices = (
        sa.select(Invoice.account_id, Invoice.due_date, open_amount.label("open_amount"))
        .outerjoin(applied, applied.c.invoice_id == Invoice.id)
        .where(Invoice.status == "issued", Invoice.account_id.in_(sa.select(scoped.c.id)))
        .subquery()
    )
    is_open = open_invoices.c.open_amount > 0
    per_account = (
        sa.select(
            open_invoices.c.account_id,
            sa.func.sum(
                sa.case((is_open & (open_invoices.c.due_date < today), open_invoices.c.open_amount))
            ).label("overdue"),
            sa.func.count(sa.case((is_open, 1))).label("open_invoices"),
        )
        .group_by(open_invoices.c.account_id)
        .subquery()
    )
    account = aliased(Account, scoped)
    return (
        sa.select(
            account,
            account.balance.label("balance"),
            sa.func.coalesce(per_account.c.overdue, 0).label("overdue"),
            sa.func.coalesce(per_account.c.open_invoices, 0).label("open_invoices"),
        )
        .outerjoin(per_account, per_account.c.account_id == account.id)
        .order_by(account.code)
    )


def balances_per_account(accounts: sa.Select[Any]) -> sa.Select[Any]:
    """`Account.balance` for every account of `accounts` (a SELECT of Account rows) at once, in
    whole cents: one row per account with any invoice, payment or credit note (the others owe 0).

    The same sums as the column property (issued invoices less every payment and credit note,
    applied or not), taken in one grouped pass over the three tables instead of three correlated
    subqueries per account; what the dashboards count over 100,000 accounts. Cents, because
    SQLite stores Numeric as REAL: whole numbers add up exactly in any order.
    """
    account_ids = sa.select(accounts.subquery().c.id)
    movements = sa.union_all(
        sa.select(Invoice.account_id.label("account_id"), cents(Invoice.amount).label("cents"))
        .where(Invoice.status == "issued", Invoice.account_id.in_(account_ids)),
        sa.select(Payment.account_id, -cents(Payment.amount))
        .where(Payment.account_id.in_(account_ids)),
        sa.select(CreditNote.account_id, -cents(CreditNote.amount))
        .where(CreditNote.account_id.in_(account_ids)),
    ).subquery()  # fmt: skip
    return sa.select(
        movements.c.account_id,
        sa.cast(sa.func.sum(movements.c.cents), sa.BigInteger).label("balance_cents"),
    ).group_by(movements.c.account_id)


def credit_use_percent(balance: Any, credit_limit: Any) -> int | None:
    """Balance as a whole percentage of the credit limit; None without a (positive) limit."""
    if not credit_limit or credit_limit <= 0:
        return None
    return round(balance * 100 / credit_limit)


def receivables_per_account(accounts: sa.Select[Any]) -> sa.Select[Any]:
    """One row per account of `accounts` that has issued invoices or credit notes: `total_due`
    (the open amounts of its issued invoices, each counted when above zero) and `lifetime_value`
    (everything invoiced, net of every credit note).

    With `Account.balance` (what is owed net of every payment and credit), the account credit is
    `total_due - balance`: money received and credit granted that settles no open invoice.
    """
    account_ids = sa.select(accounts.subquery().c.id)
    applied = applied_per_invoice(account_ids)
    open_amount = Invoice.amount - sa.func.coalesce(applied.c.applied, 0)
    ledger = sa.union_all(
        sa.select(
            Invoice.account_id,
            sa.case((open_amount > 0, open_amount), else_=0).label("due"),
            Invoice.amount.label("value"),
        )
        .outerjoin(applied, applied.c.invoice_id == Invoice.id)
        .where(Invoice.status == "issued", Invoice.account_id.in_(account_ids)),
        sa.select(
            CreditNote.account_id, sa.literal(0).label("due"), (-CreditNote.amount).label("value")
        ).where(CreditNote.account_id.in_(account_ids)),
    ).subquery()
    return sa.select(
        ledger.c.account_id,
        sa.type_coerce(sa.func.sum(ledger.c.due), Money).label("total_due"),
        sa.type_coerce(sa.func.sum(ledger.c.value), Money).label("lifetime_value"),
    ).group_by(ledger.c.account_id)
