"""Prototype benchmark (not a product feature): the aging command's CSV from a resident process.

    python benchmarks/aging_resident.py --database-url URL [--as-of 2026-10-31] [--runs 5]

Issue 15 asks for `flask report aging` in under a second. The report's statement runs in DuckDB
as fast as the hand-written yardstick's; what the command adds is a fixed start (Python with
Flask, SQLAlchemy, the models and pandas: 0.76 s on an empty database, against 0.17 s for the
yardstick). This measures the one design found to remove that start: a server process that has
built the app, attached DuckDB and imported pandas once (this script with `--serve`), and a
client, a fresh Python process each run, that sends the as-of date over a Unix socket and writes
the CSV it gets back. The server does what the command does (`aging_report`, then
`report_file`); the client's CSV must equal the command's byte for byte, or the script stops.

The client, the command and the yardstick (`aging_hand_written.py`, DuckDB) take turns, each
timed from start to exit (`benchmarks/aging.py`'s `Case`). The client's CPU column includes the
server's: the CPU its process and DuckDB's process spent during the run, read from /proc.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from aging import PROJECT_ROOT, PYTHON, Case, summary

CLIENT = """
import socket, sys
server = socket.socket(socket.AF_UNIX)
server.connect(sys.argv[1])
server.sendall(sys.argv[2].encode())
server.shutdown(socket.SHUT_WR)
with open(sys.argv[3], "wb") as output:
    while chunk := server.recv(1 << 16):
        output.write(chunk)
"""


def serve(socket_path: Path) -> None:
    """Build the app once, then answer each connection's as-of date with the report's CSV."""
    sys.path.insert(0, str(PROJECT_ROOT))
    import pandas  # noqa: F401  (loaded once, as the command loads it each time)

    from app import create_app
    from extensions import db
    from reports.aging import aging_report
    from reports.aging_parameters import AgingParameters
    from reports.downloads import report_file
    from reports.duckdb_reader import start_duckdb
    from reports.queries import FULL_ACCESS

    app = create_app()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(socket_path))
    listener.listen()
    with app.app_context():
        start_duckdb(db.engine)
        print("ready", flush=True)
        while True:
            connection, _address = listener.accept()
            as_of = dt.date.fromisoformat(connection.recv(64).decode())
            parameters = AgingParameters(as_of=as_of, viewer=FULL_ACCESS, basis="due",
                                         bucket_edges=(30, 60, 90))  # fmt: skip
            frame = aging_report(db.session, parameters, "account-manager")
            db.session.remove()
            written = report_file(frame, "csv", title="Aging by account manager",
                                  slug="aging-by-account-manager",
                                  description=parameters.description(), chart_png=None)  # fmt: skip
            connection.sendall(written.content)
            connection.close()


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (the server and DuckDB's process)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--as-of", default="2026-10-31")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(options.serve)
        return

    database = {"DATABASE_URL": options.database_url, "SECRET_KEY": "benchmark"}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        socket_path = folder / "aging.sock"
        server = subprocess.Popen(
            [PYTHON, __file__, "--database-url", options.database_url, "--serve", str(socket_path)],
            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, **database},
        )  # fmt: skip
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            timed = [
                Case("client of the resident process",
                     [PYTHON, "-c", CLIENT, str(socket_path), options.as_of,
                      str(folder / "resident.csv")]),
                Case("flask report aging (DuckDB, default)",
                     [PYTHON, "-m", "flask", "--app", "app", "report", "aging", "--as-of",
                      options.as_of, "--output", str(folder / "command.csv")], database),
                Case("hand-written SQL, run by DuckDB",
                     [PYTHON, "benchmarks/aging_hand_written.py", "--database-url",
                      options.database_url, "--as-of", options.as_of, "--runner", "duckdb",
                      "--output", str(folder / "hand.csv")]),
            ]  # fmt: skip
            Case("warm-up", timed[0].command).run_once()  # DuckDB's first read of the tables
            server_cpu = []
            for _ in range(options.runs):
                before = tree_cpu(server.pid)
                timed[0].run_once()
                server_cpu.append(tree_cpu(server.pid) - before)
                for case in timed[1:]:
                    case.run_once()
            same = (folder / "resident.csv").read_bytes() == (folder / "command.csv").read_bytes()
            if not same:
                raise SystemExit("the resident process's CSV differs from the command's")
        finally:
            server.kill()
            server.wait()
    timed[0].runs = [
        (wall, cpu + extra, peak)
        for (wall, cpu, peak), extra in zip(timed[0].runs, server_cpu, strict=True)
    ]
    print(f"{options.database_url.split(':')[0]}, as of {options.as_of}, {options.runs} runs per "
          "case in turns; the resident process's CSV is the command's, byte for byte")  # fmt: skip
    print(f"{'case':42} {'wall best / median':>18} {'CPU best / median':>18}")
    for case in timed:
        walls, cpus, _peaks = zip(*case.runs, strict=True)
        print(f"{case.name:42} {summary(list(walls)):>18} {summary(list(cpus)):>18}")


if __name__ == "__main__":
    main()
