"""Inserting validated rows through the driver's own bulk path: the fast path of imports.

On a million rows SQLAlchemy's per-row parameter handling costs more than the INSERT itself, so
the statement is compiled once for the dialect and each batch is turned, column by column, into
exactly what SQLAlchemy would have sent: the column defaults the model declares (`default=`)
filled in, and every value passed through its type's own bind processor (dates for SQLite,
JSON, ...). SQLite gets one `executemany` per batch. PostgreSQL gets one `COPY ... FROM STDIN`
per batch (psycopg 3's `cursor.copy`): its `executemany` sends one prepared INSERT per row
through a pipeline, and that Python work cost more than the server's. COPY checks the same
constraints (unique, foreign key, checks) and keeps the same indexes, inside the same
transaction.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

Processor = Callable[[Any], Any] | None
FEW_VALUES_TYPES = (sa.Date, sa.Enum, sa.Boolean)
"""Types whose values repeat across a file (a few hundred dates, a handful of statuses)."""


def _fast(column_type: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> Processor:
    """The type's bind processor, remembering its answers where the same values recur."""
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    if isinstance(column_type, sa.JSON):
        empty = process({})
        return lambda value: empty if value == {} else process(value)
    if isinstance(column_type, FEW_VALUES_TYPES):
        return functools.lru_cache(maxsize=4096)(process)
    return process


def _json_text(dialect: sa.Dialect) -> Processor:
    """A JSON value as the text COPY reads: psycopg's own JSON dumper costs more per row."""
    serialize = getattr(dialect, "_json_serializer", None) or json.dumps
    empty = serialize({})
    return lambda value: None if value is None else empty if value == {} else serialize(value)


IMPORT_CACHE_KIB = 128 * 1024
"""SQLite page cache while an import writes: with the default 2 MB, a million-row import keeps
evicting the pages of the four invoice indexes, and inserts run about half as fast."""


@contextmanager
def larger_sqlite_cache(connection: sa.Connection) -> Iterator[None]:
    """Raise SQLite's page cache for this connection while the block runs, then put it back;
    likewise keep its temporary files in memory.

    The ledger-stamp triggers (migration 0014) make every inserted row a statement that changes
    two tables, for which SQLite keeps a statement journal of the pages it touches: in a temporary
    file, a million-row import spent half again as much CPU; in memory, a fraction of that."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    temp_store = connection.exec_driver_sql("PRAGMA temp_store").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    connection.exec_driver_sql("PRAGMA temp_store=MEMORY")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")
        connection.exec_driver_sql(f"PRAGMA temp_store={int(temp_store or 0)}")


REBUILD_INDEXES_FROM_ROWS = 50_000
"""Below this many new rows, the plain indexes are kept up row by row, as always."""


class PlainIndexes:
    """A SQLite table's plain indexes, which a big import drops and builds again before commit.

    Keeping four indexes up to date row by row cost a million-row import of invoices more than
    half its inserting time; building them once from the finished table costs about a third of
    that (SQLite sorts the rows once per index). Only plain indexes are dropped: those behind
    UNIQUE constraints and primary keys stay, so every constraint is still checked row by row,
    and the look-ups of existing keys keep their index. The DROP and CREATE run inside the
    import's transaction, so a failed import, rolled back, leaves every index as it was.
    """

    def __init__(self, connection: sa.Connection, table: sa.Table) -> None:
        self.connection = connection
        self.table = table
        self.dropped: list[str] = []
        """The CREATE INDEX statement of each index dropped, to run again."""

    def drop_if_worth_it(self, new_rows: int) -> None:
        """Drop the plain indexes if `new_rows` (an estimate) outnumber the table's rows."""
        connection = self.connection
        if connection.dialect.name != "sqlite" or new_rows < REBUILD_INDEXES_FROM_ROWS:
            return
        if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            return  # outside a transaction a DROP would be final, whatever the import's fate
        name = self.table.name
        held = connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one()
        if new_rows < held:  # rebuilding over a bigger table would cost more than it saves
            return
        plain = {
            index_name
            for _seq, index_name, unique, origin, _partial in connection.exec_driver_sql(
                f'PRAGMA index_list("{name}")'
            )
            if not unique and origin == "c"
        }
        definitions = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (name,)
        ).all()
        for index_name, definition in definitions:
            if index_name in plain:
                connection.exec_driver_sql(f'DROP INDEX "{index_name}"')
                self.dropped.append(definition)

    def rebuild(self) -> None:
        """Create again, exactly as they were defined, the indexes this import dropped."""
        for definition in self.dropped:
            self.connection.exec_driver_sql(definition)
        self.dropped = []


