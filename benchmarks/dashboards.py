"""Dashboard speed: each role's default dashboard, cold (every figure computed) and warm (the
figures from the cache), on a benchmark database (`generate.py`, 1,000,000 invoices).

    python benchmarks/dashboards.py --database-url sqlite:////tmp/bench.db [--runs 7]

Pages are requested in-process through the Flask test client (server time: routing, the layout,
the cache, the queries of whatever is not cached, rendering), logged in through the login page
as a super admin, an admin, an analyst (users the script creates, with passwords, the first time),
the manager with the most accounts and the manager with the fewest. The cache is Flask-Caching's
file cache, as in production, in a fresh temporary folder. For each viewer: one cold request
after emptying the cache, then the median of `--runs` warm requests. Then the time each widget
takes to compute for every row (what `flask dashboards warm` pays per widget), and the whole
`flask dashboards warm` run. The load average is printed before and after: on a shared machine
it says how much of a core the measurement had.
"""

from __future__ import annotations

import argparse
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


def timed_ms(client: Any) -> float:
    started = time.perf_counter()
    response = client.get("/admin/")
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and b"could not be drawn" not in response.data
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=7)
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
    print(f"{'viewer':<28} {'cold ms':>9} {'warm ms (median of ' + str(options.runs) + ')':>24}")
    for label, email in people:
        client = logged_in_client(app, email)
        with app.app_context():
            figures_cache.clear()
        cold = timed_ms(client)
        warm = statistics.median(timed_ms(client) for _ in range(options.runs))
        print(f"{label:<28} {cold:9.0f} {warm:24.1f}")

    print("each widget computed for every row (admin), ms:")
    with app.test_request_context():
        seen = set()
        for role in STAFF:
            for placement in DEFAULT_LAYOUTS[role]:
                kind = REGISTRY[placement["widget"]]
                key = (kind.key, str(placement["params"]))
                if kind.scope != ROW_SCOPE or key in seen:
                    continue
                seen.add(key)
                started = time.perf_counter()
                widget_figures(db.session, kind, kind.parsed_parameters(placement["params"]),
                               "admin", RoleViewer("admin"), refresh=True)  # fmt: skip
                label = f"{kind.key} {placement['params'] or ''}"
                print(f"  {label:<50} {(time.perf_counter() - started) * 1000:9.0f}")
    started = time.perf_counter()
    result = CliRunner().invoke(
        dashboards_command, ["warm", "--no-managers"], obj=_script_info(app)
    )
    print(f"flask dashboards warm --no-managers: {time.perf_counter() - started:.1f} s "
          f"({result.output.strip()})")  # fmt: skip
    print(f"load average at the end {load()}")


def _script_info(app: Flask) -> Any:
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


if __name__ == "__main__":
    main()
