"""Dashboard speed: each role's default dashboard, cold (every figure computed) and warm (the
figures from the cache), on a benchmark database (`generate.py`, 1,000,000 invoices).

    python benchmarks/dashboards.py --database-url sqlite:////tmp/bench.db [--runs 7] \
        [--figures-out /tmp/figures.json]

Pages are requested in-process through the Flask test client (server time: routing, the layout,
the cache, the queries of whatever is not cached, rendering), logged in through the login page
as a super admin, an admin, an analyst (users the script creates, with passwords, the first time),
the manager with the most accounts and the manager with the fewest. The cache is Flask-Caching's
file cache, as in production, in a fresh temporary folder. For each viewer: one cold request
after emptying the cache, then the median of `--runs` warm requests. Then the time each widget
takes to compute for every row (what `flask dashboards warm` pays per widget), and the whole
`flask dashboards warm` run. Every time is wall-clock and this process's CPU (DuckDB's threads
included; PostgreSQL's server process is not). The load average (1 minute) is printed on every
line: on a shared machine it says how much of a core the measurement had. `--figures-out` writes
each widget's figures (their repr, Decimal to the cent) to a JSON file, so that two runs of
different code on the same database can be compared figure by figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import sqlalchemy as sa  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from flask import Flask  # noqa: E402

from app import create_app  # noqa: E402
from auth.passwords import hash_password  # noqa: E402
from dashboards.cache import figures_cache, widget_figures  # noqa: E402
from dashboards.command_line import dashboards_command  # noqa: E402
from dashboards.layouts import DEFAULT_LAYOUTS  # noqa: E402
from dashboards.registry import REGISTRY, ROW_SCOPE  # noqa: E402
from dashboards.warming import RoleViewer  # noqa: E402
from extensions import db  # noqa: E402
from models import Account, Invoice, User  # noqa: E402
from tests.conftest import CSRF_INPUT  # noqa: E402

PASSWORD = "benchmark-password"
STAFF = {"super_admin": "bench-super@example.test", "admin": "bench-admin@example.test",
         "analyst": "bench-analyst@example.test"}  # fmt: skip


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def cpu() -> float:
    """CPU seconds of this process, every thread (DuckDB's included), to the microsecond."""
    return time.process_time()


def viewers(app: Flask) -> list[tuple[str, str]]:
    """(label, e-mail) of each viewer, passwords set."""
    with app.app_context():
        people = []
        for role, email in STAFF.items():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                user = User(email=email, role=role)
                db.session.add(user)
            people.append((role, user))
        by_size = (
            sa.select(User, sa.func.count().label("accounts"))
            .join(Account, Account.account_manager_id == User.id)
            .group_by(User.id)
        )
        busiest, most = db.session.execute(
            by_size.order_by(sa.text("accounts DESC")).limit(1)
        ).one()
        quietest, fewest = db.session.execute(by_size.order_by(sa.text("accounts")).limit(1)).one()
        people += [
            (f"manager, {most:,} accounts", busiest),
            (f"manager, {fewest:,} accounts", quietest),
        ]
        for _label, user in people:
            if user.password_hash is None:
                user.password_hash = hash_password(PASSWORD)
        db.session.commit()
        return [(label, user.email) for label, user in people]


def logged_in_client(app: Flask, email: str) -> Any:
    client = app.test_client()
    found = CSRF_INPUT.search(client.get("/login").get_data(as_text=True))
    form = {"email": email, "password": PASSWORD, "csrf_token": found.group(1) or found.group(2)}
    assert client.post("/login", data=form).status_code == 302, "benchmark login failed"
    return client


def timed_ms(client: Any) -> tuple[float, float]:
    """(wall ms, CPU ms) of one dashboard request."""
    started, started_cpu = time.perf_counter(), cpu()
    response = client.get("/admin/")
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and b"could not be drawn" not in response.data
    return elapsed, (cpu() - started_cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--figures-out", help="write each widget's figures to this JSON file")
    options = parser.parse_args()
    cache_dir = tempfile.mkdtemp(prefix="dashboard-cache-")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": options.database_url, "SECRET_KEY": "bench",
        "DASHBOARD_CACHE": {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": cache_dir},
    })  # fmt: skip
    people = viewers(app)
    with app.app_context():
        invoices = db.session.scalar(sa.select(sa.func.count()).select_from(Invoice))
    print(f"{options.database_url.split(':')[0]}, "
          f"{invoices:,} invoices; load average at start {load()}")  # fmt: skip
    warm_heading = f"warm wall/CPU ms (median of {options.runs})"
    print(f"{'viewer':<28} {'cold wall/CPU s':>16} {warm_heading:>36}  load")
    for label, email in people:
        client = logged_in_client(app, email)
        with app.app_context():
            figures_cache.clear()
        at_load = load().split()[0]
        cold_wall, cold_cpu = timed_ms(client)
        warm = [timed_ms(client) for _ in range(options.runs)]
        warm_wall = statistics.median(wall for wall, _ in warm)
        warm_cpu = statistics.median(used for _, used in warm)
        print(f"{label:<28} {cold_wall / 1000:8.2f}/{cold_cpu / 1000:<7.2f} "
              f"{warm_wall:27.1f}/{warm_cpu:<8.1f} {at_load}")  # fmt: skip

    print("each widget computed for every row (admin): wall ms / CPU ms, load")
    figures = {}
    with app.test_request_context():
        seen = set()
        for role in STAFF:
            for placement in DEFAULT_LAYOUTS[role]:
                kind = REGISTRY[placement["widget"]]
                key = (kind.key, str(placement["params"]))
                if kind.scope != ROW_SCOPE or key in seen:
                    continue
                seen.add(key)
                at_load = load().split()[0]
                started, started_cpu = time.perf_counter(), cpu()
                result, _at = widget_figures(
                    db.session, kind, kind.parsed_parameters(placement["params"]), "admin",
                    RoleViewer("admin"), refresh=True,
                )  # fmt: skip
                wall, used = time.perf_counter() - started, cpu() - started_cpu
                label = f"{kind.key} {placement['params'] or ''}"
                figures[label] = repr(result)
                print(f"  {label:<50} {wall * 1000:9.0f} / {used * 1000:7.0f}  {at_load}")
    if options.figures_out:
        Path(options.figures_out).write_text(json.dumps(figures, indent=1, sort_keys=True))
    at_load = load().split()[0]
    started, started_cpu = time.perf_counter(), cpu()
    result = CliRunner().invoke(
        dashboards_command, ["warm", "--no-managers"], obj=_script_info(app)
    )
    print(f"flask dashboards warm --no-managers: {time.perf_counter() - started:.1f} s wall, "
          f"{cpu() - started_cpu:.1f} s CPU, load {at_load} ({result.output.strip()})")  # fmt: skip
    print(f"load average at the end {load()}")


def _script_info(app: Flask) -> Any:
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


if __name__ == "__main__":
    main()
