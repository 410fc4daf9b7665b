"""The one validation of a form field rule, whoever writes it (ARCHITECTURE §4).

`rule_errors` says why a rule may not be stored: an unknown entity, field or role; hidden or
read-only and required at once; or a lock-out, a field every new record needs made hidden or
read-only for a role that creates records. It runs on every flush that adds or changes a rule
(`refuse_invalid_rules`), so the grid, the raw "Form field rules" list, an import or a script
all go through it, and a writer that forgets to ask is refused all the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from auth.permissions import CREATE, allowed_operations
from extensions import db
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
    return errors


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
    if reasons:
        raise RecordRefused(reasons)


def refuse_invalid_rules() -> None:
    """Check every rule on every session's flush (idempotent): a rule can be written from the
    grid, the raw list, an import or a script, and each path must be refused alike."""
    if not sa.event.contains(Session, "before_flush", _refuse_invalid_rules):
        sa.event.listen(Session, "before_flush", _refuse_invalid_rules)
