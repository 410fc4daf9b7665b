"""Benchmark: import invoices from CSV with full validation, against pandas' raw `to_sql`.

    python benchmarks/import_invoices.py [--rows 1000000] [--accounts 100000] [--workdir DIR]
                                         [--reuse-data] [--repeat N]

Makes a scratch SQLite database (schema by the migrations, plus the accounts the invoices refer
to) and an invoices CSV in `--workdir`, then times, each in its own process so peak memory is
its own:
- `flask import invoices` as the app runs it (`bulk_io.run_import`: parse, validate every cell,
  resolve account codes, check keys and the model's rules, insert in one transaction);
- `pandas.read_csv` + `DataFrame.to_sql` of the same file into an empty table: the raw insert
  limit, with no validation at all;
- for reference, `sqlite3.executemany` of the same rows, codes swapped for ids, into the real
  `invoices` table: what its four indexes, foreign key and CHECK constraints cost by themselves.
All write to SQLite with the app's pragmas (WAL, synchronous=NORMAL). Last, `flask export
invoices` of the imported rows to CSV, with its peak memory: it streams, so it stays flat.
With `--repeat N`, to_sql and the import take turns N times (the import each time into a fresh
copy of the accounts) and each keeps its run with the least CPU time; every run is printed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import multiprocessing
import os
import random
import resource
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

HEADER = ["number", "account_code", "issue_date", "due_date", "amount", "currency", "status",
          "disputed", "description"]  # fmt: skip


def make_data(workdir: Path, rows: int, accounts: int) -> tuple[Path, Path]:
    """A migrated SQLite database holding `accounts` accounts, and an invoices CSV of `rows`."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import MIGRATIONS_DIR, create_app
    from extensions import db
    from models import Account

    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "bench.db"
    for stale in workdir.glob("bench.db*"):
        stale.unlink()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "TESTING": True})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        db.session.execute(
            sa.insert(Account.__table__),
            [{"code": f"ACC{n:06}", "name": f"Account {n}"} for n in range(accounts)],
        )
        db.session.commit()

    source = workdir / f"invoices-{rows}.csv"
    rng = random.Random(2026)
    start = dt.date(2025, 1, 1)
    with source.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            issued = start + dt.timedelta(days=rng.randrange(365))
            writer.writerow([
                f"INV{n:08}", f"ACC{rng.randrange(accounts):06}", issued.isoformat(),
                (issued + dt.timedelta(days=30)).isoformat(),
                f"{rng.randrange(100, 500_000) / 100:.2f}", "GBP", "issued",
                "true" if rng.random() < 0.05 else "false", f"Training course {n % 997}",
            ])  # fmt: skip
    return database, source


def time_import(database: Path, source: Path, results: Any) -> None:
    from app import create_app
    from bulk_io import SystemActor, run_import
    from extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "TESTING": True})
    with app.app_context(), Timed() as timed:
        report = run_import(db.session, "invoices", source, SystemActor())
    assert report.ok and report.created == report.rows, report.summary()
    results.put(timed.result(report.rows))


def time_export(database: Path, target: Path, results: Any) -> None:
    from app import create_app
    from bulk_io import SystemActor, export_kind
    from extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "TESTING": True})
    with app.app_context(), Timed() as timed:
        written = export_kind(db.session, "invoices", target, SystemActor())
    results.put(timed.result(written))


def time_to_sql(source: Path, results: Any) -> None:
    import pandas as pd
    import sqlalchemy as sa

    target = source.with_name("to_sql.db")
    for stale in source.parent.glob("to_sql.db*"):
        stale.unlink()
    engine = sa.create_engine(f"sqlite:///{target}")

    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")

    with Timed() as timed:
        frame = pd.read_csv(source)
        frame.to_sql("invoices", engine, index=False)
    results.put(timed.result(len(frame)))


def time_raw_insert(database: Path, source: Path, results: Any) -> None:
    target = database.with_name("raw.db")
    _copy_database(database, target)
    from bulk_io.inserting import IMPORT_CACHE_KIB

    connection = sqlite3.connect(target)
    pragmas = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON")
    for pragma in (*pragmas, f"cache_size=-{IMPORT_CACHE_KIB}"):  # the cache the import uses
        connection.execute(f"PRAGMA {pragma}")
    with Timed() as timed:
        account_ids = dict(connection.execute("SELECT code, id FROM accounts"))
        with source.open(encoding="utf-8", newline="") as rows:
            reader = csv.reader(rows)
            next(reader)
            params = [
                (number, account_ids[code], issued, due, float(amount), currency, status,
                 disputed == "true", description, "{}", 1)
                for number, code, issued, due, amount, currency, status, disputed, description
                in reader
            ]  # fmt: skip
        connection.executemany(
            "INSERT INTO invoices (number, account_id, issue_date, due_date, amount, currency,"
            " status, disputed, description, custom_fields, version_id)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            params,
        )
        connection.commit()
    results.put(timed.result(len(params)))


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's backup API: a plain file copy would miss what is still in the WAL file."""
    for stale in target.parent.glob(f"{target.name}*"):
        stale.unlink()
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)


