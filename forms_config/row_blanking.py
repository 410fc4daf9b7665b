"""Blanking, row by row, the cells a conditional rule hides, for readers that select columns in
SQL and never load records (a list's export in its import columns).

Records loaded through the ORM are blanked as they load (`readability`); a selected row has no
such hook, so its reader asks here: which extra columns the conditions need, and, per row, which
cells to empty. Rules that always hide a field are not this module's business: such a column is
never selected at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from forms_config.conditions import ConditionalRule, column_of, fields_matching, mapping_values
from forms_config.rules import rules_for


@dataclass(frozen=True)
class RowBlanking:
    model: type
    rules: tuple[ConditionalRule, ...]
    cells_of_field: dict[str, tuple[int, ...]]
    """Field -> positions of the row's cells that show it."""
    condition_columns: tuple[str, ...]
    """The table columns the conditions read, selected after the row's own cells."""

    def condition_expressions(self) -> list[Any]:
        """What to select before the row's own cells: the values the conditions read."""
        columns = [getattr(self.model, name) for name in self.condition_columns]
        return [*columns, self.model.custom_fields]  # type: ignore[attr-defined]

    def apply(
        self, rows: Iterable[Sequence[Any]], cells_of: Callable[[Sequence[Any]], Sequence[Any]]
    ) -> Iterator[list[Any]]:
        """Each row's cells (`cells_of` its own selected values), without the condition values
        and emptied where a rule hides them in that row."""
        count = len(self.condition_columns) + 1
        for row in rows:
            conditions = row[:count]
            cells = list(cells_of(row[count:]))
            stored = dict(zip(self.condition_columns, conditions[:-1], strict=True))
            stored["custom_fields"] = conditions[-1]
            hidden, _required, _readonly = fields_matching(
                self.rules, mapping_values(self.model, stored)
            )
            for field in hidden:
                for position in self.cells_of_field.get(field, ()):
                    cells[position] = None
            yield cells


def row_blanking(model: type, role: str | None, cell_fields: Sequence[str]) -> RowBlanking | None:
    """How to blank rows whose cells show `cell_fields` (rules' field names, in cell order) for
    `role`; None when no conditional rule hides any of them (nothing to do)."""
    if role is None:
        return None
    shown = set(cell_fields)
    rules = tuple(
        rule
        for rule in rules_for(model.__name__, role).conditional
        if rule.hidden and rule.field in shown
    )
    if not rules:
        return None
    cells: dict[str, list[int]] = {}
    for position, field in enumerate(cell_fields):
        cells.setdefault(field, []).append(position)
    columns = {column_of(model, rule.condition_field) for rule in rules} - {None}
    return RowBlanking(
        model,
        rules,
        {field: tuple(positions) for field, positions in cells.items()},
        tuple(sorted(columns)),  # type: ignore[arg-type]
    )
