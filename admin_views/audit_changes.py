"""An audit event's changes as a person reads them: "Credit limit: 5,000.00 → 7,500.00", one line
per field, with the fields' labels and the labels of choice values, never the stored JSON.

The audit log and the account's History tab both show events through the audit log's view, so
both read the same lines. Events arrive with the changes their reader may not read already
removed (`forms_config.readability` blanks them on load): nothing here decides what is shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape

from admin_views.generic import RoleAwareModelView
from forms_config import custom_fields_for
from forms_config.custom_fields import key_of
from forms_config.readability import model_named
from models.labels import field_label, humanize, record_name, value_label
from models.readable_values import readable_scalar

NOTHING = "(empty)"
ARROW = "→"


def _value_text(model: Any, field: str, value: Any) -> str:
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _is_money(model, field):
        try:
            return f"{Decimal(str(value)):,.2f}"
        except InvalidOperation:
            return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(model, field, item) for item in value) or NOTHING
    return str(value_label(model, field, readable_scalar(value)))


def _is_money(model: Any, field: str) -> bool:
    columns = sa.inspect(model).columns if model is not None else {}
    return (
        field in columns
        and isinstance(columns[field].type, sa.Numeric)
        and columns[field].type.scale == 2
    )


def _label(entity: str, model: Any, name: str) -> str:
    key = key_of(name)
    if key is not None:
        labels = {definition.key: definition.label for definition in custom_fields_for(entity)}
        return labels.get(key, humanize(key))
    return field_label(model, name)


def change_lines(entity: str, changes: dict[str, Any] | None) -> Iterator[tuple[str, str]]:
    """(field label, what changed) for each field of `changes`: `old → new` for an edit,
    the value for anything else an event records (a statement's date, the dropped fields)."""
    model = model_named(entity)
    for name, change in (changes or {}).items():
        field = key_of(name) or name
        if isinstance(change, dict) and change.keys() == {"before", "after"}:
            before = _value_text(model, field, change["before"])
            after = _value_text(model, field, change["after"])
            yield _label(entity, model, name), f"{before} {ARROW} {after}"
        elif name == "fields" and isinstance(change, list):
            yield "Fields", ", ".join(_label(entity, model, item) for item in change)
        else:
            yield _label(entity, model, name), _value_text(model, field, change)


def _changes_cell(view: Any, context: Any, event: Any, name: str) -> Markup:
    lines = list(change_lines(event.entity, event.changes))
    if not lines:
        return Markup("")
    items = Markup("").join(
        Markup("<li><strong>%s</strong>: %s</li>") % (label, text) for label, text in lines
    )
    return Markup('<ul class="list-unstyled mb-0 audit-changes">%s</ul>') % items


def _changes_text(view: Any, context: Any, event: Any, name: str) -> str:
    return "; ".join(
        f"{label}: {text}" for label, text in change_lines(event.entity, event.changes)
    )


def _entity_cell(view: Any, context: Any, event: Any, name: str) -> str:
    model = model_named(event.entity or "")
    return humanize(record_name(model)) if model is not None else str(escape(event.entity or ""))


def _action_cell(view: Any, context: Any, event: Any, name: str) -> str:
    return humanize(event.action or "")


class AuditLogView(RoleAwareModelView):
    """The audit log: the generic view, with its events' changes, record types and actions in
    words (on the page, the account's History tab and the downloads alike)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        words = {"entity": _entity_cell, "action": _action_cell}
        self.column_formatters = {**self.column_formatters, **words, "changes": _changes_cell}
        self.column_formatters_detail = self.column_formatters
        self.column_formatters_export = {**words, "changes": _changes_text}

    def get_list_columns(self) -> list[tuple[str, str]]:
        """The log's list shows each event's changes, as its detail page does."""
        columns = super().get_list_columns()
        if all(name != "changes" for name, _label in columns):
            columns.append(("changes", self.get_column_name("changes")))
        return columns
