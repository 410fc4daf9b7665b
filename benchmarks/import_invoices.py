"""Benchmark: import invoices from CSV with full validation, against pandas' raw `to_sql`.

    python benchmarks/import_invoices.py --database-url URL [--populated-url URL]
                                         [--rows 1000000] [--populated-rows 100000]
                                         [--scenarios sequential,varied,populated] [--repeat 3]

Three scenarios, each on the database(s) given (SQLite or PostgreSQL):
- `sequential`: the first review's best case, `--rows` invoices in one currency and one status,
  numbered in file order, into an empty `invoices` table (`--database-url`, rebuilt by the
  migrations with 100,000 accounts);
- `varied`: `--rows` invoices in four currencies and three statuses, some disputed, amounts
  from a cent to hundreds of thousands, due dates 0 to 90 days after issue, descriptions blank,
  accented or with commas and quotes, numbered with gaps and in shuffled order, into the same
  empty table;
- `populated`: `--populated-rows` varied invoices into the `invoices` table of a database that
  already holds `generate.py`'s 1,000,000 (`--populated-url`), its own accounts' codes.
Each turn times, each in its own process: `pandas.read_csv` + `DataFrame.to_sql` of the file into
a bare, index-free table in the same database (the issue's yardstick), then `run_import` as
`flask import invoices` runs it (every cell parsed and checked, account codes resolved, keys
checked against the file and the table, the model's rules, one transaction). After each import
its rows are deleted again (outside the timing), so every turn starts from the same table.
After the last turn, the imported rows are exported (`export_kind`, as `flask export invoices`)
and compared with the file: the same rows, in the same order, the same text in every cell.

Printed per scenario: wall and CPU seconds of this process, best and median of `--repeat` turns;
with PostgreSQL also the database server's CPU seconds (its backend process, read from /proc),
and the load average at the start and the end. The ratios are import / to_sql.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import multiprocessing
import os
import queue
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

HEADER = ["number", "account_code", "issue_date", "due_date", "amount", "currency", "status",
          "disputed", "description"]  # fmt: skip
BARE_TABLE = "to_sql_invoices"
DESCRIPTIONS = ("", "", "", "Training course {n}", "Réparation — lot {n}", "Consulting, March",
                'Licence "Pro" seat {n}', "Wartung Q{q} für Zürich",
                "Freight & handling {n}")  # fmt: skip


def sequential_rows(rows: int, codes: list[str], rng: random.Random) -> list[list[str]]:
    """The first review's data: one currency, one status, numbers in file order."""
    start = dt.date(2025, 1, 1)
    made = []
    for n in range(rows):
        issued = start + dt.timedelta(days=rng.randrange(365))
        made.append([
            f"INV-S{n:08}", rng.choice(codes), issued.isoformat(),
            (issued + dt.timedelta(days=30)).isoformat(),
            f"{rng.randrange(100, 500_000) / 100:.2f}", "GBP", "issued",
            "true" if rng.random() < 0.05 else "false", f"Training course {n % 997}",
        ])  # fmt: skip
    return made


def varied_rows(rows: int, codes: list[str], rng: random.Random) -> list[list[str]]:
    """Mixed currencies, statuses, amounts, terms and texts; numbers with gaps, shuffled."""
    start = dt.date(2024, 11, 1)
    numbers = rng.sample(range(rows * 3), rows)  # gaps, and in no order
    made = []
    for n in numbers:
        issued = start + dt.timedelta(days=rng.randrange(730))
        cents = max(1, int(rng.lognormvariate(11, 1.6)))  # a cent to hundreds of thousands
        made.append([
            f"INV-V{n:08}", rng.choice(codes), issued.isoformat(),
            (issued + dt.timedelta(days=rng.choice((0, 14, 30, 30, 30, 45, 60, 90)))).isoformat(),
            f"{cents // 100}.{cents % 100:02}",
            rng.choices(("GBP", "EUR", "USD", "CHF"), (70, 15, 10, 5))[0],
            rng.choices(("issued", "draft", "void"), (96, 3, 1))[0],
            "true" if rng.random() < 0.03 else "false",
            rng.choice(DESCRIPTIONS).format(n=n % 9973, q=n % 4 + 1),
        ])  # fmt: skip
    return made


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)


def app_for(url: str) -> Any:
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})


