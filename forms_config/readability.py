"""Who may read which field: the one answer every reader of the data goes through.

A field of an entity is unreadable for a role when a Configure Forms rule hides it, or when it is
derived from a field that is (an invoice's open amount reveals its amount; a credit request's old
limit reveals the account's credit limit: models declare this in `panel_derived_from`).

Readers meet the answer in two ways, both fed by `unreadable_fields`:
- Records loaded through the ORM while someone reads (a web request, or code run under
  `reading_as(role)`, such as an e-mail a role receives) arrive with their unreadable values
  already blanked (`hide_unreadable_values`). Forms, lists, labels of related records, look-ups,
  dashboards, templates and PDFs built from records therefore cannot show what they never got.
  The values are set as if loaded (`set_committed_value`), so blanking them writes nothing.
- Readers that go around records (SQL reports, search and look-up columns, audit diffs) ask
  `may_read` / `unreadable_columns` for the fields their output or their matching reveals.

A conditional rule hides a field from some records only ("billing e-mail hidden when the group
is Public sector"). A record is blanked by the rules that apply to it (`unreadable_fields_of`,
its stored values deciding); whoever asks without a record (search, filters, sorting, reports,
e-mails) gets the cautious answer: a field hidden from any record is unreadable. Pages drop a
whole column only for the fields hidden from every record (`always_unreadable_fields`).
Code run with no reader (the command line, the outbox sender) reads everything, as an operator.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from forms_config.conditions import (
    UNMASKED_CUSTOM_FIELDS,
    UNMASKED_VALUES,
    ValueOf,
    record_values,
)
from forms_config.custom_fields import key_of
from forms_config.rules import remembered, rules_for
from models.audit import AuditEvent

FieldRef = str
HIDDEN = "(hidden)"
"""What a report cell or an e-mail value shows in place of a value its reader may not read."""
"""`"Entity.field"`: a field of an entity, as reports and derived columns name their sources."""

OPERATOR = None
"""The reader `reading_as` names for code that reads everything (an audit of a deletion)."""
_NOT_SET = "not set"
_explicit_reader: ContextVar[str | None] = ContextVar("explicit_reader", default=_NOT_SET)


def model_named(entity: str) -> type | None:
    return db.Model.registry._class_registry.get(entity)


def unreadable_fields(entity: str, role: str) -> frozenset[str]:
    """Fields of `entity` that `role` may not read in some record at least: hidden by a rule
    (conditional ones included), or derived from one. The answer for readers of many records."""
    return remembered(
        ("unreadable", entity, role),
        lambda: _with_derived(entity, rules_for(entity, role).sometimes_hidden, role),
    )


def always_unreadable_fields(entity: str, role: str) -> frozenset[str]:
    """Fields of `entity` that `role` may read in no record: columns a page leaves out."""
    return remembered(
        ("always unreadable", entity, role),
        lambda: _with_derived(entity, rules_for(entity, role).hidden, role),
    )


def unreadable_fields_of(record: Any, role: str, value_of: ValueOf | None = None) -> frozenset[str]:
    """Fields of this record that `role` may not read, its conditional rules resolved on its
    stored values (or on `value_of`, the values a form is about to save)."""
    entity = type(record).__name__
    if value_of is None:  # every record of the entity alike unless a rule has a condition
        alike = remembered(("record unreadable", entity, role), lambda: _alike(entity, role))
        if alike is not None:
            return alike
    rules = rules_for(entity, role)
    if not rules.conditional:
        return always_unreadable_fields(entity, role)
    applying = rules.for_record(value_of or record_values(record))
    return _with_derived(entity, applying.hidden, role)


def _alike(entity: str, role: str) -> frozenset[str] | None:
    """What `role` may not read in every record of `entity` when no rule depends on the record
    (no conditional rule); else None."""
    if rules_for(entity, role).conditional:
        return None
    return always_unreadable_fields(entity, role)


def _with_derived(entity: str, hidden: frozenset[str], role: str) -> frozenset[str]:
    model = model_named(entity)
    derived_from = getattr(model, "panel_derived_from", {}) if model else {}
    revealing = {
        derived
        for derived, source in derived_from.items()
        if (source in hidden if "." not in source else not may_read_ref(source, role))
    }
    return hidden | revealing


def may_read(entity: str, field: str, role: str | None, record: Any = None) -> bool:
    """Whether `role` may read `field` of `entity` (of `record`, when the question is about
    one); None (no reader: an operator) reads all."""
    if role is None:
        return True
    if record is not None:
        return field not in unreadable_fields_of(record, role)
    return field not in unreadable_fields(entity, role)


def may_read_ref(ref: FieldRef, role: str | None) -> bool:
    entity, _, field = ref.partition(".")
    return may_read(entity, field, role)


def unreadable_columns(sources: Mapping[str, tuple[FieldRef, ...]], role: str | None) -> set[str]:
    """Output columns (of a report, a search) revealing a field `role` may not read."""
    return {
        column
        for column, refs in sources.items()
        if not all(may_read_ref(ref, role) for ref in refs)
    }


def reader_role() -> str | None:
    """The role whose eyes the current code reads for.

    `reading_as` wins (an e-mail composed for its recipient); in a web request, the role a super
    admin previews, else the logged-in user's (the viewed user's in "view as"). Records Flask-Login
    loads to find that user are read before any role is known, so they are not blanked.
    """
    explicit = _explicit_reader.get()
    if explicit != _NOT_SET:
        return explicit
    if not has_request_context():
        return None
    preview = g.get("preview_role")
    if preview:
        return preview
    user = g.get("_login_user")  # set once Flask-Login has resolved the request's user
    return user.role if user is not None and user.is_authenticated else None


@contextmanager
def reading_as(role: str | None) -> Iterator[None]:
    """Read as `role` inside the block (compose what a person of that role receives);
    `OPERATOR` reads everything."""
    token = _explicit_reader.set(role)
    try:
        yield
    finally:
        _explicit_reader.reset(token)


def readable(entity: str, field: str) -> bool:
    """Whether the current reader may read `field` of `entity`."""
    return may_read(entity, field, reader_role())


def stored_custom_fields(record: Any) -> dict[str, Any]:
    """A record's custom-field values as stored, hidden ones included: what a write merges into."""
    state = sa.inspect(record)
    return dict(state.info.get(UNMASKED_CUSTOM_FIELDS, record.custom_fields) or {})


