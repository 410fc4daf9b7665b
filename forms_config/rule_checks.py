"""The one validation of a form field rule, whoever writes it (ARCHITECTURE §4).

`rule_errors` says why a rule may not be stored: an unknown entity, field or role; hidden or
read-only and required at once; or a lock-out, a field every new record needs made hidden or
read-only for a role that creates records (with or without a condition). A conditional rule
also needs a condition field the entity has (a column, relation or custom field, not the ruled
field itself) and a value that field can hold; and a field cannot be required on a condition
for a role from which another rule always hides it or keeps it read-only. It runs on every
flush that adds or changes a rule (`refuse_invalid_rules`), so the grid, the raw "Form field
rules" list, an import or a script all go through it, and a writer that forgets to ask is
refused all the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from auth.permissions import CREATE, allowed_operations
from extensions import db
from forms_config.conditions import canonical_condition_value
from forms_config.custom_fields import CustomFieldDefinition
from models.base import PanelModel, RecordRefused
from models.config import CustomField, FormFieldRule
from models.introspection import entity_label, read_model_fields, required_for_new_record
from models.people import PANEL_ROLES


def configurable_models(models: list[type[PanelModel]]) -> list[type[PanelModel]]:
    """Every entity with a form: business models, present and future, not logs or settings."""
    return [m for m in models if m.panel_category != "Settings" and not m.panel_append_only]


def configurable_entities() -> dict[str, type[PanelModel]]:
    """Entity name -> model, for every entity whose forms rules may configure."""
    mapped = [mapper.class_ for mapper in db.Model.registry.mappers]
    models = configurable_models([m for m in mapped if issubclass(m, PanelModel)])
    return {model.__name__: model for model in models}


def rule_errors(rule: Any, custom_keys: Mapping[str, set[str]]) -> dict[str, str]:
    """Why `rule` (a FormFieldRule, stored or not) may not be stored, by the column at fault;
    `custom_keys` are the custom fields' keys by entity (`custom_field_keys`)."""
    entities = configurable_entities()
    model = entities.get(rule.entity)
    if model is None:
        return {
            "entity": f"{rule.entity!r} is not an entity with forms; "
            f"choose one of {', '.join(sorted(entities))}."
        }
    errors = {}
    if rule.field not in {*read_model_fields(model).form, *custom_keys.get(rule.entity, ())}:
        errors["field"] = f"{rule.entity} has no field {rule.field!r}."
    if rule.role not in PANEL_ROLES:
        errors["role"] = f"{rule.role!r} is not a role; choose one of {', '.join(PANEL_ROLES)}."
    if errors:
        return errors
    field, role = rule.field, rule.role
    if rule.required and rule.hidden:
        errors["required"] = f"{field} cannot be both hidden and required for {role}."
    elif rule.required and rule.readonly:
        errors["required"] = f"{field} cannot be both read-only and required for {role}."
    creates = CREATE in allowed_operations(model.__name__, model.panel_category, role)
    if creates and (rule.hidden or rule.readonly) and field in required_for_new_record(model):
        errors["hidden" if rule.hidden else "readonly"] = (
            f"{field} cannot be hidden or read-only for {role}: every new "
            f"{entity_label(model).lower().rstrip('s')} needs it, and {role} creates them."
        )
    if rule.condition_field or rule.condition_value:
        errors |= condition_errors(rule, model, custom_keys.get(rule.entity, set()))
    return errors


def condition_errors(rule: Any, model: type[PanelModel], custom_keys: set[str]) -> dict[str, str]:
    """Why a rule's condition cannot be stored: an unknown field, or a value it cannot hold."""
    condition = rule.condition_field or ""
    if not condition:
        return {"condition_field": "Choose the field the condition looks at."}
    if condition == rule.field:
        return {"condition_field": f"A rule on {rule.field} cannot depend on {rule.field} itself."}
    if condition not in {*read_model_fields(model).form, *custom_keys}:
        return {
            "condition_field": f"{rule.entity} has no field {condition!r} to set a condition on."
        }
    custom = None
    if condition in custom_keys:
        row = db.session.scalar(
            sa.select(CustomField).where(
                CustomField.entity == rule.entity, CustomField.key == condition
            )
        )
        custom = CustomFieldDefinition.of(row) if row is not None else None
    value = rule.condition_value or ""
    canonical, error = canonical_condition_value(model, condition, value, custom)
    if error:
        return {"condition_value": error}
    relations = sa.inspect(model).relationships
    if canonical and condition in relations:
        target = relations[condition].mapper.class_
        if db.session.get(target, int(canonical)) is None:
            return {"condition_value": f"No {target.__name__} has the id {canonical}."}
    if canonical != value:
        return {"condition_value": f"Write the value as {canonical!r}."}
    return {}


