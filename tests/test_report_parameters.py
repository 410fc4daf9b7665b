"""Report parameters as an attacker types them: one naming a manager, group or account outside the
user's accounts answers 404 and names nobody; a number or date no report can use answers 400
with the reason, on every report page and download; a crafted list page never fails."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest

from extensions import db
from models import Account, AccountGroup, FollowUpAction
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice
from tests.test_reports_panel import QUERY, arrange_two_managers

HUGE = str(2**64)
AGING_URLS = [
    "/admin/reports/aging/manager",
    "/admin/reports/aging/account",
    "/admin/reports/aging/manager/download/csv",
    "/admin/reports/aging/account/download/xlsx",
    "/admin/reports/aging/account/download/pdf",
    "/admin/reports/aging/manager/chart.png",
]


@pytest.fixture
def world() -> dict[str, object]:
    """Ann manages A1 (group North) and is granted Z2 (group South); Max manages M1 (group
    East), which Ann cannot see; Root is a super admin who manages nothing."""
    people = arrange_two_managers()
    north, south, east = (AccountGroup(name=name) for name in ("North", "South", "East"))
    max_ = make_user("manager", "max@example.test")
    m1 = add_account("M1", name="Max's account", account_manager=max_, group=east)
    add_invoice(m1, "M1-1", "10.00", issue_date=dt.date(2026, 3, 1))
    people["a1"].group, people["z2"].group = north, south
    db.session.add_all([north, south, east])
    db.session.commit()
    root = make_user("super_admin", "root@example.test")
    return people | {"max": max_, "m1": m1, "root": root, "north": north, "east": east}


@pytest.mark.parametrize("url", AGING_URLS)
@pytest.mark.parametrize("named", ["root", "max"])
def test_a_manager_naming_another_manager_gets_404_and_never_their_email(
    url: str, named: str, world, panel: Panel
) -> None:
    panel.login("ann@example.test")
    response = panel.get(f"{url}?{QUERY}&manager={world[named].id}")
    assert response.status_code == 404
    assert f"{named}@example.test".encode() not in response.get_data()


@pytest.mark.parametrize("url", AGING_URLS)
def test_a_manager_naming_a_group_of_accounts_they_do_not_see_gets_404(
    url: str, world, panel: Panel
) -> None:
    panel.login("ann@example.test")
    assert panel.get(f"{url}?{QUERY}&account_group={world['east'].id}").status_code == 404
    assert panel.get(f"{url}?{QUERY}&account_group={world['north'].id}").status_code == 200


def test_a_manager_names_themselves_and_the_managers_of_accounts_granted_to_them(
    world, panel: Panel
) -> None:
    panel.login("ann@example.test")
    for who in ("ann", "zoe"):
        page = panel.get(f"/admin/reports/aging/account?{QUERY}&manager={world[who].id}")
        assert f"accounts of {who}@example.test" in page.get_data(as_text=True)
    unassigned = panel.get(f"/admin/reports/aging/account?{QUERY}&manager=0")
    assert unassigned.status_code == 200
    form = panel.get("/admin/reports/").get_data(as_text=True)
    assert ">North<" in form and ">South<" in form and ">East<" not in form


@pytest.mark.parametrize("account", ["m1", "huge"])
def test_a_manager_cannot_open_the_invoices_of_an_account_they_do_not_see(
    account: str, world, panel: Panel
) -> None:
    panel.login("ann@example.test")
    account_id = HUGE if account == "huge" else world[account].id
    response = panel.get(f"/admin/reports/aging/account/{account_id}/invoices?{QUERY}")
    assert response.status_code == 404


def test_an_admin_names_any_user_but_not_one_that_does_not_exist(
    world, login_as, panel: Panel
) -> None:
    login_as("admin")
    page = panel.get(f"/admin/reports/aging/account?{QUERY}&manager={world['root'].id}")
    assert "accounts of root@example.test" in page.get_data(as_text=True)
    assert panel.get(f"/admin/reports/aging/account?{QUERY}&manager=999999").status_code == 404
    assert panel.get(f"/admin/reports/aging/account?{QUERY}&account_group=999999").status_code == (
        404
    )
    form = panel.get("/admin/reports/").get_data(as_text=True)
    assert ">East<" in form


DATE_RANGE = "between 1900-01-01 and 2199-12-31"
BAD_AGING_PARAMETERS = [
    (f"manager={HUGE}", "The account manager must be a whole number from 0 to 2,147,483,647."),
    ("manager=-1", "The account manager must be a whole number"),
    ("manager=ten", "The account manager must be a whole number"),
    (f"account_group={HUGE}", "The account group must be a whole number from 1"),
    ("account_group=0", "The account group must be a whole number from 1"),
    ("as_of=0001-01-01", f"The as-of date must be {DATE_RANGE}."),
    ("as_of=9999-12-31", f"The as-of date must be {DATE_RANGE}."),
    ("buckets=" + ",".join(str(days) for days in range(1, 200)), "At most 12 bucket edges"),
    (f"buckets=30,{HUGE}", "none above 36,500 days"),
    ("buckets=-30", "above 0"),
    ("basis=paid", "Choose days past the due date or the issue date."),
]


@pytest.mark.parametrize("url", AGING_URLS)
@pytest.mark.parametrize(("query", "reason"), BAD_AGING_PARAMETERS)
def test_a_bad_aging_parameter_is_refused_with_its_reason(
    url: str, query: str, reason: str, login_as, panel: Panel
) -> None:
    login_as("analyst")
    response = panel.get(f"{url}?{query}")
    assert response.status_code == 400
    assert reason in unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("page", [HUGE, "-1", "0", "two"])
def test_a_bad_page_of_the_aging_is_refused_on_the_panel_page(
    page: str, world, login_as, panel: Panel
) -> None:
    login_as("analyst")
    response = panel.get(f"/admin/reports/aging/account?{QUERY}&p={page}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'data-testid="problem"' in html
    assert "The page must be a whole number from 1 to 2,147,483,647." in html
    assert "Reports - Accounts Desk" in html  # the panel's page, not a bare error


@pytest.mark.parametrize("report", ["actions", "credit", "collections"])
@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("end=0001-01-01", f"The period's end must be {DATE_RANGE}."),
        ("start=0001-01-01", f"The period's start must be {DATE_RANGE}."),
        ("start=2026-01-01&end=9999-12-31", f"The period's end must be {DATE_RANGE}."),
        ("start=yesterday", "The period's start must be a date (YYYY-MM-DD)."),
    ],
)
@pytest.mark.parametrize("download", ["", "/download/csv", "/download/pdf"])
def test_a_bad_period_is_refused_with_its_reason(
    report: str, query: str, reason: str, download: str, world, login_as, panel: Panel
) -> None:
    db.session.add(FollowUpAction(account=world["a1"], due_date=dt.date(2026, 3, 1)))
    db.session.commit()
    login_as("analyst")
    response = panel.get(f"/admin/reports/period/{report}{download}?{query}")
    assert response.status_code == 400
    assert reason in unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("download", ["", "pdf/"])
@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("as_of=0001-01-01", f"The statement date must be {DATE_RANGE}."),
        ("as_of=2026-03-31&start=0001-01-01", f"The period's start must be {DATE_RANGE}."),
        ("as_of=31/03/2026", "The statement date must be a date (YYYY-MM-DD)."),
    ],
)
def test_a_bad_statement_date_is_refused_with_its_reason(
    download: str, query: str, reason: str, world, login_as, panel: Panel
) -> None:
    login_as("admin")
    account: Account = world["a1"]
    response = panel.get(f"/admin/account/details/statement/{download}?id={account.id}&{query}")
    assert response.status_code == 400
    assert reason in unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("url", ["/admin/awards/", "/admin/awards/export/csv"])
@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (f"within_days={HUGE}", "The days ahead must be a whole number from 0 to 2,147,483,647."),
        ("within_days=-1", "The days ahead must be a whole number"),
        ("as_of=0001-01-01", f"The as-of date must be {DATE_RANGE}."),
        ("show=everything", "Choose which awards to show."),
    ],
)
def test_a_bad_awards_parameter_is_refused_with_its_reason(
    url: str, query: str, reason: str, login_as, panel: Panel
) -> None:
    login_as("admin")
    response = panel.get(f"{url}?{query}")
    assert response.status_code == 400
    assert reason in unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("page", [HUGE, "-5"])
@pytest.mark.parametrize("url", ["/admin/account/", "/admin/invoice/", "/admin/loginevent/"])
def test_a_crafted_list_page_number_shows_a_page_not_an_error(
    page: str, url: str, world, login_as, panel: Panel
) -> None:
    login_as("super_admin")
    assert panel.get(f"{url}?page={page}").status_code == 200


@pytest.mark.parametrize("tab", ["invoices", "history"])
def test_a_crafted_tab_page_number_shows_a_page_not_an_error(
    tab: str, world, login_as, panel: Panel
) -> None:
    login_as("super_admin")
    account_id = world["a1"].id
    response = panel.get(f"/admin/account/details/?id={account_id}&tab={tab}&page={HUGE}")
    assert response.status_code == 200
