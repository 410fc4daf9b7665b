"""Benchmark: a 2,000,000-row invoice import through the panel, as a job, beside the CLI import.

    python benchmarks/jobs_import.py --database-url URL [--rows 2000000] [--format csv|xlsx]
                                     [--redis-url redis://127.0.0.1:6379/2] [--workdir DIR]
                                     [--skip-cli] [--no-other-users] [--repeat N]
                                     [--worker-nice N] [--no-periodic]

Prepares the database (schema by the migrations, 10,000 accounts, an admin and two analysts)
and the invoices file (made once per row count and format in `--workdir`), starts gunicorn as
production runs it (2 workers x 4 threads, the default 30 s timeout) and one
`flask --app app worker` with its default threads (the embedded SQLite queue, or Redis with
`--redis-url`), then, `--repeat` times, alternating:
1. the CLI import (`bulk_io.run_import` as `flask import invoices FILE` calls it) in a process of
   its own, timed from the import's start (the baseline), and its invoices deleted again;
2. the admin uploads the file through the Import page (the body streamed from disk), follows the
   job page's JSON as the page does (twice a second) until the check is done, confirms, and
   follows it until the import is done; meanwhile (unless `--no-other-users`) two analysts open
   invoice lists, a search, account pages and the home page, one request after another.
It prints, per turn: the upload's response time, when the job page first showed the job running
and progress moving after the upload returned, the check and write times; then wall and CPU
seconds, best and median, of the CLI import and of the job's write step (the worker process's
CPU from confirmation to "done", the CLI process's during its import), the PostgreSQL server's
CPU for each, the other users' request latencies during the jobs (p50, p95, max), and the load
average (1 min) before, at most during, and after. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import sqlalchemy as sa  # noqa: E402

PASSWORD = "jobs-bench-password"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
JOB_URL = re.compile(r"/admin/jobs/(\d+)/")
ACCOUNTS = 10_000
POLL_SECONDS = 0.5
"""How often the job page asks for progress (static/job_progress.js)."""
HEADER = ["number", "account_code", "issue_date", "due_date", "amount", "currency", "status",
          "disputed", "description"]  # fmt: skip


CLI_IMPORT = """
import sys, time
from app import create_app
from bulk_io.importing import SystemActor, run_import
from extensions import db
from pathlib import Path
sys.path.insert(0, "benchmarks")
from import_invoices import backend_pid, server_cpu
with create_app().app_context():
    pid = backend_pid(db.session.connection())  # the import's commit hands it back to the pool
    server = server_cpu(pid)
    started = time.perf_counter()
    cpu = time.process_time()
    report = run_import(db.session, "invoices", Path(sys.argv[1]), SystemActor())
    assert report.written, report.summary()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(wall, cpu, server_cpu(pid) - server)
