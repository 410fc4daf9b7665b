"""The Reports page as each role uses it: who may open it, what a manager sees, drill-downs,
and the CSV, XLSX and PDF downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from pypdf import PdfReader

from extensions import db
from models import AccountGroup, ManagerAccess
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice, add_payment

AS_OF = "2026-03-31"
QUERY = f"as_of={AS_OF}"


def arrange_two_managers() -> dict[str, object]:
    """Ann manages A1 (and is granted Z2); Zoe manages Z1 and Z2; NOBODY has no manager."""
    ann = make_user("manager", "ann@example.test")
    zoe = make_user("manager", "zoe@example.test")
    a1 = add_account("A1", name="Alpha", account_manager=ann)
    z1 = add_account("Z1", name="=cmd|' /C calc'!A0", account_manager=zoe)
    z2 = add_account("Z2", name="Zed Two", account_manager=zoe)
    nobody = add_account("NOBODY", name="Nobody Ltd")
    db.session.add(ManagerAccess(user=ann, account=z2))
    db.session.commit()
    add_invoice(a1, "A1-1", "100.00", issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 3, 1))
    add_invoice(z1, "Z1-1", "200.00", issue_date=dt.date(2026, 3, 1), due_date=dt.date(2026, 3, 31))
    add_invoice(z2, "Z2-1", "40.00", issue_date=dt.date(2025, 11, 1), due_date=dt.date(2025, 12, 1))
    add_invoice(nobody, "N-1", "8.00", issue_date=dt.date(2026, 3, 1))
    add_payment(a1, "P-1", "25.50", invoice=None, payment_date=dt.date(2026, 3, 2))
    return {"ann": ann, "zoe": zoe, "a1": a1, "z1": z1, "z2": z2}


def table_rows(html: str) -> list[list[str]]:
    table = re.search(r'data-testid="aging-table">(.*?)</table>', html, re.S).group(1)
    body = table.split("<tbody>")[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows
    ]


def text_of(cell_html: str) -> str:
    return re.sub(r"<[^>]+>", "", cell_html).strip()


def test_anonymous_visitors_are_sent_to_the_login_page(panel: Panel) -> None:
    response = panel.get("/admin/reports/aging/manager")
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("role", ["super_admin", "admin", "analyst", "manager"])
def test_every_panel_role_finds_reports_in_the_menu(role: str, login_as, panel: Panel) -> None:
    login_as(role)
    home = panel.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/reports/"' in home
    assert panel.get("/admin/reports/").status_code == 200
    assert panel.get(f"/admin/reports/aging/manager?{QUERY}").status_code == 200


def test_analyst_sees_every_manager_with_a_total_row(login_as, panel: Panel) -> None:
    arrange_two_managers()
    login_as("analyst")
    rows = table_rows(panel.get(f"/admin/reports/aging/manager?{QUERY}").get_data(as_text=True))
    assert [row[0] for row in rows] == ["(unassigned)", "ann@example.test", "zoe@example.test",
                                        "TOTAL"]  # fmt: skip
    assert rows[1][2:] == ["0.00", "100.00", "0.00", "0.00", "0.00", "100.00", "25.50", "74.50",
                           "0.00", "1"]  # fmt: skip
    assert rows[3][7] == "348.00"


def test_manager_sees_only_the_figures_of_their_accounts(login_as, panel: Panel) -> None:
    world = arrange_two_managers()
    panel.login(world["ann"].email)
    html = panel.get(f"/admin/reports/aging/manager?{QUERY}").get_data(as_text=True)
    rows = table_rows(html)
    # A1 as its manager, Z2 by a grant (filed under Z2's manager); never Z1 or NOBODY
    assert [(row[0], row[7]) for row in rows] == [
        ("ann@example.test", "100.00"),
        ("zoe@example.test", "40.00"),
        ("TOTAL", "140.00"),
    ]
    csv_text = panel.get(f"/admin/reports/aging/account/download/csv?{QUERY}").get_data(
        as_text=True
    )
    codes = [row["account_code"] for row in csv.DictReader(io.StringIO(csv_text))]
    assert codes == ["A1", "Z2", "TOTAL"]
    assert panel.get(f"/admin/reports/aging/account/{world['z1'].id}/invoices").status_code == 404


def test_a_manager_without_accounts_sees_an_empty_report(login_as, panel: Panel) -> None:
    arrange_two_managers()
    login_as("manager", "idle@example.test")
    html = panel.get(f"/admin/reports/aging/manager?{QUERY}").get_data(as_text=True)
    assert "No open receivables or account credit as of this date." in html
    assert table_rows(html) == [["No open receivables or account credit as of this date."]]


def test_manager_row_drills_down_to_accounts_and_account_to_open_invoices(
    login_as, panel: Panel
) -> None:
    world = arrange_two_managers()
    login_as("admin")
    html = panel.get(f"/admin/reports/aging/manager?{QUERY}").get_data(as_text=True)
    link = re.search(r'href="([^"]*page=account[^"]*|/admin/reports/aging/account\?[^"]*manager='
                     rf'{world["zoe"].id}[^"]*)"', html).group(1)  # fmt: skip
    accounts_html = panel.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "accounts of zoe@example.test" in accounts_html
    assert [row[0] for row in table_rows(accounts_html)] == ["Z1", "Z2", "TOTAL"]
    invoices = panel.get(f"/admin/reports/aging/account/{world['z2'].id}/invoices?{QUERY}")
    text = re.sub(r"<[^>]+>", " ", invoices.get_data(as_text=True))
    assert re.search(r"Z2-1 .*40\.00 .*40\.00 .*120 .*Over 90", " ".join(text.split()))


def test_by_account_is_searchable_and_sortable(login_as, panel: Panel) -> None:
    arrange_two_managers()
    login_as("analyst")
    page = "/admin/reports/aging/account"
    found = table_rows(panel.get(f"{page}?{QUERY}&q=zed").get_data(as_text=True))
    assert [(row[0], row[9]) for row in found] == [("Z2", "40.00"), ("TOTAL", "40.00")]
    by_manager = table_rows(panel.get(f"{page}?{QUERY}&q=ZOE@").get_data(as_text=True))
    assert [row[0] for row in by_manager] == ["Z1", "Z2", "TOTAL"]
    csv_text = panel.get(f"{page}/download/csv?{QUERY}&q=zed").get_data(as_text=True)
    assert [row["account_code"] for row in csv.DictReader(io.StringIO(csv_text))] == ["Z2", "TOTAL"]
    by_total = table_rows(panel.get(f"{page}?{QUERY}&sort=total&desc=1").get_data(as_text=True))
    assert [row[0] for row in by_total] == ["Z1", "A1", "Z2", "NOBODY", "TOTAL"]


def test_a_page_past_the_last_says_so_and_links_to_the_last(login_as, panel: Panel) -> None:
    arrange_two_managers()
    login_as("analyst")
    html = panel.get(f"/admin/reports/aging/account?{QUERY}&p=9").get_data(as_text=True)

    message = table_rows(html)[0][0]
    assert message.startswith("Page 9 is past the last page: the report has 4 rows.")
    assert "No open receivables" not in html
    last_page = re.search(r'href="([^"]*)">Go to page 1</a>', html).group(1)
    codes = [row[0] for row in table_rows(panel.get(last_page.replace("&amp;", "&")).get_data(
        as_text=True))]  # fmt: skip
    assert codes == ["A1", "NOBODY", "Z1", "Z2", "TOTAL"]


def test_a_malformed_parameter_is_refused_with_a_reason(login_as, panel: Panel) -> None:
    login_as("analyst")
    response = panel.get("/admin/reports/aging/manager?as_of=31/03/2026")
    assert response.status_code == 400
    assert "The as-of date must be a date (YYYY-MM-DD)." in response.get_data(as_text=True)
    response = panel.get("/admin/reports/aging/manager?buckets=60,30")
    assert response.status_code == 400 and "increasing order" in response.get_data(as_text=True)


def test_csv_download_is_the_command_line_report(app, login_as, panel: Panel) -> None:
    arrange_two_managers()
    login_as("analyst")
    response = panel.get(f"/admin/reports/aging/manager/download/csv?{QUERY}")
    assert (
        response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    )
    command = app.test_cli_runner().invoke(args=["report", "aging", "--as-of", AS_OF])
    assert response.get_data() == command.stdout_bytes


def test_xlsx_download_is_a_formatted_sheet(login_as, panel: Panel) -> None:
    arrange_two_managers()
    login_as("analyst")
    response = panel.get(f"/admin/reports/aging/account/download/xlsx?{QUERY}")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "account_code" and sheet["A1"].font.bold
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    z1 = next(row for row in rows if row[0] == "Z1")
    assert z1[1] == "'=cmd|' /C calc'!A0"
    assert z1[4] == 200 and isinstance(z1[4], int | float)
    total = rows[-1]
    assert total[0] == "TOTAL" and total[9] == 348 and sheet.cell(len(rows) + 1, 1).font.bold
    assert sheet.cell(2, 5).number_format == "#,##0.00"


def test_pdf_download_is_a_one_page_report_with_its_chart(login_as, panel: Panel) -> None:
    arrange_two_managers()
    login_as("analyst")
    response = panel.get(f"/admin/reports/aging/manager/download/pdf?{QUERY}")
    content = response.get_data()
    assert response.mimetype == "application/pdf" and content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Aging by account manager" in text and "zoe@example.test" in text
    assert "348.00" in text
    assert reader.pages[0].images, "the chart is on the page"


def test_chart_is_an_image(login_as, panel: Panel) -> None:
    arrange_two_managers()
    login_as("analyst")
    response = panel.get(f"/admin/reports/aging/manager/chart.png?{QUERY}")
    assert response.mimetype == "image/png" and response.get_data().startswith(b"\x89PNG")


def test_filters_by_group_with_its_sub_groups_type_and_disputed(login_as, panel: Panel) -> None:
    north = AccountGroup(name="North")
    leeds = AccountGroup(name="Leeds", parent=north)
    db.session.add_all([north, leeds, AccountGroup(name="South")])
    db.session.commit()
    in_north = add_account("N1", group=north)
    in_leeds = add_account("L1", group=leeds, type="provider")
    elsewhere = add_account("S1")
    for account, number, amount, disputed in [(in_north, "N-1", "1.00", False),
                                              (in_leeds, "L-1", "2.00", True),
                                              (elsewhere, "S-1", "4.00", True)]:  # fmt: skip
        add_invoice(account, number, amount, issue_date=dt.date(2026, 3, 1), disputed=disputed)
    login_as("analyst")

    def codes(query: str) -> list[tuple[str, str]]:
        html = panel.get(f"/admin/reports/aging/account?{QUERY}&{query}").get_data(as_text=True)
        return [(row[0], row[9]) for row in table_rows(html)]

    assert codes(f"account_group={north.id}") == [("L1", "2.00"), ("N1", "1.00"), ("TOTAL", "3.00")]
    assert codes("account_type=provider") == [("L1", "2.00"), ("TOTAL", "2.00")]
    assert codes("disputed_only=1") == [("L1", "2.00"), ("S1", "4.00"), ("TOTAL", "6.00")]


@pytest.mark.parametrize("engine", ["duckdb", "sql"])
def test_disputed_only_counts_the_disputed_invoices_on_either_engine(
    app, login_as, panel: Panel, engine: str, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "AGING_ENGINE", engine)
    account = add_account("A1")
    add_invoice(account, "D-1", "100.00", issue_date=dt.date(2026, 3, 1), disputed=True)
    add_invoice(account, "U-1", "50.00", issue_date=dt.date(2026, 3, 1))
    login_as("analyst")
    download = f"/admin/reports/aging/account/download/csv?{QUERY}&disputed_only=1"
    rows = list(csv.DictReader(io.StringIO(panel.get(download).get_data(as_text=True))))
    assert [(row["account_code"], row["total"], row["disputed"]) for row in rows] == [
        ("A1", "100.00", "100.00"), ("TOTAL", "100.00", "100.00")
    ]  # fmt: skip


@pytest.mark.parametrize("engine", ["duckdb", "sql"])
def test_search_for_quotes_and_wildcards_matches_them_literally_on_either_engine(
    app, login_as, panel: Panel, engine: str, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "AGING_ENGINE", engine)
    for code, name in (("P1", "O'Brien 100%Ltd"), ("P2", "O'Brien 100% Ltd")):
        account = add_account(code, name=name)
        add_invoice(account, f"{code}-1", "10.00", issue_date=dt.date(2026, 3, 1))
    login_as("analyst")
    download = f"/admin/reports/aging/account/download/csv?{QUERY}&q=O%27Brien%20100%25Ltd"
    rows = list(csv.DictReader(io.StringIO(panel.get(download).get_data(as_text=True))))
    assert [row["account_code"] for row in rows] == ["P1", "TOTAL"]


@pytest.mark.parametrize(
    "url",
    ["/admin/reports/aging/manager", "/admin/reports/aging/account",
     "/admin/reports/period/collections"],
)  # fmt: skip
def test_a_query_argument_named_like_the_address_parts_is_ignored(url, login_as, panel) -> None:
    """`?page=2` (a guess at the page number, which is `p`) must not break the page's links."""
    arrange_two_managers()
    login_as("analyst")
    response = panel.get(f"{url}?{QUERY}&page=2&file_format=pdf&report_name=x")
    assert response.status_code == 200
    assert "page=2" not in response.get_data(as_text=True)