def empty_database(url: str, accounts: int) -> None:
    """The schema by the migrations and `accounts` accounts, in a scratch database."""
    import sqlalchemy as sa

    from extensions import db
    from models import Account
    from schema_migrations import upgrade_schema

    if url.startswith("sqlite:///"):
        for stale in Path(url.removeprefix("sqlite:///")).parent.glob(
            Path(url.removeprefix("sqlite:///")).name + "*"
        ):
            stale.unlink()
    app = app_for(url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade_schema()
        db.session.execute(
            sa.insert(Account.__table__),
            [{"code": f"ACC{n:06}", "name": f"Account {n}"} for n in range(accounts)],
        )
        db.session.commit()


def account_codes(url: str) -> list[str]:
    import sqlalchemy as sa

    from extensions import db
    from models import Account

    with app_for(url).app_context():
        return list(db.session.scalars(sa.select(Account.code).order_by(Account.id)))


def highest_invoice_id(url: str) -> int:
    import sqlalchemy as sa

    from extensions import db
    from models import Invoice

    with app_for(url).app_context():
        return db.session.scalar(sa.select(sa.func.max(Invoice.id))) or 0


def remove_imported(url: str, above_id: int) -> None:
    """Delete the rows an import added (and, on PostgreSQL, vacuum), outside the timing."""
    from extensions import db

    with app_for(url).app_context(), db.engine.connect() as connection:
        connection.exec_driver_sql(f"DELETE FROM invoices WHERE id > {int(above_id)}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {BARE_TABLE}")
        connection.commit()
        if db.engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE invoices"
            )


def backend_pid(connection: Any) -> int | None:
    """The PostgreSQL server process serving `connection` (None for SQLite)."""
    if connection.dialect.name != "postgresql":
        return None
    return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def server_cpu(pid: int | None) -> float:
    """CPU seconds used so far by PostgreSQL's process `pid`, from /proc (0 for SQLite)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Timed:
    """Wall-clock and CPU seconds of a block, the server's CPU, and the peak memory after it."""

    def __init__(self, connection: Any) -> None:
        self.pid = backend_pid(connection)  # the import's commit hands the connection back

    def __enter__(self) -> Timed:
        self.server = server_cpu(self.pid)
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.server = server_cpu(self.pid) - self.server
        self.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def result(self, rows: int) -> dict[str, float]:
        return {"rows": rows, "wall": self.wall, "cpu": self.cpu, "server": self.server,
                "peak_mb": self.peak_mb}  # fmt: skip


def time_import(url: str, source: Path, results: Any) -> None:
    from bulk_io import SystemActor, run_import
    from extensions import db

    with app_for(url).app_context():
        with Timed(db.session.connection()) as timed:
            report = run_import(db.session, "invoices", source, SystemActor())
        assert report.ok and report.created == report.rows, report.summary()
        results.put(timed.result(report.rows))


def time_to_sql(url: str, source: Path, results: Any) -> None:
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:  # the app's own pragmas
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")

    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {BARE_TABLE}")
    with engine.begin() as connection, Timed(connection) as timed:
        frame = pd.read_csv(source)
        frame.to_sql(BARE_TABLE, connection, index=False)
    results.put(timed.result(len(frame)))


def exported_rows_match(url: str, source: Path, above_id: int) -> bool:
    """The export of what was imported reads back as the file: same rows, order and text."""
    from bulk_io import SystemActor
    from bulk_io.exporting import export_statement
    from bulk_io.kinds import KINDS
    from extensions import db
    from models import Invoice
    from reports.cell_safety import csv_chunks

    kind = KINDS["invoices"]
    target = source.with_name(f"exported-{source.name}")
    with app_for(url).app_context():
        statement = export_statement(kind, SystemActor(), []).where(Invoice.id > above_id)
        rows = db.session.execute(statement.execution_options(yield_per=2000))
        with target.open("w", encoding="utf-8", newline="") as out:
            for chunk in csv_chunks(kind.header, rows):
                out.write(chunk)
    return target.read_bytes().replace(b"\r\n", b"\n") == source.read_bytes().replace(
        b"\r\n", b"\n"
    )


def _in_own_process(target: Any, *args: Any) -> Any:
    results: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=target, args=(*args, results))
    process.start()
    while True:  # read before joining: a big answer blocks its process until it is read
        try:
            return results.get(timeout=1)
        except queue.Empty:
            if not process.is_alive():
                raise SystemExit(
                    f"{target.__name__} failed (exit status {process.exitcode})"
                ) from None


