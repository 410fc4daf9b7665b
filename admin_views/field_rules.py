"""Applies Configure Forms to the generic view: per-role hidden, required and read-only fields,
and custom fields, in forms, lists, detail pages, filters, search and exports.

Flask-Admin computes its column, search and filter lists once at start-up and shares them
between requests. Here those attributes become properties: the start-up value is kept as the
full list, and each read returns it narrowed for the user asking. Nothing is mutated per request.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_admin.form import BaseForm
from flask_login import current_user
from wtforms import Field
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, Optional, StopValidation

from admin_views.conditional_fields import (
    live_description,
    rules_in_force,
    unposted_conditional_names,
)
from forms_config import custom_fields_for, may_read, rules_for
from forms_config.conditions import record_values, with_changes
from forms_config.custom_fields import CustomFieldDefinition, form_name, key_of
from forms_config.enforcement import conditional_refusals
from forms_config.readability import (
    always_unreadable_fields,
    unreadable_fields,
    write_custom_value,
)
from forms_config.rules import FieldRules

NO_RULES = FieldRules()
REQUIRED_MESSAGE = "This field is required."


class RequiredByRule(DataRequired):
    """Required by a Configure Forms rule: empty, blank or "none chosen" is refused; 0 and "no"
    are answers.

    A `DataRequired`, so the form draws the field's `*` exactly where this check runs. An empty
    field gets this one error only: the parsing error an empty number or date field also
    collected ("Not a valid integer value") is dropped, and the validators after it do not run.
    """

    def __init__(self) -> None:
        super().__init__(REQUIRED_MESSAGE)

    def __call__(self, form: BaseForm, field: Field) -> None:
        value = field.data
        if value is None or (isinstance(value, str) and not value.strip()):
            field.errors[:] = []
            raise StopValidation(REQUIRED_MESSAGE)


def _not_validated(form: BaseForm, field: Field) -> None:
    """A read-only field is never written, so nothing posted for it is checked: a disabled select
    posts nothing, and "Not a valid choice" on it would block a form the user cannot fix."""
    field.errors.clear()
    raise StopValidation()


def _narrowed_property(attribute: str, narrow: str) -> property:
    """A view attribute whose start-up value is kept whole and read narrowed per request."""
    full = f"_full{attribute}"

    def read(view: Any) -> Any:
        value = getattr(view, full, None)
        if value is None or not _asking():
            return value
        narrowed = g.setdefault("narrowed_view_attributes", {})  # a page reads each many times
        key = (id(view), attribute, view.acting_role(), _request_user().id)
        if key not in narrowed:
            narrowed[key] = getattr(view, narrow)(value)
        return narrowed[key]

    def write(view: Any, value: Any) -> None:
        setattr(view, full, value)

    return property(read, write)


def _asking() -> bool:
    return has_request_context() and _request_user().is_authenticated


def _request_user() -> Any:
    """The request's user, as `current_user` answers, without its proxy once Flask-Login has
    resolved it (a list page asks dozens of times)."""
    return g.get("_login_user") or current_user._get_current_object()


class FieldRulesMixin:
    """Mixed into the generic ModelView; reads rules through `forms_config` only."""

    _list_columns = _narrowed_property("_list_columns", "_list_columns_for_request")
    _details_columns = _narrowed_property("_details_columns", "_details_columns_for_request")
    _export_columns = _narrowed_property("_export_columns", "_details_columns_for_request")
    _search_fields = _narrowed_property("_search_fields", "_visible_column_pairs")
    _filter_args = _narrowed_property("_filter_args", "_visible_filter_args")
    _filter_groups = _narrowed_property("_filter_groups", "_visible_filter_groups")
    _sortable_columns = _narrowed_property("_sortable_columns", "_sortable_for_request")

    # --- the rules for this request --------------------------------------------------------

    def acting_role(self) -> str:
        """The role whose rules apply: the user's, or the one a super admin is previewing."""
        return g.get("preview_role") or _request_user().role

    def field_rules(self) -> FieldRules:
        """The role's rules, with every field the role may read in no record counted as hidden
        (a field hidden on a condition stays a column: its rows are blanked one by one)."""
        if not _asking():
            return NO_RULES
        entity, role = self.model.__name__, self.acting_role()
        rules = rules_for(entity, role)
        return replace(rules, hidden=always_unreadable_fields(entity, role))

    def unsearchable_fields(self) -> frozenset[str]:
        """Fields the role may not search, filter or sort by: those unreadable in any record
        (matching or ordering by a field hidden from some rows would reveal it in those rows)."""
        if not _asking():
            return frozenset()
        return unreadable_fields(self.model.__name__, self.acting_role())

    def search_placeholder(self) -> str | None:
        """The search box names only the fields the role's search matches."""
        hidden = self.unsearchable_fields()
        names = [name for name in self.column_searchable_list or () if name not in hidden]
        return ", ".join(self.get_column_name(name) for name in names) or None

    def _sortable_for_request(self, columns: dict[str, Any]) -> dict[str, Any]:
        hidden = self.unsearchable_fields()
        return {name: column for name, column in columns.items() if name not in hidden}

    def custom_fields(self) -> tuple[CustomFieldDefinition, ...]:
        return custom_fields_for(self.model.__name__)

    def _visible_custom_fields(self) -> list[CustomFieldDefinition]:
        hidden = self.field_rules().hidden
        return [definition for definition in self.custom_fields() if definition.key not in hidden]

    def readonly_names(self, creating: bool) -> set[str]:
        """Form names the request may show but not write (rules, and immutable columns)."""
        rules = self.field_rules()
        custom_keys = {definition.key for definition in self.custom_fields()}
        names = {form_name(name) if name in custom_keys else name for name in rules.readonly}
        if not creating:
            names |= set(self.model.panel_immutable_columns)
        return names

    def hidden_names(self) -> set[str]:
        rules = self.field_rules()
        custom_keys = {definition.key for definition in self.custom_fields()}
        return {form_name(name) if name in custom_keys else name for name in rules.hidden}

    # --- lists, details, exports, search and filters ---------------------------------------

    def _list_columns_for_request(self, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return self.arranged_list_columns(self.readable_list_columns(columns))

    def readable_list_columns(
        self, columns: list[tuple[str, str]] | None = None
    ) -> list[tuple[str, str]]:
        """The list's columns the acting role may read (all of the view's, when `columns` is
        None), then its visible custom fields shown in lists: the list when nothing is arranged."""
        hidden = self.field_rules().hidden
        full = self._full_list_columns if columns is None else columns
        listed = [(name, label) for name, label in full if name not in hidden]
        custom = self._visible_custom_fields()
        return listed + [(d.form_name, d.label) for d in custom if d.show_in_list]

    def arranged_list_columns(self, readable: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The readable columns as the page shows them (see `list_arrangement`)."""
        return readable

    def _details_columns_for_request(self, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
        hidden = self.field_rules().hidden
        shown = [(name, label) for name, label in columns if name not in hidden]
        return shown + [(d.form_name, d.label) for d in self._visible_custom_fields()]

    def _get_filter_groups(self) -> OrderedDict:
        """Empty rather than None when the role may filter by nothing: the list template draws
        the filter menu for the view's filters and iterates the role's groups."""
        return super()._get_filter_groups() or OrderedDict()

    def _shows_column(self, column: Any, hidden: frozenset[str]) -> bool:
        """Whether the role may search or filter by `column`: its field here is readable, and
        so is the column itself when it belongs to a related record (searching invoices by a
        hidden account name would reveal the name)."""
        if self._field_of_column(column) in hidden:
            return False
        owner, key = getattr(column, "class_", None), getattr(column, "key", None)
        return owner is None or key is None or may_read(owner.__name__, key, self.acting_role())

    def _visible_column_pairs(self, pairs: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        hidden = self.unsearchable_fields()
        return [pair for pair in pairs if self._shows_column(pair[0], hidden)]

    def _visible_filter_args(self, filter_args: dict[str, Any]) -> dict[str, Any]:
        hidden = self.unsearchable_fields()
        return {
            arg: (index, flt)
            for arg, (index, flt) in filter_args.items()
            if self._shows_column(flt.column, hidden)
        }

    def _visible_filter_groups(self, groups: OrderedDict) -> OrderedDict:
        hidden = self.unsearchable_fields()
        return OrderedDict(
            (label, group)
            for label, group in groups.items()
            if all(
                self._shows_column(self._filters[item["index"]].column, hidden) for item in group
            )
        )

    def _field_of_column(self, column: Any) -> str | None:
        """The form field a list/search/filter column belongs to (a relation for joined ones)."""
        owner = getattr(column, "class_", None)
        if owner is None or owner is self.model:
            return getattr(column, "key", None)
        for relation, target in self.model_fields.relations.items():
            if target is owner:
                return relation
        return None

    def custom_field_filters(self) -> dict[str, str]:
        """`cf_<key>=value` arguments of this request, for custom fields the user may see."""
        hidden = self.unsearchable_fields()
        visible = {d.key for d in self.custom_fields() if d.key not in hidden}
        return {
            key: value
            for arg, value in request.args.items()
            if (key := arg.removeprefix("cf_")) in visible and arg.startswith("cf_") and value
        }

    def filter_by_custom_fields(self, query: Any) -> Any:
        """Equality filters on custom-field values (typed as the field stores them)."""
        if not _asking():
            return query
        definitions = {definition.key: definition for definition in self.custom_fields()}
        for key, text in self.custom_field_filters().items():
            stored, error = definitions[key].parse_text(text)
            element = self.model.custom_fields[key]
            if error:
                query = query.filter(sa.false())
            elif isinstance(stored, bool):
                query = query.filter(element.as_boolean() == stored)
            elif isinstance(stored, int):
                query = query.filter(element.as_integer() == stored)
            else:
                query = query.filter(element.as_string() == stored)
        return query

    def _get_field_value(self, model: Any, name: str) -> Any:
        key = key_of(name)
        if key is None:
            return super()._get_field_value(model, name)
        definition = next((d for d in self.custom_fields() if d.key == key), None)
        stored = (model.custom_fields or {}).get(key)
        return definition.display(stored) if definition else stored

    # --- forms -----------------------------------------------------------------------------

    def form_class_with_custom_fields(self, base: type[BaseForm]) -> type[BaseForm]:
        """The form class plus the entity's custom fields, built once per configuration."""
        definitions = self.custom_fields()
        if not definitions:
            return base
        cache = self.__dict__.setdefault("_custom_form_classes", {})
        key = (base, definitions)
        if key not in cache:
            extra = {definition.form_name: definition.form_field() for definition in definitions}
            cache.clear()
            cache[key] = type(f"{base.__name__}WithCustomFields", (base,), extra)
        return cache[key]

    def apply_field_rules(self, form: BaseForm, record: Any, creating: bool) -> BaseForm:
        """Hide, lock and require fields on this form instance (never on the shared class)."""
        for name in self.hidden_names():
            if name in form:
                del form[name]
        for definition in self.custom_fields():
            field = form._fields.get(definition.form_name)
            if field is not None and record is not None and request.method == "GET":
                field.data = definition.from_stored(
                    (record.custom_fields or {}).get(definition.key)
                )
        readonly = self.readonly_names(creating)
        required = set(self.field_rules().required)
        form.conditionally_not_writable = set()
        form.live_rules = None
        if _asking() and (conditional := self.role_rules()).conditional:
            required, readonly = self._apply_conditional_rules(
                form, record, creating, conditional, readonly
            )
        for name in readonly & set(form._fields):
            field = form[name]
            if request.method == "POST":  # a re-shown form shows what is kept, not what was posted
                field.process(
                    None, unset_value if record is None else self._form_value(record, name)
                )
            field.validators = [_not_validated]
            field.flags.required = False
            field.render_kw = {**(field.render_kw or {}), "disabled": True, "readonly": True}
        custom_keys = {definition.key for definition in self.custom_fields()}
        for name in required:
            field = form._fields.get(form_name(name) if name in custom_keys else name)
            if field is None or field.name in readonly:
                continue
            kept = [v for v in field.validators if not isinstance(v, Optional)]
            field.validators = [RequiredByRule(), *kept]
            field.flags.required = True
        return form

    def role_rules(self) -> FieldRules:
        """The acting role's rules as stored, conditional ones included (`field_rules` widens
        `hidden` to the derived fields, for the pages' columns)."""
        return rules_for(self.model.__name__, self.acting_role())

    def _apply_conditional_rules(
        self, form: BaseForm, record: Any, creating: bool, rules: FieldRules, readonly: set[str]
    ) -> tuple[set[str], set[str]]:
        """Resolve the role's conditional rules for this form (`conditional_fields`): drop the
        fields the stored values hide, lock or leave unwritten what the values being saved
        lock or hide, and return the (required, read-only) fields that now apply."""
        custom = {definition.key: definition for definition in self.custom_fields()}
        saving = request.method == "POST"
        in_force = rules_in_force(rules, form, record, creating, saving, custom, self.model)

        def names(fields: frozenset[str]) -> set[str]:
            return {form_name(field) if field in custom else field for field in fields}

        if not creating:  # a new record has nothing stored to hide; the page hides it live
            for name in names(in_force.stored.hidden) & set(form._fields):
                del form[name]
        if saving:
            skipped = names(in_force.not_writable)
            skipped |= unposted_conditional_names(form, rules, custom, request.form)
            form.conditionally_not_writable = skipped
            for name in skipped & set(form._fields):
                form[name].validators = [_not_validated]
            readonly = readonly | names(in_force.new.readonly)
            required = names(in_force.new.required) - skipped
        else:
            readonly = readonly | names(in_force.stored.readonly)
            required = names(in_force.stored.required)
        stored = (
            record_values(record) if record is not None and not creating else (lambda _field: None)
        )
        form.live_rules = live_description(rules, form, in_force, custom, stored)
        return {key_of(name) or name for name in required}, readonly

    def bulk_change_refusals(self, record: Any, changes: dict[str, Any]) -> dict[str, str]:
        """Why a bulk action may not make `changes` ({field: value}) to `record`: the role's
        conditional rules, as the record would be after it (`forms_config.enforcement`)."""
        rules = self.role_rules()
        if not rules.conditional:
            return {}
        before = record_values(record)
        changed = with_changes(before, changes)
        return conditional_refusals(self.model, rules, before, changed, changes)

    def _form_value(self, record: Any, name: str) -> Any:
        """The record's stored value as its form field holds it."""
        key = key_of(name)
        if key is None:
            return getattr(record, name)
        definition = next(d for d in self.custom_fields() if d.key == key)
        return definition.from_stored((record.custom_fields or {}).get(key))

    def not_writable_names(self, creating: bool) -> set[str]:
        return self.hidden_names() | self.readonly_names(creating)

    def forbidden_posted_names(self, creating: bool) -> list[str]:
        """Fields the request posted although this role may not write them (crafted requests)."""
        return sorted(set(request.form) & self.not_writable_names(creating))

    def write_field(self, form: BaseForm, record: Any, name: str) -> None:
        key = key_of(name)
        if key is None:
            form[name].populate_obj(record, name)
            return
        definition = next(d for d in self.custom_fields() if d.key == key)
        write_custom_value(record, key, definition.to_stored(form[name].data))

    def field_value(self, record: Any, name: str) -> Any:
        key = key_of(name)
        if key is None:
            return getattr(record, name, None)
        return (record.custom_fields or {}).get(key)
