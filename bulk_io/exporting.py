"""Exporting every record of a kind, in its import columns, scoped to the user, streamed.

Rows come from the database in batches (`yield_per`: a server-side cursor on PostgreSQL) and go
straight to the writer, so a 1,000,000-row export never holds more than one batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bulk_io.kinds import KINDS, Column, Kind
from bulk_io.writing import write_csv, write_xlsx
from models.scoping import HasRole, restrict_to_visible_rows

STREAM_BATCH = 2000


def export_expressions(columns: Sequence[Column]) -> list[Any]:
    return [column.export.label(column.name) for column in columns]


def export_statement(kind: Kind, actor: HasRole) -> sa.Select[Any]:
    statement = (
        sa.select(*export_expressions(kind.columns)).select_from(kind.model).order_by(kind.model.id)  # type: ignore[attr-defined]
    )
    return restrict_to_visible_rows(statement, kind.model, actor)


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
    written = 0

    def counted() -> Iterator[Sequence[Any]]:
        nonlocal written
        for row in export_rows_of(session, export_statement(kind, actor)):
            written += 1
            yield row

    if path.suffix.lower() == ".xlsx":
        write_xlsx(str(path), kind.header, counted(), kind.name)
    else:
        with path.open("w", encoding="utf-8", newline="") as target:
            write_csv(target, kind.header, counted())
    return written