def write_custom_value(record: Any, key: str, stored: Any) -> None:
    """Set one custom-field value, keeping the values the writer may not read."""
    values = stored_custom_fields(record)
    values[key] = stored
    state = sa.inspect(record)
    if UNMASKED_CUSTOM_FIELDS in state.info:
        state.info[UNMASKED_CUSTOM_FIELDS] = values
    record.custom_fields = values  # a new dict, so the ORM sees the change


def hide_unreadable_values(
    record: Any, role: str, refreshed: Collection[str] | None = None
) -> None:
    """Blank, in a loaded record, every value `role` may not read (without marking a change).

    The blanked values are kept in the state's `info` (`UNMASKED_VALUES`), for the conditions
    of rules and for writes that merge; `refreshed` names the attributes just read again from
    the database (None: all of them), whose kept values are then out of date.
    """
    if isinstance(record, AuditEvent):
        _hide_unreadable_changes(record, role)
    state = sa.inspect(record)
    _forget_refreshed(state.info, refreshed)
    unreadable = unreadable_fields_of(record, role)
    if unreadable:
        unreadable -= set(getattr(record, "panel_checked_by_server", ()))
    if not unreadable:
        return
    mapper = state.mapper
    loaded = state.dict
    unmasked = state.info.setdefault(UNMASKED_VALUES, {})
    for name in unreadable:
        if name in mapper.relationships:
            for column in mapper.relationships[name].local_columns:
                if column.key in loaded:
                    unmasked[column.key] = loaded[column.key]
                    set_committed_value(record, column.key, None)
            set_committed_value(record, name, None)
        elif name in mapper.column_attrs and name in loaded:
            unmasked[name] = loaded[name]
            set_committed_value(record, name, None)
    custom = loaded.get("custom_fields")
    if custom and unreadable & custom.keys():
        state.info[UNMASKED_CUSTOM_FIELDS] = custom
        shown = {key: value for key, value in custom.items() if key not in unreadable}
        set_committed_value(record, "custom_fields", shown)


def _forget_refreshed(info: dict[str, Any], refreshed: Collection[str] | None) -> None:
    if refreshed is None:
        info.pop(UNMASKED_VALUES, None)
        info.pop(UNMASKED_CUSTOM_FIELDS, None)
        return
    for name in refreshed:
        info.get(UNMASKED_VALUES, {}).pop(name, None)
    if "custom_fields" in refreshed:
        info.pop(UNMASKED_CUSTOM_FIELDS, None)


def _hide_unreadable_changes(event: AuditEvent, role: str) -> None:
    """An audit diff shows only the fields of the changed entity the reader may read; a related
    record's label is shown only when every field it is made of is readable."""
    changes = sa.inspect(event).dict.get("changes")
    model = model_named(event.entity or "")
    if not changes or model is None:
        return
    unreadable = unreadable_fields(event.entity, role)
    relations = sa.inspect(model).relationships

    def shown(name: str) -> bool:
        field = key_of(name) or name
        if field in unreadable:
            return False
        if field in relations:
            target = relations[field].mapper.class_
            hidden_in_label = unreadable_fields(target.__name__, role)
            return not hidden_in_label & set(target.panel_label_fields)
        return True

    if not all(shown(name) for name in changes):
        kept = {name: change for name, change in changes.items() if shown(name)}
        set_committed_value(event, "changes", kept)


def _on_load(record: Any, _context: Any, refreshed: Collection[str] | None = None) -> None:
    role = reader_role()
    if role is not None:
        hide_unreadable_values(record, role, refreshed)


def watch_loaded_records() -> None:
    """Blank unreadable values in every record loaded or refreshed while someone reads."""
    if not event.contains(db.Model, "load", _on_load):
        event.listen(db.Model, "load", _on_load, propagate=True)
        event.listen(db.Model, "refresh", _on_load, propagate=True)
