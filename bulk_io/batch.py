"""One batch of an import file as validation works on it, and what came of it.

Validation goes column by column (a date column of a million rows holds a few hundred distinct
dates; a batch's account codes are looked up in one query), so the rows read from the file are
turned into columns once. Row numbers stay alongside, for the report; `refuse` records an error
against a row with the cell text the user will recognise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""A value a row does not give: the cell was refused, names nothing found, or is blank and
must leave the record's value as it is. Such a field is left out of the row's values."""


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
    updates: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    """(row number, record id, {table column: new value}) for the columns that change."""
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    bad_rows: int = 0
    sample_creates: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    sample_updates: list[tuple[int, dict[str, tuple[str, str]]]] = field(default_factory=list)
    """The first few good rows, for a preview: a new record's {column: cell text}; an update's
    {column: (stored value, value in the file)} for the columns it changes."""


class Batch:
    """The rows of one batch: numbers, stripped cell texts by column, and the errors found."""

    def __init__(self, rows: Sequence[tuple[int, list[str]]], index_of: dict[str, int]) -> None:
        width = len(index_of)
        records = [cells for _number, cells in rows]
        self.numbers = [number for number, _cells in rows]
        self.index_of = index_of
        self.errors: dict[int, list[RowError]] = {}
        """The errors found so far, by position of the row; rows without errors are absent."""
        self.incomplete: set[int] = set()
        """Positions of rows holding an `UNSET` value or a reference that found nothing."""
        lengths = set(map(len, records)) or {width}
        if max(lengths) > width:
            reason = f"Too many values: the header names {width} columns."
            for position, cells in enumerate(records):
                if len(cells) > width and "".join(cells[width:]).strip():
                    extra = RowError(self.numbers[position], "", ",".join(cells[width:]), reason)
                    self.errors[position] = [extra]
        if min(lengths) < width:  # short rows: the missing cells are blank
            records = [cells + [""] * (width - len(cells)) for cells in records]
        # zip turns rows into columns and map(str.strip) strips them, both in C: a comprehension
        # indexing each cell was a tenth of an import's time. Rows are at least `width` long
        # now; cells beyond it (reported above) are not columns, hence not strict.
        columns = (
            islice(zip(*records, strict=False), width)
            if records
            else ([] for _index in range(width))
        )
        self.texts = [list(map(str.strip, cells)) for cells in columns]
        """Stripped cell text, by column index then position in the batch."""

    def __len__(self) -> int:
        return len(self.numbers)

    def text(self, position: int, column_name: str) -> str:
        """The stripped text of a row's cell; blank if the file has no such column."""
        index = self.index_of.get(column_name)
        return "" if index is None else self.texts[index][position]

    def refuse(self, position: int, column_name: str, reason: str) -> None:
        """Record an error against the row at `position`, showing the cell as the file has it."""
        value = self.text(position, column_name)
        error = RowError(self.numbers[position], column_name, value, reason)
        self.errors.setdefault(position, []).append(error)
