"""Statement of account: what an account owed at the start of a period, what happened in it, and
what it owes at its end, with every invoice still open on the as-of date and its age.

Counted as the aging definition counts (ARCHITECTURE §7): issued invoices only (never draft or
void), by issue date; payments by payment date and credit notes by issue date, applied or not.
So `carried_forward = brought_forward + invoiced - paid - credited`, and it is the account's
balance as of the statement date. A pure function: it reads through SQL and never writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa

from models import Account, CreditNote, Invoice, Payment
from models.account_currency import currency_of_account
from models.base import CENT

ACTIVITY_COLUMNS = ["date", "kind", "reference", "charges", "credits", "balance"]
OPEN_INVOICE_COLUMNS = [
    "number", "issue_date", "due_date", "amount", "open_amount", "age_days", "days_overdue",
]  # fmt: skip
KIND_ORDER = {"invoice": 0, "payment": 1, "credit note": 2}
"""On one day, charges are listed before what settles them."""


@dataclass(frozen=True)
class AccountStatement:
    account_code: str
    account_name: str
    billing_address: str | None
    """As the reader may read it: blank when their role may not."""
    currency: str | None
    """The currency of the account's invoices ("EUR, GBP" for several); None when the reader
    may not read invoice currencies."""
    period_start: dt.date
    as_of: dt.date
    brought_forward: Decimal
    invoiced: Decimal
    paid: Decimal
    credited: Decimal
    activity: pd.DataFrame
    """One row per invoice, payment and credit note in the period, with the running balance."""
    open_invoices: pd.DataFrame
    """Every invoice with an open amount on the as-of date, oldest due first."""

    @property
    def carried_forward(self) -> Decimal:
        return self.brought_forward + self.invoiced - self.paid - self.credited


def _ledger_entries(account: Account, as_of: dt.date) -> sa.Select[Any]:
    entries = sa.union_all(
        sa.select(
            Invoice.issue_date.label("date"),
            sa.literal("invoice").label("kind"),
            Invoice.number.label("reference"),
            Invoice.amount.label("amount"),
        ).where(
            Invoice.account_id == account.id,
            Invoice.status == "issued",
            Invoice.issue_date <= as_of,
        ),
        sa.select(
            Payment.payment_date, sa.literal("payment"), Payment.reference, Payment.amount
        ).where(Payment.account_id == account.id, Payment.payment_date <= as_of),
        sa.select(
            CreditNote.issue_date, sa.literal("credit note"), CreditNote.number, CreditNote.amount
        ).where(CreditNote.account_id == account.id, CreditNote.issue_date <= as_of),
    ).subquery()
    return sa.select(entries)


def _open_invoices(account: Account, as_of: dt.date) -> sa.Select[Any]:
    """Open amount on the as-of date: the amount less what was applied to it by then."""
    applied = sa.union_all(
        sa.select(Payment.invoice_id, Payment.amount).where(
            Payment.invoice_id.is_not(None), Payment.payment_date <= as_of
        ),
        sa.select(CreditNote.invoice_id, CreditNote.amount).where(
            CreditNote.invoice_id.is_not(None), CreditNote.issue_date <= as_of
        ),
    ).subquery()
    applied_per_invoice = (
        sa.select(applied.c.invoice_id, sa.func.sum(applied.c.amount).label("applied"))
        .group_by(applied.c.invoice_id)
        .subquery()
    )
    open_amount = Invoice.amount - sa.func.coalesce(applied_per_invoice.c.applied, 0)
    return (
        sa.select(
            Invoice.number,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.amount,
            sa.type_coerce(open_amount, Invoice.amount.type).label("open_amount"),
        )
        .outerjoin(applied_per_invoice, applied_per_invoice.c.invoice_id == Invoice.id)
        .where(
            Invoice.account_id == account.id,
            Invoice.status == "issued",
            Invoice.issue_date <= as_of,
            open_amount > 0,
        )
        .order_by(Invoice.due_date, Invoice.number)
    )


def _cents(values: pd.Series) -> pd.Series:
    return values.map(lambda value: Decimal(value).quantize(CENT))


def _total(values: pd.Series) -> Decimal:
    return sum(values, Decimal(0)).quantize(CENT)


def account_statement(
    session: Any, account: Account, period_start: dt.date, as_of: dt.date
) -> AccountStatement:
    """The statement of `account` for the days `period_start` to `as_of`, both included."""
    if period_start > as_of:
        raise ValueError("The period cannot start after the statement date.")
    entries = pd.DataFrame(
        session.execute(_ledger_entries(account, as_of)).all(),
        columns=["date", "kind", "reference", "amount"],
    )
    entries["amount"] = _cents(entries["amount"])
    is_charge = entries["kind"] == "invoice"
    entries["signed"] = entries["amount"].where(is_charge, -entries["amount"])
    before = entries["date"] < period_start
    brought_forward = _total(entries.loc[before, "signed"])

    activity = entries.loc[~before].copy()
    activity["order"] = activity["kind"].map(KIND_ORDER)
    activity = activity.sort_values(["date", "order", "reference"], kind="stable")
    is_charge = activity["kind"] == "invoice"
    activity["charges"] = activity["amount"].where(is_charge, None)
    activity["credits"] = activity["amount"].where(~is_charge, None)
    activity["balance"] = brought_forward + activity["signed"].cumsum()
    activity = activity[ACTIVITY_COLUMNS].reset_index(drop=True)

    open_invoices = pd.DataFrame(
        session.execute(_open_invoices(account, as_of)).all(),
        columns=OPEN_INVOICE_COLUMNS[:5],
    )
    open_invoices["amount"] = _cents(open_invoices["amount"])
    open_invoices["open_amount"] = _cents(open_invoices["open_amount"])
    as_of_stamp = pd.Timestamp(as_of)
    open_invoices["age_days"] = (as_of_stamp - pd.to_datetime(open_invoices["issue_date"])).dt.days
    overdue_days = (as_of_stamp - pd.to_datetime(open_invoices["due_date"])).dt.days
    open_invoices["days_overdue"] = overdue_days.clip(lower=0)

    in_period = entries.loc[~before]
    return AccountStatement(
        account_code=account.code,
        account_name=account.name,
        billing_address=account.billing_address,
        currency=currency_of_account(session, account.id),
        period_start=period_start,
        as_of=as_of,
        brought_forward=brought_forward,
        invoiced=_total(in_period.loc[in_period["kind"] == "invoice", "amount"]),
        paid=_total(in_period.loc[in_period["kind"] == "payment", "amount"]),
        credited=_total(in_period.loc[in_period["kind"] == "credit note", "amount"]),
        activity=activity,
        open_invoices=open_invoices[OPEN_INVOICE_COLUMNS],
    )
