"""Follow-up actions, credit control and collections figures, against hand-computed figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
from pypdf import PdfReader

from extensions import db
from models import FollowUpAction
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_credit_note, add_invoice, add_payment


def download_csv(panel: Panel, name: str, query: str = "") -> list[dict[str, str]]:
    response = panel.get(f"/admin/reports/period/{name}/download/csv?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def logged_in(app, user) -> Panel:
    """A second browser, logged in as `user`."""
    browser = Panel(app.test_client())
    assert browser.login(user.email).status_code == 302
    return browser


def two_managers_accounts() -> tuple:
    ann = make_user("manager", "ann@example.test")
    zoe = make_user("manager", "zoe@example.test")
    a1 = add_account("A1", account_manager=ann, credit_limit=Decimal("100.00"))
    z1 = add_account("Z1", account_manager=zoe, credit_limit=Decimal("1000.00"))
    return ann, zoe, a1, z1


def add_action(account, due: dt.date, status: str = "open", completed_at=None) -> None:
    db.session.add(FollowUpAction(account=account, due_date=due, status=status,
                                  completed_at=completed_at, description="Call"))  # fmt: skip
    db.session.commit()


def test_actions_per_manager_count_due_open_overdue_and_completed(login_as, panel) -> None:
    _ann, _zoe, a1, z1 = two_managers_accounts()
    add_action(a1, dt.date(2026, 3, 5))  # due, open, overdue
    add_action(a1, dt.date(2026, 3, 20), "done", dt.datetime(2026, 3, 21, 10))  # due, completed
    add_action(a1, dt.date(2026, 2, 10))  # overdue only
    add_action(a1, dt.date(2026, 4, 10))  # after the period: nothing
    add_action(z1, dt.date(2026, 3, 31))  # due on the last day: due, open, not overdue
    add_action(z1, dt.date(2026, 2, 1), "done", dt.datetime(2026, 4, 1, 9))  # done after it
    login_as("analyst")
    rows = download_csv(panel, "actions", "start=2026-03-01&end=2026-03-31")
    assert [list(row.values()) for row in rows] == [
        ["ann@example.test", "2", "1", "2", "1"],
        ["zoe@example.test", "1", "1", "0", "0"],
        ["TOTAL", "3", "2", "2", "1"],
    ]
    assert list(rows[0]) == ["account_manager", "due", "open", "overdue", "completed"]


def test_credit_control_lists_accounts_over_limit_or_not_current(
    app, login_as, panel, today
) -> None:
    ann, _zoe, a1, z1 = two_managers_accounts()
    nobody = add_account("NOBODY")
    add_invoice(a1, "A1-1", "150.00", issue_date=today - dt.timedelta(days=40),
                due_date=today - dt.timedelta(days=10))  # fmt: skip
    add_invoice(z1, "Z1-1", "500.00", issue_date=today, due_date=today + dt.timedelta(days=20))
    add_invoice(nobody, "N-1", "20.00", issue_date=today - dt.timedelta(days=31),
                due_date=today - dt.timedelta(days=1))  # fmt: skip
    login_as("analyst")
    rows = download_csv(panel, "credit")
    assert [list(row.values()) for row in rows] == [
        ["A1", "A1 Ltd", "ann@example.test", "100.00", "150.00", "150.00", "150.0", "true", "true"],
        ["NOBODY", "NOBODY Ltd", "(unassigned)", "", "20.00", "20.00", "", "false", "true"],
    ]
    assert [row["account_code"] for row in download_csv(logged_in(app, ann), "credit")] == ["A1"]


def test_collections_dso_and_average_days_late(app, login_as, panel) -> None:
    ann, _zoe, a1, z1 = two_managers_accounts()
    old = add_invoice(a1, "I0", "200.00", issue_date=dt.date(2025, 12, 1))
    assert old.due_date == dt.date(2025, 12, 31)
    i1 = add_invoice(a1, "I1", "1000.00", issue_date=dt.date(2026, 1, 10))  # due 02-09
    add_payment(a1, "P1", "600.00", invoice=i1, payment_date=dt.date(2026, 2, 1))
    add_payment(a1, "P2", "400.00", invoice=i1, payment_date=dt.date(2026, 2, 19))  # 10 late
    i2 = add_invoice(a1, "I2", "500.00", issue_date=dt.date(2026, 2, 1))  # due 03-03
    add_payment(a1, "P3", "500.00", invoice=i2, payment_date=dt.date(2026, 3, 1))  # early: 0
    add_invoice(a1, "I3", "300.00", issue_date=dt.date(2026, 3, 15))  # open at the end
    z = add_invoice(z1, "Z1", "100.00", issue_date=dt.date(2026, 2, 1))  # due 03-03
    add_credit_note(z1, "CN1", "100.00", invoice=z, issue_date=dt.date(2026, 3, 13))  # 10 late
    login_as("analyst")
    rows = download_csv(panel, "collections", "start=2026-01-01&end=2026-03-31")
    assert [list(row.values()) for row in rows] == [
        # receivables 200 + 300; sales 1000 + 500 + 300; DSO 500 / 1800 * 90 = 25.0
        ["ann@example.test", "GBP", "500.00", "1800.00", "90", "25.0", "2", "5.0"],
        ["zoe@example.test", "GBP", "0.00", "100.00", "90", "0.0", "1", "10.0"],
        # 500 / 1900 * 90 = 23.68; (10 + 0 + 10) / 3 = 6.67
        ["TOTAL", "GBP", "500.00", "1900.00", "90", "23.7", "3", "6.7"],
    ]
    mine = download_csv(logged_in(app, ann), "collections", "start=2026-01-01&end=2026-03-31")
    assert [row["account_manager"] for row in mine] == ["ann@example.test", "TOTAL"]


def test_period_reports_show_on_the_page_and_download_as_xlsx_and_pdf(login_as, panel) -> None:
    _ann, _zoe, a1, _z1 = two_managers_accounts()
    add_action(a1, dt.date(2026, 3, 5))
    login_as("admin")
    assert "Follow-up actions per account manager" in panel.get("/admin/reports/").get_data(
        as_text=True
    )
    page = panel.get("/admin/reports/period/actions?start=2026-03-01&end=2026-03-31")
    assert "ann@example.test" in page.get_data(as_text=True)
    xlsx = panel.get("/admin/reports/period/actions/download/xlsx?start=2026-03-01&end=2026-03-31")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_data())).active
    assert [cell.value for cell in sheet[3]] == ["TOTAL", 1, 1, 1, 0] and sheet["A3"].font.bold
    pdf = panel.get("/admin/reports/period/collections/download/pdf")
    assert pdf.get_data().startswith(b"%PDF")
    assert "Collections figures" in PdfReader(io.BytesIO(pdf.get_data())).pages[0].extract_text()


def test_a_backwards_period_is_refused(login_as, panel) -> None:
    login_as("analyst")
    response = panel.get("/admin/reports/period/actions?start=2026-03-31&end=2026-03-01")
    assert response.status_code == 400
    assert "The period must end on or after its start." in response.get_data(as_text=True)
    assert panel.get("/admin/reports/period/unknown").status_code == 404
