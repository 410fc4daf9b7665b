"""A list's count is kept while the ledger stamp stays, and never outlives a write or crosses
into another viewer's rows (`admin_views/count_cache.py`)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask

from admin_views.count_cache import counted_per_ledger, reads_only_watched
from extensions import db
from forms_config.stamp import LEDGER_WATCHED_TABLES
from models import Account, Invoice, ManagerAccess, User
from tests.conftest import Panel, make_user
from tests.test_list_scale import counted_statements


def add_invoices(account: Account, count: int, prefix: str, status: str = "issued") -> None:
    for number in range(count):
        db.session.add(Invoice(number=f"{prefix}{number}", account=account, status=status,
                               issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 2, 1),
                               amount=Decimal("10.00")))  # fmt: skip
    db.session.commit()


def add_account(code: str, manager: User | None = None) -> Account:
    account = Account(code=code, name=f"Account {code}", account_manager=manager)
    db.session.add(account)
    db.session.commit()
    return account


def count_shown(panel: Panel, url: str = "/admin/invoice/") -> str:
    found = re.search(r"List \(([\d,+]+)\)", panel.get(url).get_data(as_text=True))
    assert found, "no count on the list"
    return found.group(1)


def count_statements(statements: list[str]) -> int:
    return sum(1 for statement in statements if re.search(r"SELECT count\(", statement))


def test_a_list_shown_again_is_not_counted_again(login_as, panel: Panel) -> None:
    login_as("admin")
    add_invoices(add_account("ONE"), 3, "A")
    assert count_shown(panel) == "3"
    with counted_statements() as again:
        assert count_shown(panel) == "3"
    assert count_statements(again) == 0, again


def test_every_write_to_the_ledger_moves_the_count(login_as, panel: Panel) -> None:
    login_as("admin")
    account = add_account("ONE")
    add_invoices(account, 3, "A")
    assert count_shown(panel) == "3"
    add_invoices(account, 1, "B")  # through the ORM
    assert count_shown(panel) == "4"
    db.session.execute(sa.text("DELETE FROM invoices WHERE number = 'A0'"))  # raw SQL
    db.session.commit()
    assert count_shown(panel) == "3"
    db.session.execute(sa.text("UPDATE invoices SET status = 'void' WHERE number = 'A1'"))
    db.session.commit()
    assert count_shown(panel, "/admin/invoice/?search=A") == "2"
    assert count_shown(panel, "/admin/invoice/?search=A") == "2"


def test_each_filter_and_search_has_its_own_count(login_as, panel: Panel) -> None:
    login_as("admin")
    account = add_account("ONE")
    add_invoices(account, 3, "A")
    add_invoices(account, 2, "B", status="draft")
    assert count_shown(panel) == "5"
    assert count_shown(panel, "/admin/invoice/?search=B") == "2"
    assert count_shown(panel, "/admin/invoice/?search=A") == "3"
    assert count_shown(panel) == "5"


def test_a_manager_never_sees_a_count_kept_for_other_rows(login_as, panel: Panel) -> None:
    colleague = make_user("manager", "carl@example.test")
    theirs = add_account("THEIRS", colleague)
    add_invoices(theirs, 5, "T")
    other_panel = Panel(panel.client.application.test_client())
    assert other_panel.login(colleague.email).status_code == 302
    assert count_shown(other_panel) == "5"

    manager = login_as("manager", "mona@example.test")
    add_invoices(add_account("MINE", manager), 2, "M")
    assert count_shown(panel) == "2"
    assert count_shown(other_panel) == "5"
    db.session.add(ManagerAccess(user=manager, account=theirs))  # a grant moves the stamp too
    db.session.commit()
    assert count_shown(panel) == "7"
    assert count_shown(other_panel) == "5"


def test_a_role_whose_rows_are_all_shares_the_count_with_its_colleagues(
    login_as, panel: Panel
) -> None:
    admin = make_user("admin", "ada@example.test")
    add_invoices(add_account("ONE"), 3, "A")
    first = Panel(panel.client.application.test_client())
    assert first.login(admin.email).status_code == 302
    assert count_shown(first) == "3"
    login_as("analyst")
    with counted_statements() as statements:
        assert count_shown(panel) == "3"
    assert count_statements(statements) == 0


def test_a_count_reading_what_no_trigger_watches_is_counted_every_time(
    login_as, panel: Panel
) -> None:
    login_as("admin")
    assert count_shown(panel, "/admin/user/") == "1"
    with counted_statements() as again:
        assert count_shown(panel, "/admin/user/") == "1"
    assert count_statements(again) == 1  # users: an insert moves no stamp
    make_user("analyst")
    assert count_shown(panel, "/admin/user/") == "2"


def test_only_watched_columns_and_plain_functions_make_a_count_kept(app: Flask) -> None:
    by_status = sa.select(sa.func.count()).where(Invoice.status == "issued")
    assert reads_only_watched(by_status)
    by_code = sa.select(sa.func.count()).select_from(Invoice).join(Account)  # accounts.id
    assert not reads_only_watched(by_code)
    by_name = sa.select(sa.func.count()).where(Account.name == "x")  # some columns only
    assert not reads_only_watched(by_name)
    paid = sa.select(sa.func.count()).select_from(Invoice).join(Invoice.account.property.mapper)
    assert not reads_only_watched(paid)
    in_table = sa.select(sa.func.count()).where(Invoice.account_id == 1)
    assert reads_only_watched(in_table)
    by_status_of_account = sa.select(sa.func.count()).where(Account.status == "enabled")
    assert not reads_only_watched(by_status_of_account)
    overdue = sa.select(sa.func.count()).where(Invoice.due_date < sa.func.current_date())
    assert not reads_only_watched(overdue)
    raw = sa.select(sa.func.count()).select_from(Invoice).where(sa.text("status = 'issued'"))
    assert not reads_only_watched(raw)
    in_ids = Invoice.account_id.op("IN")(sa.literal_column("(1,2,3)"))
    assert reads_only_watched(sa.select(sa.func.count()).where(in_ids))
    hidden = Invoice.account_id.op("IN")(sa.literal_column("(SELECT id FROM users)"))
    assert not reads_only_watched(sa.select(sa.func.count()).where(hidden))


def test_a_count_made_after_an_unfinished_write_is_not_kept(app: Flask) -> None:
    account = add_account("ONE")
    add_invoices(account, 2, "A")
    statement = sa.select(sa.func.count()).select_from(Invoice)
    with app.test_request_context("/admin/invoice/"):
        db.session.add(Invoice(number="NEW", account=account, issue_date=dt.date(2026, 1, 1),
                               due_date=dt.date(2026, 2, 1), amount=Decimal("1.00")))  # fmt: skip
        db.session.flush()
        assert counted_per_ledger(db.session, statement, lambda: db.session.scalar(statement)) == 3
        db.session.rollback()
        assert counted_per_ledger(db.session, statement, lambda: db.session.scalar(statement)) == 2


def _trigger_definitions() -> dict[str, str]:
    """Trigger name -> its definition, as the database keeps it."""
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(sa.text(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
        ))  # fmt: skip
    else:
        rows = db.session.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        )
    return {name: definition for name, definition in rows}


def test_every_change_to_a_watched_table_moves_the_stamp(app: Flask) -> None:
    definitions = _trigger_definitions()
    for table in LEDGER_WATCHED_TABLES:
        for event in ("insert", "update", "delete"):
            definition = definitions[f"ledger_stamp_{table}_{event}"]
            assert not re.search(r"UPDATE OF", definition, re.IGNORECASE), definition
    assert not {"accounts", "users"} & LEDGER_WATCHED_TABLES  # only some of their changes do
