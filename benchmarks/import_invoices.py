"""Benchmark: `flask import invoices FILE`, end to end, against pandas `to_sql` into the same table.

    python benchmarks/import_invoices.py --database-url URL [--populated-url URL]
                                         [--rows 200000] [--populated-rows 100000]
                                         [--scenarios sequential,varied,populated] [--repeat 5]
                                         [--methods executemany,multi,copy] [--trigger]

Three scenarios, each on the database(s) given (SQLite or PostgreSQL):
- `sequential`: the first review's best case, `--rows` invoices in one currency and one status,
  numbered in file order, into an empty `invoices` table (`--database-url`, rebuilt by the
  migrations with 100,000 accounts);
- `varied`: `--rows` invoices in four currencies and three statuses, some disputed, amounts
  from a cent to hundreds of thousands, due dates 0 to 90 days after issue, descriptions blank,
  accented or with commas and quotes, numbered with gaps and in shuffled order, into the same
  empty table;
- `populated`: `--populated-rows` varied invoices into the `invoices` table of a database that
  already holds `generate.py`'s 1,000,000 (`--populated-url`, a copy: it is written to).

Each contender runs as the user runs it, a process of its own timed from start to exit (wall
clock, and CPU seconds from `wait4`): ours is `flask --app app import invoices FILE`; the
reference is what a pandas user would write to load the same file into the same `invoices`
table, with its indexes, constraints and the app's SQLite pragmas: `read_csv`, account codes
turned into ids by one `read_sql` of the accounts and a `merge`, the columns the model fills
itself (`custom_fields`, `version_id`) added, then `to_sql(if_exists="append")` with each
`--methods` way of writing: `executemany` (pandas' default), `multi` (multi-row VALUES, 1,000
rows a statement) and, on PostgreSQL, `copy` (the COPY callable of pandas' documentation, for
psycopg 3). The fastest of them (by median CPU, with the server's) is the yardstick. The
contenders take turns, and the rows each adds are deleted again outside the timing
(PostgreSQL is vacuumed), so every turn starts from the same table. With PostgreSQL the server's
CPU is added: each process names itself (`application_name`) and its backend's CPU is read from
/proc every 50 ms while it runs (the last 50 ms of a backend may be missed).
`--methods bare` adds the earlier yardstick, not counted as a reference: `read_csv` and
`to_sql` of the file as it is into a table of its own, without indexes or account ids.
`--trigger` adds, for the run, a row-level trigger on invoices that bumps a row of
`config_stamps` (as a ledger change stamp would), on both sides, and removes it at the end.
After the last turn, the rows our import wrote are exported (`export_statement`, as `flask
export invoices`) and compared with the file: the same rows, in the same order, the same text.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import multiprocessing
import os
import queue
import random
import statistics
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
PYTHON = sys.executable

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
        connection.exec_driver_sql("DELETE FROM audit_events WHERE action = 'import'")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {BARE_TABLE}")
        connection.commit()
        if db.engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE invoices"
            )


TRIGGER = (
    "CREATE TRIGGER bench_ledger_stamp AFTER INSERT ON invoices BEGIN "
    "UPDATE config_stamps SET version = version + 1 WHERE name = 'ledger'; END"
)


def set_trigger(url: str, present: bool) -> None:
    """Add (or drop) the row-level SQLite trigger of `--trigger`, and the stamp row it bumps."""
    import sqlalchemy as sa

    with sa.create_engine(url).begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS bench_ledger_stamp")
        connection.exec_driver_sql("DELETE FROM config_stamps WHERE name = 'ledger'")
        if present:
            connection.exec_driver_sql(
                "INSERT INTO config_stamps (name, version) VALUES ('ledger', 1)"
            )
            connection.exec_driver_sql(TRIGGER)


def reference_import(url: str, source: Path, method: str) -> None:
    """What a pandas user writes to load the file into `invoices`: the yardstick."""
    import csv as csv_module
    import io

    import pandas as pd
    import sqlalchemy as sa

    from bulk_io.inserting import IMPORT_CACHE_KIB

    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:  # as the app, and its import's cache
            for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON",
                           "synchronous=NORMAL", f"cache_size=-{IMPORT_CACHE_KIB}"):  # fmt: skip
                connection.execute(f"PRAGMA {pragma}")

    def copy_rows(table: Any, connection: Any, keys: list[str], rows: Any) -> None:
        """pandas' documented COPY method, for psycopg 3."""
        buffer = io.StringIO()
        csv_module.writer(buffer).writerows(rows)
        columns = ", ".join(f'"{key}"' for key in keys)
        statement = f"COPY {table.name} ({columns}) FROM STDIN WITH (FORMAT csv)"
        cursor = connection.connection.driver_connection.cursor()
        with cursor, cursor.copy(statement) as copy:
            copy.write(buffer.getvalue())

    if method == "bare":  # the earlier yardstick: the file as it is, into a table of its own
        with engine.begin() as connection:
            pd.read_csv(source).to_sql(BARE_TABLE, connection, if_exists="replace", index=False)
        return
    how: dict[str, Any] = {"executemany": {}, "multi": {"method": "multi", "chunksize": 1000},
                           "copy": {"method": copy_rows}}[method]  # fmt: skip
    with engine.begin() as connection:
        frame = pd.read_csv(source, dtype={"amount": str}, keep_default_na=False,
                            na_values={"description": [""], "due_date": [""]})  # fmt: skip
        accounts = pd.read_sql("SELECT code AS account_code, id AS account_id FROM accounts",
                               connection)  # fmt: skip
        frame = frame.merge(accounts, on="account_code", how="left").drop(columns="account_code")
        for name in ("issue_date", "due_date"):
            frame[name] = pd.to_datetime(frame[name], format="%Y-%m-%d").dt.date
        frame["custom_fields"] = [{}] * len(frame)
        frame["version_id"] = 1
        with warnings.catch_warnings():  # the expression index on lower(number) is not reflected
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            table = sa.Table("invoices", sa.MetaData(), autoload_with=connection)
        types = {column.name: column.type for column in table.c if column.name in frame}
        frame.to_sql("invoices", connection, if_exists="append", index=False, dtype=types, **how)


