"""List-page speed: this panel's generated views side by side with stock Flask-Admin ModelViews
of the same models on the same database (issues 2, 4 and 9).

    python benchmarks/list_pages.py --database-url sqlite:////tmp/bench_1m.db [--runs 7]
                                    [--small-database-url sqlite:////tmp/bench_1k.db]

Each page is requested in-process through the Flask test client (server time: routing, queries,
rendering), once to warm up and then `--runs` times; the median is reported. Our side logs in as
an admin (and as the manager with the most accounts for the scoped page) through the login page;
the stock side is an unauthenticated `flask_admin.contrib.sqla.ModelView` with the same search
and filter columns, which is the reference the issues name. The script gives the benchmark users
a password the first time it runs on a database.

With `--small-database-url` (the same accounts with far fewer invoices: `generate.py --invoices
1000`), the manager's scoped page is timed on both, side by side: the cost must not grow with
the invoice table (issue 4).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask_admin import Admin  # noqa: E402
from flask_admin.contrib.sqla import ModelView  # noqa: E402

from app import create_app  # noqa: E402
from auth.passwords import hash_password  # noqa: E402
from extensions import db  # noqa: E402
from models import Account, Invoice, User  # noqa: E402
from tests.conftest import CSRF_INPUT  # noqa: E402

PASSWORD = "benchmark-password"


class StockInvoiceView(ModelView):
    """Stock Flask-Admin, given the same search and filter columns as ours."""

    column_searchable_list = ["number"]
    column_filters = ["status"]


def stock_app(url: str) -> Flask:
    """Stock Flask-Admin over the same models: the reference every figure is compared with."""
    app = Flask("stock")
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="benchmark")
    db.init_app(app)
    admin = Admin(app, name="stock")
    admin.add_view(StockInvoiceView(Invoice, db, endpoint="invoice"))
    return app


def benchmark_users(app: Flask) -> tuple[str, str]:
    """(admin e-mail, e-mail of the manager with the most accounts), with passwords set."""
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "bench-admin@example.test"))
        if admin is None:
            admin = User(email="bench-admin@example.test", role="admin")
            db.session.add(admin)
        busiest = db.session.scalar(
            sa.select(User).join(Account, Account.account_manager_id == User.id)
            .group_by(User.id).order_by(sa.func.count().desc()).limit(1)
        )  # fmt: skip
        for user in (admin, busiest):
            if user.password_hash is None:
                user.password_hash = hash_password(PASSWORD)
        db.session.commit()
        return admin.email, busiest.email


def logged_in_client(app: Flask, email: str) -> Any:
    client = app.test_client()
    found = CSRF_INPUT.search(client.get("/login").get_data(as_text=True))
    token = found.group(1) or found.group(2)
    form = {"email": email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login", data=form)
    assert response.status_code == 302, "benchmark login failed"
    return client


def median_ms(fetch: Callable[[], Any], runs: int) -> float:
    response = fetch()
    assert response.status_code == 200, response.status_code
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fetch()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def sort_index(app: Flask, endpoint: str, name: str) -> int:
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    columns = getattr(view, "_full_list_columns", None) or view._list_columns
    return [column for column, _label in columns].index(name)


def status_filter_arg(app: Flask) -> str:
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "invoice")
    filter_args = getattr(view, "_full_filter_args", None) or view._filter_args
    return next(
        arg for arg, (_i, flt) in filter_args.items()
        if flt.column.key == "status" and flt.operation() == "equals"
    )  # fmt: skip


def pages(app: Flask) -> dict[str, str]:
    due = sort_index(app, "invoice", "due_date")
    return {
        "first page": "/admin/invoice/",
        "sorted by due date": f"/admin/invoice/?sort={due}",
        "filtered (status = issued)": f"/admin/invoice/?flt0_{status_filter_arg(app)}=issued",
        "search (number)": "/admin/invoice/?search=inv000040",
        "page 500": "/admin/invoice/?page=499",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--small-database-url", help="the same accounts with fewer invoices")
    options = parser.parse_args()

    ours = create_app({"SQLALCHEMY_DATABASE_URI": options.database_url, "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": True})  # fmt: skip
    stock = stock_app(options.database_url)
    admin_email, manager_email = benchmark_users(ours)
    with ours.app_context():
        invoices = db.session.scalar(sa.select(sa.func.count()).select_from(Invoice))
    print(f"{invoices:,} invoices; median of {options.runs} requests, milliseconds of server time")
    print(f"{'page':<30} {'ours':>8} {'stock':>8} {'stock/ours':>11}")
    our_client, stock_client = logged_in_client(ours, admin_email), stock.test_client()
    our_pages, stock_pages = pages(ours), pages(stock)
    for page, our_url in our_pages.items():
        our_ms = median_ms(lambda url=our_url: our_client.get(url), options.runs)
        stock_ms = median_ms(lambda url=stock_pages[page]: stock_client.get(url), options.runs)
        print(f"{page:<30} {our_ms:8.1f} {stock_ms:8.1f} {stock_ms / our_ms:10.1f}x")
    print(f"{'manager scoped first page':<30} {scoped_page_ms(ours, options.runs):8.1f} {'n/a':>8}")
    if options.small_database_url:
        small = create_app({"SQLALCHEMY_DATABASE_URI": options.small_database_url,
                            "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": True})  # fmt: skip
        with small.app_context():
            few = db.session.scalar(sa.select(sa.func.count()).select_from(Invoice))
        label = f"  the same with {few:,} invoices"
        print(f"{label:<30} {scoped_page_ms(small, options.runs):8.1f}")
    print("every sort a whole list offers, both directions; the slowest of each list:")
    for endpoint in SORTED_LISTS:
        sort, ms = slowest_sort(ours, our_client, endpoint, options.runs)
        print(f"  {endpoint + ' by ' + sort:<28} {ms:8.1f}")


SORTED_LISTS = ("invoice", "payment", "creditnote", "account", "user")


def slowest_sort(app: Flask, client: Any, endpoint: str, runs: int) -> tuple[str, float]:
    """(column and direction, median ms) of the slowest sorted first page the list offers."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    with app.test_request_context():
        columns = [name for name, _label in view._list_columns]
    timings = {}
    for index, name in enumerate(columns):
        if not view.is_sortable(name):
            continue
        for direction in ("", "&desc=1"):
            url = f"/admin/{endpoint}/?sort={index}{direction}"
            timings[name + (" desc" if direction else "")] = median_ms(
                lambda u=url: client.get(u), runs
            )
    return max(timings.items(), key=lambda item: item[1])


def scoped_page_ms(app: Flask, runs: int) -> float:
    """The invoice list of the manager with the most accounts, median server time."""
    _admin_email, manager_email = benchmark_users(app)
    manager_client = logged_in_client(app, manager_email)
    return median_ms(lambda: manager_client.get("/admin/invoice/"), runs)


if __name__ == "__main__":
    main()
