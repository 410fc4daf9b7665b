"""Configuration kept in the database: form field rules, custom field definitions, settings."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import PanelModel, Versioned
from models.setting_catalogue import HIDE_FINANCE_FROM_MANAGERS, spec_of

__all__ = ["HIDE_FINANCE_FROM_MANAGERS", "ConfigStamp", "CustomField", "FormFieldRule", "Setting"]

CUSTOM_FIELD_TYPES = ("text", "number", "decimal", "date", "boolean", "choice")


class FormFieldRule(Versioned, PanelModel, db.Model):
    """Whether one field of one entity is hidden, required or read-only for one role.

    With a condition (`condition_field` and `condition_value` set) the rule applies only to the
    records whose condition field holds that value, compared as text (`forms_config.conditions`);
    an empty `condition_field` means the rule always applies. Empty rather than NULL, so that
    the unique constraint also keeps one unconditional rule per (entity, field, role).
    """

    __tablename__ = "form_field_rules"
    panel_category = "Settings"
    panel_search_fields = ("entity", "field")

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(60))
    field: Mapped[str] = mapped_column(sa.String(60))
    role: Mapped[str] = mapped_column(sa.String(20))
    hidden: Mapped[bool] = mapped_column(default=False)
    required: Mapped[bool] = mapped_column(default=False)
    readonly: Mapped[bool] = mapped_column(default=False)
    condition_field: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    condition_value: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")

    __table_args__ = (
        sa.UniqueConstraint(
            "entity",
            "field",
            "role",
            "condition_field",
            "condition_value",
            name="one_rule_per_field_role_and_condition",
        ),
    )

    @property
    def is_conditional(self) -> bool:
        return bool(self.condition_field)

    def __str__(self) -> str:
        when = ""
        if self.is_conditional:
            when = f" when {self.condition_field} is {self.condition_value!r}"
        return f"{self.entity}.{self.field} for {self.role}{when}"


CUSTOM_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


class CustomField(Versioned, PanelModel, db.Model):
    """A field added to an entity without code; its values live in the entity's JSON column."""

    __tablename__ = "custom_fields"
    panel_category = "Settings"
    panel_search_fields = ("entity", "key", "label")
    panel_immutable_columns = ("entity", "key")

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(60))
    key: Mapped[str] = mapped_column(sa.String(60))
    label: Mapped[str] = mapped_column(sa.String(120))
    type: Mapped[str] = mapped_column(
        sa.Enum(
            *CUSTOM_FIELD_TYPES, name="custom_field_type", native_enum=False, create_constraint=True
        ),
        default="text",
    )
    choices: Mapped[str | None] = mapped_column(sa.Text)
    help_text: Mapped[str | None] = mapped_column(sa.String(255))
    order: Mapped[int] = mapped_column(default=0)
    show_in_list: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    archived: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (sa.UniqueConstraint("entity", "key", name="one_key_per_entity"),)

    def __str__(self) -> str:
        return f"{self.entity}.{self.key}"

    @classmethod
    def cross_field_errors(cls, values: dict[str, Any]) -> dict[str, str]:
        errors = {}
        entity = db.Model.registry._class_registry.get(values.get("entity") or "")
        if not isinstance(entity, type) or "custom_fields" not in sa.inspect(entity).attrs:
            errors["entity"] = "Choose an entity that has custom fields (for example Account)."
        key = values.get("key") or ""
        if not CUSTOM_KEY_PATTERN.match(key):
            errors["key"] = "Lower-case letters, digits and _, starting with a letter."
        elif isinstance(entity, type) and key in sa.inspect(entity).attrs:
            errors["key"] = f"{entity.__name__} already has a field called {key}."
        if values.get("type") == "choice" and not (values.get("choices") or "").strip():
            errors["choices"] = "List the options, one per line."
        return errors


class ConfigStamp(db.Model):
    """A counter bumped in the same transaction as any form rule or custom-field change.

    Each worker compares it once per request and rebuilds its cached rules only when it moved:
    that is how a rule saved in one worker reaches every other worker without a restart.
    """

    __tablename__ = "config_stamps"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


class Setting(Versioned, db.Model):
    """The stored value of one setting of `models.setting_catalogue`, as text.

    Not a panel model: super admins change settings on the Settings page, by name, with help
    text and typed checks (admin_views/settings_page.py), never as raw key/value rows.
    """

    __tablename__ = "settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    value: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return self.key

    @classmethod
    def value_of(cls, session: Any, key: str) -> Any:
        """The typed value of a declared setting: its default when absent or unreadable."""
        spec = spec_of(key)
        return spec.value_from_stored(session.scalar(sa.select(cls.value).where(cls.key == key)))

    @classmethod
    def is_enabled(cls, session: Any, key: str) -> bool:
        """A switch of the catalogue: on or off."""
        return bool(cls.value_of(session, key))
