"""Benchmark: `flask report aging` end to end against hand-written SQL, and the aging pages.

    python benchmarks/aging.py --database-url URL [--as-of 2026-10-31] [--runs 5] [--no-pages]
        [--before CHECKOUT]

On a database made by `benchmarks/generate.py`. Each run of each case is its own process,
timed from start to exit, with its CPU seconds (user + system, DuckDB's threads included) and
peak memory from `wait4`; the cases take turns run by run, so a busy minute on a shared machine
falls on all of them alike. Cases:
- `flask --app app report aging --as-of D --by account-manager --output F.csv` as shipped, with
  `flask --app app worker` running for the database (started here, warmed by one report, timed
  apart): the worker makes the file (`reports/report_service.py`), and the CPU column adds the
  worker's CPU seconds (its process and DuckDB's, read from /proc) to the command's;
- the same command with no worker answering, made by the command itself: DuckDB, and
  `AGING_ENGINE=sql` (the plain SQL fallback). They set `AGING_ENGINE`, which the worker was
  started without, so the worker does not answer them (it answers only for its own database
  and engine);
- `benchmarks/aging_hand_written.py`: one hand-written statement (buckets by CASE) from a lean
  script, run by the database itself and by DuckDB: the yardstick;
- `flask --app app report aging --help` (start-up alone);
- with `--before CHECKOUT` (another worktree of this project, such as main), the same report
  command run in that checkout, in the same turns: a before/after comparison.
For PostgreSQL the CPU column is the client's: the server's work is in the wall time only.
Then the report pages, in this process through the test client as an admin (server time):
by manager and by account, as of D and as of today, computed (the aging cache emptied before
each run; `aging_page_cache.py` measures the cached page).

Every figure is checked: each (manager, currency) row of both report CSVs, every bucket,
disputed, open invoices and unapplied credit, equals the hand-written query's row from the
database and from DuckDB; `total` is the sum of the buckets, `net_total` is `total` less
unapplied credit, and each TOTAL row is the sum of its currency's rows. It prints best and
median of `--runs`, and the load average before each case's runs.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "benchmark-password"
BUCKETS = ["current", "days_1_30", "days_31_60", "days_61_90", "days_over_90"]


@dataclass
class Case:
    name: str
    command: list[str]
    environment: dict[str, str] = field(default_factory=dict)
    output: Path | None = None
    folder: Path = PROJECT_ROOT
    served_by: int | None = None
    """The pid of a worker that does this case's work: its CPU seconds count as the case's."""
    runs: list[tuple[float, float, float]] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    server_cpus: list[float] = field(default_factory=list)

    def run_once(self) -> None:
        self.loads.append(os.getloadavg()[0])
        worker_cpu_before = tree_cpu(self.served_by) if self.served_by else 0.0
        started = time.perf_counter()
        process = subprocess.Popen(self.command, cwd=self.folder, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE,
                                   env={**os.environ, **self.environment})  # fmt: skip
        said = process.stderr.read().decode()  # to its end: the command has exited
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"{self.name} failed with status {status}: {said}")
        worker_cpu = 0.0
        if self.served_by:
            if "making it here" in said:
                raise SystemExit(f"{self.name}: the worker did not make the report: {said}")
            worker_cpu = tree_cpu(self.served_by) - worker_cpu_before
            self.server_cpus.append(worker_cpu)
        cpu = usage.ru_utime + usage.ru_stime + worker_cpu
        self.runs.append((wall, cpu, usage.ru_maxrss / 1024))


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (a worker and its DuckDB process)."""
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


