"""People: panel users and the employees of customer accounts (one table, told apart by role)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from extensions import db
from models.base import CustomFieldValues, PanelModel, Versioned

if TYPE_CHECKING:
    from models.accounts import Account

ROLES = ("super_admin", "admin", "manager", "analyst", "individual")
PANEL_ROLES = ROLES[:4]
"""Roles that may log in to the panel; `individual` is an account's employee."""


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Versioned, PanelModel, db.Model):
    """A person: may log in when they have a password, a panel role and are active."""

    __tablename__ = "users"
    panel_category = "Accounts"
    panel_search_fields = ("email", "first_name", "last_name")
    panel_secret_columns = ("password_hash", "session_token")
    panel_label_fields = ("first_name", "last_name", "email")
    panel_checked_by_server = ("role", "active", "session_token", "password_hash")
    panel_system_columns = ("last_login_at", "custom_fields")
    panel_field_labels = {"last_login_at": "Last login", "account": "Employer account"}

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str | None] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(
        sa.Enum(*ROLES, name="user_role", native_enum=False, create_constraint=True),
        default="individual",
    )
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[dt.datetime | None]
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)

    account: Mapped[Account | None] = relationship(
        back_populates="employees", foreign_keys=[account_id]
    )

    def __str__(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        if name and self.email:
            return f"{name} <{self.email}>"
        return self.label_of(name, self.email)

    @validates("email")
    def _normalise_email(self, _key: str, email: str) -> str:
        """E-mails are kept lower-case, so the unique index also refuses case-only duplicates."""
        return email.strip().lower() if email else email

    @validates("active", "password_hash")
    def _end_sessions_on_lockout(self, key: str, value: Any) -> Any:
        """Deactivating a user or changing their password logs them out everywhere."""
        if self.id is not None and (key == "password_hash" or value is False):
            self.end_all_sessions()
        return value

    def get_id(self) -> str:
        """Flask-Login keeps this in the session: rotating the token ends every session at once."""
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active and self.role in PANEL_ROLES and self.password_hash is not None

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()
