"""The yardstick for `flask report aging`: one hand-written SQL statement, run from a lean script.

    python benchmarks/aging_hand_written.py --database-url URL --as-of D --runner database|duckdb
        --output FILE.csv

It imports only the database driver (sqlite3 or psycopg) or DuckDB, and csv: no Flask, no
SQLAlchemy, no pandas. The statement computes the aging by account manager with buckets (30,
60, 90) by CASE, per manager e-mail and currency, unapplied credit included, in cents; the CSV
holds `account_manager,currency,current,days_1_30,days_31_60,days_61_90,days_over_90,disputed,
open_invoices,unapplied_credit`, sorted like the report. `--runner database` sends it to SQLite
or PostgreSQL (without JIT and with 64 MB of work_mem, its fastest settings here); `--runner
duckdb` runs the same text in DuckDB over the live database, as the report's default engine does.
`benchmarks/aging.py` times this script end to end beside the report command.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

AGING_BY_MANAGER = """
WITH applied AS (
    SELECT invoice_id, SUM(cents) AS cents FROM (
        SELECT invoice_id, CAST(ROUND(amount * 100) AS BIGINT) AS cents FROM payments
        WHERE invoice_id IS NOT NULL AND payment_date <= {as_of}
        UNION ALL
        SELECT invoice_id, CAST(ROUND(amount * 100) AS BIGINT) FROM credit_notes
        WHERE invoice_id IS NOT NULL AND issue_date <= {as_of}
    ) AS applications GROUP BY invoice_id
), counted AS (
    SELECT COALESCE(a.account_manager_id, 0) AS manager_id, i.currency, i.disputed,
           CAST(ROUND(i.amount * 100) AS BIGINT) - COALESCE(ap.cents, 0) AS open_cents,
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
        CASE WHEN open_cents > 0 AND CAST(disputed AS INTEGER) = 1 THEN open_cents ELSE 0 END
            AS disputed,
        CASE WHEN open_cents > 0 THEN 1 ELSE 0 END AS open_invoices,
        CASE WHEN open_cents < 0 THEN -open_cents ELSE 0 END AS credit
    FROM counted WHERE open_cents <> 0
    UNION ALL
    SELECT COALESCE(a.account_manager_id, 0), 'GBP', 0, 0, 0, 0, 0, 0, 0, c.cents
    FROM (
        SELECT account_id, CAST(ROUND(amount * 100) AS BIGINT) AS cents FROM payments
        WHERE invoice_id IS NULL AND payment_date <= {as_of}
        UNION ALL
        SELECT account_id, CAST(ROUND(amount * 100) AS BIGINT) FROM credit_notes
        WHERE invoice_id IS NULL AND issue_date <= {as_of}
    ) AS c JOIN accounts a ON a.id = c.account_id
)
SELECT COALESCE(u.email, '(unassigned)') AS account_manager, f.currency,
       SUM(current), SUM(d30), SUM(d60), SUM(d90), SUM(over90), SUM(disputed),
       SUM(open_invoices), SUM(credit)
FROM figures f LEFT JOIN users u ON u.id = f.manager_id
GROUP BY COALESCE(u.email, '(unassigned)'), f.currency
ORDER BY COALESCE(u.email, '(unassigned)'), f.currency
"""
HEADER = ["account_manager", "currency", "current", "days_1_30", "days_31_60", "days_61_90",
          "days_over_90", "disputed", "open_invoices", "unapplied_credit"]  # fmt: skip


def statement(dialect: str, as_of: dt.date) -> str:
    """The statement for `dialect` (sqlite, postgresql or duckdb), the date written in."""
    date = f"DATE '{as_of.isoformat()}'" if dialect != "sqlite" else f"'{as_of.isoformat()}'"
    if dialect == "sqlite":  # the report's planner hint, for a fair race (reports.queries)
        days = f"CAST(julianday({date}) - julianday(i.due_date) AS INTEGER)"
        issued_by = f"likelihood(i.issue_date <= {date}, 0.9)"
    else:
        days, issued_by = f"({date} - i.due_date)", f"i.issue_date <= {date}"
    return AGING_BY_MANAGER.format(as_of=date, days=days, issued_by=issued_by)


def rows_from_database(url: str, as_of: dt.date) -> list[tuple]:
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(url.split("///", 1)[1])
        return connection.execute(statement("sqlite", as_of)).fetchall()
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        connection.execute("SET jit = off")
        connection.execute("SET work_mem = '64MB'")
        return connection.execute(statement("postgresql", as_of)).fetchall()


def rows_from_duckdb(url: str, as_of: dt.date) -> list[tuple]:
    import duckdb

    spec = importlib.util.find_spec("duckdb_ext")
    extensions = Path(next(iter(spec.submodule_search_locations))) / "extensions"
    connection = duckdb.connect(config={"extension_directory": str(extensions),
                                        "autoinstall_known_extensions": False})  # fmt: skip
    if url.startswith("sqlite"):
        connection.execute("LOAD sqlite")
        path = url.split("///", 1)[1]
        connection.execute(f"ATTACH '{path}' AS ledger (TYPE sqlite, READ_ONLY)")
        connection.execute("USE ledger")
    else:
        connection.execute("LOAD postgres")
        libpq = url.replace("+psycopg", "")
        connection.execute(
            f"ATTACH '{libpq}' AS ledger (TYPE postgres, READ_ONLY, SCHEMA 'public')"
        )
        connection.execute("USE ledger.public")
    return connection.execute(statement("duckdb", as_of)).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--runner", choices=["database", "duckdb"], default="database")
    parser.add_argument("--output", type=Path, required=True)
    options = parser.parse_args()
    read = rows_from_database if options.runner == "database" else rows_from_duckdb
    rows = read(options.database_url, options.as_of)
    with options.output.open("w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(HEADER)
        writer.writerows(rows)


if __name__ == "__main__":
    main()
