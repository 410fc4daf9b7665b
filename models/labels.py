"""What a person reads for a model's names: entities, fields and the values of choice fields.

One place for every page, form, list, filter, search hint, export header and PDF: names are
humanised from the models (`payment_terms_days` -> "Payment terms days", `direct_debit` ->
"Direct debit", `InvoiceEmailOptOut` -> "Invoice e-mail opt outs"), and a model declares the few
that read better otherwise (`panel_field_labels`, `panel_value_labels`, `panel_label`,
`panel_record_name`). Stored values and documented file columns never change: only what is shown.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from models.base import PanelModel

WORDS = {"email": "e-mail", "emails": "e-mails", "id": "ID", "ip": "IP", "url": "URL", "pdf": "PDF"}
"""Words spelt otherwise than their identifier, wherever they occur in a name."""
_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")

SHARED_FIELD_LABELS = {
    "version_id": "Version",
    "custom_fields": "Custom fields",
    "created_at": "Created",
    "updated_at": "Updated",
}
"""Columns many models share, labelled alike everywhere."""


def humanize(name: str) -> str:
    """An identifier as words, first letter capitalised: `billing_email` -> "Billing e-mail"."""
    words = _CAMEL_BOUNDARY.sub(" ", name).replace("_", " ").replace(".", " ").split()
    if not words:
        return name
    shown = [WORDS.get(word.lower(), word.lower()) for word in words]
    first = shown[0]
    shown[0] = first if first[0].isupper() else first[0].upper() + first[1:]
    return " ".join(shown)


def record_name(model: type[PanelModel]) -> str:
    """One record, lower case, for sentences ("Choose an account"): `FollowUpAction` ->
    "follow up action", unless the model names itself."""
    if model.panel_record_name:
        return model.panel_record_name
    return humanize(model.__name__).lower()


def entity_label(model: type[PanelModel]) -> str:
    """A model's records, as the menu and the Configure-forms tabs name them."""
    if model.panel_label:
        return model.panel_label
    name = record_name(model)
    plural = f"{name[:-1]}ies" if name.endswith("y") and name[-2:-1] not in "aeiou" else f"{name}s"
    return plural[0].upper() + plural[1:]


def with_article(phrase: str) -> str:
    vowel = phrase[:1].lower() in "aeio" or phrase.lower().startswith("un")
    return f"{'an' if vowel else 'a'} {phrase}"


def field_label(model: type[PanelModel] | None, name: str) -> str:
    """The label of a model's field (a column, a relation or a derived value)."""
    overrides = getattr(model, "panel_field_labels", {}) if model is not None else {}
    if name in overrides:
        return overrides[name]
    if name in SHARED_FIELD_LABELS:
        return SHARED_FIELD_LABELS[name]
    if "." in name and model is not None:  # a related record's field, as filters name it
        relation, _, field = name.partition(".")
        target = _relation_target(model, relation)
        return f"{field_label(model, relation)} {field_label(target, field).lower()}"
    return humanize(name)


def value_label(model: type[PanelModel] | None, field: str, value: Any) -> Any:
    """A choice field's stored value as a person reads it; other values are returned as they are."""
    if not isinstance(value, str) or not value:
        return value
    overrides = getattr(model, "panel_value_labels", {}) if model is not None else {}
    if value in overrides.get(field, {}):
        return overrides[field][value]
    if field in choice_fields(model):
        return humanize(value)
    return value


def choice_fields(model: type[PanelModel] | None) -> frozenset[str]:
    """The model's columns that hold one of a fixed set of values (an enum)."""
    if model is None:
        return frozenset()
    return frozenset(
        column.key
        for column in sa.inspect(model).columns
        if isinstance(column.type, sa.Enum) and column.key is not None
    )


def _relation_target(model: type[PanelModel], relation: str) -> type[PanelModel] | None:
    relationships = sa.inspect(model).relationships
    return relationships[relation].mapper.class_ if relation in relationships else None


def role_label(role: str) -> str:
    """`super_admin` -> "Super admin": the roles, as every page names them."""
    from models.people import User  # models.people is built on this module's neighbours

    return value_label(User, "role", role)
