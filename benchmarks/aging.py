"""Benchmark: the aging report by account manager against one hand-written SQL GROUP BY.

    python benchmarks/aging.py --database-url URL [--as-of 2026-10-31] [--repeat 3]

On a database made by `benchmarks/generate.py`, times side by side, best of `--repeat`:
- `flask --app app report aging --as-of D --output FILE.csv`, end to end in its own process
  (interpreter start, app start, queries, pandas, CSV written), with that process's peak memory;
- `reports.aging.aging_report` alone, in this process (the queries and pandas, no start-up);
- one hand-written SQL statement computing the same figures (buckets by CASE, per manager and
  currency, unapplied credit included), fetched to Python.
It then checks that the hand-written query's totals equal the report's, to the cent. Times are
wall-clock; the CPU seconds of this process are printed too, as other work on a shared machine
stretches wall-clock time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

DAYS_PAST_DUE = {
    "sqlite": "CAST(julianday(:as_of) - julianday(i.due_date) AS INTEGER)",
    "postgresql": "(CAST(:as_of AS date) - i.due_date)",
}
ISSUED_BY_DATE = {  # the report's SQLite hint (see `reports.queries.mostly_true`), for a fair race
    "sqlite": "likelihood(i.issue_date <= :as_of, 0.9)",
    "postgresql": "i.issue_date <= :as_of",
}
HAND_WRITTEN_AGING = """
WITH applied AS (
    SELECT invoice_id, SUM(cents) AS cents FROM (
        SELECT invoice_id, CAST(ROUND(amount * 100) AS INTEGER) AS cents FROM payments
        WHERE invoice_id IS NOT NULL AND payment_date <= :as_of
        UNION ALL
        SELECT invoice_id, CAST(ROUND(amount * 100) AS INTEGER) FROM credit_notes
        WHERE invoice_id IS NOT NULL AND issue_date <= :as_of
    ) AS applications GROUP BY invoice_id
), counted AS (
    SELECT COALESCE(a.account_manager_id, 0) AS manager_id, i.currency, i.disputed,
           CAST(ROUND(i.amount * 100) AS INTEGER) - COALESCE(ap.cents, 0) AS open_cents,
           {days} AS days
    FROM invoices i
    JOIN accounts a ON a.id = i.account_id
    LEFT JOIN applied ap ON ap.invoice_id = i.id
    WHERE {issued_by} AND i.status NOT IN ('draft', 'void')
), figures AS (
    SELECT manager_id, currency,
        CASE WHEN open_cents > 0 AND days <= 0 THEN open_cents ELSE 0 END AS current,
        CASE WHEN open_cents > 0 AND days BETWEEN 1 AND 30 THEN open_cents ELSE 0 END AS d30,
        CASE WHEN open_cents > 0 AND days BETWEEN 31 AND 60 THEN open_cents ELSE 0 END AS d60,
        CASE WHEN open_cents > 0 AND days BETWEEN 61 AND 90 THEN open_cents ELSE 0 END AS d90,
        CASE WHEN open_cents > 0 AND days > 90 THEN open_cents ELSE 0 END AS over90,
        CASE WHEN open_cents > 0 AND disputed THEN open_cents ELSE 0 END AS disputed,
        CASE WHEN open_cents > 0 THEN 1 ELSE 0 END AS open_invoices,
        CASE WHEN open_cents < 0 THEN -open_cents ELSE 0 END AS credit
    FROM counted WHERE open_cents <> 0
    UNION ALL
    SELECT COALESCE(a.account_manager_id, 0), 'GBP', 0, 0, 0, 0, 0, 0, 0, c.cents
    FROM (
        SELECT account_id, CAST(ROUND(amount * 100) AS INTEGER) AS cents FROM payments
        WHERE invoice_id IS NULL AND payment_date <= :as_of
        UNION ALL
        SELECT account_id, CAST(ROUND(amount * 100) AS INTEGER) FROM credit_notes
        WHERE invoice_id IS NULL AND issue_date <= :as_of
    ) AS c JOIN accounts a ON a.id = c.account_id
)
SELECT u.email, f.currency, SUM(current), SUM(d30), SUM(d60), SUM(d90), SUM(over90),
       SUM(disputed), SUM(open_invoices), SUM(credit)