def backend_cpu(pids: set[int]) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL server process in `pids` still running."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


class ServerWatch(threading.Thread):
    """Follows the PostgreSQL backends named `name` and keeps the CPU each was last seen at."""

    def __init__(self, url: str, name: str) -> None:
        super().__init__(daemon=True)
        import sqlalchemy as sa

        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.name, self.seen, self.running = name, {}, True  # type: ignore[var-annotated]

    def run(self) -> None:
        with self.engine.connect() as connection:
            while self.running:
                pids = set(connection.exec_driver_sql(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %(name)s",
                    {"name": self.name}).scalars())  # fmt: skip
                connection.rollback()
                self.seen.update(backend_cpu(pids | set(self.seen)))
                time.sleep(0.05)

    def stop(self) -> float:
        self.running = False
        self.join()
        self.engine.dispose()
        return sum(self.seen.values())


@dataclass
class Contender:
    name: str
    tag: str
    """The `application_name` its PostgreSQL connections carry."""
    command: list[str]
    environment: dict[str, str] = field(default_factory=dict)
    folder: Path = PROJECT_ROOT
    """Where it runs: `--app-root` for ours (another checkout, for a before/after)."""
    runs: list[dict[str, float]] = field(default_factory=list)

    def run_once(self, url: str) -> None:
        watch = ServerWatch(url, self.tag) if url.startswith("postgresql") else None
        if watch is not None:
            watch.start()
        load = os.getloadavg()[0]
        started = time.perf_counter()
        process = subprocess.Popen(self.command, cwd=self.folder, stdout=subprocess.DEVNULL,
                                   env={**os.environ, **self.environment})  # fmt: skip
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        server = watch.stop() if watch is not None else 0.0
        if status != 0:
            raise SystemExit(f"{self.name} failed with status {status}")
        cpu = usage.ru_utime + usage.ru_stime
        self.runs.append({"wall": wall, "cpu": cpu, "server": server, "both": cpu + server,
                          "peak_mb": usage.ru_maxrss / 1024, "load": load})  # fmt: skip


def _named(url: str, tag: str) -> str:
    """`url` with an `application_name`, so the server's process can be found (PostgreSQL)."""
    if not url.startswith("postgresql"):
        return url
    return f"{url}{'&' if '?' in url else '?'}application_name={tag}"


def contenders(url: str, source: Path, methods: list[str], app_root: Path) -> list[Contender]:
    ours = Contender("flask import invoices", "bench-ours",
                     [PYTHON, "-m", "flask", "--app", "app", "import", "invoices", str(source)],
                     {"DATABASE_URL": _named(url, "bench-ours")}, app_root)  # fmt: skip
    references = [
        Contender(
            f"to_sql {method}",
            f"bench-{method}",
            [
                PYTHON,
                __file__,
                "--reference",
                method,
                "--database-url",
                _named(url, f"bench-{method}"),
                str(source),
            ],
        )  # fmt: skip
        for method in methods
        if method != "copy" or url.startswith("postgresql")
    ]
    return [ours, *references]


def exported_rows_match(url: str, source: Path, above_id: int) -> bool:
    """The export of what was imported reads back as the file: same rows, order and text."""
    from bulk_io.exporting import export_statement
    from bulk_io.importing import SystemActor
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


def _best_median(runs: list[dict[str, float]], key: str) -> tuple[float, float]:
    values = [run[key] for run in runs]
    return min(values), statistics.median(values)


