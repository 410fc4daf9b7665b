"""Receivables: invoices, the payments and credit notes that settle them, and derived balances.

Paid and open amounts are never stored: they are SQL expressions over the ledger, so a list page, a
report and an account page cannot disagree about what is owed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from extensions import db
from models.accounts import Account
from models.base import CustomFieldValues, Money, PanelModel, Versioned, sort_index, utc_today

INVOICE_STATUSES = ("draft", "issued", "void")
PAYMENT_METHODS = ("bank_transfer", "card", "direct_debit", "cheque", "cash", "other")
DEFAULT_CURRENCY = "GBP"


def _amount_must_be_positive(values: dict[str, Any]) -> dict[str, str]:
    amount = values.get("amount")
    if amount is not None and amount <= 0:
        return {"amount": "The amount must be greater than zero."}
    return {}


def invoice_must_belong_to_account(values: dict[str, Any]) -> dict[str, str]:
    """A payment, credit note or action on an invoice must be on that invoice's account."""
    invoice, account = values.get("invoice"), values.get("account")
    if invoice is not None and account is not None and invoice.account_id != account.id:
        return {"invoice": "This invoice belongs to another account."}
    return {}


class Invoice(Versioned, PanelModel, db.Model):
    """A bill to an account; what is still owed on it is derived from payments and credit notes."""

    __tablename__ = "invoices"
    panel_category = "Billing"
    panel_search_fields = ("number",)
    panel_label_fields = ("number",)
    panel_derived_columns = ("paid_amount", "open_amount", "is_overdue")
    panel_derived_from = {"paid_amount": "amount", "open_amount": "amount", "is_overdue": "amount"}
    panel_field_labels = {"paid_amount": "Paid", "open_amount": "Open", "is_overdue": "Overdue"}
    panel_system_columns = ("custom_fields",)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
    issue_date: Mapped[dt.date]
    due_date: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3), default=DEFAULT_CURRENCY)
    status: Mapped[str] = mapped_column(
        sa.Enum(
            *INVOICE_STATUSES, name="invoice_status", native_enum=False, create_constraint=True
        ),
        default="issued",
    )
    disputed: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    account: Mapped[Account] = relationship()

    __table_args__ = (
        sa.CheckConstraint("due_date >= issue_date", name="due_not_before_issue"),
        sa.CheckConstraint("amount > 0", name="invoice_amount_positive"),
        sa.Index("ix_invoices_account_due", "account_id", "due_date"),
        sort_index("issue_date"),
        sort_index("due_date"),
    )

    def __str__(self) -> str:
        return self.label_of(self.number)

    @property
    def is_overdue(self) -> bool:
        return self.status == "issued" and self.open_amount > 0 and self.due_date < utc_today()

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> dict[str, str]:
        errors = _amount_must_be_positive(values)
        issued, due = values.get("issue_date"), values.get("due_date")
        if issued and due and due < issued:
            errors["due_date"] = "The due date cannot be before the issue date."
        return errors


class Payment(Versioned, PanelModel, db.Model):
    """Money received; without an invoice it is unapplied cash, i.e. account credit."""

    __tablename__ = "payments"
    panel_category = "Billing"
    panel_search_fields = ("reference",)
    panel_label_fields = ("reference",)
    panel_system_columns = ("custom_fields",)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(60), unique=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    payment_date: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(
        sa.Enum(*PAYMENT_METHODS, name="payment_method", native_enum=False, create_constraint=True),
        default="bank_transfer",
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    account: Mapped[Account] = relationship()
    invoice: Mapped[Invoice | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="payment_amount_positive"),
        sort_index("payment_date"),
    )

    def __str__(self) -> str:
        return self.label_of(self.reference)

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> dict[str, str]:
        return _amount_must_be_positive(values) | invoice_must_belong_to_account(values)


class CreditNote(Versioned, PanelModel, db.Model):
    """A reduction of what an account owes, applied to one invoice or left as account credit."""

    __tablename__ = "credit_notes"
    panel_category = "Billing"
    panel_search_fields = ("number", "reason")
    panel_label_fields = ("number",)
    panel_system_columns = ("custom_fields",)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    issue_date: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    account: Mapped[Account] = relationship()
    invoice: Mapped[Invoice | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="credit_note_amount_positive"),
        sort_index("issue_date"),
    )

    def __str__(self) -> str:
        return self.label_of(self.number)

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> dict[str, str]:
        return _amount_must_be_positive(values) | invoice_must_belong_to_account(values)


def _sum_of(amount_column: Any, *where: Any) -> sa.ScalarSelect[Decimal]:
    return (
        sa.select(sa.func.coalesce(sa.func.sum(amount_column), 0))
        .where(*where)
        .correlate_except(amount_column.table)
        .scalar_subquery()
    )


Invoice.paid_amount = column_property(
    _sum_of(Payment.amount, Payment.invoice_id == Invoice.id)
    + _sum_of(CreditNote.amount, CreditNote.invoice_id == Invoice.id),
    deferred=True,
)
Invoice.open_amount = column_property(
    Invoice.amount - Invoice.paid_amount.expression, deferred=True
)

Account.balance = column_property(
    _sum_of(Invoice.amount, Invoice.account_id == Account.id, Invoice.status == "issued")
    - _sum_of(Payment.amount, Payment.account_id == Account.id)
    - _sum_of(CreditNote.amount, CreditNote.account_id == Account.id),
    deferred=True,
)
"""What the account owes now: issued invoices less every payment and credit note, applied or not."""
