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
    "Account": {**_BUSINESS_DEFAULTS, "manager": READ_ONLY},
    "User": {**_BUSINESS_DEFAULTS, "manager": frozenset({VIEW, CREATE, EDIT})},
    "Invoice": {**_BUSINESS_DEFAULTS, "manager": READ_ONLY},
    "Payment": {**_BUSINESS_DEFAULTS, "manager": READ_ONLY},
    "CreditNote": {**_BUSINESS_DEFAULTS, "manager": READ_ONLY},
    "Note": {**_BUSINESS_DEFAULTS, "manager": frozenset({VIEW, CREATE})},
    "FollowUpAction": {**_BUSINESS_DEFAULTS, "manager": frozenset({VIEW, CREATE, EDIT})},
    "AuditEvent": {**_SETTINGS_DEFAULTS, "super_admin": READ_AND_EXPORT, "admin": READ_ONLY},
}


def allowed_operations(entity: str, category: str, role: str | None) -> frozenset[str]:
    """The operations `role` may perform on `entity`; nothing for anonymous or unknown roles."""
    if role is None:
        return NOTHING
    table = ENTITY_PERMISSIONS.get(entity) or CATEGORY_DEFAULTS.get(category, _BUSINESS_DEFAULTS)
    return table.get(role, NOTHING)
