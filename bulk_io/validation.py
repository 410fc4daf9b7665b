"""Checking an import file, batch by batch, into planned creates and updates or per-row errors.

Each error names the row (as the spreadsheet numbers it), the column, the cell's value and the
reason. A row is checked as a form save would be: cells parsed (`cells`), references resolved
within the user's rows (`references`), required and role-required fields, values the role may
not assign (`auth.permissions.assignable_values`), then the model's own `cross_field_errors`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from auth.permissions import assignable_values
from bulk_io.cells import CellError
from bulk_io.kinds import Column, Kind
from bulk_io.references import UNKNOWN_REASONS, ExistingRecords, Found, References
from forms_config import custom_fields_for, rules_for
from forms_config.custom_fields import CustomFieldDefinition
from forms_config.rules import FieldRules
from models.scoping import SCOPED_ROLES, HasRole

SAMPLE_ROWS = 20


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class BatchResult:
    creates: list[dict[str, Any]] = field(default_factory=list)
    """Table column -> value, every column of the kind, ready for one INSERT per batch."""
    create_rows: list[int] = field(default_factory=list)
    updates: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    """(row number, record id, {table column: new value}) for the columns that change."""
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    bad_rows: int = 0
    sample_creates: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    sample_updates: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    """The first few good rows, as {column: cell text}, for a preview."""


def role_field_rules(entity: str, role: str) -> FieldRules:
    """What Configure Forms says `role` may do with `entity`'s fields (ARCHITECTURE §4).

    THE one place imports consult per-role field rules: required fields must have a value,
    hidden and read-only fields may not be changed. It asks the `forms_config` rule book, so an
    import obeys exactly the rules the forms do.
    """
    return rules_for(entity, role)


def header_errors(
    kind: Kind, header: Sequence[str], custom_keys: Collection[str] = ()
) -> list[RowError]:
    """What is wrong with the header row as a whole (reported against row 1).

    Columns are the kind's own, plus the keys of the entity's custom fields.
    """
    errors = []
    expected = ", ".join([*kind.header, *custom_keys])
    for position, name in enumerate(header, start=1):
        if not name:
            errors.append(RowError(1, "", "", f"Column {position} has no name in the header."))
        elif name not in kind.by_name and name not in custom_keys:
            reason = f"Unknown column for {kind.name}. The columns are: {expected}."
            errors.append(RowError(1, name, name, reason))
        elif header.index(name) != position - 1:
            errors.append(RowError(1, name, name, "This column appears twice in the header."))
    if kind.key not in header:
        reason = f"Missing required column: every row needs its key, {kind.key}."
        errors.append(RowError(1, kind.key, "", reason))
    return errors


class ParsedRow:
    """One row after its cells are parsed and before it is checked against the database."""

    __slots__ = ("blanks", "cells", "custom", "errors", "key", "number", "references", "values")

    def __init__(self, number: int, cells: list[str]) -> None:
        self.number = number
        self.cells = cells
        self.values: dict[str, Any] = {}
        """Table column -> value, for the cells that are not references."""
        self.references: list[tuple[Column, str]] = []
        self.blanks: list[Column] = []
        self.errors: list[RowError] = []
        self.key: str | None = None
        self.custom: dict[str, Any] = {}
        """Custom-field key -> stored value, for the custom-field columns of the file."""


class BatchValidator:
    """Validates the rows of one file for one user, remembering keys across batches."""

    def __init__(self, session: Session, kind: Kind, header: Sequence[str], actor: HasRole) -> None:
        self.kind = kind
        self.width = len(header)
        self.index_of = {name: index for index, name in enumerate(header)}
        self.plan = [
            (index, column, column.parse, column.field, column.reference)
            for index, name in enumerate(header)
            if (column := kind.by_name.get(name)) is not None
        ]
        self.absent = [column for column in kind.columns if column.name not in self.index_of]
        definitions = custom_fields_for(kind.model.__name__)
        self.custom_plan: list[tuple[int, CustomFieldDefinition]] = [
            (self.index_of[definition.key], definition)
            for definition in definitions
            if definition.key in self.index_of
        ]
        self.absent_custom = [d.key for d in definitions if d.key not in self.index_of]
        self.references = References(session, actor)
        self.existing = ExistingRecords(session, kind, actor)
        self.seen: dict[str, int] = {}
        self.samples_left = {"create": SAMPLE_ROWS, "update": SAMPLE_ROWS}
        entity = kind.model.__name__
        rules = role_field_rules(entity, actor.role)
        self.role_required = rules.required
        self.not_writable = rules.not_writable - {kind.key}
        self.assignable = {
            column.field: allowed
            for column in kind.columns
            if (allowed := assignable_values(entity, column.field, actor.role)) is not None
        }
        self.must_name_account = actor.role in SCOPED_ROLES and "account_id" in kind.table.c
        self.column_by_field = {column.field: column for column in kind.columns} | {
            column.form_field: column for column in kind.columns if column.form_field
        }

    def validate(self, rows: Sequence[tuple[int, list[str]]]) -> BatchResult:
        wanted: dict[str, set[str]] = {reference: set() for reference in UNKNOWN_REASONS}
        parsed = [self._parse(number, cells, wanted) for number, cells in rows]
        for reference, values in wanted.items():
            if values:
                self.references.look_up(reference, values)
        existing, hidden = self.existing.by_key({row.key for row in parsed if row.key is not None})
        result = BatchResult()
        for row in parsed:
            self._check(row, existing, hidden, result)
        return result

    def _parse(self, number: int, cells: list[str], wanted: dict[str, set[str]]) -> ParsedRow:
        """Each cell to a value; references are collected to be looked up for the whole batch."""
        row = ParsedRow(number, cells)
        if len(cells) > self.width and "".join(cells[self.width :]).strip():
            reason = f"Too many values: the header names {self.width} columns."
            row.errors.append(RowError(number, "", ",".join(cells[self.width :]), reason))
        width = len(cells)
        values = row.values
        for index, column, parse, name, reference in self.plan:
            cell = cells[index].strip() if index < width else ""
            if not cell:
                row.blanks.append(column)
                continue
            try:
                value = parse(cell)
            except CellError as error:
                row.errors.append(RowError(number, column.name, cell, str(error)))
                continue
            if reference is None:
                values[name] = value
            else:
                row.references.append((column, value))
                wanted[reference].add(value)
        for index, definition in self.custom_plan:
            cell = cells[index].strip() if index < width else ""
            stored, problem = definition.parse_text(cell)
            if problem:
                reason = f"{definition.label} {problem}."
                row.errors.append(RowError(number, definition.key, cell, reason))
            elif stored is None and definition.key in self.role_required:
                reason = "Required for your role (Configure Forms): a value is needed."
                row.errors.append(RowError(number, definition.key, "", reason))
            else:
                row.custom[definition.key] = stored
        row.key = row.values.get(self.kind.key)
        return row

    def _cell(self, cells: list[str], column_name: str) -> str:
        index = self.index_of.get(column_name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def _check(
        self,
        row: ParsedRow,
        existing: dict[str, dict[str, Any]],
        hidden: set[str],
        result: BatchResult,
    ) -> None:
        kind, number, cells, key, errors = self.kind, row.number, row.cells, row.key, row.errors
        if key is not None and key in self.seen:
            reason = f"Duplicate key: row {self.seen[key]} has the same {kind.key}."
            errors.append(RowError(number, kind.key, self._cell(cells, kind.key), reason))
        elif key in hidden:
            reason = "This record belongs to an account you do not manage; it cannot be changed."
            errors.append(RowError(number, kind.key, self._cell(cells, kind.key), reason))
        elif key is not None:
            self.seen[key] = number
        record = existing.get(key) if key is not None else None

        values = row.values
        found: dict[str, Found] = {}
        for column, value in row.references:
            hit = self.references.get(column.reference, value)  # type: ignore[arg-type]
            if hit is None:
                reason = UNKNOWN_REASONS[column.reference]  # type: ignore[index]
                errors.append(RowError(number, column.name, self._cell(cells, column.name), reason))
            else:
                values[column.field] = hit.id
                found[column.form_field] = hit
        for column in row.blanks:
            if column.required:
                errors.append(RowError(number, column.name, "", "Required: a value is needed."))
            elif column.rule_field in self.role_required:
                reason = "Required for your role (Configure Forms): a value is needed."
                errors.append(RowError(number, column.name, "", reason))
            elif column.default is None:
                values[column.field] = None
            elif record is None:
                values[column.field] = column.default
        if row.custom:
            stored = dict(record["custom_fields"] or {}) if record is not None else {}
            values["custom_fields"] = stored | row.custom
        if record is None:
            self._complete_new(number, values, found, errors)
        if self.assignable:
            errors += self._permission_errors(number, cells, values, record)
        if self.not_writable:
            errors += self._not_writable_errors(number, cells, values, record)
        errors += self._cross_field_errors(number, cells, values, found, record)

        if errors:
            result.errors += errors
            result.bad_rows += 1
        elif record is None:
            result.creates.append(values)
            result.create_rows.append(number)
            if self.samples_left["create"] and self._take_sample("create"):
                shown = [column.name for _index, column, *_how in self.plan] + list(row.custom)
                result.sample_creates.append((number, self._cells_of(cells, shown)))
        else:
            changes = {name: value for name, value in values.items() if record[name] != value}
            if changes:
                result.updates.append((number, record["id"], changes))
                if self._take_sample("update"):
                    named = [self.column_by_field.get(name) for name in changes]
                    shown = [column.name for column in named if column] + list(row.custom)
                    result.sample_updates.append((number, self._cells_of(cells, shown)))
            else:
                result.unchanged += 1

    def _take_sample(self, which: str) -> bool:
        if self.samples_left[which] == 0:
            return False
        self.samples_left[which] -= 1
        return True

    def _cells_of(self, cells: list[str], names: list[str]) -> dict[str, str]:
        return {name: self._cell(cells, name) or "(blank)" for name in names}

    def _complete_new(
        self, number: int, values: dict[str, Any], found: dict[str, Found], errors: list[RowError]
    ) -> None:
        entity = self.kind.model.__name__.lower()
        missing = []
        for column in self.absent:
            if column.required or column.rule_field in self.role_required:
                missing.append((column.name, column.required))
            else:
                values[column.field] = column.default
        missing += [(key, False) for key in self.absent_custom if key in self.role_required]
        for name, required in missing:
            why = "" if required else " (required for your role by Configure Forms)"
            reason = f"Missing required column{why}: a new {entity} needs {name}."
            errors.append(RowError(number, name, "", reason))
        if self.kind.complete_new is not None:
            self.kind.complete_new(values, found)
        if (
            self.must_name_account
            and values.get("account_id") is None
            and not any(error.column == "account_code" for error in errors)
        ):
            reason = "Required: you can only add records to the accounts you manage."
            errors.append(RowError(number, "account_code", "", reason))

    def _permission_errors(
        self,
        number: int,
        cells: list[str],
        values: dict[str, Any],
        record: dict[str, Any] | None,
    ) -> list[RowError]:
        """Nobody assigns a value above their own role, nor edits a record that holds one."""
        errors = []
        for name, allowed in self.assignable.items():
            column = self.column_by_field[name]
            new = values.get(name)
            current = None if record is None else record[name]
            if new is not None and new not in allowed and new != current:
                reason = f"Your role cannot set {column.name} to {new}."
                errors.append(RowError(number, column.name, self._cell(cells, column.name), reason))
            changes = record is not None and any(record[f] != v for f, v in values.items())
            if current is not None and current not in allowed and changes:
                reason = f"Your role cannot change a record whose {column.name} is {current}."
                errors.append(RowError(number, column.name, self._cell(cells, column.name), reason))
        return errors

    def _not_writable_errors(
        self,
        number: int,
        cells: list[str],
        values: dict[str, Any],
        record: dict[str, Any] | None,
    ) -> list[RowError]:
        """Hidden and read-only fields keep their value: a file may repeat it, never change it."""
        errors = []
        stored = (record or {}).get("custom_fields") or {}
        for key in values.get("custom_fields", {}):
            if key in self.not_writable and values["custom_fields"][key] != stored.get(key):
                reason = "Read-only for your role (Configure Forms): this value cannot be changed."
                errors.append(RowError(number, key, self._cell(cells, key), reason))
        for name, value in values.items():
            column = self.column_by_field.get(name)
            if column is None or column.rule_field not in self.not_writable:
                continue
            unchanged = value in (None, column.default) if record is None else record[name] == value
            if not unchanged:
                reason = "Read-only for your role (Configure Forms): this value cannot be changed."
                errors.append(RowError(number, column.name, self._cell(cells, column.name), reason))
        return errors

    def _cross_field_errors(
        self,
        number: int,
        cells: list[str],
        values: dict[str, Any],
        found: dict[str, Found],
        record: dict[str, Any] | None,
    ) -> list[RowError]:
        """The model's own rules between fields, on the record as it would be after the row."""
        merged = values if record is None else record | values
        context: dict[str, Any] = merged | found
        if "account" not in context and merged.get("account_id") is not None:
            context["account"] = Found(merged["account_id"], merged["account_id"])
        if "invoice" not in context and merged.get("invoice_id") is not None and record:
            context["invoice"] = Found(merged["invoice_id"], record["invoice_account_id"])
        errors = []
        for name, reason in self.kind.model.cross_field_errors(context).items():
            column = self.column_by_field.get(name)
            column_name = column.name if column else name
            errors.append(RowError(number, column_name, self._cell(cells, column_name), reason))
        return errors
