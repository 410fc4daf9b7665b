"""List pages stay cheap as tables grow: capped counts, and a fixed number of SQL statements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account, Invoice, User
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
    with counted_statements() as many:
        assert panel.get(f"/admin/{entity}/").status_code == 200
    assert len(many) == len(few), many


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
