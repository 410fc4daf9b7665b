"""Benchmark data: a realistic receivables database built through the real schema.

    python benchmarks/generate.py --database-url URL [--accounts 100000] [--invoices 1000000]
                                  [--seed 2026] [--as-of 2026-10-31]

The schema comes from the migrations (as `flask --app app init-db` builds it), then rows go in
with SQLAlchemy Core bulk inserts, a batch at a time (executemany). What it makes, seeded:
- 40 account managers (role `manager`, no password: they cannot log in), one analyst, and
  manager access grants on about 2% of the accounts;
- `--accounts` accounts in 12 groups, 95% with an account manager, a few providers and disabled;
- `--invoices` invoices issued over the 400 days before `--as-of` (3% after it), in GBP, EUR, USD
  and CHF, 2% draft, 1% void, 3% disputed;
- payments on about 40% of the issued invoices (most in full, some partial, a few over), many
  dated after `--as-of`, so most invoices are open as of that date; credit notes on 2%; and
  unapplied payments and credit notes (account credit) on a few thousand accounts.
The target must be empty (a fresh SQLite file, or a PostgreSQL database with no invoices).
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

BATCH_ROWS = 50_000
MANAGER_COUNT = 40
GROUP_NAMES = ("North", "South", "East", "West", "Midlands", "Scotland", "Wales", "Ireland",
               "Benelux", "DACH", "Nordics", "Iberia")  # fmt: skip
CURRENCIES = np.array(["GBP", "EUR", "USD", "CHF"])
CURRENCY_SHARES = [0.70, 0.15, 0.10, 0.05]
PAYMENT_METHODS = np.array(["bank_transfer", "card", "direct_debit", "cheque"])


def money(cents: np.ndarray) -> list[Decimal]:
    """Exact Decimal amounts from integer cents."""
    return [Decimal(int(value)).scaleb(-2) for value in cents]


def dates(base: dt.date, offsets: np.ndarray) -> list[dt.date]:
    days = np.datetime64(base.isoformat()) + offsets.astype("timedelta64[D]")
    return days.astype(object).tolist()


def batches(rows: dict[str, list[Any]]) -> Iterator[list[dict[str, Any]]]:
    """Column lists -> lists of row dicts, BATCH_ROWS at a time."""
    names = list(rows)
    total = len(rows[names[0]])
    for start in range(0, total, BATCH_ROWS):
        columns = [rows[name][start : start + BATCH_ROWS] for name in names]
        yield [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def insert_all(connection: Any, table: Any, rows: dict[str, list[Any]]) -> int:
    count = 0
    for batch in batches(rows):
        connection.execute(table.insert(), batch)
        count += len(batch)
    return count


def people(connection: Any, tables: dict[str, Any]) -> list[int]:
    """The account managers (and one analyst); returns the managers' ids."""
    emails = [f"manager{n:02}@bench.test" for n in range(1, MANAGER_COUNT + 1)]
    emails.append("analyst@bench.test")
    roles = ["manager"] * MANAGER_COUNT + ["analyst"]
    insert_all(connection, tables["users"], {
        "email": emails, "first_name": [e.split("@")[0].title() for e in emails],
        "last_name": ["Bench"] * len(emails), "role": roles, "active": [True] * len(emails),
        "session_token": [secrets.token_urlsafe(24) for _ in emails],
        "custom_fields": [{}] * len(emails), "version_id": [1] * len(emails),
    })  # fmt: skip
    users = tables["users"]
    query = users.select().with_only_columns(users.c.id).where(users.c.role == "manager")
    return sorted(connection.scalars(query.order_by(users.c.id)))


