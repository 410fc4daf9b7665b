"""Workflow records: the e-mail outbox and its templates, credit account requests, alert state.

"Exactly once" is enforced by the database, not by the code that detects events: every e-mail
carries a `dedupe_key` naming its (event, record, occurrence), unique in the outbox, so two runs
of `flask notify` that detect the same event can only ever insert one message.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.accounts import Account
from models.base import Money, PanelModel, Versioned, utcnow

if TYPE_CHECKING:
    from models.activity import FollowUpAction
    from models.billing import Invoice
    from models.people import User

OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "skipped")
"""queued: waiting (maybe for a retry); sending: claimed by one `notify` run; sent; failed: gave up
after the last retry; skipped: the event was seen but no e-mail is due (switched off, opted out,
no address), kept so that switching e-mails on later does not replay old events."""

CREDIT_REQUEST_STATUSES = ("pending", "accepted", "rejected")
EMAIL_EVENTS = (
    "invoice_issued",
    "invoice_paid",
    "invoice_overdue",
    "credit_limit_exceeded",
    "credit_request_submitted",
    "credit_request_accepted",
    "credit_request_rejected",
    "statement",
)
"""The kinds of e-mail the workflows send; each has a built-in wording an `EmailTemplate` may
replace (`notifications.email_templates`)."""


class OutboxMessage(PanelModel, db.Model):
    """One e-mail, written before it is sent: a crash or a down SMTP server loses nothing."""

    __tablename__ = "outbox_messages"
    panel_category = "Settings"
    panel_label = "E-mail outbox"
    panel_record_name = "outbox e-mail"
    panel_search_fields = ("to_addresses", "subject", "dedupe_key")
    panel_field_labels = {
        "dedupe_key": "Sent once per",
        "to_addresses": "To",
        "cc_addresses": "Cc",
        "body_text": "Text",
        "body_html": "HTML",
        "next_attempt_at": "Next attempt",
        "sent_at": "Sent",
    }
    panel_append_only = True

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    event: Mapped[str] = mapped_column(sa.String(40), index=True)
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    to_addresses: Mapped[str] = mapped_column(sa.Text, default="")
    cc_addresses: Mapped[str] = mapped_column(sa.Text, default="")
    subject: Mapped[str] = mapped_column(sa.String(255), default="")
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(
        sa.Enum(*OUTBOX_STATUSES, name="outbox_status", native_enum=False, create_constraint=True),
        default="queued",
    )
    skip_reason: Mapped[str | None] = mapped_column(sa.String(120))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(sa.String(40))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]

    account: Mapped[Account | None] = relationship()
    attachments: Mapped[list[OutboxAttachment]] = relationship(
        order_by="OutboxAttachment.id", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    def __str__(self) -> str:
        return f"{self.event}: {self.subject}"


class OutboxAttachment(db.Model):
    """A file sent with an outbox e-mail (a statement's PDF), kept with it until it is sent.

    Not a panel model: the outbox list names the message; the file is the customer's document.
    """

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)


class EmailTemplate(Versioned, db.Model):
    """A super admin's wording for one kind of e-mail; a missing row means the built-in wording.

    Not a panel model: it is edited on the E-mail templates page, beside the built-in wording,
    where it is checked to hold only the event's placeholders (notifications/email_placeholders).
    """

    __tablename__ = "email_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(40), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(255))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return self.event


class InvoiceEmailOptOut(Versioned, PanelModel, db.Model):
    """An account that receives no automated invoice e-mails (a row per account that opted out)."""

    __tablename__ = "invoice_email_opt_outs"
    panel_category = "Accounts"
    panel_label = "Invoice e-mail opt-outs"
    panel_record_name = "invoice e-mail opt-out"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str | None] = mapped_column(sa.Text)

    account: Mapped[Account] = relationship()

    def __str__(self) -> str:
        return f"{self.account} opted out"


class CreditRequest(Versioned, PanelModel, db.Model):
    """A request for a credit account or a new credit limit, and the approver's decision on it.

    Requests are never edited or deleted: together they are the account's credit history.
    The allowed transitions live in `notifications.credit_requests`.
    """

    __tablename__ = "credit_requests"
    panel_category = "Accounts"
    panel_label = "Credit requests"
    panel_search_fields = ("reason", "decision_reason")
    panel_system_columns = ("status", "created_at", "decision_reason")
    panel_server_set_columns = ("requested_by", "old_limit", "decided_by", "decided_at")
    """The requester is whoever asks, the old limit the account's when they ask; the decision's
    who and when are `decide`'s."""
    panel_derived_from = {"old_limit": "Account.credit_limit"}
    panel_label_fields = ("amount",)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(
        sa.Enum(
            *CREDIT_REQUEST_STATUSES,
            name="credit_request_status",
            native_enum=False,
            create_constraint=True,
        ),
        default="pending",
        index=True,
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_credit_requests_decided_by"),
        index=True,
    )
    decided_at: Mapped[dt.datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    old_limit: Mapped[Decimal | None] = mapped_column(Money)
    """The account's limit when the request was made (what the approver weighs the amount
    against); once accepted, the limit it replaced."""

    account: Mapped[Account] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="credit_request_amount_not_negative"),
        sa.CheckConstraint(
            "status != 'rejected' OR decision_reason IS NOT NULL",
            name="rejection_has_a_reason",
        ),
    )

    def __str__(self) -> str:
        amount = f"{self.amount:,.2f}" if self.amount is not None else None
        return self.label_of(amount, "for", self.account, f"({self.status})")

    def set_server_values(self, actor: User, creating: bool) -> None:
        if creating:
            self.requested_by = actor
            self.old_limit = stored_credit_limit(self.account.id) if self.account else None

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> dict[str, str]:
        errors = {}
        amount = values.get("amount")
        if amount is not None and amount < 0:
            errors["amount"] = "A credit limit cannot be negative."
        if not (values.get("reason") or "").strip():
            errors["reason"] = "Say why the account needs this limit."
        return errors


def stored_credit_limit(account_id: int) -> Decimal | None:
    """An account's credit limit as stored, read in SQL: a record loaded for someone who may not
    read the limit holds it blanked (forms_config.readability), and a request or a decision must
    not record that blank."""
    return db.session.scalar(sa.select(Account.credit_limit).where(Account.id == account_id))


class CreditLimitState(db.Model):
    """Whether an account was over its credit limit when `notify` last looked, and how many
    times it has crossed it: each crossing is alerted once, keyed by its number."""

    __tablename__ = "credit_limit_states"

    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    over_limit: Mapped[bool] = mapped_column(default=False)
    crossings: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AutomaticFollowUp(db.Model):
    """The follow-up action an overdue invoice created automatically: at most one per invoice."""

    __tablename__ = "automatic_follow_ups"

    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    action_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("follow_up_actions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice] = relationship()
    action: Mapped[FollowUpAction | None] = relationship()
