"""Conditional rules on the write paths that have no form: imports and bulk actions.

A form resolves the rules while it is filled in (`admin_views.conditional_fields`); a file row
or a bulk action arrives whole, so it is checked whole: the rules apply as the record would be
after the write (and, for a hidden field, as it was before too), and a write that leaves a
required field empty, or changes a field that is read-only or hidden for that record, is refused
with the reason, field by field. The rules that always apply are checked by each path already.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from extensions import db
from forms_config.conditions import ConditionalRule, ValueOf
from forms_config.rules import FieldRules
from models.labels import field_label


def condition_text(model: type, rule: ConditionalRule) -> str:
    """ "when group is Public sector": a related record by its label, not its id."""
    value = rule.condition_value or "empty"
    relations = sa.inspect(model).relationships
    if rule.condition_value.isdigit() and rule.condition_field in relations:
        target = relations[rule.condition_field].mapper.class_
        value = str(db.session.get(target, int(rule.condition_value)) or value)
    return f"when {field_label(model, rule.condition_field).lower()} is {value}"


def conditional_refusals(
    model: type,
    rules: FieldRules,
    before: ValueOf | None,
    after: ValueOf,
    changed: Collection[str],
) -> dict[str, str]:
    """Why a write breaks one of `rules`' conditional rules, by field (empty: it does not).

    `before` gives the record's stored values (None for a new record), `after` its values once
    written, `changed` the fields the write sets.
    """
    refusals: dict[str, str] = {}
    for rule in rules.conditional:
        field = rule.field
        if field in refusals:
            continue
        now = rule.applies(after)
        if rule.required and now and _empty(after(field)):
            refusals[field] = (
                f"Required {condition_text(model, rule)} (Configure Forms): a value is needed."
            )
        elif rule.readonly and now and field in changed:
            refusals[field] = (
                f"Read-only for your role {condition_text(model, rule)} (Configure Forms): "
                "this value cannot be changed."
            )
        elif rule.hidden and field in changed and (now or (before and rule.applies(before))):
            refusals[field] = (
                f"Hidden from your role {condition_text(model, rule)} (Configure Forms): "
                "this value cannot be changed."
            )
    return refusals


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
