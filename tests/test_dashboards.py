"""Each role lands on its dashboard, with figures worked out by hand (tests/dashboard_world.py)."""

from __future__ import annotations

import pytest

from extensions import db
from tests.conftest import Panel
from tests.dashboard_world import build_world, days
from tests.factories import add_account, add_invoice
from tests.page_text import widget_text, widget_texts

NOT_DRAWN = "could not be drawn"


def dashboard(panel: Panel) -> str:
    response = panel.get("/admin/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert NOT_DRAWN not in page
    return page


def test_admin_dashboard_answers_what_is_owed_overdue_and_waiting(login_as, panel, today) -> None:
    build_world(today)
    login_as("admin")
    page = dashboard(panel)

    assert widget_text(page, "total_due") == (
        "Total due EUR 200.00 GBP 1,350.00 USD 1,000.00 as of "
        + page.split('data-testid="widget-total_due"')[1].split("as of ")[1].split(" UTC")[0]
        + " UTC Details"
    )
    assert "EUR 200.00 GBP 800.00" in widget_text(page, "overdue")
    assert "USD" not in widget_text(page, "overdue")
    credit = widget_text(page, "credit_used")
    assert "2 accounts at 80% of their credit limit or more; 2 over it" in credit
    assert "2 open 1 past their due date" in widget_text(page, "open_actions")
    top = widget_text(page, "top_overdue_accounts")
    assert "EUR 200.00" in top and top.index("NORTH — NORTH Ltd GBP 500.00") < top.index(
        "SOUTH — SOUTH Ltd GBP 300.00"
    )
    assert "SOUTH 900.00" in widget_text(page, "credit_requests_waiting")
    assert "ap@south.test Invoice I-5 from Accounts Desk 5" in widget_text(page, "emails_failed")
    assert "GBP 100.00" in page  # the collections chart's bar title: P-1, received this month
    aging = widget_text(page, "aging_chart")
    assert "north" in aging and "south" in aging and "(unassigned)" in aging


def test_analyst_dashboard_shows_overdue_by_age_and_dso_per_currency(
    login_as, panel, today
) -> None:
    build_world(today)
    login_as("analyst")
    page = dashboard(panel)

    any_overdue, long_overdue = widget_texts(page, "overdue")
    assert "EUR 200.00 GBP 800.00" in any_overdue
    assert long_overdue.startswith("Overdue (90+ days) EUR 200.00 as of")
    dso = widget_text(page, "dso")
    assert "83.8 days GBP" in dso and "90.0 days USD" in dso and "EUR" not in dso
    assert widget_texts(page, "overdue_trend") and widget_texts(page, "collections_chart")
    assert "Total due EUR 200.00 GBP 1,350.00 USD 1,000.00" in widget_text(page, "total_due")
    assert not widget_texts(page, "emails_failed")  # analysts cannot open the outbox


def test_super_admin_dashboard_shows_failed_emails_and_shortcuts(login_as, panel, today) -> None:
    build_world(today)
    login_as("super_admin")
    page = dashboard(panel)

    assert "Invoice I-5 from Accounts Desk" in widget_text(page, "emails_failed")
    assert "Configure dashboards" in widget_text(page, "shortcuts")
    assert "83.8 days GBP" in widget_text(page, "dso")


def test_manager_tiles_cover_only_their_accounts(panel, today) -> None:
    world = build_world(today)
    panel.login(world.north.email)
    page = dashboard(panel)

    assert "EUR 200.00 GBP 1,000.00" in widget_text(page, "total_due")
    assert "EUR 200.00 GBP 500.00" in widget_text(page, "overdue")
    assert "1 account at 80% of their credit limit or more; 1 over it" in widget_text(
        page, "credit_used"
    )
    assert "1 open 1 past their due date" in widget_text(page, "open_actions")
    assert "Chase I-1 by phone" in widget_text(page, "my_open_actions")
    for elsewhere in ("SOUTH", "WEST", "1,350.00", "USD", "I-5", "300.00"):
        assert elsewhere not in page, elsewhere


def test_manager_accounts_table_keeps_each_currency_apart(panel, today) -> None:
    world = build_world(today)
    panel.login(world.north.email)
    table = widget_text(dashboard(panel), "my_accounts")

    assert "NORTH — NORTH Ltd EUR 200.00 200.00 1 1,000.00 —" in table
    assert "NORTH — NORTH Ltd GBP 1,000.00 500.00 2 1,000.00 —" in table


def test_a_single_currency_account_shows_its_credit_limit_use(panel, today) -> None:
    world = build_world(today)
    panel.login(world.south.email)
    add_invoice(world.south_account, "I-8", "100.00", currency="USD", issue_date=days(today, -1))
    db.session.execute(db.text("DELETE FROM invoices WHERE number = 'I-5'"))
    db.session.commit()
    table = widget_text(dashboard(panel), "my_accounts")

    assert "SOUTH — SOUTH Ltd USD 1,100.00 0.00 2 500.00 220%" in table


def test_figures_are_kept_until_refreshed_and_say_when_they_were_computed(panel, today) -> None:
    world = build_world(today)
    panel.login(world.north.email)
    assert "GBP 1,000.00" in widget_text(dashboard(panel), "total_due")
    add_invoice(world.north_account, "I-9", "25.00", issue_date=days(today, -1))

    kept = dashboard(panel)
    assert "GBP 1,000.00" in widget_text(kept, "total_due")
    assert "Figures as of" in kept

    assert panel.post("/admin/refresh", {}).status_code == 302
    assert "GBP 1,025.00" in widget_text(dashboard(panel), "total_due")


def test_refresh_needs_the_csrf_token(login_as, panel) -> None:
    login_as("admin")
    assert panel.post_without_csrf("/admin/refresh", {}).status_code == 400


@pytest.mark.parametrize("role", ["super_admin", "admin", "manager", "analyst"])
def test_every_role_lands_on_a_dashboard_even_with_no_data(role, login_as, panel) -> None:
    login_as(role)
    page = dashboard(panel)
    assert 'data-testid="dashboard"' in page
    assert "Nothing is owed." in widget_text(page, "total_due")


def test_warm_command_computes_the_figures_before_anyone_looks(app, login_as, panel, today) -> None:
    world = build_world(today)
    result = app.test_cli_runner().invoke(args=["dashboards", "warm"])
    assert result.exit_code == 0, result.output
    assert "for 5 viewer(s)" in result.output  # three roles that see every row, two managers
    add_invoice(world.north_account, "I-9", "25.00", issue_date=days(today, -1))

    login_as("admin")
    assert "GBP 1,350.00" in widget_text(dashboard(panel), "total_due")  # as warmed
    manager = Panel(app.test_client())
    manager.login(world.north.email)
    assert "GBP 1,000.00" in widget_text(dashboard(manager), "total_due")


def test_chart_labels_are_text_not_markup(login_as, panel, today) -> None:
    manager = login_as("manager")
    account = add_account("<img src=x>", account_manager=manager)
    add_invoice(account, "I-X", "10.00", issue_date=days(today, -40), due_date=days(today, -10))

    chart = dashboard(panel).split('data-testid="widget-aging_chart"')[1].split("</section>")[0]

    assert "<img src=x>" not in chart and "&lt;img src=x&gt;" in chart
