"""List-page speed: this panel's generated views side by side with stock Flask-Admin ModelViews
of the same model on the same database, configured as a stock user would (issue 15).

    python benchmarks/list_pages.py --database-url sqlite:////tmp/bench_1m.db [--runs 15]
                                    [--small-database-url sqlite:////tmp/bench_1k.db] [--sorts]

Each page is requested in-process through the Flask test client (routing, queries, rendering:
the server's time), once per side to warm up, then `--runs` times with the sides taking turns
request by request, so a neighbour's burst on the shared machine lands on every side alike. For
each side it prints the best and the median wall-clock milliseconds and CPU milliseconds of this
process (with PostgreSQL the database server's CPU is another process's and is not in it), and
the load average when the page's runs started.

The sides:
- ours, logged in as an admin (and as the manager with the most accounts for the scoped page);
- "stock, lazy": `ModelView(Invoice)` with our list columns and nothing else, as the first
  review measured it: the deferred `paid_amount` and `open_amount` load one row at a time (two
  queries per row);
- "stock": the same view loading them the way Flask-Admin's documentation has a stock user
  change the list's query, `get_query().options(undefer(...))`, and sorted newest first like ours;
- "stock, simple pager": that view with `simple_list_pager = True` (no count at all);
- "stock, simple pager, logged in": that view behind Flask-Login, as the two projects document it
  (the user loaded by id on every request, `is_accessible` asking whether one is logged in);
- for the manager's page, the stock views narrowed the usual way: `get_query` and
  `get_count_query` filtered to the accounts the manager manages or has been granted.
The fairest stock is the faster of "stock" and "stock, simple pager" on each page; the ratio is
its median wall time over ours (above 1.0x: ours is faster); the logged-in side's ratio is
printed on a line of its own. Every stock view has our search and filter columns (Flask-Admin
searches them with `ILIKE '%term%'`, ours by prefix).

Before timing, each page's invoice numbers are read from both sides' HTML and compared: the same
rows in the same order, or the script stops. With `--small-database-url` (the same accounts with
few invoices: `generate.py --invoices 1000`) the manager's page is timed there too. With `--sorts`
it also times each sort the whole lists offer, both directions, and prints the slowest of each.
"""

from __future__ import annotations

import argparse
import os
import re
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
from flask_admin.theme import Bootstrap4Theme  # noqa: E402
from flask_login import LoginManager, UserMixin, current_user, login_user  # noqa: E402
from sqlalchemy.orm import undefer  # noqa: E402

from admin_views import panel_models  # noqa: E402
from app import create_app  # noqa: E402
from auth.passwords import hash_password  # noqa: E402
from extensions import db  # noqa: E402
from models import Account, Invoice, ManagerAccess, User  # noqa: E402
from tests.conftest import CSRF_INPUT  # noqa: E402

PASSWORD = "benchmark-password"
LIST_COLUMNS = ["number", "account", "issue_date", "due_date", "amount", "currency", "status",
                "disputed", "paid_amount", "open_amount", "is_overdue"]  # fmt: skip
MENU_LINK = re.compile(r'href="/admin/([a-z]+)/"')
NUMBER_CELL = re.compile(r'<td class="col-number">\s*(.*?)\s*</td>', re.S)


class SamePageFeatures(ModelView):
    """What our list page offers an admin, switched on in stock: the same buttons and links."""

    can_view_details = True
    can_export = True
    export_types = ["csv", "xlsx"]
    can_set_page_size = True
    page_size = 20


class LazyStockView(SamePageFeatures):
    """Stock Flask-Admin with our columns, search and filter: what the first review timed."""

    column_list = LIST_COLUMNS
    column_searchable_list = ["number"]
    column_filters = ["status"]
    column_default_sort = ("id", True)

    def is_visible(self) -> bool:
        return False  # the menu's "Invoice" entry is the plain stock view below


class StockView(LazyStockView):
    """The derived amounts loaded in the list's query, as a stock user is told to."""

    def get_query(self) -> Any:
        return super().get_query().options(undefer(Invoice.paid_amount),
                                           undefer(Invoice.open_amount))  # fmt: skip


class SimplePagerStockView(StockView):
    simple_list_pager = True