class RowInserter:
    """One compiled INSERT of `names` (plus defaulted columns) into `table`, for `connection`."""

    def __init__(self, connection: sa.Connection, table: sa.Table, names: Sequence[str]) -> None:
        dialect = connection.dialect
        statement = (
            sa.insert(table)
            .inline()  # no RETURNING, no pre-executed defaults: they are filled below
            .values({name: sa.bindparam(name, type_=table.c[name].type) for name in names})
        )
        compiled = statement.compile(dialect=dialect)
        self.connection = connection
        self.sql = compiled.string
        self.positional = compiled.positional
        self.order = list(compiled.positiontup or compiled.params)
        self.scalar_defaults: dict[str, Any] = {}
        self.callable_defaults: dict[str, Callable[[Any], Any]] = {}
        for name in self.order:
            default = table.c[name].default
            if name in names or default is None:
                continue
            if default.is_callable:
                self.callable_defaults[name] = default.arg
            else:
                self.scalar_defaults[name] = default.arg
        self.processors: list[tuple[str, Processor]] = [
            (name, _fast(table.c[name].type, dialect)) for name in self.order
        ]
        self.copy_sql: str | None = None
        """`COPY table (columns) FROM STDIN` where the driver can copy (psycopg 3)."""
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            quote = dialect.identifier_preparer.quote
            listed = ", ".join(quote(name) for name in self.order)
            self.copy_sql = f"COPY {quote(table.name)} ({listed}) FROM STDIN"
            self.processors = [
                (name, _json_text(dialect) if isinstance(table.c[name].type, sa.JSON) else process)
                for name, process in self.processors
            ]

    def insert(self, rows: list[dict[str, Any]]) -> None:
        """One executemany (or COPY) of `rows`, built column by column: one tuple per row."""
        if not rows:
            return
        columns = [self._column(name, process, rows) for name, process in self.processors]
        params: list[Any] = list(zip(*columns, strict=True))
        if self.copy_sql is not None:
            self._copy(params)
            return
        if not self.positional:
            params = [dict(zip(self.order, values, strict=True)) for values in params]
        self.connection.exec_driver_sql(self.sql, params)

    def _copy(self, params: list[tuple[Any, ...]]) -> None:
        """Stream the rows to PostgreSQL's COPY on the connection's own transaction.

        The driver's error is raised as SQLAlchemy's `DBAPIError`, as an INSERT's would be, so
        the import reports a refused row the same way whichever path wrote it.
        """
        dialect = self.connection.dialect
        driver_error = dialect.loaded_dbapi.Error
        with self.connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            try:
                with cursor.copy(self.copy_sql) as copy:
                    for values in params:
                        copy.write_row(values)
            except driver_error as error:
                raise sa.exc.DBAPIError.instance(
                    self.copy_sql, None, error, driver_error, dialect=dialect
                ) from error

    def _column(self, name: str, process: Processor, rows: list[dict[str, Any]]) -> list[Any]:
        """The values of one column, defaults filled in, passed through the type's processing."""
        if name in self.scalar_defaults:
            default = self.scalar_defaults[name]
            values = [row.get(name, default) for row in rows]
        elif name in self.callable_defaults:
            make_default = self.callable_defaults[name]
            values = [row[name] if name in row else make_default(None) for row in rows]
        else:
            values = [row[name] for row in rows]
        return values if process is None else list(map(process, values))
