"""Conditional field rules: which records a rule with a condition applies to.

A conditional rule applies to a record whose condition field holds the condition value, compared
as text (`as_condition_text`): a relation by the id of the related record (a group's id, which
the grid offers by name), a yes/no field as `true` / `false`, a date as `YYYY-MM-DD`, a custom
field by its stored value. The same comparison serves every path, whatever shape the record has
there: a loaded record (`record_values`: its stored values, those its reader may not read
included), a form being saved, an import row (a dict of column values).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from forms_config.custom_fields import CustomFieldDefinition
from models.labels import field_label

UNMASKED_VALUES = "unmasked_values"
"""Key in an instance's state `info`: stored column values blanked for its reader."""
UNMASKED_CUSTOM_FIELDS = "unmasked_custom_fields"
"""Key in an instance's state `info`: its stored custom-field values, hidden ones included."""

ValueOf = Callable[[str], Any]
"""A record's value of one field, by the field's name as rules name it (a relation, a custom
field's key, a column)."""


@dataclass(frozen=True)
class ConditionalRule:
    """One rule with a condition, as the rule book holds it for one (entity, role)."""

    field: str
    hidden: bool
    required: bool
    readonly: bool
    condition_field: str
    condition_value: str

    def applies(self, value_of: ValueOf) -> bool:
        value = value_of(self.condition_field)
        return value is UNKNOWN or as_condition_text(value) == self.condition_value


UNKNOWN = object()
"""A value not loaded with its record (a deferred column): every condition on it applies, so
that what a rule might hide stays hidden."""


def as_condition_text(value: Any) -> str:
    """A value as a condition compares it: the text it would have in an import file."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "id") and not isinstance(value, int | str | float):
        return str(value.id)  # a related record: its id, as its foreign key holds it
    return str(value).strip()


def column_of(model: type, field: str) -> str | None:
    """The table column holding `field` of `model` (a relation's foreign key); None when the
    field is not a column (a custom field's key)."""
    mapper = sa.inspect(model)
    if field in mapper.relationships:
        return next(iter(mapper.relationships[field].local_columns)).key
    if field in mapper.column_attrs:
        return field
    return None


def mapping_values(model: type, values: Mapping[str, Any]) -> ValueOf:
    """Field values of a record given as {table column: value} (an import row)."""

    def value_of(field: str) -> Any:
        column = column_of(model, field)
        if column is not None:
            return values.get(column)
        return (values.get("custom_fields") or {}).get(field)

    return value_of


def record_values(record: Any) -> ValueOf:
    """Field values of a loaded (or new) record as stored or as just set, including those the
    load listener blanked for the reader: a rule whose condition field the role may not read
    still applies."""
    state = sa.inspect(record)
    unmasked = state.info.get(UNMASKED_VALUES, {})
    model = type(record)

    def value_of(field: str) -> Any:
        column = column_of(model, field)
        if column is None:
            custom = state.info.get(UNMASKED_CUSTOM_FIELDS, state.dict.get("custom_fields")) or {}
            return custom.get(field)
        if column in unmasked and state.dict.get(column) is None:
            return unmasked[column]
        return state.dict.get(column, UNKNOWN)

    return value_of


def fields_matching(
    rules: Iterable[ConditionalRule], value_of: ValueOf
) -> tuple[set[str], set[str], set[str]]:
    """(hidden, required, read-only) fields set by the rules whose condition `value_of` meets."""
    hidden: set[str] = set()
    required: set[str] = set()
    readonly: set[str] = set()
    for rule in rules:
        if rule.applies(value_of):
            for switch, names in (("hidden", hidden), ("required", required),
                                  ("readonly", readonly)):  # fmt: skip
                if getattr(rule, switch):
                    names.add(rule.field)
    return hidden, required, readonly


def canonical_condition_value(
    model: type, field: str, text: str, custom: CustomFieldDefinition | None
) -> tuple[str, str | None]:
    """(the value as conditions compare it, error) for a condition typed by a person: `Yes`
    on a yes/no field is stored as `true`, `5000.00` on an amount as `5000`. An empty value
    means "when the field is empty". A relation takes the id of the related record."""
    text = text.strip()
    if not text:
        return "", None
    if custom is not None:
        stored, error = custom.parse_text(text)
        return ("", f"{custom.label} {error}.") if error else (as_condition_text(stored), None)
    mapper = sa.inspect(model)
    if field in mapper.relationships:
        return (text, None) if text.isdigit() else ("", "Choose the related record from the list.")
    column_type = mapper.columns[field].type
    label = field_label(model, field)
    if isinstance(column_type, sa.Enum):
        if text.lower() in column_type.enums:
            return text.lower(), None
        return "", f"{label} is one of {', '.join(column_type.enums)}."
    kind = next((k for t, k in _KIND_OF_TYPE if isinstance(column_type, t)), "text")
    parser = CustomFieldDefinition(field, label, kind, (), "", False)
    stored, error = parser.parse_text(text)
    if error:
        return "", f"{label} {error}."
    if parser.type == "decimal":
        stored = Decimal(stored)
    return as_condition_text(stored), None


_KIND_OF_TYPE = ((sa.Boolean, "boolean"), (sa.Integer, "number"), (sa.Numeric, "decimal"),
                 (sa.Date, "date"))  # fmt: skip


def with_changes(value_of: ValueOf, changes: Mapping[str, Any]) -> ValueOf:
    """A record's values once `changes` ({field: value}) are made: what a bulk action leaves."""

    def changed_value_of(field: str) -> Any:
        return changes[field] if field in changes else value_of(field)

    return changed_value_of
