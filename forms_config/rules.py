"""Field rules per (entity, role) and custom-field definitions per entity, cached per app."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, has_request_context

from extensions import db
from forms_config.conditions import ConditionalRule, ValueOf, fields_matching
from forms_config.custom_fields import CustomFieldDefinition
from forms_config.stamp import FORMS_STAMP, config_stamp
from models.config import CustomField, FormFieldRule


@dataclass(frozen=True)
class FieldRules:
    """What one role may do with one entity's fields; field names as the grid shows them.

    `hidden`, `required` and `readonly` hold the rules that always apply; `conditional` the
    rules that apply to some records only (`for_record` resolves them for one record).
    """

    hidden: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    readonly: frozenset[str] = frozenset()
    conditional: tuple[ConditionalRule, ...] = ()

    @property
    def not_writable(self) -> frozenset[str]:
        return self.hidden | self.readonly

    @property
    def sometimes_hidden(self) -> frozenset[str]:
        """Fields hidden from some records at least: what search, filters, sorting and
        reports, which read many records at once, must treat as hidden."""
        return self.hidden | {rule.field for rule in self.conditional if rule.hidden}

    @property
    def condition_fields(self) -> frozenset[str]:
        return frozenset(rule.condition_field for rule in self.conditional)

    def for_record(self, value_of: ValueOf) -> FieldRules:
        """The rules that apply to one record, given its values (`forms_config.conditions`)."""
        if not self.conditional:
            return self
        hidden, required, readonly = fields_matching(self.conditional, value_of)
        hidden |= self.hidden
        return FieldRules(
            frozenset(hidden),
            frozenset((required | self.required) - hidden),
            frozenset((readonly | self.readonly) - hidden),
        )


@dataclass
class RuleBook:
    """The per-worker cache of rules and custom fields, dropped when the config stamp moves."""

    stamp: int | None = None
    rules: dict[tuple[str, str], FieldRules] = field(default_factory=dict)
    custom_fields: dict[str, tuple[CustomFieldDefinition, ...]] = field(default_factory=dict)
    answers: dict[Hashable, Any] = field(default_factory=dict)
    """What is worked out from the rules alone (`remembered`), e.g. a role's unreadable fields."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh_if_stale(self, session: Any) -> None:
        stamp = config_stamp(session, FORMS_STAMP)
        if stamp != self.stamp:
            with self.lock:
                self.rules, self.custom_fields, self.answers, self.stamp = {}, {}, {}, stamp

    def rules_for(self, session: Any, entity: str, role: str) -> FieldRules:
        key = (entity, role)
        if key not in self.rules:
            rows = session.execute(
                sa.select(FormFieldRule).where(
                    FormFieldRule.entity == entity, FormFieldRule.role == role
                )
            ).scalars()
            hidden, required, readonly = set(), set(), set()
            conditional = []
            for rule in rows:
                if rule.is_conditional:
                    conditional.append(
                        ConditionalRule(
                            rule.field,
                            rule.hidden,
                            rule.required,
                            rule.readonly,
                            rule.condition_field,
                            rule.condition_value,
                        )  # fmt: skip
                    )
                    continue
                if rule.hidden:
                    hidden.add(rule.field)
                if rule.required:
                    required.add(rule.field)
                if rule.readonly:
                    readonly.add(rule.field)
            self.rules[key] = FieldRules(
                frozenset(hidden),
                frozenset(required - hidden),
                frozenset(readonly - hidden),
                tuple(conditional),
            )
        return self.rules[key]

    def custom_fields_for(self, session: Any, entity: str) -> tuple[CustomFieldDefinition, ...]:
        if entity not in self.custom_fields:
            rows = session.scalars(
                sa.select(CustomField)
                .where(CustomField.entity == entity, CustomField.archived.is_(False))
                .order_by(CustomField.order, CustomField.key)
            )
            self.custom_fields[entity] = tuple(CustomFieldDefinition.of(row) for row in rows)
        return self.custom_fields[entity]


def _rule_book() -> RuleBook:
    """The app's rule book; outside a web request (a CLI import) checked against the stamp here."""
    rule_book = current_app.extensions["rule_book"]
    if not has_request_context():
        rule_book.refresh_if_stale(db.session)
    return rule_book


Answer = TypeVar("Answer")


def remembered(key: Hashable, work_out: Callable[[], Answer]) -> Answer:
    """`work_out()`, an answer that depends on the rules and custom fields only, kept until they
    change. In a web request only (whose rule book was checked as it began); elsewhere worked out
    each time, as the rules are read afresh there."""
    if not has_request_context():
        return work_out()
    answers = current_app.extensions["rule_book"].answers
    if key not in answers:
        answers[key] = work_out()
    return answers[key]


def rules_for(entity: str, role: str) -> FieldRules:
    return _rule_book().rules_for(db.session, entity, role)


def custom_fields_for(entity: str) -> tuple[CustomFieldDefinition, ...]:
    return _rule_book().custom_fields_for(db.session, entity)
