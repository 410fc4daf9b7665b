"""Exporting every record of a kind, in its import columns, scoped to the user, streamed.

Rows come from the database in batches (`yield_per`: a server-side cursor on PostgreSQL) and go
straight to the writer, so a 1,000,000-row export never holds more than one batch. Custom fields
follow the kind's own columns, one column per key, as the import reads them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bulk_io.kinds import KINDS, Column, Kind
from bulk_io.writing import write_csv, write_xlsx
from forms_config import custom_fields_for
from models.scoping import HasRole, restrict_to_visible_rows

STREAM_BATCH = 2000


def export_expressions(
    kind: Kind, columns: Sequence[Column], custom_keys: Sequence[str]
) -> list[Any]:
    """The SQL for `columns`, then the custom-field document when any custom field is exported."""
    expressions = [column.export.label(column.name) for column in columns]
    if custom_keys:
        expressions.append(kind.model.custom_fields)  # type: ignore[attr-defined]
    return expressions


def with_custom_values(
    rows: Iterable[Sequence[Any]], custom_keys: Sequence[str]
) -> Iterator[Sequence[Any]]:
    """Rows whose last value is the custom-field document, spread into one cell per key."""
    if not custom_keys:
        yield from rows
        return
    for *plain, stored in rows:
        values = stored or {}
        yield [*plain, *(values.get(key) for key in custom_keys)]


def export_statement(kind: Kind, actor: HasRole, custom_keys: Sequence[str]) -> sa.Select[Any]:
    model: Any = kind.model
    statement = (
        sa.select(*export_expressions(kind, kind.columns, custom_keys))
        .select_from(model)
        .order_by(model.id)
    )
    return restrict_to_visible_rows(statement, model, actor)


def export_rows_of(session: Session, statement: Any) -> Iterator[Sequence[Any]]:
    """The rows of a `select()` or legacy `Query`, fetched a batch at a time."""
    if isinstance(statement, sa.Select):
        rows = session.execute(statement.execution_options(yield_per=STREAM_BATCH))
    else:
        rows = statement.yield_per(STREAM_BATCH)
    yield from rows


def export_kind(session: Session, kind_name: str, path: Path, actor: HasRole) -> int:
    """Write every record of `kind_name` that `actor` may see to `path`, CSV or XLSX by suffix.

    Returns how many rows were written.
    """
    kind = KINDS[kind_name]
    custom_keys = [definition.key for definition in custom_fields_for(kind.model.__name__)]
    header = [*kind.header, *custom_keys]
    rows = export_rows_of(session, export_statement(kind, actor, custom_keys))
    written = 0

    def counted() -> Iterator[Sequence[Any]]:
        nonlocal written
        for row in with_custom_values(rows, custom_keys):
            written += 1
            yield row

    if path.suffix.lower() == ".xlsx":
        write_xlsx(str(path), header, counted(), kind.name)
    else:
        with path.open("w", encoding="utf-8", newline="") as target:
            write_csv(target, header, counted())
    return written
