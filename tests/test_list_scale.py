"""List pages stay cheap as tables grow: capped counts, and a fixed number of SQL statements."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account, Invoice, Payment, User
from tests.conftest import Panel


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def add_ledger(accounts: int, invoices_each: int) -> None:
    manager = User(email=f"m{accounts}@example.test", role="manager")
    db.session.add(manager)
    for a in range(accounts):
        account = Account(code=f"A{accounts}-{a}", name=f"Account {a}", account_manager=manager)
        db.session.add(account)
        for i in range(invoices_each):
            db.session.add(Invoice(number=f"I{accounts}-{a}-{i}", account=account,
                                   issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 2, 1),
                                   amount=Decimal("10.00")))  # fmt: skip
    db.session.commit()


@pytest.mark.parametrize("entity", ["invoice", "account", "user", "payment", "followupaction"])
def test_list_page_runs_the_same_statements_for_5_or_20_rows(entity, login_as, panel) -> None:
    login_as("admin")
    add_ledger(accounts=1, invoices_each=5)
    panel.get(f"/admin/{entity}/")  # the first request loads this worker's form rules
    with counted_statements() as few:
        assert panel.get(f"/admin/{entity}/").status_code == 200
    add_ledger(accounts=4, invoices_each=5)
    panel.get(f"/admin/{entity}/")  # counted once under the new ledger stamp, as `few` was
    with counted_statements() as many:
        assert panel.get(f"/admin/{entity}/").status_code == 200
    assert len(many) == len(few), many


def test_a_logged_in_page_reads_its_user_and_the_config_stamps_in_one_statement(
    login_as, panel: Panel
) -> None:
    login_as("admin")
    panel.get("/admin/invoice/")
    with counted_statements() as statements:
        assert panel.get("/admin/invoice/").status_code == 200
    reading_stamps = [statement for statement in statements if "config_stamps" in statement]
    assert len(reading_stamps) == 1, statements
    assert "FROM users" in reading_stamps[0]


def test_count_is_capped_and_exact_on_demand(app, login_as, panel: Panel) -> None:
    login_as("admin")
    add_ledger(accounts=3, invoices_each=5)
    app.config["LIST_COUNT_CAP"] = 10
    try:
        capped = panel.get("/admin/invoice/").get_data(as_text=True)
        assert "List (10+)" in capped and "Count them exactly" in capped
        exact = panel.get("/admin/invoice/?exact_count=1").get_data(as_text=True)
        assert "List (15)" in exact
        filtered = panel.get("/admin/invoice/?search=I3-0-").get_data(as_text=True)
        assert "List (5)" in filtered
    finally:
        app.config.pop("LIST_COUNT_CAP")


def test_search_matches_the_start_of_a_value_whatever_its_case(login_as, panel: Panel) -> None:
    login_as("admin")
    add_ledger(accounts=2, invoices_each=3)
    found = panel.get("/admin/invoice/?search=i2-1").get_data(as_text=True)
    assert "I2-1-0" in found and "I2-1-2" in found and "I2-0-0" not in found
    assert "List (0)" not in found
    literal = panel.get("/admin/invoice/?search=I2%25").get_data(as_text=True)  # "I2%"
    assert "I2-0-0" not in literal
    accounts = panel.get("/admin/account/?search=account 1").get_data(as_text=True)
    assert "A2-1" in accounts and "A2-0" not in accounts


def test_a_later_page_holds_the_rows_the_sort_puts_there_with_their_own_amounts(
    login_as, panel: Panel
) -> None:
    """Page 2 picks its ids first, then loads those rows: order and paid amounts must survive."""
    login_as("admin")
    account = Account(code="PAGES", name="Pages")
    db.session.add(account)
    for k in range(45):
        invoice = Invoice(number=f"N{k:02d}", account=account, issue_date=dt.date(2026, 1, 1),
                          due_date=dt.date(2026, 2, 1), amount=Decimal("100.00"))  # fmt: skip
        db.session.add(invoice)
        paid = Decimal(k + 1)
        db.session.add(Payment(reference=f"P{k:02d}", account=account, invoice=invoice,
                               payment_date=dt.date(2026, 1, 5), amount=paid))  # fmt: skip
    db.session.commit()

    with counted_statements() as statements:
        page = panel.get("/admin/invoice/?page=1").get_data(as_text=True)  # newest first, 20 a page

    (listing,) = [statement for statement in statements if "invoices.number" in statement]
    skipping = re.search(r"\(SELECT invoices\.id AS id\s+FROM invoices\s+ORDER BY invoices\.id DESC"
                         r"\s+LIMIT \S+ OFFSET \S+\)", listing)  # fmt: skip
    assert skipping, "the skipped rows' amounts would be computed too"

    shown = [f"N{k:02d}" for k in range(24, 4, -1)]
    positions = [re.search(rf">\s*{number}\s*<", page).start() for number in shown]
    assert positions == sorted(positions), "rows out of the sort's order"
    assert not re.search(r">\s*(N25|N04)\s*<", page)
    assert "75.00" in page and "94.00" in page  # open amounts of N24 and N05, paid 25 and 6
    assert "74.00" not in page and "95.00" not in page


def sort_links(html: str) -> dict[str, str]:
    """Column label -> its `sort=` index, for the headers the list offers to sort by."""
    return {label.strip(): index for index, label in
            re.findall(r'href="[^"]*[?&]sort=(\d+)[^"]*"[^>]*>\s*([^<]+?)\s*<', html)}  # fmt: skip


def test_a_whole_list_sorts_only_by_columns_an_index_keeps_in_order(login_as, panel: Panel) -> None:
    login_as("admin")
    add_ledger(accounts=2, invoices_each=2)
    links = sort_links(panel.get("/admin/invoice/").get_data(as_text=True))
    assert {"Number", "Account", "Issue date", "Due date"} <= set(links)
    assert not {"Amount", "Currency", "Status", "Disputed"} & set(links)

    amount_index = 4  # list columns: number, account, issue date, due date, amount, ...
    crafted = panel.get(f"/admin/invoice/?sort={amount_index}").get_data(as_text=True)
    newest_first = [crafted.index(n) for n in ("I2-1-1", "I2-1-0", "I2-0-1", "I2-0-0")]
    assert newest_first == sorted(newest_first)


def test_pages_of_a_sort_with_equal_values_neither_repeat_nor_skip_a_row(
    login_as, panel: Panel
) -> None:
    login_as("admin")
    add_ledger(accounts=3, invoices_each=15)  # 45 invoices, 15 on each account
    account_sort = sort_links(panel.get("/admin/invoice/").get_data(as_text=True))["Account"]
    numbers = set()
    for page in range(3):
        html = panel.get(f"/admin/invoice/?sort={account_sort}&page={page}").get_data(as_text=True)
        shown = re.findall(r"\bI3-\d-\d+\b", html)
        assert len(shown) == (20 if page < 2 else 5)
        numbers |= set(shown)
    assert len(numbers) == 45
