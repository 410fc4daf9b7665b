"""One import, all or nothing: validate and write batch by batch inside a single transaction.

The file is read once. While no row has failed, each validated batch is written straight away
(one INSERT executemany, one UPDATE executemany per set of changed columns); once a row fails,
writing stops but checking goes on, so the report lists every bad row; at the end the transaction
is committed only if the whole file was good and this is not a dry run. A failed import
therefore leaves the tables exactly as they were, and a 1,000,000-row file is never held in memory.
On SQLite the write lock is held for the length of the import; other writers wait (busy timeout).
A big import into SQLite drops its table's plain indexes after the first batch and builds them
again before committing (`inserting.PlainIndexes`), inside the same transaction.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bulk_io.batch import BatchResult, RowError
from bulk_io.inserting import PlainIndexes, RowInserter, larger_sqlite_cache
from bulk_io.kinds import KINDS, Kind, importable_kinds
from bulk_io.reading import FileProblem, ReadProgress, open_table
from bulk_io.validation import BatchValidator, header_errors
from error_references import logged_error_message
from forms_config import custom_fields_for
from models.audit import AuditEvent
from models.readable_values import plural

BATCH_ROWS = 5000
IMPORT_GC_THRESHOLD = 100_000
"""New container objects between two runs of the cycle collector while importing (Python: 700)."""
MAX_LISTED_ERRORS = 10_000
"""Beyond this many, errors are counted but not listed: the report must stay readable."""
DATABASE_REFUSED = (
    "The database refused the import (a value that must be unique is already used, or a record "
    "it refers to was removed meanwhile). Nothing was imported; try again."
)
Progress = Callable[[int, int, int], None]
"""Called with (units read so far, units in the file, data rows read) after each batch."""
BeforeCommit = Callable[[Session, "ImportReport"], None]
"""Called inside the import's transaction just before it commits: whatever it writes (a job's
outcome) is committed with the import or not at all."""


@dataclass(frozen=True)
class SystemActor:
    """Who the command line imports as: every row visible, every value assignable."""

    id: int | None = None
    role: str = "super_admin"
    email: str = "system (command line)"


@dataclass
class ImportReport:
    kind: str
    file_name: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bad_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    unlisted_errors: int = 0
    sample_creates: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    sample_updates: list[tuple[int, dict[str, tuple[str, str]]]] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, reason: str, column: str = "", row: int = 1) -> None:
        self.add_errors([RowError(row, column, "", reason)])

    def add_errors(self, errors: list[RowError]) -> None:
        room = MAX_LISTED_ERRORS - len(self.errors)
        self.errors += errors[: max(room, 0)]
        self.unlisted_errors += max(len(errors) - max(room, 0), 0)

    def count(self, batch: BatchResult) -> None:
        self.created += len(batch.creates)
        self.updated += len(batch.updates)
        self.unchanged += batch.unchanged
        self.bad_rows += batch.bad_rows
        self.add_errors(batch.errors)
        self.sample_creates += batch.sample_creates
        self.sample_updates += batch.sample_updates

    def problems_found(self) -> str:
        """ "3 problems in 1 row (of 10 data rows)", or "1 problem with the file" (its header, its
        encoding): problems counted one by one, rows once however many problems they have."""
        problems = plural(len(self.errors) + self.unlisted_errors, "problem")
        if not self.bad_rows:
            return f"{problems} with the file"
        return f"{problems} in {plural(self.bad_rows, 'row')} (of {plural(self.rows, 'data row')})"

    def summary(self) -> str:
        counts = f"create {self.created}, update {self.updated}, leave {self.unchanged} unchanged"
        if not self.ok:
            return f"Nothing was imported: {self.problems_found()}."
        if self.written:
            return f"Imported {self.rows} rows: {counts}."
        return f"Dry run of {self.rows} rows: it would {counts}. Nothing was written."


def run_import(
    session: Session,
    kind_name: str,
    path: Path,
    actor: Any,
    *,
    dry_run: bool = False,
    file_name: str | None = None,
    ip: str | None = None,
    progress: Progress | None = None,
    before_commit: BeforeCommit | None = None,
    on_read: ReadProgress | None = None,
) -> ImportReport:
    """Import `path` as `kind_name` for `actor`; commit only a wholly valid file, not a dry run.

    `progress` hears after each batch how far the file is read; `on_read`, before the first batch
    too, how many bytes of an XLSX file are read (`open_table`).
    """
    kind = KINDS[kind_name]
    if kind not in importable_kinds(actor.role):
        raise PermissionError(f"The role {actor.role} may not import {kind_name}.")
    report = ImportReport(kind_name, file_name or path.name, dry_run)
    try:
        with open_table(path, on_read) as table:
            custom_keys = [d.key for d in custom_fields_for(kind.model.__name__)]
            report.add_errors(header_errors(kind, table.header, custom_keys))
            if report.ok:
                validator = BatchValidator(session, kind, table.header, actor)
                connection = session.connection()
                inserter = RowInserter(connection, kind.table, kind.fields)
                indexes = PlainIndexes(connection, kind.table)
                with larger_sqlite_cache(connection), _fewer_garbage_collections():
                    while batch := list(islice(table.rows, BATCH_ROWS)):
                        report.rows += len(batch)
                        checked = validator.validate(batch)
                        report.count(checked)
                        if report.ok and not dry_run:
                            inserter.insert(checked.creates)
                            _update(session, kind, checked)
                            if report.rows == len(batch):  # the first batch tells the file's size
                                share_read = max(table.position(), 1) / max(table.size, 1)
                                indexes.drop_if_worth_it(int(report.created / share_read))
                        if progress is not None:
                            progress(table.position(), table.size, report.rows)
                    if report.ok and not dry_run:
                        indexes.rebuild()
                if report.rows == 0:
                    report.fail("The file has a header row but no data rows.")
        if report.ok and not dry_run:
            _audit(session, kind, report, actor, ip)
            if before_commit is not None:
                before_commit(session, report)
            session.commit()
            report.written = True
    except FileProblem as problem:
        report.fail(str(problem))
    except DBAPIError:
        report.fail(logged_error_message(DATABASE_REFUSED, f"import of {kind_name}"))
    finally:
        if not report.written:
            session.rollback()
    return report


@contextmanager
def _fewer_garbage_collections() -> Iterator[None]:
    """Let Python's cycle collector run less often while an import runs, then as before.

    It runs after every 700 new container objects; an import makes millions (rows, dicts of
    values), each living for one batch, so the collector kept examining the batch in hand and
    its full collections walked every object of the app: a fifth of a million-row import's
    time. The import's objects are freed as they always are, by reference counting. If the
    threshold is already raised (an import running in another thread), it is left to that one.
    """
    before = gc.get_threshold()
    if before[0] >= IMPORT_GC_THRESHOLD:
        yield
        return
    gc.set_threshold(IMPORT_GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _update(session: Session, kind: Kind, checked: BatchResult) -> None:
    """One executemany per set of changed columns; each UPDATE bumps the record's version."""
    table = kind.table
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for _row, record_id, changes in checked.updates:
        names = tuple(sorted(changes))
        params = {f"new_{name}": changes[name] for name in names}
        by_columns.setdefault(names, []).append({"record_id": record_id, **params})
    for names, params in by_columns.items():
        statement = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("record_id"))
            .values({name: sa.bindparam(f"new_{name}") for name in names})
            .values(version_id=table.c.version_id + 1)  # open edit forms become stale
        )
        session.execute(statement, params)


def _audit(session: Session, kind: Kind, report: ImportReport, actor: Any, ip: str | None) -> None:
    session.add(
        AuditEvent(
            user_id=actor.id,
            actor_email=actor.email,
            action="import",
            entity=kind.model.__name__,
            changes={
                "file": report.file_name,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
            ip=ip,
        )
    )
