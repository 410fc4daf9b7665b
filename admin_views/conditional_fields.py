"""Conditional field rules in the generated forms: which apply to the record being edited, and
the description of them the page's script uses to show, require and lock fields live.

The server decides, the page only follows. On a form opened for a record, the rules apply as
the record's stored values say (a field they hide is not on the form at all: its value was
never read). On a save, they apply as the values being saved say: a field hidden or read-only
for the new values is not written, whatever was posted, and a field they require must be filled
in. A field hidden by the stored values stays unwritten in that save too: the user never saw
its value, so an empty box must not overwrite it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_admin.form import BaseForm
from wtforms import BooleanField

from forms_config.conditions import UNKNOWN, ValueOf, as_condition_text, record_values
from forms_config.custom_fields import CustomFieldDefinition, form_name
from forms_config.rules import FieldRules

MAX_ROUNDS = 4
"""A rule may lock the field another rule's condition reads: resolving settles in a few rounds."""


@dataclass(frozen=True)
class RulesInForce:
    """The rules that apply to one form: by the stored values, and by the values being saved
    (the same on a page that only shows the form). Field names as rules name them."""

    stored: FieldRules
    new: FieldRules

    @property
    def not_writable(self) -> frozenset[str]:
        return self.stored.hidden | self.new.hidden | self.new.readonly


def defaults_of(model: type) -> ValueOf:
    """The values a new record starts with (a column's scalar default), for a create form."""
    columns = sa.inspect(model).columns

    def value_of(field: str) -> Any:
        if field in columns and columns[field].default is not None:
            default = columns[field].default.arg
            return None if callable(default) else default
        return None

    return value_of


def form_values(
    form: BaseForm,
    stored: ValueOf,
    blocked: frozenset[str],
    custom: dict[str, CustomFieldDefinition],
) -> ValueOf:
    """The values a save would leave: the form's for the fields it may write, the stored ones
    for the others (`blocked`, or absent from the form)."""

    def value_of(field: str) -> Any:
        name = form_name(field) if field in custom else field
        if field in blocked or name not in form._fields:
            return stored(field)
        data = form[name].data
        return custom[field].to_stored(data) if field in custom else data

    return value_of


def rules_in_force(
    rules: FieldRules,
    form: BaseForm,
    record: Any,
    creating: bool,
    saving: bool,
    custom: dict[str, CustomFieldDefinition],
    model: type,
) -> RulesInForce:
    """Resolve the role's conditional rules for this form (see the module's docstring)."""
    stored = defaults_of(model) if creating or record is None else record_values(record)
    on_stored = rules.for_record(stored)
    if not saving:
        return RulesInForce(on_stored, on_stored)
    if creating:
        on_stored = FieldRules(rules.hidden, rules.required, rules.readonly)
    blocked = rules.not_writable | on_stored.hidden
    on_new = on_stored
    for _round in range(MAX_ROUNDS):
        on_new = rules.for_record(form_values(form, stored, blocked, custom))
        widened = blocked | on_new.hidden | on_new.readonly
        if widened == blocked:
            break
        blocked = widened
    return RulesInForce(on_stored, on_new)


def unposted_conditional_names(
    form: BaseForm, rules: FieldRules, custom: dict[str, CustomFieldDefinition], posted: Any
) -> set[str]:
    """Form names a conditional rule governs that the browser did not post. A field locked
    when the page was drawn posts nothing (it was disabled), and writing it would blank it; a
    check box posts nothing when unticked, which is its answer."""
    governed = {rule.field for rule in rules.conditional}
    names = {form_name(field) if field in custom else field for field in governed}
    return {
        name
        for name in names
        if name in form._fields and name not in posted and not isinstance(form[name], BooleanField)
    }


def live_description(
    rules: FieldRules,
    form: BaseForm,
    in_force: RulesInForce,
    custom: dict[str, CustomFieldDefinition],
    stored: Callable[[str], Any],
) -> dict[str, Any]:
    """What the page's script needs to follow the rules as the user types (rendered as JSON).

    A rule whose condition field is not on the form (hidden from the role, say) is resolved
    here, and only its outcome is sent: the page never receives a value the role may not read.
    """

    def name_of(field: str) -> str:
        return form_name(field) if field in custom else field

    described = []
    for rule in rules.conditional:
        field = name_of(rule.field)
        if field not in form._fields:
            continue
        entry = {
            "field": field,
            "hidden": rule.hidden,
            "required": rule.required,
            "readonly": rule.readonly,
        }
        condition = name_of(rule.condition_field)
        if condition in form._fields:
            entry |= {"when": condition, "value": rule.condition_value}
        else:
            value = stored(rule.condition_field)
            entry["applies"] = value is UNKNOWN or as_condition_text(value) == rule.condition_value
        described.append(entry)
    return {
        "rules": described,
        "required": sorted(name_of(field) for field in rules.required),
        "readonly": sorted(name_of(field) for field in rules.readonly),
    }