@contextmanager
def running_worker(url: str, folder: Path) -> Iterator[subprocess.Popen[str]]:
    """`flask --app app worker` for the database, as deployed (nice 10), on a queue of its own,
    once it answers report commands."""
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "benchmark",
                   "JOBS_SQLITE_PATH": str(folder / "jobs-queue.db")}  # fmt: skip
    for name in ("AGING_ENGINE", "JOBS_REDIS_URL", "REDIS_URL"):
        environment.pop(name, None)
    worker = subprocess.Popen([PYTHON, "-m", "flask", "--app", "app", "worker", "--no-periodic"],
                              cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            if "flask report aging" in line:
                break
        else:
            raise SystemExit("the worker stopped before it answered report commands")
        # Its log goes on: read it, or the pipe fills and the worker waits to write.
        threading.Thread(target=worker.stdout.read, daemon=True).start()
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def peak_memory_mb(pid: int) -> float:
    """A live process's peak resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cases(url: str, as_of: str, folder: Path, before: Path | None, worker: int) -> list[Case]:
    flask = [PYTHON, "-m", "flask", "--app", "app", "report", "aging"]
    report = [*flask, "--as-of", as_of, "--by", "account-manager", "--output"]
    hand = [PYTHON, "benchmarks/aging_hand_written.py", "--database-url", url, "--as-of", as_of]
    database = {"DATABASE_URL": url}
    return [
        Case("flask report aging, worker running", [*report, str(folder / "worker.csv")],
             database, folder / "worker.csv", served_by=worker),
        Case("flask report aging, no worker (DuckDB)", [*report, str(folder / "duckdb.csv")],
             {**database, "AGING_ENGINE": "duckdb"}, folder / "duckdb.csv"),
        Case("flask report aging, no worker (SQL)", [*report, str(folder / "sql.csv")],
             {**database, "AGING_ENGINE": "sql"}, folder / "sql.csv"),
        Case("hand-written SQL, run by the database", [*hand, "--runner", "database", "--output",
             str(folder / "hand_database.csv")], {}, folder / "hand_database.csv"),
        Case("hand-written SQL, run by DuckDB", [*hand, "--runner", "duckdb", "--output",
             str(folder / "hand_duckdb.csv")], {}, folder / "hand_duckdb.csv"),
        Case("flask report aging --help", [*flask, "--help"], database),
    ] + ([Case("flask report aging, before (--before)", [*report, str(folder / "before.csv")],
               {**database, "AGING_ENGINE": "duckdb"}, folder / "before.csv", before)]
         if before else [])  # fmt: skip


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def report_rows(path: Path) -> dict[tuple[str, str], list[int]]:
    """The report CSV's rows, checked for its own invariants, as hand-written rows read."""
    rows, totals = {}, {}
    for line in csv.DictReader(path.open()):
        buckets = [cents(line[name]) for name in BUCKETS]
        assert cents(line["total"]) == sum(buckets), line
        assert cents(line["net_total"]) == sum(buckets) - cents(line["unapplied_credit"]), line
        figures = [*buckets, cents(line["disputed"]), int(line["open_invoices"]),
                   cents(line["unapplied_credit"])]  # fmt: skip
        target = totals if line["account_manager"] == "TOTAL" else rows
        target[(line["account_manager"], line["currency"])] = figures
    summed: dict[str, list[int]] = defaultdict(lambda: [0] * 8)
    for (_manager, currency), figures in rows.items():
        summed[currency] = [a + b for a, b in zip(summed[currency], figures, strict=True)]
    assert {("TOTAL", c): f for c, f in summed.items()} == totals, "TOTAL rows are not the sums"
    return rows


def hand_rows(path: Path) -> dict[tuple[str, str], list[int]]:
    lines = csv.reader(path.open())
    next(lines)
    return {(line[0], line[1]): [int(value) for value in line[2:]] for line in lines}


def check_figures(by_case: dict[str, Path]) -> int:
    """Every row and figure of every output equals every other's; the number of rows."""
    outputs = {name: report_rows(path) if "report" in name else hand_rows(path)
               for name, path in by_case.items()}  # fmt: skip
    (first_name, first), *others = outputs.items()
    for name, rows in others:
        assert rows.keys() == first.keys(), f"{name} and {first_name} list different rows"
        for key in first:
            assert rows[key] == first[key], f"{name} and {first_name} differ on {key}"
    return len(first)


def page_timings(url: str, as_of: str, runs: int) -> list[tuple[str, list[float], list[float]]]:
    """Server time of the aging pages (in-process test client, logged in as an admin)."""
    sys.path.insert(0, str(PROJECT_ROOT))
    import sqlalchemy as sa

    from app import create_app
    from auth.passwords import hash_password
    from dashboards.cache import figures_cache
    from extensions import db
    from models import User
    from tests.conftest import CSRF_INPUT

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "bench-admin@example.test"))
        if admin is None:
            admin = User(email="bench-admin@example.test", role="admin")
            db.session.add(admin)
        admin.password_hash = hash_password(PASSWORD)  # another benchmark may have set its own
        db.session.commit()
    client = app.test_client()
    found = CSRF_INPUT.search(client.get("/login").get_data(as_text=True))
    form = {"email": "bench-admin@example.test", "password": PASSWORD,
            "csrf_token": found.group(1) or found.group(2)}  # fmt: skip
    assert client.post("/login", data=form).status_code == 302, "benchmark login failed"
    today = dt.date.today().isoformat()
    pages = [(f"{page} as of {date}", f"/admin/reports/aging/{page}?as_of={date}")
             for date in (as_of, today) for page in ("manager", "account")]  # fmt: skip
    results = []
    for name, address in pages:
        assert client.get(address).status_code == 200, address  # warm: DuckDB attached
        walls, cpus = [], []
        for _ in range(runs):
            with app.app_context():
                figures_cache.clear()  # the figures computed, not read from the aging cache
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(address)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            assert response.status_code == 200, address
        results.append((name, walls, cpus))
    return results


