"""DuckDB over a SQLite file, in a process of its own: the reader and the child process it runs.

Why a process of its own: DuckDB's SQLite scanner carries its own copy of the SQLite library.
POSIX file locks belong to a process, not to a library, so when that copy closes its handle on
the database file it drops every lock the app's own SQLite connections hold in the process;
the two copies do not know each other's locks, nor each other's view of the write-ahead log.
Another process (a worker, another web worker) can then read a stale snapshot or write past a
lock it should have waited for: stale reads were seen here (a worker did not find a job its web
process had committed), and the DuckDB and SQLite projects report crashes and corruption from the
same cause (duckdb/duckdb-sqlite#82). In a child process that opens no other SQLite connection,
the scanner's locks are the only ones it holds.

The child is started on the first report that needs it, or earlier, before the database is
known (a command starts it before building the app, so DuckDB loads meanwhile): the first
message it reads is the ATTACH clause of its database. It lives as long as its parent; one
statement at a time goes through it (a lock), rendered as text, and the result comes back as
pickled NumPy columns over a pipe between these two processes only. PostgreSQL has no such problem:
DuckDB reads it over a network connection, in the parent's own process.

Run as `python -m reports.duckdb_isolated EXTENSION-DIRECTORY` by the reader only.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

_LENGTH = struct.Struct("!Q")
ROWS, OUT_OF_MEMORY, FAILED = "rows", "out of memory", "failed"


def _send(stream: IO[bytes], message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise EOFError("the other process closed the pipe")
    (size,) = _LENGTH.unpack(header)
    return pickle.loads(stream.read(size))  # noqa: S301 (our own child's reply, over its pipe)


class IsolatedSqliteReader:
    """The parent's end: a child process running DuckDB over one SQLite file."""

    def __init__(self, extension_directory: Path) -> None:
        self._arguments = [sys.executable, "-m", __name__, str(extension_directory)]
        self._attach: str | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._child_attached = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the child now (it loads DuckDB while the caller goes on)."""
        with self._lock:
            self._started()

    def attach(self, attach: str) -> None:
        """Give the child (and any started after it died) its database: DuckDB's ATTACH."""
        with self._lock:
            self._attach = attach
            self._started()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._child is None or self._child.poll() is not None:
            self._child = subprocess.Popen(
                self._arguments, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True
            )
            self._child_attached = False
        if self._attach is not None and not self._child_attached:
            assert self._child.stdin is not None
            _send(self._child.stdin, self._attach)
            self._child_attached = True
        return self._child

    def reply(self, sql: str) -> tuple[str, Any]:
        """(ROWS, frame), (OUT_OF_MEMORY, message) or (FAILED, message) for one statement."""
        with self._lock:
            child = self._started()
            assert child.stdin is not None and child.stdout is not None
            try:
                _send(child.stdin, sql)
                return _receive(child.stdout)
            except (OSError, EOFError) as lost:  # the child died: the next statement starts another
                child.kill()
                self._child = None
                return FAILED, f"the DuckDB process ended: {lost}"

    def close(self) -> None:
        with self._lock:
            if self._child is not None:
                self._child.kill()
                self._child.wait()
                self._child = None


def serve(statements: IO[bytes], replies: IO[bytes], connect: Callable[[str], Any | None]) -> None:
    """The child's loop: attach the database the first message names (`connect`), then run each
    statement received and reply with its rows, until the pipe ends.

    The rows go back as NumPy arrays, one per column (a NULL is a masked cell), which the parent
    makes into a frame: the child never imports pandas, a third of a second of CPU per process
    that would compete with the query for the same cores."""
    import duckdb

    from reports.duckdb_connection import LEDGER

    try:
        connection = connect(_receive(statements))
    except EOFError:
        return  # started for a database that turned out to need none
    while True:
        try:
            sql = _receive(statements)
        except EOFError:
            return
        if connection is None:
            _send(replies, (FAILED, "DuckDB could not open the database"))
            continue
        cursor = connection.cursor()
        try:
            cursor.execute(f"USE {LEDGER}.main")
            _send(replies, (ROWS, cursor.execute(sql).fetchnumpy()))
        except duckdb.OutOfMemoryException as problem:
            _send(replies, (OUT_OF_MEMORY, str(problem)))
        except duckdb.Error as problem:
            _send(replies, (FAILED, str(problem)))
        finally:
            cursor.close()


def main() -> None:
    from reports.duckdb_connection import open_duckdb

    extension_directory = Path(sys.argv[1])
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # whatever else prints cannot reach the pipe
    serve(sys.stdin.buffer, replies, lambda attach: open_duckdb(attach, extension_directory))


if __name__ == "__main__":
    main()