FROM figures f LEFT JOIN users u ON u.id = f.manager_id
GROUP BY u.email, f.currency ORDER BY u.email, f.currency
"""


def time_command_line(database_url: str, as_of: dt.date) -> tuple[float, float, float, int]:
    """Wall and CPU seconds and peak MB of `flask report aging` in its own process, and the
    CSV's lines."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "aging.csv"
        command = [sys.executable, "-m", "flask", "--app", "app", "report", "aging",
                   "--as-of", as_of.isoformat(), "--output", str(output)]  # fmt: skip
        environment = {**os.environ, "DATABASE_URL": database_url}
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"the command failed with status {status}")
        lines = len(output.read_text().splitlines())
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, lines


def time_hand_written(engine: sa.Engine, as_of: dt.date) -> tuple[float, float, list[tuple]]:
    dialect = engine.dialect.name
    sql = HAND_WRITTEN_AGING.format(days=DAYS_PAST_DUE[dialect], issued_by=ISSUED_BY_DATE[dialect])
    started, cpu = time.perf_counter(), time.process_time()
    with engine.connect() as connection:
        rows = connection.execute(sa.text(sql), {"as_of": as_of.isoformat()}).all()
    return time.perf_counter() - started, time.process_time() - cpu, rows


def time_report_function(app: Flask, as_of: dt.date) -> tuple[float, float, pd.DataFrame]:
    from extensions import db
    from reports.aging import AgingParameters, aging_report
    from reports.queries import FULL_ACCESS

    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        parameters = AgingParameters(as_of=as_of, viewer=FULL_ACCESS)
        frame = aging_report(db.session, parameters, "account-manager")
        elapsed, cpu_used = time.perf_counter() - started, time.process_time() - cpu
        db.session.remove()
    return elapsed, cpu_used, frame


def check_same_figures(frame: pd.DataFrame, hand_rows: list[tuple]) -> None:
    """The report's TOTAL rows equal the hand-written query's sums, per currency, to the cent."""
    from reports.aging import TOTAL

    totals = frame[frame["account_manager"] == TOTAL].set_index("currency")
    for currency in totals.index:
        mine = [r for r in hand_rows if r[1] == currency]
        expected_total = sum(int(sum(r[2:7])) for r in mine)
        expected_credit = sum(int(r[9]) for r in mine)
        got = totals.loc[currency]
        assert got["total"] == Decimal(expected_total).scaleb(-2), currency
        assert got["unapplied_credit"] == Decimal(expected_credit).scaleb(-2), currency
        assert got["open_invoices"] == sum(int(r[8]) for r in mine), currency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 10, 31))
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": options.database_url, "TESTING": True})
    engine = sa.create_engine(options.database_url)
    with engine.connect() as connection:
        invoices = connection.scalar(sa.text("SELECT COUNT(*) FROM invoices"))
        open_share = connection.scalar(
            sa.text(
                "SELECT AVG(CASE WHEN NOT EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = "
                "i.id AND p.payment_date <= :d) THEN 1.0 ELSE 0 END) FROM invoices i"
            ),
            {"d": options.as_of.isoformat()},
        )
    print(f"{engine.dialect.name}: {invoices:,} invoices, {float(open_share):.0%} without a "
          f"payment as of {options.as_of}; best of {options.repeat}")  # fmt: skip

    command_runs = [time_command_line(options.database_url, options.as_of)
                    for _ in range(options.repeat)]  # fmt: skip
    report_runs = [time_report_function(app, options.as_of) for _ in range(options.repeat)]
    hand_runs = [time_hand_written(engine, options.as_of) for _ in range(options.repeat)]
    check_same_figures(report_runs[0][2], hand_runs[0][2])

    command_s, command_cpu, command_mb, lines = min(command_runs)
    report_s, report_cpu, _frame = min(report_runs, key=lambda run: run[0])
    hand_s, hand_cpu, _rows = min(hand_runs, key=lambda run: run[0])
    print(f"{'':44}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}")
    print(f"{'flask report aging (end to end, CSV)':44}{command_s:8.2f}{command_cpu:8.2f}"
          f"{command_mb:9.0f}")  # fmt: skip
    print(f"{'aging_report() alone':44}{report_s:8.2f}{report_cpu:8.2f}")
    print(f"{'hand-written SQL GROUP BY':44}{hand_s:8.2f}{hand_cpu:8.2f}")
    print(f"report / hand-written SQL: {report_s / hand_s:.2f}x; "
          f"end to end / hand-written SQL: {command_s / hand_s:.2f}x; {lines} CSV lines; "
          "figures equal to the cent")  # fmt: skip


if __name__ == "__main__":
    main()
