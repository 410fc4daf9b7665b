"""Checking an import file, batch by batch, into planned creates and updates or per-row errors.

Each error names the row (as the spreadsheet numbers it), the column, the cell's value and the
reason. A row is checked as a form save would be: cells parsed (`cells`), references resolved
within the user's rows (`references`), required and role-required fields, then the rules that
need the whole row (`row_checks`): values the role may not assign, fields Configure Forms keeps
from the role, the model's own `cross_field_errors`.

What concerns one column is checked a whole column of the batch at a time: parsing (each distinct
date or status once), look-ups (one query per batch), duplicate keys, blank cells. On a million
rows that is most of the work, and per-cell Python was where an import's time went. A row's
errors still come in the order a row-by-row check gives them: its cells left to right, then its
key, its references, its blank cells, then the rules of the whole row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy.orm import Session

from bulk_io.batch import UNSET, Batch, BatchResult, RowError
from bulk_io.cells import ParsedColumn, parse_column
from bulk_io.kinds import Column, Kind
from bulk_io.references import UNKNOWN_REASONS, ExistingRecords, Found, References
from bulk_io.row_checks import ROLE_REQUIRED, RowChecks
from forms_config import custom_fields_for, rules_for
from forms_config.custom_fields import CustomFieldDefinition
from forms_config.rules import FieldRules
from models.scoping import HasRole


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


class BatchValidator:
    """Validates the rows of one file for one user, remembering keys across batches."""

    def __init__(self, session: Session, kind: Kind, header: Sequence[str], actor: HasRole) -> None:
        self.kind = kind
        self.index_of = {name: index for index, name in enumerate(header)}
        self.plan: list[tuple[int, Column]] = [
            (index, column)
            for index, name in enumerate(header)
            if (column := kind.by_name.get(name)) is not None
        ]
        self.fields = [column.field for _index, column in self.plan]
        definitions = custom_fields_for(kind.model.__name__)
        self.custom_plan: list[tuple[int, CustomFieldDefinition]] = [
            (self.index_of[definition.key], definition)
            for definition in definitions
            if definition.key in self.index_of
        ]
        self.references = References(session, actor)
        self.existing = ExistingRecords(session, kind, actor)
        self.seen: dict[str, int] = {}
        self.highest_seen = ""
        """No key in `seen` sorts after this one: a batch whose keys all do is new at once."""
        rules = role_field_rules(kind.model.__name__, actor.role)
        self.role_required = rules.required
        self.rows = RowChecks(kind, actor, rules, header, definitions)

    def validate(self, rows: Sequence[tuple[int, list[str]]]) -> BatchResult:
        batch = Batch(rows, self.index_of)
        columns = [self._parse(batch, index, column) for index, column in self.plan]
        custom = self._parse_custom(batch) if self.custom_plan else None
        keys = self._keys(batch, columns)
        existing, hidden = self.existing.by_key(set(keys) - {None})
        records = [existing.get(key) for key in keys] if existing else [None] * len(batch)
        self._check_keys(batch, keys, hidden)
        found_columns = [
            (column.form_field, self._resolve(batch, column, parsed.values))
            for (_index, column), parsed in zip(self.plan, columns, strict=True)
            if column.reference is not None
        ]
        for (_index, column), parsed in zip(self.plan, columns, strict=True):
            if parsed.blanks:
                self._rule_on_blanks(batch, column, parsed, records)
        values = [parsed.values for parsed in columns]
        return self.rows.check(batch, self.fields, values, found_columns, records, custom)

    def _parse(self, batch: Batch, index: int, column: Column) -> ParsedColumn:
        parsed = parse_column(column.parse, batch.texts[index])
        for position, reason in parsed.refused:
            batch.refuse(position, column.name, reason)
            parsed.values[position] = UNSET
            batch.incomplete.add(position)
        return parsed

    def _parse_custom(self, batch: Batch) -> list[dict[str, Any]]:
        """Custom-field key -> stored value, per row, for the custom-field columns of the file."""
        custom: list[dict[str, Any]] = [{} for _position in range(len(batch))]
        for index, definition in self.custom_plan:
            for position, text in enumerate(batch.texts[index]):
                stored, problem = definition.parse_text(text)
                if problem:
                    batch.refuse(position, definition.key, f"{definition.label} {problem}.")
                elif stored is None and definition.key in self.role_required:
                    batch.refuse(position, definition.key, ROLE_REQUIRED)
                else:
                    custom[position][definition.key] = stored
        return custom

    def _keys(self, batch: Batch, columns: list[ParsedColumn]) -> list[Any]:
        """Each row's key; None where the key cell is blank or refused."""
        for (_index, column), parsed in zip(self.plan, columns, strict=True):
            if column.name == self.kind.key:
                return [None if key is UNSET else key for key in parsed.values]
        return [None] * len(batch)

    def _check_keys(self, batch: Batch, keys: list[Any], hidden: set[str]) -> None:
        """A key may appear once in a file, and only for a record the user may change."""
        distinct = set(keys)
        distinct.discard(None)
        if not distinct:
            return
        highest_before = self.highest_seen
        self.highest_seen = max(highest_before, max(distinct))
        if len(distinct) == len(keys) and not hidden:  # the usual case, checked at once
            after_all_seen = min(distinct) > highest_before
            if after_all_seen or self.seen.keys().isdisjoint(distinct):
                self.seen.update(zip(keys, batch.numbers, strict=True))
                return
        key = self.kind.key
        not_managed = "This record belongs to an account you do not manage; it cannot be changed."
        for position, value in enumerate(keys):
            if value is None:
                continue
            if value in self.seen:
                reason = f"Duplicate key: row {self.seen[value]} has the same {key}."
                batch.refuse(position, key, reason)
            elif value in hidden:
                batch.refuse(position, key, not_managed)
            else:
                self.seen[value] = batch.numbers[position]

    def _resolve(self, batch: Batch, column: Column, values: list[Any]) -> list[Found | None]:
        """Swap the names in a reference column for the ids they name; return what was found."""
        found = self.references.resolve(column.reference, values)  # type: ignore[arg-type]
        if None not in found:
            values[:] = [hit.id for hit in found]  # type: ignore[union-attr]
            return found
        reason = UNKNOWN_REASONS[column.reference]  # type: ignore[index]
        for position, hit in enumerate(found):
            if hit is not None:
                values[position] = hit.id
                continue
            batch.incomplete.add(position)
            if isinstance(values[position], str):  # not blank, not refused: it names nothing
                batch.refuse(position, column.name, reason)
                values[position] = UNSET
        return found

    def _rule_on_blanks(
        self,
        batch: Batch,
        column: Column,
        parsed: ParsedColumn,
        records: list[dict[str, Any] | None],
    ) -> None:
        """A blank cell is refused where a value is required (by the kind, or for the role).

        Otherwise it means None if the column has no default; if it has one, the default for a
        new record and, for an existing record, the value it holds (left out of the row's values).
        """
        values = parsed.values
        for position in parsed.blanks:
            if column.required:
                batch.refuse(position, column.name, "Required: a value is needed.")
            elif column.rule_field in self.role_required:
                batch.refuse(position, column.name, ROLE_REQUIRED)
            elif column.default is None:
                values[position] = None
                continue
            elif records[position] is None:
                values[position] = column.default
                continue
            values[position] = UNSET  # keeps the record's value
            batch.incomplete.add(position)
