"""The checks that need a whole row, and where each good row goes: a create, an update, or neither.

By the time a row gets here its cells are parsed, its references resolved, its key checked and
its blank cells ruled on (`validation`, column by column). What is left is row by row: what a
new record must have (columns the file lacks, the kind's derived values), values the role may
not assign (`auth.permissions.assignable_values`), fields Configure Forms keeps from the role,
and the model's own `cross_field_errors` on the record as it would be after the row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from itertools import repeat
from types import MappingProxyType
from typing import Any

from auth.permissions import assignable_values
from bulk_io.batch import UNSET, Batch, BatchResult
from bulk_io.kinds import Kind
from bulk_io.references import Found
from forms_config.conditions import mapping_values
from forms_config.custom_fields import CustomFieldDefinition
from forms_config.enforcement import conditional_refusals
from forms_config.readability import HIDDEN, may_read
from forms_config.rules import FieldRules
from models.scoping import SCOPED_ROLES, HasRole

SAMPLE_ROWS = 20
ROLE_REQUIRED = "Required for your role (Configure Forms): a value is needed."
READ_ONLY = "Read-only for your role (Configure Forms): this value cannot be changed."
NO_CUSTOM_FIELDS: Mapping[str, Any] = MappingProxyType({})


class RowChecks:
    """The per-row rules of one file for one user."""

    def __init__(
        self,
        kind: Kind,
        actor: HasRole,
        rules: FieldRules,
        header: Sequence[str],
        custom_definitions: Sequence[CustomFieldDefinition],
    ) -> None:
        self.kind = kind
        entity = kind.model.__name__
        self.entity, self.role = entity, actor.role
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
        self.shown_for_creates = [name for name in header if name in kind.by_name]
        self.cross_field_errors = kind.model.cross_field_errors
        self.conditional = rules if rules.conditional else None
        """The role's rules when some apply on a condition: checked row by row."""
        self.samples_left = {"create": SAMPLE_ROWS, "update": SAMPLE_ROWS}
        self.absent_defaults: dict[str, Any] = {}
        """What a new record gets for the columns the file does not have."""
        self.missing_for_new: list[tuple[str, str]] = []
        """(column, reason) for each column the file lacks that a new record must have."""
        entity_name = entity.lower()
        for column in kind.columns:
            if column.name in header:
                continue
            if column.required or column.rule_field in rules.required:
                why = "" if column.required else " (required for your role by Configure Forms)"
                reason = f"Missing required column{why}: a new {entity_name} needs {column.name}."
                self.missing_for_new.append((column.name, reason))
            else:
                self.absent_defaults[column.field] = column.default
        for definition in custom_definitions:
            if definition.key not in header and definition.key in rules.required:
                why = " (required for your role by Configure Forms)"
                needs = f"a new {entity_name} needs {definition.key}"
                reason = f"Missing required column{why}: {needs}."
                self.missing_for_new.append((definition.key, reason))

    def check(
        self,
        batch: Batch,
        fields: Sequence[str],
        value_columns: Sequence[list[Any]],
        found_columns: Sequence[tuple[str, list[Found | None]]],
        records: Sequence[dict[str, Any] | None],
        custom: Sequence[dict[str, Any]] | None,
    ) -> BatchResult:
        """Check each row of `batch`, given its values by field and its references found."""
        result = BatchResult()
        found_names = [name for name, _hits in found_columns]
        hit_columns = [hits for _name, hits in found_columns]
        rows = zip(
            _rows_of(fields, value_columns, batch, UNSET),
            _rows_of(found_names, hit_columns, batch, None),
            records,
            strict=True,
        )
        complete_new, cross_field_errors = self.kind.complete_new, self.cross_field_errors
        for position, (values, found, record) in enumerate(rows):
            row_custom = custom[position] if custom is not None else NO_CUSTOM_FIELDS
            if row_custom:
                stored = dict(record["custom_fields"] or {}) if record is not None else {}
                values["custom_fields"] = stored | row_custom
            if record is None:
                if self.absent_defaults:
                    values.update(self.absent_defaults)
                for name, reason in self.missing_for_new:
                    batch.refuse(position, name, reason)
                if complete_new is not None:
                    complete_new(values, found)
                if self.must_name_account:
                    self._check_account_named(batch, position, values)
            if self.assignable:
                self._check_permissions(batch, position, values, record)
            if self.not_writable:
                self._check_not_writable(batch, position, values, record)
            if self.conditional is not None:
                self._check_conditional_rules(batch, position, values, record)
            problems = cross_field_errors(self._context(values, found, record))
            if problems:
                self._refuse_cross_field(batch, position, problems)
            if position in batch.errors:
                result.errors += batch.errors[position]
                result.bad_rows += 1
            elif record is None:
                result.creates.append(values)
                if self.samples_left["create"]:
                    self._sample_create(batch, position, row_custom, result)
            else:
                self._plan_update(batch, position, values, record, row_custom, result)
        return result

    def _sample_create(
        self, batch: Batch, position: int, row_custom: Mapping[str, Any], result: BatchResult
    ) -> None:
        self._take_sample("create")
        shown = self.shown_for_creates + list(row_custom)
        result.sample_creates.append((batch.numbers[position], _cells_of(batch, position, shown)))

    def _plan_update(
        self,
        batch: Batch,
        position: int,
        values: dict[str, Any],
        record: dict[str, Any],
        row_custom: Mapping[str, Any],
        result: BatchResult,
    ) -> None:
        number = batch.numbers[position]
        changes = {name: value for name, value in values.items() if _differs(record[name], value)}
        if not changes:
            result.unchanged += 1
            return
        result.updates.append((number, record["id"], changes))
        if self._take_sample("update"):
            result.sample_updates.append(
                (number, self._old_and_new(batch, position, record, changes))
            )

    def _old_and_new(
        self, batch: Batch, position: int, record: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, tuple[str, str]]:
        """Column -> (stored value, value in the file) for each value the row changes, as the
        user reads them: a reference by the name the file uses (an account code), a value the
        role may not read as "(hidden)"."""
        shown: dict[str, tuple[str, str]] = {}
        for name, new in changes.items():
            if name == "custom_fields":
                stored = record["custom_fields"] or {}
                for key in sorted(_without_blanks(new).keys() | _without_blanks(stored).keys()):
                    if _differs(stored.get(key), new.get(key)) and key in batch.index_of:
                        shown[key] = self._pair(key, stored.get(key), batch.text(position, key))
                continue
            column = self.column_by_field.get(name)
            if column is not None:
                old = record.get(f"shown_{name}") if column.reference else record[name]
                text = batch.text(position, column.name)
                shown[column.name] = self._pair(column.rule_field, old, text)
        return shown

    def _pair(self, field: str, old: Any, new_text: str) -> tuple[str, str]:
        if not may_read(self.entity, field, self.role):
            return HIDDEN, HIDDEN
        return _as_text(old), new_text or "(blank)"

    def _take_sample(self, which: str) -> bool:
        if self.samples_left[which] == 0:
            return False
        self.samples_left[which] -= 1
        return True

    def _check_account_named(self, batch: Batch, position: int, values: dict[str, Any]) -> None:
        """A manager's new record must name one of their accounts (unless that cell failed)."""
        if values.get("account_id") is not None:
            return
        if not any(error.column == "account_code" for error in batch.errors.get(position, ())):
            reason = "Required: you can only add records to the accounts you manage."
            batch.refuse(position, "account_code", reason)

    def _check_permissions(
        self, batch: Batch, position: int, values: dict[str, Any], record: dict[str, Any] | None
    ) -> None:
        """Nobody assigns a value above their own role, nor edits a record that holds one."""
        for name, allowed in self.assignable.items():
            column = self.column_by_field[name]
            new = values.get(name)
            current = None if record is None else record[name]
            if new is not None and new not in allowed and new != current:
                batch.refuse(position, column.name, f"Your role cannot set {column.name} to {new}.")
            changes = record is not None and any(record[f] != v for f, v in values.items())
            if current is not None and current not in allowed and changes:
                reason = f"Your role cannot change a record whose {column.name} is {current}."
                batch.refuse(position, column.name, reason)

    def _check_not_writable(
        self, batch: Batch, position: int, values: dict[str, Any], record: dict[str, Any] | None
    ) -> None:
        """Hidden and read-only fields keep their value: a file may repeat it, never change it."""
        stored = (record or {}).get("custom_fields") or {}
        for key in values.get("custom_fields", {}):
            if key in self.not_writable and values["custom_fields"][key] != stored.get(key):
                batch.refuse(position, key, READ_ONLY)
        for name, value in values.items():
            column = self.column_by_field.get(name)
            if column is None or column.rule_field not in self.not_writable:
                continue
            unchanged = value in (None, column.default) if record is None else record[name] == value
            if not unchanged:
                batch.refuse(position, column.name, READ_ONLY)

    def _check_conditional_rules(
        self, batch: Batch, position: int, values: dict[str, Any], record: dict[str, Any] | None
    ) -> None:
        """The rules that apply on a condition, as the record would be after the row.

        A blank cell of a field hidden from this record keeps the stored value: the role's own
        export left it blank, and importing that file back must not clear what it never read.
        """
        model = self.kind.model
        stored_custom = (record or {}).get("custom_fields") or {}
        if record is not None:
            self._keep_hidden_blanks(values, record, stored_custom)
        merged = values if record is None else record | values
        changed = {
            column.rule_field if (column := self.column_by_field.get(name)) else name
            for name, value in values.items()
            if name != "custom_fields"
            and (value is not None if record is None else record.get(name) != value)
        }
        changed |= {
            key
            for key, value in (values.get("custom_fields") or {}).items()
            if value != stored_custom.get(key)
        }
        before = None if record is None else mapping_values(model, record)
        refusals = conditional_refusals(
            model, self.conditional, before, mapping_values(model, merged), changed
        )
        for field, reason in refusals.items():
            column = self.column_by_field.get(field)
            batch.refuse(position, column.name if column else field, reason)

    def _keep_hidden_blanks(
        self, values: dict[str, Any], record: dict[str, Any], stored_custom: dict[str, Any]
    ) -> None:
        stored = mapping_values(self.kind.model, record)
        hidden = {rule.field for rule in self.conditional.conditional
                  if rule.hidden and rule.applies(stored)}  # type: ignore[union-attr]  # fmt: skip
        custom = values.get("custom_fields")
        for field in hidden:
            column = self.column_by_field.get(field)
            if column is not None and column.field in values and values[column.field] is None:
                del values[column.field]
            elif custom is not None and field in custom and custom[field] is None:
                custom[field] = stored_custom.get(field)

    def _context(
        self, values: dict[str, Any], found: dict[str, Found], record: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The record as it would be after the row, with what its cells name: for the model."""
        merged = values if record is None else record | values
        context: dict[str, Any] = merged | found
        if "account" not in context and merged.get("account_id") is not None:
            context["account"] = Found(merged["account_id"], merged["account_id"])
        if "invoice" not in context and merged.get("invoice_id") is not None and record:
            context["invoice"] = Found(merged["invoice_id"], record["invoice_account_id"])
        return context

    def _refuse_cross_field(self, batch: Batch, position: int, problems: dict[str, str]) -> None:
        for name, reason in problems.items():
            column = self.column_by_field.get(name)
            batch.refuse(position, column.name if column else name, reason)


def _rows_of(
    names: Sequence[str], columns: Sequence[list[Any]], batch: Batch, missing: Any
) -> list[dict[str, Any]]:
    """One dict per row, {name: value}, from columns of values named `names`.

    Built by `map` rather than a loop: a million small dicts are a visible share of an import.
    The rows in `batch.incomplete` leave out their `missing` values (`UNSET`, or None for a
    reference that found nothing), as a row-by-row check would never have set them.
    """
    if not names:
        return [{} for _position in range(len(batch))]
    if len(names) == 1:  # one reference column: a plain comprehension beats zipping
        [name], [values] = names, columns
        rows = [{name: value} for value in values]
    else:
        rows = list(map(dict, map(zip, repeat(names), zip(*columns, strict=True))))
    for position in batch.incomplete:
        row = rows[position]
        rows[position] = {name: value for name, value in row.items() if value is not missing}
    return rows


def _without_blanks(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "")}


def _differs(stored: Any, new: Any) -> bool:
    """Whether a row changes a stored value; custom fields compare by the values they hold (a
    blank cell for a key never stored changes nothing)."""
    if isinstance(stored, Mapping) or isinstance(new, Mapping):
        return _without_blanks(stored or {}) != _without_blanks(new or {})
    return stored != new


def _as_text(value: Any) -> str:
    """A stored value as the import file would write it."""
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _cells_of(batch: Batch, position: int, names: list[str]) -> dict[str, str]:
    return {name: batch.text(position, name) or "(blank)" for name in names}
