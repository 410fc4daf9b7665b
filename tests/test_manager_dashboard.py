"""A manager lands on their dashboard: their accounts' figures (per currency) and their open
actions, as the manager's dashboard showed them before dashboards were configurable."""

import datetime as dt
import re
from decimal import Decimal

from extensions import db
from models import FollowUpAction, Payment
from tests.conftest import Panel
from tests.factories import add_account, add_invoice


def test_dashboard_shows_balance_overdue_open_invoices_and_limit_use(
    login_as, panel, today
) -> None:
    manager = login_as("manager")
    mine = add_account("MINE", account_manager=manager, credit_limit=Decimal("1000.00"))
    add_account("THEIRS")
    overdue = add_invoice(mine, "I-1", "600.00", issue_date=today - dt.timedelta(days=60),
                          due_date=today - dt.timedelta(days=30))  # fmt: skip
    add_invoice(mine, "I-2", "500.00", issue_date=today, due_date=today + dt.timedelta(days=30))
    add_invoice(mine, "I-3", "999.00", issue_date=today, status="draft")
    db.session.add(Payment(reference="P-1", account=mine, invoice=overdue,
                           amount=Decimal("100.00"), payment_date=today))  # fmt: skip
    db.session.add(FollowUpAction(account=mine, assignee=manager, due_date=today,
                                  description="Call about I-1"))  # fmt: skip
    db.session.commit()

    html = panel.get("/admin/").get_data(as_text=True)
    row = re.search(r"MINE — MINE Ltd</a></td>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r">([^<>]+)</td>", row)
    assert cells == ["GBP", "1,000.00", "500.00", "2", "1,000.00", "100%"]
    assert "THEIRS" not in html
    assert "Call about I-1" in html


def test_dashboard_says_so_when_a_manager_has_no_accounts(login_as, panel: Panel) -> None:
    login_as("manager")
    assert "You do not manage any accounts yet." in panel.get("/admin/").get_data(as_text=True)
