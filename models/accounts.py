"""Customer accounts, the groups they belong to, and the grants that let managers see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import CustomFieldValues, Money, PanelModel, Versioned, utcnow

if TYPE_CHECKING:
    from models.people import User

ACCOUNT_TYPES = ("provider", "customer", "guest")
ACCOUNT_STATUSES = ("enabled", "disabled")
GUEST_ACCOUNT_CODE = "GUEST"


class AccountGroup(Versioned, PanelModel, db.Model):
    """A node in the tree of account groups (region, sector, ...)."""

    __tablename__ = "account_groups"
    panel_category = "Accounts"
    panel_search_fields = ("name",)
    panel_label_fields = ("name",)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account_groups.id", ondelete="SET NULL"), index=True
    )

    parent: Mapped[AccountGroup | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[AccountGroup]] = relationship(back_populates="parent")
    accounts: Mapped[list[Account]] = relationship(back_populates="group")

    def __str__(self) -> str:
        return self.label_of(self.name)


class Account(Versioned, PanelModel, db.Model):
    """A customer account: who is billed, on what terms, and who manages the relationship."""

    __tablename__ = "accounts"
    panel_category = "Accounts"
    panel_search_fields = ("code", "name", "billing_email")
    panel_derived_columns = ("balance",)
    panel_label_fields = ("code", "name")
    panel_system_columns = ("created_at", "custom_fields")
    panel_not_listed = ("payment_terms_days", "primary_contact", "created_at")
    panel_field_labels = {
        "payment_terms_days": "Payment terms (days)",
        "balance": "Balance owed",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    type: Mapped[str] = mapped_column(
        sa.Enum(*ACCOUNT_TYPES, name="account_type", native_enum=False, create_constraint=True),
        default="customer",
    )
    status: Mapped[str] = mapped_column(
        sa.Enum(
            *ACCOUNT_STATUSES, name="account_status", native_enum=False, create_constraint=True
        ),
        default="enabled",
    )
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account_groups.id", ondelete="SET NULL"), index=True
    )
    account_manager_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(
            "users.id", ondelete="SET NULL", use_alter=True, name="fk_accounts_account_manager"
        ),
    )
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    credit_limit: Mapped[Decimal | None] = mapped_column(Money)
    billing_email: Mapped[str | None] = mapped_column(sa.String(254))
    billing_phone: Mapped[str | None] = mapped_column(sa.String(40))
    billing_address: Mapped[str | None] = mapped_column(sa.Text)
    primary_contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(
            "users.id", ondelete="SET NULL", use_alter=True, name="fk_accounts_primary_contact"
        ),
        index=True,
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    group: Mapped[AccountGroup | None] = relationship(back_populates="accounts")
    # post_update: accounts and users point at each other; these keys are set once both exist
    account_manager: Mapped[User | None] = relationship(
        foreign_keys=[account_manager_id], post_update=True
    )
    primary_contact: Mapped[User | None] = relationship(
        foreign_keys=[primary_contact_id], post_update=True
    )
    employees: Mapped[list[User]] = relationship(
        back_populates="account", foreign_keys="User.account_id"
    )

    __table_args__ = (
        sa.CheckConstraint("payment_terms_days >= 0", name="payment_terms_not_negative"),
        sa.CheckConstraint("credit_limit >= 0", name="credit_limit_not_negative"),
        # (manager, id): a manager's account ids straight from the index, for row scoping
        sa.Index("ix_accounts_manager_accounts", "account_manager_id", "id"),
    )

    def __str__(self) -> str:
        return self.label_of(self.code, self.name, separator=" — ")

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> dict[str, str]:
        errors = {}
        terms = values.get("payment_terms_days")
        if terms is not None and terms < 0:
            errors["payment_terms_days"] = "Payment terms cannot be negative."
        limit = values.get("credit_limit")
        if limit is not None and limit < 0:
            errors["credit_limit"] = "A credit limit cannot be negative."
        return errors


def ensure_guest_account(session: Any) -> Account:
    """The one `guest` account every database has from its first start."""
    guest = session.scalar(sa.select(Account).where(Account.code == GUEST_ACCOUNT_CODE))
    if guest is None:
        guest = Account(code=GUEST_ACCOUNT_CODE, name="Guest", type="guest")
        session.add(guest)
    return guest


class ManagerAccess(Versioned, PanelModel, db.Model):
    """Grants a manager an account they are not the account manager of."""

    __tablename__ = "manager_access"
    panel_category = "Accounts"
    panel_label = "Manager access grants"
    panel_record_name = "manager access grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )

    user: Mapped[User] = relationship()
    account: Mapped[Account] = relationship()

    __table_args__ = (sa.UniqueConstraint("user_id", "account_id", name="one_grant_per_pair"),)

    def __str__(self) -> str:
        return f"{self.user} → {self.account}"
