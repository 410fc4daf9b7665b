"""Reads a model's mapper and panel hints: which fields a form, a list or a filter may offer.

The generic admin view and the configure-forms grid both read fields from here, so the grid
offers exactly the fields the forms have. Nothing here depends on who is asking.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import ColumnProperty, RelationshipDirection, RelationshipProperty

from models.base import PanelModel
from models.labels import entity_label  # noqa: F401  (re-exported for its callers)

_LONG_TEXT_TYPES = (sa.Text, sa.JSON)
_FILTERABLE_TYPES = (sa.Enum, sa.Boolean, sa.Date, sa.DateTime, sa.Numeric, sa.Integer, sa.String)


@dataclass(frozen=True)
class ModelFields:
    """The names of a model's fields, grouped by how the panel treats them."""

    form: tuple[str, ...]
    """Editable columns and many-to-one relations, in table order (no server-set ones)."""
    listed: tuple[str, ...]
    detailed: tuple[str, ...]
    sortable: tuple[str | tuple[str, str], ...]
    """Columns a list may sort by when its rows are few (an account's tab)."""
    sorted_by_index: frozenset[str]
    """The sortable columns an index keeps in order: the only sorts of a whole table."""
    filters: tuple[str, ...]
    relations: dict[str, type[PanelModel]]
    """Many-to-one relation name -> the model it points to."""


def leads_an_index(column: sa.Column) -> bool:
    """Whether the database can read rows in this column's order, without sorting the table.

    A whole table's list sorts only by such columns: sorting a million invoices by currency
    would read and sort every row for each page. Adding an index makes a column sortable there.
    """
    if column.primary_key or column.index or column.unique:
        return True
    table = column.table
    firsts = [index.expressions[0] for index in table.indexes if index.expressions]
    firsts += [
        next(iter(constraint.columns))
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint) and len(constraint.columns)
    ]
    return any(first is column for first in firsts)


def read_model_fields(model: type[PanelModel]) -> ModelFields:
    mapper = sa.inspect(model)
    hidden_everywhere = set(model.panel_secret_columns)
    server_set = set(model.panel_server_set_columns)
    system = set(model.panel_system_columns) | server_set  # shown, never on a form
    relation_by_fk: dict[str, RelationshipProperty] = {}
    for relation in mapper.relationships:
        if relation.direction is RelationshipDirection.MANYTOONE:
            for column in relation.local_columns:
                relation_by_fk[column.key] = relation

    form: list[str] = []
    listed: list[str] = []
    detailed: list[str] = []
    sortable: list[str | tuple[str, str]] = []
    sorted_by_index: list[str] = []
    filters: list[str] = []
    relations: dict[str, type[PanelModel]] = {}
    for column in mapper.local_table.columns:
        name = column.key
        if column.primary_key or name == "version_id" or name in hidden_everywhere:
            continue
        relation = relation_by_fk.get(name)
        if relation is not None:
            target = relation.mapper.class_
            relations[relation.key] = target
            if relation.key not in server_set:
                form.append(relation.key)
            listed.append(relation.key)
            detailed.append(relation.key)
            if target.panel_search_fields:
                lookup = f"{relation.key}.{target.panel_search_fields[0]}"
                sortable.append((relation.key, lookup))
                shown_by = sa.inspect(target).columns[target.panel_search_fields[0]]
                # an optional relation is outer-joined: the database must sort every row
                if not column.nullable and leads_an_index(column) and leads_an_index(shown_by):
                    sorted_by_index.append(relation.key)
                filters.append(lookup)
            continue
        detailed.append(name)
        if name in system:
            if name != "custom_fields":
                listed.append(name)
                sortable.append(name)
                if leads_an_index(column):
                    sorted_by_index.append(name)
            continue
        form.append(name)
        if not isinstance(column.type, _LONG_TEXT_TYPES):
            listed.append(name)
            sortable.append(name)
            if leads_an_index(column):
                sorted_by_index.append(name)
            if isinstance(column.type, _FILTERABLE_TYPES):
                filters.append(name)

    derived = [
        name for name in model.panel_derived_columns if name in mapper.attrs or hasattr(model, name)
    ]
    detailed = [name for name in detailed if name != "custom_fields"]
    listed = [name for name in listed if name not in model.panel_not_listed]
    return ModelFields(
        form=tuple(form),
        listed=tuple(listed + derived),
        detailed=tuple(detailed + derived),
        sortable=tuple(sortable),
        sorted_by_index=frozenset(sorted_by_index),
        filters=tuple(filters),
        relations=relations,
    )


def required_for_new_record(model: type[PanelModel]) -> frozenset[str]:
    """Form fields a new record cannot be saved without: NOT NULL and no default of any kind.

    Configure Forms refuses to hide these, or make them read-only, for a role that creates
    records, so that no rule can make the create form impossible to submit.
    """
    fields = read_model_fields(model)
    mapper = sa.inspect(model)
    required: set[str] = set()
    for name in fields.form:
        if name in fields.relations:
            columns = mapper.relationships[name].local_columns
        else:
            columns = mapper.columns[name].proxy_set & set(mapper.local_table.columns)
        if all(
            not column.nullable and column.default is None and column.server_default is None
            for column in columns
        ):
            required.add(name)
    return frozenset(required)


def derived_column_properties(model: type[PanelModel]) -> tuple[str, ...]:
    """Derived values that are SQL expressions, to be loaded with the row instead of one by one."""
    mapper = sa.inspect(model)
    return tuple(
        name
        for name, prop in mapper.attrs.items()
        if isinstance(prop, ColumnProperty) and prop.deferred
    )