class Timed:
    """Wall-clock and CPU seconds of a block, and the process's peak memory after it.

    On a busy shared machine the clock measures the neighbours too; CPU time does not, so the
    comparison is printed on both.
    """

    def __enter__(self) -> Timed:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def result(self, rows: int) -> tuple[int, float, float, float]:
        return rows, self.wall, self.cpu, self.peak_mb


def _in_own_process(target: Any, *args: Any) -> tuple[Any, ...]:
    results: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=target, args=(*args, results))
    process.start()
    process.join()
    if process.exitcode:
        raise SystemExit(f"{target.__name__} failed (exit status {process.exitcode})")
    return results.get()


def _cpu(run: tuple[int, float, float, float]) -> float:
    return run[2]


def _load() -> str:
    return ", ".join(f"{load:.1f}" for load in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/accounts-desk-bench-imports"))
    parser.add_argument(
        "--reuse-data", action="store_true", help="Reuse the CSV and accounts of an earlier run."
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Time to_sql and the import this many times, taking turns, and keep each one's run"
        " with the least CPU time: on a shared machine a single run measures the neighbours too.",
    )
    options = parser.parse_args()

    started = time.perf_counter()
    pristine = options.workdir / "pristine.db"
    source = options.workdir / f"invoices-{options.rows}.csv"
    if options.reuse_data and pristine.exists() and source.exists():
        database = options.workdir / "bench.db"
        _copy_database(pristine, database)
    else:
        database, source = make_data(options.workdir, options.rows, options.accounts)
        _copy_database(database, pristine)
    size_mb = source.stat().st_size / 1e6
    print(f"data: {options.rows:,} invoices ({size_mb:.0f} MB CSV), {options.accounts:,} accounts,"
          f" made in {time.perf_counter() - started:.1f} s")  # fmt: skip

    print(f"load average at the start: {_load()}")
    to_sql_runs, import_runs = [], []
    for _turn in range(options.repeat):
        to_sql_runs.append(_in_own_process(time_to_sql, source))
        _copy_database(pristine, database)  # each import starts from the same accounts
        import_runs.append(_in_own_process(time_import, database, source))
    measured = {
        "pandas read_csv + to_sql": min(to_sql_runs, key=_cpu),
        "sqlite3 executemany, real schema": _in_own_process(time_raw_insert, pristine, source),
        "flask import (full validation)": min(import_runs, key=_cpu),
        "flask export invoices (CSV)": _in_own_process(
            time_export, database, database.with_name("exported.csv")
        ),
    }
    if options.repeat > 1:
        for label, runs in (("to_sql", to_sql_runs), ("import", import_runs)):
            print(f"{label} CPU s of each run: {', '.join(f'{_cpu(run):.1f}' for run in runs)}")
    print(f"load average at the end: {_load()}")
    print(f"{'':34}{'wall s':>8}{'rows/s':>10}{'CPU s':>8}{'rows/CPU s':>12}{'peak MB':>9}")
    for label, (rows, wall, cpu, peak_mb) in measured.items():
        print(f"{label:34}{wall:8.1f}{rows / wall:10,.0f}{cpu:8.1f}{rows / cpu:12,.0f}"
              f"{peak_mb:9.0f}")  # fmt: skip
    _rows, import_wall, import_cpu, _mb = measured["flask import (full validation)"]
    _rows, to_sql_wall, to_sql_cpu, _mb = measured["pandas read_csv + to_sql"]
    _rows, raw_wall, raw_cpu, _mb = measured["sqlite3 executemany, real schema"]
    print(f"import / to_sql: {import_wall / to_sql_wall:.2f}x wall, {import_cpu / to_sql_cpu:.2f}x"
          f" CPU (goal: within 3x); import / raw insert into the real schema:"
          f" {import_wall / raw_wall:.2f}x wall, {import_cpu / raw_cpu:.2f}x CPU")  # fmt: skip


if __name__ == "__main__":
    main()