def accounts(
    connection: Any, tables: dict[str, Any], rng: np.random.Generator, count: int,
    manager_ids: list[int],
) -> np.ndarray:  # fmt: skip
    """Account groups, accounts and manager grants; returns the accounts' ids."""
    groups = tables["account_groups"]
    insert_all(connection, groups, {
        "name": list(GROUP_NAMES), "version_id": [1] * len(GROUP_NAMES),
    })  # fmt: skip
    group_ids = np.array(sorted(connection.scalars(groups.select().with_only_columns(groups.c.id))))
    managers = rng.choice(np.array(manager_ids), count).astype(object)
    managers[rng.random(count) < 0.05] = None
    limits = rng.choice([500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000], count)
    now = dt.datetime(2026, 1, 1)
    insert_all(connection, tables["accounts"], {
        "code": [f"ACC{n:06}" for n in range(1, count + 1)],
        "name": [f"Customer {n} Ltd" for n in range(1, count + 1)],
        "type": np.where(rng.random(count) < 0.1, "provider", "customer").tolist(),
        "status": np.where(rng.random(count) < 0.03, "disabled", "enabled").tolist(),
        "group_id": rng.choice(group_ids, count).tolist(),
        "account_manager_id": managers.tolist(),
        "payment_terms_days": rng.choice([14, 30, 30, 30, 45, 60], count).tolist(),
        "credit_limit": money(limits), "created_at": [now] * count,
        "custom_fields": [{}] * count, "version_id": [1] * count,
    })  # fmt: skip
    table = tables["accounts"]
    account_ids = np.array(
        sorted(connection.scalars(table.select().with_only_columns(table.c.id).where(
            table.c.code.like("ACC%")
        )))
    )  # fmt: skip
    granted = rng.choice(account_ids, max(1, count // 50), replace=False)
    insert_all(connection, tables["manager_access"], {
        "user_id": rng.choice(np.array(manager_ids), len(granted)).tolist(),
        "account_id": granted.tolist(), "version_id": [1] * len(granted),
    })  # fmt: skip
    return account_ids


def ledger(
    connection: Any, tables: dict[str, Any], rng: np.random.Generator, account_ids: np.ndarray,
    count: int, as_of: dt.date,
) -> dict[str, int]:  # fmt: skip
    """Invoices, then the payments and credit notes on them, then account credit."""
    invoices = tables["invoices"]
    first_id = (connection.scalar(sa.select(sa.func.max(invoices.c.id))) or 0) + 1
    invoice_ids = np.arange(first_id, first_id + count)
    owner = rng.choice(account_ids, count)
    issued_offset = rng.integers(-400, 1, count)
    future = rng.random(count) < 0.03
    issued_offset[future] = rng.integers(1, 30, int(future.sum()))
    terms = rng.choice([14, 30, 30, 30, 45, 60], count)
    amount = rng.integers(5_000, 2_000_000, count)
    status_draw = rng.random(count)
    status = np.where(status_draw < 0.02, "draft", np.where(status_draw < 0.03, "void", "issued"))
    inserted = {"invoices": insert_all(connection, tables["invoices"], {
        "id": invoice_ids.tolist(), "number": [f"INV{n:08}" for n in invoice_ids],
        "account_id": owner.tolist(), "issue_date": dates(as_of, issued_offset),
        "due_date": dates(as_of, issued_offset + terms), "amount": money(amount),
        "currency": rng.choice(CURRENCIES, count, p=CURRENCY_SHARES).tolist(),
        "status": status.tolist(), "disputed": (rng.random(count) < 0.03).tolist(),
        "description": ["Training services"] * count, "custom_fields": [{}] * count,
        "version_id": [1] * count,
    })}  # fmt: skip

    paid = np.flatnonzero((status == "issued") & (rng.random(count) < 0.40))
    share = rng.random(len(paid))
    paid_cents = np.where(
        share < 0.75, amount[paid], amount[paid] * rng.uniform(0.1, 0.9, len(paid))
    )
    paid_cents = np.where(share > 0.995, amount[paid] + 1_000, paid_cents).astype(np.int64)
    paid_offset = issued_offset[paid] + rng.integers(0, 120, len(paid))
    inserted["payments"] = insert_all(connection, tables["payments"], {
        "reference": [f"PAY{n:08}" for n in range(len(paid))],
        "account_id": owner[paid].tolist(), "invoice_id": invoice_ids[paid].tolist(),
        "payment_date": dates(as_of, paid_offset), "amount": money(paid_cents),
        "method": rng.choice(PAYMENT_METHODS, len(paid)).tolist(),
        "custom_fields": [{}] * len(paid), "version_id": [1] * len(paid),
    })  # fmt: skip

    credited = np.flatnonzero((status == "issued") & (rng.random(count) < 0.02))
    credit_cents = np.maximum(1, amount[credited] // rng.integers(2, 10, len(credited)))
    inserted["credit_notes"] = insert_all(connection, tables["credit_notes"], {
        "number": [f"CN{n:08}" for n in range(len(credited))],
        "account_id": owner[credited].tolist(), "invoice_id": invoice_ids[credited].tolist(),
        "issue_date": dates(as_of, issued_offset[credited] + rng.integers(0, 60, len(credited))),
        "amount": money(credit_cents), "reason": ["Course cancelled"] * len(credited),
        "custom_fields": [{}] * len(credited), "version_id": [1] * len(credited),
    })  # fmt: skip

    credit_holders = rng.choice(account_ids, max(1, len(account_ids) // 20))
    holders = len(credit_holders)
    inserted["payments"] += insert_all(connection, tables["payments"], {
        "reference": [f"UNAPPLIED{n:08}" for n in range(holders)],
        "account_id": credit_holders.tolist(), "invoice_id": [None] * holders,
        "payment_date": dates(as_of, rng.integers(-200, 20, holders)),
        "amount": money(rng.integers(1_000, 500_000, holders)),
        "method": ["bank_transfer"] * holders, "custom_fields": [{}] * holders,
        "version_id": [1] * holders,
    })  # fmt: skip
    inserted["credit_notes"] += insert_all(connection, tables["credit_notes"], {
        "number": [f"CNX{n:08}" for n in range(holders // 4)],
        "account_id": credit_holders[: holders // 4].tolist(),
        "invoice_id": [None] * (holders // 4),
        "issue_date": dates(as_of, rng.integers(-200, 0, holders // 4)),
        "amount": money(rng.integers(1_000, 100_000, holders // 4)),
        "reason": ["Goodwill"] * (holders // 4), "custom_fields": [{}] * (holders // 4),
        "version_id": [1] * (holders // 4),
    })  # fmt: skip
    return inserted


def generate(database_url: str, account_count: int, invoice_count: int, seed: int,
             as_of: dt.date) -> dict[str, int]:  # fmt: skip
    """Migrate `database_url`, refuse it if it holds invoices, and fill it."""
    from app import create_app
    from extensions import db
    from models.accounts import ensure_guest_account
    from schema_migrations import upgrade_schema

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        upgrade_schema()
        ensure_guest_account(db.session)
        db.session.commit()
        tables = db.metadata.tables
        if db.session.scalar(tables["invoices"].select().with_only_columns(
                tables["invoices"].c.id).limit(1)) is not None:  # fmt: skip
            raise SystemExit(f"{database_url} already holds invoices; give an empty database.")
        db.session.remove()
        rng = np.random.default_rng(seed)
        with db.engine.begin() as connection:
            manager_ids = people(connection, tables)
            account_ids = accounts(connection, tables, rng, account_count, manager_ids)
            inserted = ledger(connection, tables, rng, account_ids, invoice_count, as_of)
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                sequence = "SELECT setval('invoices_id_seq', (SELECT max(id) FROM invoices))"
                connection.exec_driver_sql(sequence)
            else:
                connection.exec_driver_sql("ANALYZE")
        if db.engine.dialect.name == "postgresql":
            # VACUUM, as autovacuum would soon: without the visibility map it sets, no index-only
            # scan (a manager's capped count read the table: 45 ms instead of 5)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM (ANALYZE)")
        db.engine.dispose()
    return {"accounts": len(account_ids), **inserted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="sqlite:////path/bench.db or postgresql+psycopg://...")  # fmt: skip
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 10, 31),
                        help="The recent date as of which most invoices are open.")  # fmt: skip
    options = parser.parse_args()
    started = time.perf_counter()
    counts = generate(options.database_url, options.accounts, options.invoices, options.seed,
                      options.as_of)  # fmt: skip
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    print(f"Generated {summary} in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
