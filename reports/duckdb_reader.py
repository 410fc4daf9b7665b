"""Run a report's Core SELECT through DuckDB over the live SQLite file or PostgreSQL database.

Why: the aging report's one big statement (every invoice less what was applied to it by D,
grouped) is a scan and two hash aggregates over a million rows. SQLite runs it on one core with
a sort per `GROUP BY`; PostgreSQL plans the per-invoice payments sum badly (it guesses 200 rows
for 330,000) and spills. DuckDB reads the same tables in columns on every core (the SQLite
and PostgreSQL scanners, shipped as PyPI wheels) and does it three to five times faster,
with no copy of the data and no schema change, for any as-of date.

What it runs is the very statement the SQL path runs: `reports/aging.py` builds it (the
definition, row scoping and filters included) and this module only renders it in PostgreSQL's
dialect, which DuckDB speaks, with its parameters written in, and reads the result. DuckDB reads
what is committed; a report runs in its own read, as a page or a command does. On SQLite, DuckDB
runs in a child process (`reports/duckdb_isolated.py`): its SQLite library may not share a
process with the app's own SQLite connections.

Where it cannot run, `frame_through_duckdb` answers None and the caller runs the statement in its
own session: DuckDB or its extensions not installed (they are pinned for Linux x86-64 and
macOS wheels may be missing), an in-memory SQLite database, another database, or the
`AGING_ENGINE = "sql"` setting.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL

from reports.duckdb_connection import LEDGER, MEMORY_LIMIT, open_duckdb
from reports.duckdb_isolated import OUT_OF_MEMORY, ROWS, IsolatedSqliteReader

if TYPE_CHECKING:  # pandas is imported where a frame is made, not with this module
    import pandas as pd

ENGINES = ("duckdb", "sql")

logger = logging.getLogger(__name__)
_connections: dict[str, Any] = {}
_unattached: list[IsolatedSqliteReader] = []
"""A DuckDB process started before its database was known (`start_duckdb_process`)."""
_connections_lock = threading.Lock()


def _extension_directory() -> Path | None:
    """Where the `duckdb-ext-sqlite` / `duckdb-ext-postgres` wheels put their extension files."""
    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "extensions"


def _attach_clause(url: URL) -> str | None:
    """DuckDB's ATTACH for the database at `url`; None for one DuckDB cannot open."""
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
            return None
        path = str(Path(url.database).resolve()).replace("'", "''")
        return f"ATTACH '{path}' AS {LEDGER} (TYPE sqlite, READ_ONLY)"
    if url.get_backend_name() == "postgresql":
        libpq_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
        libpq_url = libpq_url.replace("'", "''")
        return f"ATTACH '{libpq_url}' AS {LEDGER} (TYPE postgres, READ_ONLY, SCHEMA 'public')"
    return None


def aging_engine() -> str:
    """Which engine runs the ledger-wide statements: the `AGING_ENGINE` setting, DuckDB by
    default."""
    return current_app.config.get("AGING_ENGINE") or "duckdb"


def start_duckdb(engine: sa.Engine) -> None:
    """Open DuckDB for `engine`'s database now, where it will be used: a command calls this
    before importing what its report needs, so DuckDB (on SQLite, its process) loads meanwhile."""
    if aging_engine() == "duckdb":
        _connection_for(engine.url)


def start_duckdb_process() -> None:
    """Start a DuckDB process for a SQLite database before knowing which: a command calls this
    before it builds the app, so DuckDB loads (a quarter of a second) meanwhile. The first
    report's database is attached to it (`_opened`); on PostgreSQL, or with DuckDB switched off,
    it goes unused and ends with the others (`forget_connections`)."""
    extensions = _extension_directory()
    if extensions is None or importlib.util.find_spec("duckdb") is None:
        return
    with _connections_lock:
        if not _unattached:
            reader = IsolatedSqliteReader(extensions)
            reader.start()
            _unattached.append(reader)