class LoggedInSimplePagerStockView(SimplePagerStockView):
    """Behind Flask-Login, as Flask-Admin's documentation protects a view: the session cookie
    read and the user loaded on every request (our panel does both, and more)."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated


class StockUser(UserMixin):
    """A stock app's own user model over the same `users` table; it has no panel role, so our
    field rules (which read the logged-in user's role) stay out of the stock side."""

    role = None


sa.orm.registry().map_imperatively(StockUser, User.__table__, include_properties=["id", "email"])


class MenuEntryView(SamePageFeatures):
    """A stock view per model, so that stock's pages carry the same menu as ours."""


def scoped(view_class: type[ModelView]) -> type[ModelView]:
    """A stock view narrowed to one manager's accounts, the usual way."""

    class ScopedStockView(view_class):  # type: ignore[misc, valid-type]
        manager_id: int = 0

        def visible(self) -> Any:
            return Invoice.account_id.in_(
                sa.union(
                    sa.select(Account.id).where(Account.account_manager_id == self.manager_id),
                    sa.select(ManagerAccess.account_id)
                    .where(ManagerAccess.user_id == self.manager_id),
                )
            )  # fmt: skip

        def get_query(self) -> Any:
            return super().get_query().filter(self.visible())

        def get_count_query(self) -> Any:
            return super().get_count_query().filter(self.visible())

    return ScopedStockView


STOCK_SIDES = {
    "stock, lazy": LazyStockView,
    "stock": StockView,
    "stock, simple pager": SimplePagerStockView,
    "stock, simple pager, logged in": LoggedInSimplePagerStockView,
}
FAIR_SIDES = ("stock", "stock, simple pager")
"""The sides the headline ratio takes the faster of: stock with no login at all. The logged-in
side gets a ratio line of its own."""
LOGGED_IN_SIDE = "stock, simple pager, logged in"


def stock_app(url: str, manager_id: int, menu: set[str]) -> Flask:
    """Stock Flask-Admin over the same models, one view per configuration, with a menu entry
    for each model in `menu` (the endpoints our page's menu links to)."""
    app = Flask("stock")
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="benchmark")
    db.init_app(app)
    logins = LoginManager(app)  # the user loader Flask-Login documents: the user by id
    logins.user_loader(lambda user_id: db.session.get(StockUser, int(user_id)))

    @app.post("/login/<int:user_id>")
    def log_in(user_id: int) -> tuple[str, int]:
        login_user(db.session.get(StockUser, user_id))
        return "", 204

    admin = Admin(app, name="stock", theme=Bootstrap4Theme(fluid=True))
    for model in panel_models():
        if model.__name__.lower() in menu:
            admin.add_view(MenuEntryView(model, db.session, category=model.panel_category,
                                         endpoint=f"menu_{model.__name__.lower()}"))  # fmt: skip
    for index, view_class in enumerate(STOCK_SIDES.values()):
        admin.add_view(view_class(Invoice, db.session, endpoint=f"stock{index}",
                                  name=f"stock{index}"))  # fmt: skip
        manager_view = scoped(view_class)(Invoice, db.session, endpoint=f"scoped{index}",
                                          name=f"scoped{index}")  # fmt: skip
        manager_view.manager_id = manager_id
        admin.add_view(manager_view)
    return app


def benchmark_users(app: Flask) -> tuple[str, str, int]:
    """(admin e-mail, e-mail and id of the manager with the most accounts), passwords set."""
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "bench-admin@example.test"))
        if admin is None:
            admin = User(email="bench-admin@example.test", role="admin")
            db.session.add(admin)
        busiest = db.session.scalar(
            sa.select(User).join(Account, Account.account_manager_id == User.id)
            .group_by(User.id).order_by(sa.func.count().desc(), User.id).limit(1)
        )  # fmt: skip
        for user in (admin, busiest):
            if user.password_hash is None:
                user.password_hash = hash_password(PASSWORD)
        db.session.commit()
        return admin.email, busiest.email, busiest.id