"""
"""What `flask import invoices FILE` runs, timed from the import's start (process start and app
creation left out, as the job's figures leave out the worker's)."""


def prepare_database(url: str) -> None:
    from app import create_app
    from auth.passwords import hash_password
    from extensions import db
    from models import Account, User
    from schema_migrations import upgrade_schema

    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    elif url.startswith("sqlite:///"):
        for stale in Path(url.removeprefix("sqlite:///")).parent.glob("jobs-bench.db*"):
            stale.unlink()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade_schema()
        db.session.execute(
            sa.insert(Account.__table__),
            [{"code": f"ACC{n:06}", "name": f"Account {n}"} for n in range(ACCOUNTS)],
        )
        password = hash_password(PASSWORD)
        for email, role in [("admin@bench.test", "admin"), ("a1@bench.test", "analyst"),
                            ("a2@bench.test", "analyst")]:  # fmt: skip
            db.session.add(User(email=email, role=role, password_hash=password))
        db.session.commit()


def make_file(workdir: Path, rows: int, file_format: str) -> Path:
    target = workdir / f"invoices-{rows}.{file_format}"
    if target.exists():
        return target
    rng = random.Random(2026)

    def records():
        yield HEADER
        for n in range(rows):
            issued = f"2025-{rng.randrange(1, 13):02}-{rng.randrange(1, 29):02}"
            yield [f"INV{n:08}", f"ACC{rng.randrange(ACCOUNTS):06}", issued, "",
                   f"{rng.randrange(100, 500_000) / 100:.2f}", "GBP", "issued",
                   "false", f"Training course {n % 997}"]  # fmt: skip

    if file_format == "csv":
        with target.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(records())
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("invoices")
        for record in records():
            sheet.append(record)
        workbook.save(target)
    return target


def count_invoices(url: str, delete: bool = False) -> int:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM invoices")).scalar_one()
        if delete:
            connection.execute(sa.text("DELETE FROM invoices"))
            connection.execute(sa.text("DELETE FROM audit_events"))
    engine.dispose()
    return count


class Browser:
    """A logged-in user: cookies, CSRF token, and the latency of each request."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self.fetch("/login")[1]
        self.fetch("/login", {"email": email, "password": PASSWORD,
                              "csrf_token": TOKEN.search(page).group(1)})  # fmt: skip
        self.token = TOKEN.search(self.fetch("/admin/")[1]).group(1)

    def fetch(self, path: str, form: dict[str, str] | None = None) -> tuple[float, str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        started = time.perf_counter()
        with self.opener.open(self.base + path, data=data, timeout=600) as response:
            body = response.read().decode()
            return time.perf_counter() - started, body, response.url

    def upload(self, path: Path) -> tuple[float, str]:
        """POST the file as multipart/form-data, streamed from disk in 1 MB chunks."""
        boundary = uuid.uuid4().hex
        head = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in (("csrf_token", self.token), ("kind", "invoices"))
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body():
            yield head.encode()
            with path.open("rb") as source:
                while chunk := source.read(1024 * 1024):
                    yield chunk
            yield tail

        length = len(head.encode()) + path.stat().st_size + len(tail)
        request = urllib.request.Request(
            self.base + "/admin/import/preview", data=body(), method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                     "Content-Length": str(length)},
        )  # fmt: skip
        started = time.perf_counter()
        with self.opener.open(request, timeout=600) as response:
            response.read()
            return time.perf_counter() - started, response.url

    def progress(self, job_id: int) -> dict:
        return json.loads(self.fetch(f"/admin/jobs/{job_id}/progress")[1])


def other_users(
    base: str, stop: threading.Event, browsing: threading.Event, latencies: list[float]
) -> list[threading.Thread]:
    """Two analysts browsing while `browsing` is set (while a job runs), until `stop`."""

    def browse(email: str, seed: int) -> None:
        rng = random.Random(seed)
        user = Browser(base, email)
        while not stop.is_set():
            if not browsing.wait(timeout=0.5):
                continue
            path = rng.choice(["/admin/invoice/", "/admin/invoice/?search=INV0001",
                               f"/admin/account/details/?id={rng.randrange(2, ACCOUNTS)}",
                               "/admin/"])  # fmt: skip
            latencies.append(user.fetch(path)[0])
            time.sleep(0.2)

    threads = [threading.Thread(target=browse, args=(email, n), daemon=True)
               for n, email in enumerate(["a1@bench.test", "a2@bench.test"])]  # fmt: skip
    for thread in threads:
        thread.start()
    return threads


def wait_for(browser: Browser, job_id: int, statuses: set[str], loads: list[float]) -> dict:
    """Follow the job page's JSON as the page does (twice a second) until the job stops."""
    while True:
        state = browser.progress(job_id)
        loads.append(os.getloadavg()[0])
        if state["status"] in statuses:
            return state
        time.sleep(POLL_SECONDS)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by the processes `pids` (those still alive), from /proc."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def server_backends(url: str) -> list[int]:
    """PostgreSQL's processes serving the benchmark's database now (none for SQLite)."""
    if not url.startswith("postgresql"):
        return []
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        pids = connection.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )  # fmt: skip
        ).scalars()
        found = list(pids)
    engine.dispose()
    return found


