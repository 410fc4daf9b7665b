"""The generic view's words, from `models.labels`: column and form labels, the values of choice
fields (lists, details, filters, forms and list exports), and timestamps as people read them.

Declared once per view at start-up, as Flask-Admin expects (`column_labels`, `column_choices`,
`form_choices`, the type formatters); the labels depend on the model only, never on who asks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from models.base import PanelModel
from models.introspection import ModelFields
from models.labels import choice_fields, field_label, value_label
from models.readable_values import timestamp_text


def field_labels_of(model: type[PanelModel], fields: ModelFields) -> dict[str, str]:
    """Every name the view may show a label for: columns, relations, derived values and the
    related records' fields that filters and sorts reach."""
    names = {attribute.key for attribute in sa.inspect(model).attrs}
    names |= set(fields.listed) | set(fields.detailed) | set(fields.filters)
    names |= {sort[1] for sort in fields.sortable if isinstance(sort, tuple)}
    return {name: field_label(model, name) for name in sorted(names)}


def choices_of(model: type[PanelModel]) -> dict[str, list[tuple[str, str]]]:
    """(stored value, label) of each choice field, in the order the model declares them."""
    columns = sa.inspect(model).columns
    return {
        name: [(value, value_label(model, name, value)) for value in columns[name].type.enums]
        for name in sorted(choice_fields(model))
    }


def _timestamp_cell(_view: Any, value: dt.datetime, _name: str = "") -> str:
    return timestamp_text(value)


def timestamps_readable(formatters: dict[type, Any]) -> dict[type, Any]:
    """Flask-Admin's type formatters, with timestamps as `timestamp_text` shows them."""
    return {**formatters, dt.datetime: _timestamp_cell}