def _connection_for(url: URL) -> Any | None:
    """One DuckDB per database per process; None where none can be opened.

    PostgreSQL: a connection in this process, the database attached (opening it costs about
    50 ms: loading the extension, reading the catalogue); each query runs on a cursor of its
    own, which DuckDB allows from any thread. SQLite: a child process running DuckDB
    (`reports/duckdb_isolated.py` says why it may not run in this one), started at once so it
    loads while the caller goes on.
    """
    key = url.render_as_string(hide_password=False)
    with _connections_lock:
        if key not in _connections:
            _connections[key] = _opened(url)
        return _connections[key]


def _opened(url: URL) -> Any | None:
    attach = _attach_clause(url)
    extensions = _extension_directory()
    if attach is None or extensions is None or importlib.util.find_spec("duckdb") is None:
        return None
    if url.get_backend_name() == "sqlite":
        reader = _unattached.pop() if _unattached else IsolatedSqliteReader(extensions)
        reader.attach(attach)
        return reader
    return open_duckdb(attach, extensions)


_DUCKDB_SPEAKS = postgresql.dialect(paramstyle="named")
"""PostgreSQL's SQL, without the `%` doubling that psycopg's format paramstyle needs."""


def rendered_for_duckdb(statement: sa.Select[Any]) -> str:
    """The statement as PostgreSQL-dialect SQL text with its parameters written in."""
    return str(statement.compile(dialect=_DUCKDB_SPEAKS, compile_kwargs={"literal_binds": True}))


def frame_through_duckdb(engine: sa.Engine, statement: sa.Select[Any]) -> pd.DataFrame | None:
    """The statement's rows read by DuckDB from the database behind `engine`; None if it cannot."""
    connection = _connection_for(engine.url)
    if connection is None:
        return None
    sql = rendered_for_duckdb(statement)
    _import_pandas_meanwhile()
    if isinstance(connection, IsolatedSqliteReader):
        _checkpoint(engine)
        outcome, answer = connection.reply(sql)
        if outcome == ROWS:
            import pandas as pd

            return pd.DataFrame(answer)  # NumPy columns; pandas is loaded here, not in the child
        if outcome == OUT_OF_MEMORY:
            return _out_of_memory()
        logger.warning("DuckDB could not run the report (%s); the database runs it", answer)
        return None
    import duckdb

    cursor = connection.cursor()  # a cursor starts in DuckDB's own catalogue: point it at ours
    try:
        cursor.execute(f"USE {LEDGER}.public")
        return cursor.execute(sql).fetchdf()
    except duckdb.OutOfMemoryException:
        return _out_of_memory()
    finally:
        cursor.close()


def _import_pandas_meanwhile() -> None:
    """Import pandas, which the answer is made into, on another thread while DuckDB works (it
    lets go of the interpreter meanwhile): a command that has not needed pandas yet saves the
    third of a second its import takes."""
    if "pandas" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("pandas",), daemon=True).start()


def _out_of_memory() -> None:
    """The report is still owed: the database computes it."""
    logger.warning("DuckDB ran out of memory (%s); the database runs the report", MEMORY_LIMIT)


def _checkpoint(engine: sa.Engine) -> None:
    """Copy what is committed into the SQLite file before DuckDB reads it.

    DuckDB attaches the file read-only, and a read-only connection cannot recover a write-ahead
    log left by a writer that died mid-transaction (a killed worker): it would read the file
    without the log's committed pages. The app's own connection recovers the log and checkpoints
    it; a passive checkpoint waits for nobody."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def forget_connections() -> None:
    """Close every DuckDB connection: a command once its report is read, tests that rebuild a
    database's schema."""
    with _connections_lock:
        for connection in [*_connections.values(), *_unattached]:
            if connection is not None:
                connection.close()  # a child process of a SQLite database ends with it
        _connections.clear()
        _unattached.clear()