def run_scenario(
    name: str, url: str, source: Path, repeat: int, methods: list[str], app_root: Path
) -> None:
    above_id = _in_own_process(_highest_id, url)
    _in_own_process(_remove, url, above_id)
    load_before = _load()
    runners = contenders(url, source, methods, app_root)
    for turn in range(repeat):
        for index, contender in enumerate(runners):
            contender.run_once(url)
            if index == 0 and turn == repeat - 1:
                identical = _in_own_process(_exported_match, url, source, above_id)
            _in_own_process(_remove, url, above_id)
    print(f"\n{name}: {source.name} into a table of {above_id:,} invoices, {url.split('@')[-1]}"
          f" (load average {load_before} at the start, {_load()} at the end)")  # fmt: skip
    print(f"    {'':28}{'wall s best/median':>20}{'CPU s best/median':>20}"
          f"{'server CPU s':>14}{'CPU+server':>12}{'peak MB':>9}")  # fmt: skip
    for contender in runners:
        wall, cpu = _best_median(contender.runs, "wall"), _best_median(contender.runs, "cpu")
        server, both = _best_median(contender.runs, "server"), _best_median(contender.runs, "both")
        peak = max(run["peak_mb"] for run in contender.runs)
        print(f"    {contender.name:28}{wall[0]:10.2f}{wall[1]:10.2f}{cpu[0]:10.2f}{cpu[1]:10.2f}"
              f"{server[1]:14.2f}{both[1]:12.2f}{peak:9.0f}")  # fmt: skip
    ours, references = runners[0], runners[1:]
    same_work = [contender for contender in references if "bare" not in contender.name]
    fairest = min(same_work, key=lambda contender: _best_median(contender.runs, "both")[1])
    ratios = {key: _best_median(ours.runs, key)[1] / _best_median(fairest.runs, key)[1]
              for key in ("wall", "cpu", "both")}  # fmt: skip
    print(f"    ours / {fairest.name} (the fastest reference), medians: {ratios['wall']:.2f}x wall,"
          f" {ratios['cpu']:.2f}x CPU, {ratios['both']:.2f}x CPU with the server's;"
          f" export of the imported rows identical to the file: {identical}")  # fmt: skip
    for contender in runners:
        turns = ", ".join(f"{run['wall']:.1f}/{run['both']:.1f}" for run in contender.runs)
        print(f"    {contender.name}, each turn wall/CPU+server s: {turns}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a scratch database for the empty-table runs")
    parser.add_argument("--populated-url", help="a generate.py database (1,000,000 invoices)")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--populated-rows", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--scenarios", default="sequential,varied,populated")
    parser.add_argument("--methods", default="executemany,copy")
    parser.add_argument("--app-root", type=Path, default=PROJECT_ROOT,
                        help="the checkout whose `flask import` is timed")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--trigger", action="store_true", help="a row-level trigger on invoices")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/accounts-desk-bench-imports"))
    parser.add_argument("--reference", help=argparse.SUPPRESS)  # one run of the yardstick
    parser.add_argument("file", nargs="?", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.reference:
        reference_import(options.database_url, options.file, options.reference)
        return
    options.workdir.mkdir(parents=True, exist_ok=True)
    scenarios = options.scenarios.split(",")
    methods = options.methods.split(",")
    rng = random.Random(2026)
    runs: list[tuple[str, str, Path]] = []
    if {"sequential", "varied"} & set(scenarios):
        if not options.database_url:
            parser.error("the sequential and varied scenarios need --database-url")
        _in_own_process(_prepare_empty, options.database_url, options.accounts)
        codes = _in_own_process(_codes, options.database_url)
        for name, make in (("sequential", sequential_rows), ("varied", varied_rows)):
            if name in scenarios:
                source = options.workdir / f"{name}-{options.rows}.csv"
                write_csv(source, make(options.rows, codes, rng))
                runs.append((f"{name}, empty table", options.database_url, source))
    if "populated" in scenarios:
        if not options.populated_url:
            parser.error("the populated scenario needs --populated-url")
        codes = _in_own_process(_codes, options.populated_url)
        source = options.workdir / f"populated-{options.populated_rows}.csv"
        write_csv(source, varied_rows(options.populated_rows, codes, rng))
        runs.append(("varied, into the populated table", options.populated_url, source))
    for name, url, source in runs:
        if options.trigger:
            set_trigger(url, present=True)
        try:
            run_scenario(name + (", with a row trigger" if options.trigger else ""), url, source,
                         options.repeat, methods, options.app_root)  # fmt: skip
        finally:
            if options.trigger:
                set_trigger(url, present=False)


def _prepare_empty(url: str, accounts: int, results: Any) -> None:
    empty_database(url, accounts)
    results.put(True)


def _codes(url: str, results: Any) -> None:
    results.put(account_codes(url))


def _highest_id(url: str, results: Any) -> None:
    results.put(highest_invoice_id(url))


def _remove(url: str, above_id: int, results: Any) -> None:
    remove_imported(url, above_id)
    results.put(True)


def _exported_match(url: str, source: Path, above_id: int, results: Any) -> None:
    results.put(exported_rows_match(url, source, above_id))


if __name__ == "__main__":
    main()