class ServerCpu:
    """CPU seconds of the database server's processes for the benchmark's database over a step
    (a backend that starts during the step counts from zero)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.before = {pid: process_cpu([pid]) for pid in server_backends(url)}

    def used(self) -> float:
        pids = set(self.before) | set(server_backends(self.url))
        return sum(process_cpu([pid]) - self.before.get(pid, 0.0) for pid in pids)


def cli_import(source: Path, environment: dict[str, str], url: str, rows: int) -> dict[str, float]:
    """One timed CLI import in a process of its own; its invoices deleted again after."""
    timed = subprocess.run(
        [sys.executable, "-c", CLI_IMPORT, str(source)], cwd=PROJECT_ROOT, env=environment,
        capture_output=True, text=True,
    )  # fmt: skip
    if timed.returncode:
        raise SystemExit(f"the CLI import failed:\n{timed.stderr[-3000:]}")
    wall, cpu, server = (float(figure) for figure in timed.stdout.split()[-3:])
    assert count_invoices(url, delete=True) == rows
    return {"wall": wall, "cpu": cpu, "server": server}


def job_import(admin: Browser, source: Path, worker_pid: int, url: str, loads: list[float],
               latencies_running: threading.Event) -> dict[str, float]:  # fmt: skip
    """Upload, check, confirm and write `source` through the panel; the figures of each step."""
    upload_seconds, landed = admin.upload(source)
    job_id = int(JOB_URL.search(landed).group(1))
    returned = time.perf_counter()
    latencies_running.set()
    first_running = first_rows = None
    while first_rows is None:
        state = admin.progress(job_id)
        if first_running is None and state["status"] != "queued":
            first_running = time.perf_counter() - returned
        if state["rows_done"] or state["percent"] or state["status"] not in {"queued", "running"}:
            first_rows = time.perf_counter() - returned  # rows counted, or the bar moving
        time.sleep(0.05)
    state = wait_for(admin, job_id, {"previewed", "failed"}, loads)
    check_seconds = time.perf_counter() - returned
    assert state["status"] == "previewed", state
    worker_cpu, server = process_cpu([worker_pid]), ServerCpu(url)
    admin.fetch(f"/admin/jobs/{job_id}/confirm", {"csrf_token": admin.token})
    confirmed = time.perf_counter()
    state = wait_for(admin, job_id, {"done", "failed"}, loads)
    write_seconds = time.perf_counter() - confirmed
    assert state["status"] == "done", state
    latencies_running.clear()
    return {"upload": upload_seconds, "first_running": first_running, "first_rows": first_rows,
            "check": check_seconds, "wall": write_seconds,
            "cpu": process_cpu([worker_pid]) - worker_cpu, "server": server.used()}  # fmt: skip


def best_median(runs: list[dict[str, float]], key: str) -> str:
    values = [run[key] for run in runs]
    return f"{min(values):.1f} / {statistics.median(values):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--workdir", type=Path, default=PROJECT_ROOT / "benchmarks" / "work")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument(
        "--no-other-users", action="store_true", help="measure the job alone, as the CLI runs"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="turns of CLI import then job import, alternating"
    )
    parser.add_argument(
        "--worker-nice", type=int, default=None, help="`flask worker --nice` (default: its own)"
    )
    parser.add_argument(
        "--no-periodic",
        action="store_true",
        help="`flask worker --no-periodic`: the import alone in the worker, as in the CLI",
    )
    options = parser.parse_args()
    options.workdir.mkdir(parents=True, exist_ok=True)
    url = options.database_url

    started = time.perf_counter()
    source = make_file(options.workdir, options.rows, options.format)
    print(f"file: {source.name}, {source.stat().st_size / 1e6:.0f} MB "
          f"(ready in {time.perf_counter() - started:.0f} s)")  # fmt: skip
    prepare_database(url)
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "jobs-bench",
                   "JOBS_SQLITE_PATH": str(options.workdir / "queue.db"),
                   "JOBS_QUEUE_NAME": f"bench-{uuid.uuid4().hex[:8]}"}  # fmt: skip
    environment.pop("REDIS_URL", None)
    environment.pop("JOBS_REDIS_URL", None)
    if options.redis_url:
        environment["JOBS_REDIS_URL"] = options.redis_url

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
         "app:create_app({'SESSION_COOKIE_SECURE': False})"],
        cwd=PROJECT_ROOT, env=environment, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    nice = [] if options.worker_nice is None else ["--nice", str(options.worker_nice)]
    periodic = ["--no-periodic"] if options.no_periodic else []
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", *nice, *periodic],
        cwd=PROJECT_ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    stop, browsing = threading.Event(), threading.Event()
    latencies: list[float] = []
    loads = [os.getloadavg()[0]]
    cli_runs: list[dict[str, float]] = []
    job_runs: list[dict[str, float]] = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        admin = Browser(base, "admin@bench.test")
        load_before = os.getloadavg()[0]
        if not options.no_other_users:
            other_users(base, stop, browsing, latencies)
        for _turn in range(options.repeat):
            if not options.skip_cli:
                cli_runs.append(cli_import(source, environment, url, options.rows))
            job_runs.append(job_import(admin, source, worker.pid, url, loads, browsing))
            assert count_invoices(url, delete=_turn < options.repeat - 1) == options.rows
    finally:
        stop.set()
        server.terminate()
        worker.terminate()
        server.wait(timeout=60)
        worker.wait(timeout=60)
    queue = "Redis" if options.redis_url else "embedded SQLite queue"
    print(f"{options.rows:,} rows, {options.format.upper()}, {url.split(':')[0]}, {queue}, "
          f"worker nice {options.worker_nice if nice else 'default'}"
          f"{', no periodic tasks' if periodic else ''}, "
          f"{options.repeat} turn(s)")  # fmt: skip
    for run in job_runs:
        print(f"upload request {run['upload']:.1f} s; after it returned, the job was running "
              f"(phase shown) in {run['first_running']:.2f} s, progress moving in "
              f"{run['first_rows']:.2f} s; check {run['check']:.0f} s, "
              f"write {run['wall']:.1f} s")  # fmt: skip
    print(f"{'':18}{'wall s best/median':>20}{'CPU s best/median':>20}{'server CPU s':>16}")
    for label, runs in (("CLI import", cli_runs), ("job write step", job_runs)):
        if runs:
            print(f"{label:18}{best_median(runs, 'wall'):>20}{best_median(runs, 'cpu'):>20}"
                  f"{best_median(runs, 'server'):>16}")  # fmt: skip
    if cli_runs:
        medians = {key: (statistics.median(j[key] for j in job_runs),
                         statistics.median(c[key] for c in cli_runs))
                   for key in ("wall", "cpu")}  # fmt: skip
        both = [statistics.median(r["cpu"] + r["server"] for r in runs)
                for runs in (job_runs, cli_runs)]  # fmt: skip
        print("job vs CLI, medians: " + ", ".join(
            f"{key} {100 * (job / cli - 1):+.0f}%" for key, (job, cli) in medians.items())
            + f", CPU with the server's {100 * (both[0] / both[1] - 1):+.0f}%")  # fmt: skip
        print("each turn, wall s: CLI " + ", ".join(f"{r['wall']:.1f}" for r in cli_runs)
              + "; job " + ", ".join(f"{r['wall']:.1f}" for r in job_runs))  # fmt: skip
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(f"other users during the jobs: {len(ordered)} requests, p50 "
              f"{statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
              f"max {ordered[-1] * 1000:.0f} ms")  # fmt: skip
    print(f"load average (1 min): before {load_before:.1f}, max during {max(loads):.1f}, "
          f"after {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")  # fmt: skip


if __name__ == "__main__":
    main()
