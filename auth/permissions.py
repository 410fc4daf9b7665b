"""What each role may do with each entity: the single table every view consults (ARCHITECTURE §1).

Entities are named by model class. A model that is not listed falls under its panel category's
defaults, so a new model is usable by admins the moment it exists and invisible to managers until
someone decides otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

VIEW, CREATE, EDIT, DELETE, EXPORT = "view", "create", "edit", "delete", "export"
EVERYTHING = frozenset({VIEW, CREATE, EDIT, DELETE, EXPORT})
READ_AND_EXPORT = frozenset({VIEW, EXPORT})
READ_ONLY = frozenset({VIEW})
NOTHING: frozenset[str] = frozenset()

_BUSINESS_DEFAULTS = {
    "super_admin": EVERYTHING,
    "admin": EVERYTHING,
    "analyst": READ_AND_EXPORT,
    "manager": NOTHING,
}
_SETTINGS_DEFAULTS = {
    "super_admin": EVERYTHING,
    "admin": NOTHING,
    "analyst": NOTHING,
    "manager": NOTHING,
}
CATEGORY_DEFAULTS = {"Settings": _SETTINGS_DEFAULTS}

ENTITY_PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    "Account": {**_BUSINESS_DEFAULTS, "manager": READ_AND_EXPORT},
    "User": {**_BUSINESS_DEFAULTS, "manager": frozenset({VIEW, CREATE, EDIT, EXPORT})},
    "Invoice": {**_BUSINESS_DEFAULTS, "manager": READ_AND_EXPORT},
    "Payment": {**_BUSINESS_DEFAULTS, "manager": READ_AND_EXPORT},
    "CreditNote": {**_BUSINESS_DEFAULTS, "manager": READ_AND_EXPORT},
    "Note": {**_BUSINESS_DEFAULTS, "manager": frozenset({VIEW, CREATE, EXPORT})},
    "FollowUpAction": {**_BUSINESS_DEFAULTS, "manager": frozenset({VIEW, CREATE, EDIT, EXPORT})},
    "AuditEvent": {**_SETTINGS_DEFAULTS, "super_admin": READ_AND_EXPORT, "admin": READ_ONLY},
    "LoginEvent": {**_SETTINGS_DEFAULTS, "super_admin": READ_AND_EXPORT, "admin": READ_ONLY},
    # Credit requests are asked for, never edited or deleted: deciding one is the approvers' own
    # button (notifications.credit_requests), so no role edits them here.
    "CreditRequest": {
        "super_admin": frozenset({VIEW, CREATE, EXPORT}),
        "admin": frozenset({VIEW, CREATE, EXPORT}),
        "analyst": READ_AND_EXPORT,
        "manager": frozenset({VIEW, CREATE, EXPORT}),
    },
    "OutboxMessage": {**_SETTINGS_DEFAULTS, "super_admin": READ_AND_EXPORT, "admin": READ_ONLY},
    # Training: managers browse the catalogue, book their people (edit = name a placeholder's
    # delegate, ask to cancel) and read their people's awards; they never change courses.
    "Course": {**_BUSINESS_DEFAULTS, "manager": READ_ONLY},
    "CourseDate": {**_BUSINESS_DEFAULTS, "manager": READ_ONLY},
    "Booking": {**_BUSINESS_DEFAULTS, "manager": frozenset({VIEW, CREATE, EDIT, EXPORT})},
    "Award": {**_BUSINESS_DEFAULTS, "manager": READ_AND_EXPORT},
}


FINANCE_ENTITIES = frozenset({"Invoice", "Payment", "CreditNote"})
"""What the super admin's "hide finance from managers" setting takes away from managers."""

ASSIGNABLE_VALUES: dict[tuple[str, str, str], frozenset[str]] = {
    ("User", "role", "manager"): frozenset({"individual"}),
    ("User", "role", "admin"): frozenset({"admin", "manager", "analyst", "individual"}),
}
"""(entity, field, role) -> the only values that role may write: nobody grants above their own."""


def assignable_values(entity: str, field: str, role: str) -> frozenset[str] | None:
    """The values `role` may set `entity.field` to, or None when any valid value is allowed."""
    return ASSIGNABLE_VALUES.get((entity, field, role))


def limited_fields(entity: str, role: str) -> tuple[str, ...]:
    """The fields of `entity` whose values `role` may not all assign (a user's role, for admins)."""
    return tuple(f for (e, f, r) in ASSIGNABLE_VALUES if (e, r) == (entity, role))


def change_refusals(entity: str, role: str, current: Mapping[str, Any]) -> dict[str, str]:
    """Why `role` may not change a record of `entity` at all, by field; empty when it may.

    `current` holds the record's values of `limited_fields(entity, role)`. A record that holds a
    value the role could not have set (a super admin, for an admin) is out of that role's reach:
    editing it, deleting it and every bulk action on it are refused alike.
    """
    return {
        field: f"Your role cannot change a record whose {field} is {current.get(field)}."
        for field in limited_fields(entity, role)
        if current.get(field) not in ASSIGNABLE_VALUES[(entity, field, role)]
    }


def allowed_operations(
    entity: str, category: str, role: str | None, finance_hidden: bool = False
) -> frozenset[str]:
    """The operations `role` may perform on `entity`; nothing for anonymous or unknown roles."""
    if role is None:
        return NOTHING
    if finance_hidden and role == "manager" and entity in FINANCE_ENTITIES:
        return NOTHING
    table = ENTITY_PERMISSIONS.get(entity) or CATEGORY_DEFAULTS.get(category, _BUSINESS_DEFAULTS)
    return table.get(role, NOTHING)