def _load() -> str:
    return "/".join(f"{load:.1f}" for load in os.getloadavg())


def _summary(runs: list[dict[str, float]], key: str) -> tuple[float, float]:
    values = [run[key] for run in runs]
    return min(values), statistics.median(values)


def run_scenario(name: str, url: str, source: Path, repeat: int) -> None:
    above_id = highest_invoice_id(url)
    remove_imported(url, above_id)
    load_before = _load()
    to_sql_runs, import_runs = [], []
    for turn in range(repeat):
        to_sql_runs.append(_in_own_process(time_to_sql, url, source))
        import_runs.append(_in_own_process(time_import, url, source))
        identical = exported_rows_match(url, source, above_id) if turn == repeat - 1 else None
        remove_imported(url, above_id)
    rows = import_runs[0]["rows"]
    print(f"\n{name}: {rows:,} rows into a table of {above_id:,} invoices, {url.split('@')[-1]}"
          f" (load average {load_before} at the start, {_load()} at the end)")  # fmt: skip
    print(f"    {'':10}{'wall s best/median':>20}{'CPU s best/median':>20}"
          f"{'server CPU s':>14}{'peak MB':>9}")  # fmt: skip
    for label, runs in (("to_sql", to_sql_runs), ("import", import_runs)):
        wall, cpu, server = _summary(runs, "wall"), _summary(runs, "cpu"), _summary(runs, "server")
        print(f"    {label:10}{wall[0]:10.1f}{wall[1]:10.1f}{cpu[0]:10.1f}{cpu[1]:10.1f}"
              f"{server[1]:14.1f}{max(run['peak_mb'] for run in runs):9.0f}")  # fmt: skip
    ratios = {
        key: (_summary(import_runs, key)[1] / _summary(to_sql_runs, key)[1])
        for key in ("wall", "cpu")
    }
    both = (
        [i["cpu"] + i["server"] for i in import_runs],
        [t["cpu"] + t["server"] for t in to_sql_runs],
    )
    print(f"    import / to_sql, medians: {ratios['wall']:.2f}x wall, {ratios['cpu']:.2f}x CPU,"
          f" {statistics.median(both[0]) / statistics.median(both[1]):.2f}x CPU with the server's;"
          f" export of the imported rows identical to the file: {identical}")  # fmt: skip
    turns = {label: ", ".join(f"{run['wall']:.1f}" for run in runs)
             for label, runs in (("to_sql", to_sql_runs), ("import", import_runs))}  # fmt: skip
    print(f"    each turn, wall s: to_sql {turns['to_sql']}; import {turns['import']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a scratch database for the empty-table runs")
    parser.add_argument("--populated-url", help="a generate.py database (1,000,000 invoices)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--populated-rows", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--scenarios", default="sequential,varied,populated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/accounts-desk-bench-imports"))
    options = parser.parse_args()
    options.workdir.mkdir(parents=True, exist_ok=True)
    scenarios = options.scenarios.split(",")
    rng = random.Random(2026)

    if {"sequential", "varied"} & set(scenarios):
        if not options.database_url:
            parser.error("the sequential and varied scenarios need --database-url")
        _in_own_process(_prepare_empty, options.database_url, options.accounts)
        codes = _in_own_process(_codes, options.database_url)
        for name, make in (("sequential", sequential_rows), ("varied", varied_rows)):
            if name in scenarios:
                source = options.workdir / f"{name}-{options.rows}.csv"
                write_csv(source, make(options.rows, codes, rng))
                run_scenario(f"{name}, empty table", options.database_url, source, options.repeat)
    if "populated" in scenarios:
        if not options.populated_url:
            parser.error("the populated scenario needs --populated-url")
        codes = _in_own_process(_codes, options.populated_url)
        source = options.workdir / f"populated-{options.populated_rows}.csv"
        write_csv(source, varied_rows(options.populated_rows, codes, rng))
        run_scenario("varied, into the populated table", options.populated_url, source,
                     options.repeat)  # fmt: skip


def _prepare_empty(url: str, accounts: int, results: Any) -> None:
    empty_database(url, accounts)
    results.put(True)


def _codes(url: str, results: Any) -> None:
    results.put(account_codes(url))


if __name__ == "__main__":
    main()
