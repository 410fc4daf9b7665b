"""The audit trail: who changed what, when, from where, with the values before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import CustomFieldValues, PanelModel, utcnow


class AuditEvent(PanelModel, db.Model):
    """One change to one record. Append-only: the panel can list it but never edit it."""

    __tablename__ = "audit_events"
    panel_category = "Settings"
    panel_label = "Audit log"
    panel_record_name = "audit event"
    panel_search_fields = ("actor_email", "entity", "entity_id", "action")
    panel_secret_columns = ("user_id", "impersonator_id")
    """Kept for queries; pages name the people by the e-mails stored beside them."""
    panel_field_labels = {
        "at": "Time",
        "actor_email": "By",
        "impersonator_email": "Acting super admin",
        "entity": "Record type",
        "entity_id": "Record ID",
        "ip": "IP address",
    }
    panel_append_only = True

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str | None] = mapped_column(sa.String(254))
    impersonator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_audit_events_impersonator"),
        index=True,
    )
    impersonator_email: Mapped[str | None] = mapped_column(sa.String(254))
    """Set when a super admin acted while viewing the panel as `actor_email`."""
    action: Mapped[str] = mapped_column(sa.String(40))
    entity: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[str | None] = mapped_column(sa.String(40))
    changes: Mapped[dict[str, Any]] = mapped_column(CustomFieldValues, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    __table_args__ = (sa.Index("ix_audit_events_entity", "entity", "entity_id"),)

    def __str__(self) -> str:
        return f"{self.action} {self.entity} #{self.entity_id}"


class LoginEvent(PanelModel, db.Model):
    """One login attempt, successful or not: answers "which managers have logged in?"."""

    __tablename__ = "login_events"
    panel_category = "Settings"
    panel_label = "Login history"
    panel_record_name = "login"
    panel_search_fields = ("email", "ip")
    panel_field_labels = {"at": "Time", "success": "Succeeded", "ip": "IP address"}
    panel_append_only = True

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    success: Mapped[bool]
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    def __str__(self) -> str:
        return (
            f"{self.email} {'logged in' if self.success else 'failed'} at {self.at:%Y-%m-%d %H:%M}"
        )


def json_safe(value: Any) -> Any:
    """Audit values are stored as JSON: money and dates as text, related records by their label."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    return str(value)


def changed_values(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"before": old, "after": new}}` for the fields whose value differs."""
    return {
        name: {"before": json_safe(before.get(name)), "after": json_safe(after.get(name))}
        for name in sorted(before.keys() | after.keys())
        if json_safe(before.get(name)) != json_safe(after.get(name))
    }
