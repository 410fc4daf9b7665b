"""Collections work on an account: notes left by people, and follow-up actions with due dates."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import CustomFieldValues, PanelModel, Versioned, sort_index, utcnow
from models.billing import invoice_must_belong_to_account

if TYPE_CHECKING:
    from models.accounts import Account
    from models.billing import Invoice
    from models.people import User

ACTION_KINDS = ("call", "email", "letter", "other")
ACTION_STATUSES = ("open", "done", "cancelled")


class Note(Versioned, PanelModel, db.Model):
    """A free-text note on an account, signed by its author."""

    __tablename__ = "notes"
    panel_category = "Activity"
    panel_search_fields = ("body",)
    panel_system_columns = ("created_at", "custom_fields")
    panel_server_set_columns = ("author",)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    account: Mapped[Account] = relationship()
    author: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return (self.body or "")[:60]

    def set_server_values(self, actor: User, creating: bool) -> None:
        """A note is signed by whoever writes it."""
        if creating:
            self.author = actor


class FollowUpAction(Versioned, PanelModel, db.Model):
    """A collections task (call, e-mail, letter) on an account or one of its invoices."""

    __tablename__ = "follow_up_actions"
    panel_category = "Activity"
    panel_label = "Follow-up actions"
    panel_record_name = "follow-up action"
    panel_search_fields = ("description",)
    panel_system_columns = ("custom_fields",)
    panel_server_set_columns = ("completed_at", "completed_by")

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="SET NULL"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(
        sa.Enum(*ACTION_KINDS, name="action_kind", native_enum=False, create_constraint=True),
        default="call",
    )
    description: Mapped[str | None] = mapped_column(sa.Text)
    due_date: Mapped[dt.date]
    status: Mapped[str] = mapped_column(
        sa.Enum(*ACTION_STATUSES, name="action_status", native_enum=False, create_constraint=True),
        default="open",
        index=True,
    )
    completed_at: Mapped[dt.datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_follow_up_actions_completed_by"),
        index=True,
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    account: Mapped[Account] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])

    __table_args__ = (sort_index("due_date"),)

    def __str__(self) -> str:
        return self.label_of(self.kind, "on", self.due_date)

    def set_server_values(self, actor: User, creating: bool) -> None:
        """Completion is recorded when the status becomes done, forgotten when it changes back."""
        if self.status != "done":
            self.completed_at = None
            self.completed_by = None
        elif self.completed_at is None:
            self.completed_at = utcnow()
            self.completed_by = actor

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> dict[str, str]:
        return invoice_must_belong_to_account(values)
