"""The configure-forms grid: its rows (fields) and columns (roles), and saving it.

Saving writes only the rules that changed; each is checked on flush by `rule_checks`, the one
validation every writer of rules goes through, so a rule stored before those checks existed
does not block saving the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from forms_config.custom_fields import CustomFieldDefinition
from models.audit import AuditEvent
from models.base import PanelModel
from models.config import FormFieldRule
from models.introspection import read_model_fields, required_for_new_record
from models.labels import field_label
from models.people import PANEL_ROLES

SWITCHES = ("hidden", "required", "readonly")
Flags = dict[str, bool]


@dataclass(frozen=True)
class GridRow:
    field: str
    label: str
    is_custom: bool
    required_by_model: bool
    flags_by_role: dict[str, Flags]


def _unconditional_rules(entity: str) -> sa.Select:
    """The grid's switches are the rules that always apply; conditional ones are listed apart."""
    return sa.select(FormFieldRule).where(
        FormFieldRule.entity == entity, FormFieldRule.condition_field == ""
    )


def grid_rows(
    session: Any, model: type[PanelModel], custom_fields: tuple[CustomFieldDefinition, ...]
) -> list[GridRow]:
    rules = session.scalars(_unconditional_rules(model.__name__))
    stored = {(rule.field, rule.role): rule for rule in rules}
    needed = required_for_new_record(model)

    def flags(field: str, role: str) -> Flags:
        rule = stored.get((field, role))
        return {switch: bool(rule and getattr(rule, switch)) for switch in SWITCHES}

    fields = [(name, field_label(model, name), False) for name in read_model_fields(model).form]
    fields += [(definition.key, definition.label, True) for definition in custom_fields]
    return [
        GridRow(name, label, is_custom, name in needed, {r: flags(name, r) for r in PANEL_ROLES})
        for name, label, is_custom in fields
    ]


def save_grid(
    session: Any,
    model: type[PanelModel],
    submitted: Mapping[tuple[str, str], Flags],
    actor: Mapping[str, Any],
) -> int:
    """Store the grid: one row per (field, role) with any switch on; audit every change.

    Returns how many rules changed. The caller commits; the config stamp moves with the flush.
    """
    entity = model.__name__
    existing = {
        (rule.field, rule.role): rule for rule in session.scalars(_unconditional_rules(entity))
    }
    changed = 0
    for key, flags in submitted.items():
        rule = existing.get(key)
        before = {switch: bool(rule and getattr(rule, switch)) for switch in SWITCHES}
        if before == flags:
            continue
        changed += 1
        field, role = key
        if not any(flags.values()):
            session.delete(rule)
        elif rule is None:
            session.add(FormFieldRule(entity=entity, field=field, role=role, **flags))
        else:
            for switch, value in flags.items():
                setattr(rule, switch, value)
        session.add(
            AuditEvent(
                action="form_rule_changed",
                entity="FormFieldRule",
                entity_id=f"{entity}.{field}.{role}",
                changes={"before": before, "after": flags},
                **actor,
            )
        )
    return changed


def records_missing(
    session: Any,
    model: type[PanelModel],
    field: str,
    is_custom: bool,
    only_where: sa.ColumnElement[bool] | None = None,
) -> int:
    """How many existing records have no value for `field` (among those `only_where` selects,
    for a rule with a condition): they will ask for it on next edit."""
    condition = _lacking(model, field, is_custom)
    if only_where is not None:
        condition = sa.and_(condition, only_where)
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(condition)) or 0


def _lacking(model: type[PanelModel], field: str, is_custom: bool) -> sa.ColumnElement[bool]:
    if is_custom:
        value = model.custom_fields[field].as_string()
        return sa.or_(value.is_(None), value == "")
    fields = read_model_fields(model)
    column = (
        next(iter(sa.inspect(model).relationships[field].local_columns))
        if field in fields.relations
        else getattr(model, field)
    )
    condition = column.is_(None)
    if isinstance(getattr(column, "type", None), sa.String | sa.Text):
        condition = sa.or_(condition, column == "")
    return condition


_TYPE_OF_COLUMN = ((sa.Boolean, "boolean"), (sa.Integer, "number"), (sa.Numeric, "decimal"),
                   (sa.Date, "date"), (sa.String, "text"), (sa.Text, "text"))  # fmt: skip


def fill_missing(
    session: Any,
    model: type[PanelModel],
    field: str,
    custom_field: CustomFieldDefinition | None,
    text: str,
    only_where: sa.ColumnElement[bool] | None = None,
) -> tuple[int, str | None]:
    """Give every record lacking `field` (among those `only_where` selects) the value `text`;
    (records filled, error)."""
    if custom_field is None:
        column = getattr(model, field, None)
        column_type = getattr(column, "type", None)
        kind = next((k for t, k in _TYPE_OF_COLUMN if isinstance(column_type, t)), None)
        if kind is None:
            return 0, f"{field} cannot be filled in bulk; edit those records one by one."
        parser = CustomFieldDefinition(field, field, kind, (), "", False)
    else:
        parser = custom_field
    stored, error = parser.parse_text(text)
    if error or stored is None:
        return 0, f"The value {error or 'is empty'}."
    if custom_field is None:
        missing = sa.or_(column.is_(None), column == "") if kind == "text" else column.is_(None)
        if only_where is not None:
            missing = sa.and_(missing, only_where)
        result = session.execute(
            sa.update(model)
            .where(missing)
            .values({field: parser.from_stored(stored), "version_id": model.version_id + 1})
        )
        return result.rowcount, None
    value = model.custom_fields[field].as_string()
    lacking = sa.or_(value.is_(None), value == "")
    if only_where is not None:
        lacking = sa.and_(lacking, only_where)
    filled = 0
    for record in session.scalars(sa.select(model).where(lacking)):
        record.custom_fields = {**(record.custom_fields or {}), field: stored}
        filled += 1
    return filled, None
