"""Benchmark: the aging report page as of today, cold (ledger just changed) and warm (cached).

    python benchmarks/aging_page_cache.py --database-url URL [--runs 5] [--store file|redis]
                                          [--redis-url redis://127.0.0.1:6379/4]

On a database made by `benchmarks/generate.py` and upgraded to migration 0014. In this process,
through the test client (server time), as an admin (every account) and as the manager with the
most accounts: the page by manager and by account, as of today, first page. Each run of each
case moves the ledger stamp (`UPDATE config_stamps`, as a committed ledger write does), then
opens the page twice: cold (its first rows built and stored) and warm (read from the store:
the entry's head); by account also sorted by total, twice: cold (the whole report built and
stored: every row sorted) and warm (the whole entry read and sorted).
Cases take turns run by run. The store is the production one: a file cache in a temporary
folder (the default), or Redis.

Checked: the warm page is the cold page (but for its per-request CSP nonces and CSRF tokens),
and the cached figures equal `aging_report`'s. Printed: wall and CPU seconds of this process
(DuckDB's threads included; for PostgreSQL the server's work shows in wall time only), best and
median of `--runs`, the size of the stored entry, and the load average before the runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "benchmark-password"
PER_REQUEST = re.compile(r'(nonce|value)="[^"]*"')
"""What differs between two renderings of one page: CSP nonces and CSRF tokens."""


def log_in(app, email: str):
    from tests.conftest import CSRF_INPUT

    client = app.test_client()
    found = CSRF_INPUT.search(client.get("/login").get_data(as_text=True))
    form = {"email": email, "password": PASSWORD, "csrf_token": found.group(1) or found.group(2)}
    assert client.post("/login", data=form).status_code == 302, f"benchmark login failed: {email}"
    return client


def bench_users(db) -> dict[str, str]:
    """An admin, and the manager of the most accounts, both with PASSWORD: role -> e-mail."""
    import sqlalchemy as sa

    from auth.passwords import hash_password
    from models import Account, User

    admin = db.session.scalar(sa.select(User).where(User.email == "bench-admin@example.test"))
    if admin is None:
        admin = User(email="bench-admin@example.test", role="admin")
        db.session.add(admin)
    busiest = db.session.execute(
        sa.select(Account.account_manager_id, sa.func.count())
        .where(Account.account_manager_id.is_not(None))
        .group_by(Account.account_manager_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).first()
    manager = db.session.get(User, busiest[0])
    for user in (admin, manager):
        user.password_hash = hash_password(PASSWORD)
    db.session.commit()
    return {"admin": admin.email, f"manager ({busiest[1]} accounts)": manager.email}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--store", choices=("file", "redis"), default="file")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    options = parser.parse_args()
    sys.path.insert(0, str(PROJECT_ROOT))
    import pandas as pd
    import sqlalchemy as sa

    from app import create_app
    from extensions import db
    from reports.aging import aging_report
    from reports.aging_cache import cached_entries, stored_figures
    from reports.aging_parameters import AgingParameters
    from reports.queries import FULL_ACCESS

    folder = tempfile.mkdtemp(prefix="aging-cache-")
    store = (
        {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": folder}
        if options.store == "file"
        else {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": options.redis_url}
    )
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": options.database_url, "TESTING": True, "DASHBOARD_CACHE": store}
    )
    with app.app_context():
        viewers = bench_users(db)
    clients = {role: log_in(app, email) for role, email in viewers.items()}
    today = dt.date.today().isoformat()
    cases = [
        (role, page, f"/admin/reports/aging/{page}?as_of={today}")
        for role in clients
        for page in ("manager", "account")
    ]

    def move_the_stamp() -> None:
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE config_stamps SET version = version + 1 WHERE name = 'ledger'")
            )

    for role, _page, address in cases:  # DuckDB attached, modules imported
        assert clients[role].get(address).status_code == 200
    load = os.getloadavg()[0]
    timings: dict[tuple[str, str], dict[str, list[tuple[float, float]]]] = {}
    sizes: dict[tuple[str, str], int] = {}
    for _ in range(options.runs):
        for role, page, address in cases:
            move_the_stamp()
            runs = timings.setdefault((role, page), {"cold": [], "warm": []})
            bodies = []
            for state in ("cold", "warm"):
                started, cpu = time.perf_counter(), time.process_time()
                response = clients[role].get(address)
                runs[state].append((time.perf_counter() - started, time.process_time() - cpu))
                assert response.status_code == 200, address
                bodies.append(response.get_data())
            cold, warm = (PER_REQUEST.sub("", body.decode()) for body in bodies)
            assert cold == warm, f"{role} {page}: the warm page differs from the cold"
            if page == "account":  # sorted: the page needs every row, the whole entry
                for state in ("cold", "warm"):  # the first page built only the first rows
                    started, cpu = time.perf_counter(), time.process_time()
                    response = clients[role].get(f"{address}&sort=total&desc=1")
                    sorted_run = (time.perf_counter() - started, time.process_time() - cpu)
                    runs.setdefault(f"{state}, sorted by total", []).append(sorted_run)
                    assert response.status_code == 200
            if options.store == "file":
                sizes[(role, page)] = max(p.stat().st_size for p in Path(folder).iterdir())
    with app.app_context():
        _stamp, entries = cached_entries()
        for key, recipe in entries.items():
            if recipe["role"] != "admin":
                continue
            parameters = AgingParameters(as_of=dt.date.today(), viewer=FULL_ACCESS)
            ledger = aging_report(db.session, parameters, recipe["grouping"])
            is_total = ledger.index.isna()
            for figures in (stored_figures(key), stored_figures(key, head=True)):
                if figures is not None:  # a whole report, or its first rows and totals
                    first = ledger[~is_total].iloc[: len(figures.rows)]
                    expected = pd.concat([first, ledger[is_total]])
                    pd.testing.assert_frame_equal(figures.report(), expected)
                    assert figures.row_count == (~is_total).sum()
    print(f"{options.database_url.split(':')[0]}, as of {today}, store {options.store}, "
          f"{options.runs} runs in turns, load {load:.1f}; warm pages equal the cold ones byte "
          "for byte (but nonces and tokens), cached figures equal aging_report's")  # fmt: skip
    print(f"{'viewer':28} {'page':8} {'state':21} {'wall best / median':>18} "
          f"{'CPU best / median':>18} {'entry MB':>9}")  # fmt: skip
    for (role, page), states in timings.items():
        for state, values in states.items():
            walls, cpus = zip(*values, strict=True)
            size = f"{sizes[(role, page)] / 1e6:9.1f}" if (role, page) in sizes else ""
            print(f"{role:28} {page:8} {state:21} {_summary(walls):>18} {_summary(cpus):>18} "
                  f"{size}")  # fmt: skip


def _summary(values: tuple[float, ...]) -> str:
    return f"{min(values):7.3f} {statistics.median(values):7.3f}"


if __name__ == "__main__":
    main()