def summary(values: list[float]) -> str:
    return f"{min(values):7.2f} {statistics.median(values):7.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--as-of", default="2026-10-31")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--before", type=Path, help="another checkout whose command to time too")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as name, running_worker(options.database_url,
                                                               Path(name)) as worker:  # fmt: skip
        folder = Path(name)
        timed = cases(options.database_url, options.as_of, folder, options.before, worker.pid)
        first = Case("the worker's first report", timed[0].command, timed[0].environment,
                     served_by=worker.pid)  # fmt: skip
        first.run_once()  # DuckDB's first read of the tables, once per worker
        for _ in range(options.runs):
            for case in timed:
                case.run_once()
        worker_peak = peak_memory_mb(worker.pid)
        rows = check_figures({case.name: case.output for case in timed if case.output})
        if timed[0].output.read_bytes() != timed[1].output.read_bytes():
            raise SystemExit("the worker's CSV differs from the one the command makes itself")
    print(f"{options.database_url.split(':')[0]}, as of {options.as_of}, {options.runs} runs "
          f"per case taken in turns; {rows} (manager, currency) rows equal in every output, "
          "figure by figure; the worker's CSV is the command's own, byte for byte")  # fmt: skip
    print(f"{'case':42} {'wall best / median':>18} {'CPU best / median':>18} {'peak MB':>8} "
          f"{'load':>10}")  # fmt: skip
    for case in timed:
        walls, cpus, peaks = zip(*case.runs, strict=True)
        loads = f"{min(case.loads):.1f}-{max(case.loads):.1f}"
        print(f"{case.name:42} {summary(list(walls)):>18} {summary(list(cpus)):>18} "
              f"{max(peaks):8.0f} {loads:>10}")  # fmt: skip
    served_cpu = statistics.median(timed[0].server_cpus)
    own_cpu = statistics.median(c for _w, c, _m in timed[0].runs) - served_cpu
    print(f"worker running: the command's own CPU median {own_cpu:.2f} s, the worker's "
          f"{served_cpu:.2f} s; the worker's peak memory {worker_peak:.0f} MB (pages loaded); "
          f"its first report {first.runs[0][0]:.2f} s")  # fmt: skip
    fastest = min(statistics.median(w for w, _c, _m in case.runs) for case in timed[3:5])
    for case in timed[:2]:
        median = statistics.median(w for w, _c, _m in case.runs)
        print(f"{case.name} / fastest hand-written (median wall): {median / fastest:.2f}x")
    if options.no_pages:
        return
    load = os.getloadavg()[0]
    print(f"pages, server time (in-process test client, admin), load {load:.1f}:")
    for name, walls, cpus in page_timings(options.database_url, options.as_of, options.runs):
        print(f"{name:42} {summary(walls):>18} {summary(cpus):>18}")


if __name__ == "__main__":
    main()