def sibling_errors(rule: Any, always: Any) -> dict[str, str]:
    """A conditional required rule against the rule that always applies to the same field and
    role (`always`, or None): a record meeting the condition could never be saved by the role."""
    if not (rule.condition_field and rule.required and always is not None):
        return {}
    if always.hidden or always.readonly:
        how = "hidden from" if always.hidden else "read-only for"
        return {
            "required": f"{rule.field} cannot be required for {rule.role} when "
            f"{rule.condition_field} is {rule.condition_value!r}: it is always {how} {rule.role}."
        }
    return {}


def custom_field_keys(session: Session) -> dict[str, set[str]]:
    """Entity -> the keys of its custom fields, archived ones too (their rules survive archiving),
    counting those added in the session but not yet flushed."""
    keys: dict[str, set[str]] = defaultdict(set)
    stored = session.execute(sa.select(CustomField.entity, CustomField.key))
    pending = [(f.entity, f.key) for f in session.new if isinstance(f, CustomField)]
    for entity, key in [*stored, *pending]:
        keys[entity].add(key)
    return keys


def invalid_rules(session: Session) -> list[tuple[FormFieldRule, list[str]]]:
    """Stored rules that would be refused today (written before these checks, or orphaned since),
    with the reasons; the grid lists them so that the super admin can delete them."""
    rules = session.scalars(
        sa.select(FormFieldRule).order_by(FormFieldRule.entity, FormFieldRule.field)
    )
    custom_keys = custom_field_keys(session)
    checked = [(rule, list(rule_errors(rule, custom_keys).values())) for rule in rules]
    return [(rule, reasons) for rule, reasons in checked if reasons]


def _refuse_invalid_rules(session: Session, _context: Any, _instances: Any) -> None:
    written = sorted(
        (
            record
            for record in (*session.new, *session.dirty)
            if isinstance(record, FormFieldRule) and record not in session.deleted
        ),
        key=lambda rule: (str(rule.entity), str(rule.field), str(rule.role)),
    )
    if not written:
        return
    custom_keys = custom_field_keys(session)
    reasons = [reason for rule in written for reason in rule_errors(rule, custom_keys).items()]
    reasons += [
        reason
        for rule in written
        for reason in sibling_errors(rule, _always_rule(session, rule)).items()
    ]
    if reasons:
        raise RecordRefused(reasons)


def _always_rule(session: Session, rule: FormFieldRule) -> FormFieldRule | None:
    """The unconditional rule for the same (entity, field, role), as this flush leaves it."""
    if not rule.condition_field:
        return None
    same = [
        other
        for other in (*session.new, *session.dirty)
        if isinstance(other, FormFieldRule)
        and not other.condition_field
        and (other.entity, other.field, other.role) == (rule.entity, rule.field, rule.role)
    ]
    if same:
        return None if same[0] in session.deleted else same[0]
    with session.no_autoflush:
        stored = session.scalar(
            sa.select(FormFieldRule).where(
                FormFieldRule.entity == rule.entity,
                FormFieldRule.field == rule.field,
                FormFieldRule.role == rule.role,
                FormFieldRule.condition_field == "",
            )
        )
    return None if stored is None or stored in session.deleted else stored


def refuse_invalid_rules() -> None:
    """Check every rule on every session's flush (idempotent): a rule can be written from the
    grid, the raw list, an import or a script, and each path must be refused alike."""
    if not sa.event.contains(Session, "before_flush", _refuse_invalid_rules):
        sa.event.listen(Session, "before_flush", _refuse_invalid_rules)
