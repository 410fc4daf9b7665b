"""What each role may do with each entity: the single table every view consults (ARCHITECTURE §1).

Entities are named by model class. A model that is not listed falls under its panel category's
defaults, so a new model is usable by admins the moment it exists and invisible to managers until
someone decides otherwise.
"""

from __future__ import annotations

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
