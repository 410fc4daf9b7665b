"""List counts kept per ledger stamp: a list shown again without counting its rows again.

A list page's count (capped or exact, `admin_views.counting`) is the one statement a page runs
that a stock Flask-Admin page with `simple_list_pager` does not; 0.6 to 1.2 ms of CPU on a million
invoices. The ledger stamp (migration 0014) is bumped by the database's own triggers in the same
transaction as every write to the tables and columns they watch, whichever path wrote it, and
every request reads it with the other config stamps in the query it already makes. So a count
whose statement reads only watched columns, through functions whose answer depends on nothing
but their arguments, is exact for as long as the stamp has not moved: it is kept under (stamp,
the statement as SQLAlchemy caches it, its parameters). The statement is everything that changes
the answer: the filters, the search, the viewer's row scope (a manager's account ids are written
into it) and the cap. A count reading anything else (a join to a column no trigger watches, a
date function, raw SQL) is counted every time.

Kept per application (per worker) in memory: a few hundred small integers, dropped as the stamp
moves. A request that has written in its open transaction counts afresh and keeps nothing (its
own writes are not yet under any stamp, and may roll back).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause, TextClause
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import AliasedReturnsRows, TableClause

from forms_config.stamp import LEDGER_STAMP, LEDGER_WATCHED_TABLES, config_stamp

MAX_COUNTS = 512
"""Counts kept under one stamp; past it the store starts again (a page's count is one entry)."""
DETERMINISTIC_FUNCTIONS = frozenset({"count", "lower", "upper", "coalesce", "json_extract"})
"""SQL functions a kept count may use: their answer depends only on their arguments."""
_LITERAL_TEXT = re.compile(r"[\d\s,()*]*")
"""Literal SQL a kept count may contain: `*` and the lists of ids the row scope writes out."""
_EXTENSION = "ledger_counts"
_WROTE = "ledger_counts.wrote"


def reads_only_watched(statement: Any) -> bool:
    """True when every table and column `statement` reads is one whose every change moves the
    ledger stamp, and every function it calls depends on nothing but its arguments.

    Tables are judged whole: a join's condition may be implicit (found from the foreign key only
    when the statement is compiled), so its columns are not all to be seen here."""
    for element in visitors.iterate(statement):
        if isinstance(element, TableClause):
            if element.name not in LEDGER_WATCHED_TABLES:
                return False
        elif isinstance(element, ColumnClause):
            if not _column_watched(element):
                return False
        elif isinstance(element, FunctionElement):
            if getattr(element, "name", "").lower() not in DETERMINISTIC_FUNCTIONS:
                return False
        elif isinstance(element, TextClause):
            return False
    return True


def _column_watched(column: ColumnClause) -> bool:
    if column.table is None:  # literal SQL, or a column of no table
        return bool(_LITERAL_TEXT.fullmatch(column.name))
    table = column.table
    while isinstance(table, AliasedReturnsRows):  # an alias of a table reads the table
        table = table.element
    if not isinstance(table, TableClause):
        return True  # a subquery's column: what the subquery reads is walked in it
    return table.name in LEDGER_WATCHED_TABLES


_shapes_read: dict[Any, bool] = {}
"""Statement shape (SQLAlchemy's cache key, without parameter values) -> `reads_only_watched`."""


def _reads_only_watched_shape(shape: Any, statement: Any) -> bool:
    """`reads_only_watched(statement)`, worked out once per statement shape: what it reads and
    calls is all in the shape, which a list repeats on every request."""
    answer = _shapes_read.get(shape)
    if answer is None:
        if len(_shapes_read) >= MAX_COUNTS:
            _shapes_read.clear()
        answer = _shapes_read[shape] = reads_only_watched(statement)
    return answer


def _statement_key(statement: Any) -> tuple[Any, ...] | None:
    cache_key = statement._generate_cache_key()
    if cache_key is None:
        return None
    values = []
    for parameter in cache_key.bindparams:
        value = parameter.effective_value
        values.append(tuple(value) if isinstance(value, list) else value)
    key = (cache_key.key, tuple(values))
    try:
        hash(key)
    except TypeError:
        return None
    return key


class LedgerCounts:
    """One application's kept counts, all under the newest ledger stamp it has seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp = 0
        self._counts: dict[tuple[Any, ...], int] = {}

    def get(self, stamp: int, key: tuple[Any, ...]) -> int | None:
        with self._lock:
            return self._counts.get(key) if stamp == self._stamp else None

    def keep(self, stamp: int, key: tuple[Any, ...], count: int) -> None:
        with self._lock:
            if stamp < self._stamp:
                return  # counted under a stamp already superseded: nobody asks for it again
            if stamp > self._stamp or len(self._counts) >= MAX_COUNTS:
                self._stamp, self._counts = stamp, {}
            self._counts[key] = count


def counted_per_ledger(session: Session, statement: Any, count: Callable[[], int]) -> int:
    """`count()`, the number of rows `statement` counts; kept while the ledger stamp stays."""
    if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
        return count()
    stamp = config_stamp(session, LEDGER_STAMP)
    key = _statement_key(statement) if stamp else None
    if key is None or not _reads_only_watched_shape(key[0], statement):
        return count()
    counts = current_app.extensions[_EXTENSION]
    kept = counts.get(stamp, key)
    if kept is None:
        kept = count()
        counts.keep(stamp, key, kept)
    return kept


def _note_write(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


def _forget_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: committed or rolled back
        session.info.pop(_WROTE, None)


def init_count_cache(app: Flask) -> None:
    """The application's store, and the listener on every session (idempotent) by which a flush
    marks its open transaction as written."""
    app.extensions[_EXTENSION] = LedgerCounts()
    if not sa.event.contains(Session, "after_flush", _note_write):
        sa.event.listen(Session, "after_flush", _note_write)
        sa.event.listen(Session, "after_transaction_end", _forget_writes)
