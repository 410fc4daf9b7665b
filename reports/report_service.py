"""A running worker makes `flask report aging`'s file, so that the command skips the app's start.

Why: the report's statement takes a few tenths of a second in DuckDB, but a fresh process
first spends most of a second loading Flask's extensions, SQLAlchemy, the models and pandas and
opening DuckDB. `flask worker` has done all that once already. So while it runs, it answers
on a Unix socket, and `flask report aging` hands the report to it before building the app. The
command loads only Flask and its settings, sends what it was asked for, and writes the file it
gets back.

What the worker runs is the command's own work (`reports.command_line.make_aging_report`): same
code, same statement, same file, byte for byte. The command makes the report itself, as before,
whenever no worker answers for its database:
- no worker runs on this machine, or they serve another database or aging engine (a socket's
  name starts with a digest of both, so a worker is only ever asked about its own);
- the sockets are left over from workers that were killed (nothing listens on them);
- the worker refuses: its code changed on disk since it started (restart it after an upgrade),
  or the report failed there. The command says so on standard error, then makes the report.

Each worker has a socket of its own, in the instance folder, in a directory only the app's user
may enter; the command asks them in a random order until one answers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import socket
import socketserver
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from reports.command_line import AgingRequest, MadeReport, make_aging_report

SOCKET_FOLDER = "report-sockets"
CONNECT_SECONDS = 1.0
ANSWER_SECONDS = 600.0
"""How long the command waits for the worker's file before making it itself."""
MAX_REQUEST_BYTES = 4096

logger = logging.getLogger(__name__)


class WorkerRefused(Exception):
    """A worker took the request but gave no file; the message says why."""


def worker_sockets(app: Flask) -> list[Path]:
    """The sockets of the workers answering for `app`'s database and aging engine (some may be
    left by workers that stopped), in a random order, so that several workers share the work."""
    sockets = list(_socket_folder(app).glob(f"{_served_digest(app)}-*.sock"))
    random.shuffle(sockets)
    return sockets


def new_socket_path(app: Flask) -> Path:
    """A path for one more worker's socket for `app`'s database and aging engine."""
    return _socket_folder(app) / f"{_served_digest(app)}-{uuid.uuid4().hex[:8]}.sock"


def _socket_folder(app: Flask) -> Path:
    return Path(app.instance_path) / SOCKET_FOLDER


def _served_digest(app: Flask) -> str:
    served = f"{app.config['SQLALCHEMY_DATABASE_URI']}\n{app.config.get('AGING_ENGINE')}"
    return hashlib.sha256(served.encode()).hexdigest()[:20]


def made_by_worker(app: Flask, request: AgingRequest) -> MadeReport | None:
    """The report made by a worker serving `app`'s database; None where none answers.

    Raises `WorkerRefused` when a worker answered without the file."""
    for path in worker_sockets(app):
        if (made := _asked(path, request)) is not None:
            return made
    return None


def _asked(path: Path, request: AgingRequest) -> MadeReport | None:
    """The worker's file; None when no worker listens on `path`."""
    with socket.socket(socket.AF_UNIX) as connection:
        connection.settimeout(CONNECT_SECONDS)
        try:
            connection.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return None  # left by a worker that was killed, or removed as its worker stopped
        except OSError as problem:  # a worker too busy to take the connection
            raise WorkerRefused(f"the worker did not answer: {problem}") from None
        try:
            connection.settimeout(ANSWER_SECONDS)
            connection.sendall(request.to_json().encode() + b"\n")
            with connection.makefile("rb") as answer:
                header = json.loads(answer.readline() or b"{}")
                content = answer.read()
        except (OSError, ValueError) as problem:
            raise WorkerRefused(f"the worker did not answer: {problem}") from None
    if "refused" in header:
        raise WorkerRefused(header["refused"])
    if header.get("bytes") != len(content):
        raise WorkerRefused("the worker's answer was cut short")
    return MadeReport(rows=header["rows"], content=content)


@contextmanager
def serving_reports(app: Flask) -> Iterator[Path | None]:
    """Answer report requests for `app`'s database on a thread until the block ends.

    Yields the socket's path, or None when it cannot be made (the block runs either way).
    Sockets that workers left when they were killed are removed first."""
    try:
        server = _ReportServer(_fresh_socket_path(app), app)
    except OSError as problem:  # a read-only instance folder, a path over a socket's 107 bytes
        logger.warning("Report commands will not be answered by this worker: %s", problem)
        yield None
        return
    path = Path(server.server_address)
    path.chmod(0o600)
    thread = threading.Thread(target=server.serve_forever, name="report-service", daemon=True)
    thread.start()
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()
        path.unlink(missing_ok=True)


def _fresh_socket_path(app: Flask) -> Path:
    """A new socket's path, in the private folder, once the sockets of killed workers are gone."""
    folder = _socket_folder(app)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    for left in worker_sockets(app):
        if not _answers(left):
            left.unlink(missing_ok=True)
    return new_socket_path(app)


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        probe.settimeout(CONNECT_SECONDS)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


class _ReportServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, app: Flask) -> None:
        super().__init__(str(path), _ReportRequestHandler)
        self.app = app
        self.started_ns = time.time_ns()
        self.not_files = {source for source in _module_sources() if not os.path.isfile(source)}
        """Module "files" that are not files (`<stdin>`, a zip's member): nothing to watch."""

    def changed_code(self) -> str | None:
        """A module this process runs whose file changed after it started: it would make the
        report with code that is no longer the installed one."""
        for source in _module_sources():
            if source in self.not_files:
                continue
            try:
                if os.stat(source).st_mtime_ns > self.started_ns:
                    return source
            except OSError:
                return source  # removed, as by an upgrade
        return None


def _module_sources() -> list[str]:
    return [source for module in list(sys.modules.values())
            if (source := getattr(module, "__file__", None))]  # fmt: skip


class _ReportRequestHandler(socketserver.StreamRequestHandler):
    server: _ReportServer

    def handle(self) -> None:
        line = self.rfile.readline(MAX_REQUEST_BYTES)
        if not line:
            return  # a worker starting up, checking whether this one still answers
        try:
            request = AgingRequest.from_json(line.decode())
        except (ValueError, KeyError, TypeError) as problem:
            self._refuse(f"a request it could not read ({problem})")
            return
        if changed := self.server.changed_code():
            self._refuse(f"{changed} changed since the worker started; restart the worker")
            return
        started = time.perf_counter()
        try:
            with self.server.app.app_context():
                made = make_aging_report(request)
        except Exception as problem:
            logger.exception("A report command's report failed in the worker")
            self._refuse(f"the report failed there: {type(problem).__name__}: {problem}")
            return
        logger.info("Made a report command's file: %s, %d rows, %.2f s", request.to_json(),
                    made.rows, time.perf_counter() - started)  # fmt: skip
        self._send({"rows": made.rows, "bytes": len(made.content)}, made.content)

    def _refuse(self, reason: str) -> None:
        self._send({"refused": f"the worker did not make the report: {reason}"}, b"")

    def _send(self, header: dict[str, Any], content: bytes) -> None:
        self.wfile.write(json.dumps(header).encode() + b"\n")
        self.wfile.write(content)
