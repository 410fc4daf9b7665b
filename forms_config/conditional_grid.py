"""The conditional rules of the configure-forms page: listing, adding and deleting them, and the
SQL that selects the records a condition applies to (for counting and filling those that lack a
value a conditional required rule asks for).

Adding and deleting are audited like the grid's switches, and a rule added here is checked on
flush by `rule_checks`, the one validation every writer of rules goes through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from forms_config.conditions import canonical_condition_value
from forms_config.custom_fields import CustomFieldDefinition
from models.audit import AuditEvent
from models.base import PanelModel
from models.config import FormFieldRule
from models.labels import field_label

CONDITION_SWITCHES = ("hidden", "required", "readonly")
MAX_OFFERED = 200
"""Related records the value box suggests by name; beyond, their number is typed."""


@dataclass(frozen=True)
class ConditionChoice:
    """A field a condition may look at, with the values the page offers for it (empty: typed)."""

    field: str
    label: str
    options: tuple[tuple[str, str], ...]


def condition_choices(
    session: Any,
    model: type[PanelModel],
    form_fields: tuple[str, ...],
    custom_fields: tuple[CustomFieldDefinition, ...],
) -> list[ConditionChoice]:
    """The fields of `model` a condition may look at: a relation offers its records by label
    (stored by id), a status its values, a yes/no field yes and no; others are typed."""
    mapper = sa.inspect(model)
    choices = []
    for name in form_fields:
        label = field_label(model, name)
        options: tuple[tuple[str, str], ...] = ()
        if name in mapper.relationships:
            target = mapper.relationships[name].mapper.class_
            records = session.scalars(
                sa.select(target).order_by(target.id).limit(MAX_OFFERED + 1)
            ).all()
            if len(records) <= MAX_OFFERED:  # a few groups are offered; a million accounts not
                options = tuple((str(record.id), str(record)) for record in records)
        elif name in mapper.columns:
            column_type = mapper.columns[name].type
            if isinstance(column_type, sa.Enum):
                options = tuple((value, value) for value in column_type.enums)
            elif isinstance(column_type, sa.Boolean):
                options = (("true", "yes"), ("false", "no"))
        choices.append(ConditionChoice(name, label, options))
    for definition in custom_fields:
        options = ()
        if definition.type == "choice":
            options = tuple((choice, choice) for choice in definition.choices)
        elif definition.type == "boolean":
            options = (("true", "yes"), ("false", "no"))
        choices.append(ConditionChoice(definition.key, definition.label, options))
    return choices


def conditional_rules(session: Any, entity: str) -> list[FormFieldRule]:
    return list(
        session.scalars(
            sa.select(FormFieldRule)
            .where(FormFieldRule.entity == entity, FormFieldRule.condition_field != "")
            .order_by(FormFieldRule.field, FormFieldRule.role, FormFieldRule.condition_field)
        )
    )


def add_conditional_rule(
    session: Any,
    model: type[PanelModel],
    submitted: Mapping[str, str],
    custom: CustomFieldDefinition | None,
    actor: Mapping[str, Any],
) -> FormFieldRule:
    """Add (or change the switches of) one conditional rule; the caller flushes and commits,
    and the flush refuses it through `rule_checks` when it may not be stored."""
    condition_field = submitted.get("condition_field", "").strip()
    text = submitted.get("condition_value", "")
    value, error = (text.strip(), None)
    if condition_field in sa.inspect(model).attrs or custom is not None:
        value, error = canonical_condition_value(model, condition_field, text, custom)
    switches = {switch: submitted.get(switch) == "on" for switch in CONDITION_SWITCHES}
    identity = {
        "entity": model.__name__,
        "field": submitted.get("field", "").strip(),
        "role": submitted.get("role", "").strip(),
        "condition_field": condition_field,
        "condition_value": text.strip() if error else value,
    }
    rule = session.scalar(sa.select(FormFieldRule).filter_by(**identity))
    before = {switch: bool(rule and getattr(rule, switch)) for switch in CONDITION_SWITCHES}
    if rule is None:
        rule = FormFieldRule(**identity, **switches)
        session.add(rule)
    else:
        for switch, on in switches.items():
            setattr(rule, switch, on)
    _audit(session, rule, before, switches, actor)
    return rule


def delete_conditional_rule(session: Any, rule: FormFieldRule, actor: Mapping[str, Any]) -> None:
    before = {switch: getattr(rule, switch) for switch in CONDITION_SWITCHES}
    _audit(session, rule, before, dict.fromkeys(CONDITION_SWITCHES, False), actor)
    session.delete(rule)


def _audit(
    session: Any,
    rule: FormFieldRule,
    before: dict[str, bool],
    after: dict[str, bool],
    actor: Mapping[str, Any],
) -> None:
    session.add(
        AuditEvent(
            action="form_rule_changed",
            entity="FormFieldRule",
            entity_id=f"{rule.entity}.{rule.field}.{rule.role}",
            changes={
                "condition": f"{rule.condition_field} = {rule.condition_value}",
                "before": before,
                "after": after,
            },
            **actor,
        )
    )


def condition_clause(
    model: type[PanelModel], rule: FormFieldRule, custom: CustomFieldDefinition | None
) -> sa.ColumnElement[bool]:
    """SQL selecting the records `rule`'s condition applies to (its value typed for the column,
    so that an index serves it; the same records `ConditionalRule.applies` picks one by one)."""
    field, text = rule.condition_field, rule.condition_value
    if custom is not None:
        element = model.custom_fields[field]
        if not text:
            return sa.or_(element.as_string().is_(None), element.as_string() == "")
        if custom.type == "boolean":
            return element.as_boolean() == (text == "true")
        if custom.type == "number":
            return element.as_integer() == int(text)
        stored, _error = custom.parse_text(text)
        return element.as_string() == str(stored)
    mapper = sa.inspect(model)
    if field in mapper.relationships:
        column = next(iter(mapper.relationships[field].local_columns))
        return column.is_(None) if not text else column == int(text)
    column = mapper.columns[field]
    if not text:
        empty = column.is_(None)
        return sa.or_(empty, column == "") if isinstance(column.type, sa.String) else empty
    return column == _typed(column.type, text)


def _typed(column_type: Any, text: str) -> Any:
    if isinstance(column_type, sa.Boolean):
        return text == "true"
    if isinstance(column_type, sa.Integer):
        return int(text)
    if isinstance(column_type, sa.Numeric):
        return Decimal(text)
    if isinstance(column_type, sa.Date):
        return dt.date.fromisoformat(text)
    return text