def logged_in_client(app: Flask, email: str) -> Any:
    client = app.test_client()
    found = CSRF_INPUT.search(client.get("/login").get_data(as_text=True))
    token = found.group(1) or found.group(2)
    form = {"email": email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login", data=form)
    assert response.status_code == 302, "benchmark login failed"
    return client


class Timings:
    """Wall-clock and CPU milliseconds of one side's requests."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def time(self, fetch: Callable[[], Any]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        response = fetch()
        self.wall.append((time.perf_counter() - wall) * 1000)
        self.cpu.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, response.status_code

    def summary(self) -> str:
        return (f"{min(self.wall):6.1f} {statistics.median(self.wall):6.1f} "
                f"{min(self.cpu):6.1f} {statistics.median(self.cpu):6.1f}")  # fmt: skip


def menu_of(response: Any) -> set[str]:
    """The endpoints a page's menu links to."""
    return set(MENU_LINK.findall(response.get_data(as_text=True)))


def numbers_shown(response: Any) -> list[str]:
    return NUMBER_CELL.findall(response.get_data(as_text=True))


def compare_sides(sides: dict[str, Callable[[], Any]], page: str) -> int:
    """Every side shows the same invoices in the same order; returns how many rows."""
    shown = {side: numbers_shown(fetch()) for side, fetch in sides.items()}
    ours = shown["ours"]
    for side, numbers in shown.items():
        if numbers != ours:
            raise SystemExit(f"{page}: {side} shows {numbers[:5]}..., ours {ours[:5]}...")
    return len(ours)


def time_sides(sides: dict[str, Callable[[], Any]], runs: int) -> dict[str, Timings]:
    """Warm up each side, then `runs` rounds of one request per side, in turn."""
    timings = {side: Timings() for side in sides}
    for fetch in sides.values():
        fetch()
    for _ in range(runs):
        for side, fetch in sides.items():
            timings[side].time(fetch)
    return timings


def load_average() -> str:
    return "/".join(f"{load:.1f}" for load in os.getloadavg())


def print_page(page: str, rows: int, load: str, timings: dict[str, Timings]) -> None:
    """The page's timings, and the fairest stock's median over ours, wall-clock and CPU; and the
    logged-in stock's, on a line of its own."""
    ours = timings["ours"]
    fair = {side: statistics.median(timings[side].wall) for side in timings if side in FAIR_SIDES}
    fairest = min(fair, key=fair.get) if fair else None
    ratio = f"fairest stock ({fairest}) / ours = {_ratios(timings[fairest], ours)}"
    print(f"{page} ({rows} rows, load {load}): {ratio}")
    if LOGGED_IN_SIDE in timings:
        print(f"    {LOGGED_IN_SIDE} / ours = {_ratios(timings[LOGGED_IN_SIDE], ours)}")
    for side, timing in timings.items():
        print(f"    {side:<30} {timing.summary()}")


def _ratios(stock: Timings, ours: Timings) -> str:
    wall = statistics.median(stock.wall) / statistics.median(ours.wall)
    cpu = statistics.median(stock.cpu) / statistics.median(ours.cpu)
    return f"{wall:.2f}x wall, {cpu:.2f}x CPU"


def stock_clients(stock: Flask, user_id: int) -> dict[str, Any]:
    """A test client per stock side: the logged-in side's carries its session cookie, the
    others none (a cookie would cost them its reading)."""
    anonymous, logged_in = stock.test_client(), stock.test_client()
    assert logged_in.post(f"/login/{user_id}").status_code == 204
    return {side: logged_in if side == LOGGED_IN_SIDE else anonymous for side in STOCK_SIDES}


def url_of(app: Flask, endpoint: str, query: str = "") -> str:
    return f"/admin/{endpoint}/{query}"


def sort_index(app: Flask, endpoint: str, name: str) -> int:
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    columns = getattr(view, "_full_list_columns", None) or view._list_columns
    return [column for column, _label in columns].index(name)


def status_filter_arg(app: Flask, endpoint: str) -> str:
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    filter_args = getattr(view, "_full_filter_args", None) or view._filter_args
    return next(
        arg for arg, (_i, flt) in filter_args.items()
        if flt.column.key == "status" and flt.operation() == "equals"
    )  # fmt: skip


def page_queries(app: Flask, endpoint: str) -> dict[str, str]:
    due = sort_index(app, endpoint, "due_date")
    return {
        "first page": "",
        "sorted by due date": f"?sort={due}",
        "filtered (status = issued)": f"?flt0_{status_filter_arg(app, endpoint)}=issued",
        "search (number)": "?search=inv000040",
        "page 500": "?page=499",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--small-database-url", help="the same accounts with fewer invoices")
    parser.add_argument("--sorts", action="store_true", help="time every sort of every list")
    parser.add_argument("--no-lazy", action="store_true", help="leave out 'stock, lazy'")
    options = parser.parse_args()

    ours = create_app({"SQLALCHEMY_DATABASE_URI": options.database_url, "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": True})  # fmt: skip
    admin_email, manager_email, manager_id = benchmark_users(ours)
    with ours.app_context():
        invoices = db.session.scalar(sa.select(sa.func.count()).select_from(Invoice))
    print(f"{invoices:,} invoices, {options.database_url}")
    print(f"{options.runs} runs a side; each: best and median wall ms, best and median CPU ms")
    our_client = logged_in_client(ours, admin_email)
    menu = menu_of(our_client.get("/admin/invoice/"))
    stock = stock_app(options.database_url, manager_id, menu)
    clients = stock_clients(stock, manager_id)  # stock scopes no list by user: anyone will do
    stock_sides = {side: index for index, side in enumerate(STOCK_SIDES)
                   if not (options.no_lazy and side == "stock, lazy")}  # fmt: skip
    our_queries = page_queries(ours, "invoice")
    for page, our_query in our_queries.items():
        stock_queries = {side: page_queries(stock, f"stock{index}")[page]
                         for side, index in stock_sides.items()}  # fmt: skip
        sides = {"ours": lambda q=our_query: our_client.get(f"/admin/invoice/{q}")}
        for side, index in stock_sides.items():
            url = f"/admin/stock{index}/{stock_queries[side]}"
            sides[side] = lambda u=url, client=clients[side]: client.get(u)
        rows = compare_sides(sides, page)
        load = load_average()
        print_page(page, rows, load, time_sides(sides, options.runs))

    manager_client = logged_in_client(ours, manager_email)
    menu = menu_of(manager_client.get("/admin/invoice/"))
    clients = stock_clients(stock_app(options.database_url, manager_id, menu), manager_id)
    sides = {"ours": lambda: manager_client.get("/admin/invoice/")}
    for side, index in stock_sides.items():
        sides[side] = lambda u=f"/admin/scoped{index}/", client=clients[side]: client.get(u)
    rows = compare_sides(sides, "manager's page")
    load = load_average()
    print_page("manager's scoped first page", rows, load, time_sides(sides, options.runs))

    if options.small_database_url:
        small = create_app({"SQLALCHEMY_DATABASE_URI": options.small_database_url,
                            "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": True})  # fmt: skip
        _admin, small_manager, _id = benchmark_users(small)
        with small.app_context():
            few = db.session.scalar(sa.select(sa.func.count()).select_from(Invoice))
        client = logged_in_client(small, small_manager)
        timings = time_sides({"ours": lambda: client.get("/admin/invoice/")}, options.runs)
        print(f"the same manager's page with {few:,} invoices (load {load_average()}):")
        print(f"    {'ours':<22} {timings['ours'].summary()}")
    if options.sorts:
        print("every sort a whole list offers, both directions; the slowest of each list:")
        for endpoint in SORTED_LISTS:
            sort, timing = slowest_sort(ours, our_client, endpoint, options.runs)
            print(f"    {endpoint + ' by ' + sort:<30} {timing.summary()}")


SORTED_LISTS = ("invoice", "payment", "creditnote", "account", "user")


def slowest_sort(app: Flask, client: Any, endpoint: str, runs: int) -> tuple[str, Timings]:
    """(column and direction, timings) of the slowest sorted first page the list offers."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    with app.test_request_context():
        columns = [name for name, _label in view._list_columns]
    timings = {}
    for index, name in enumerate(columns):
        if not view.is_sortable(name):
            continue
        for direction in ("", "&desc=1"):
            url = f"/admin/{endpoint}/?sort={index}{direction}"
            label = name + (" desc" if direction else "")
            timings[label] = time_sides({"ours": lambda u=url: client.get(u)}, runs)["ours"]
    return max(timings.items(), key=lambda item: statistics.median(item[1].wall))


if __name__ == "__main__":
    main()
